"""`jaxscale isoflop`: Chinchilla Approach 2 (isoFLOP profiles) or 1 (training-curve envelope)."""

import warnings

from . import _common as common


def add(commands, parents) -> None:
    parser = commands.add_parser("isoflop", parents=[parents["data"], parents["out"]], help="Chinchilla Approach 2 (or 1): N_opt and D_opt vs compute")
    parser.add_argument("--by", action="append", metavar="COLUMN", help="fit each group (e.g. a configuration) separately")
    parser.add_argument("--approach", type=int, choices=(1, 2), default=2, help="2: isoFLOP profiles, 1: training-curve envelope")
    parser.add_argument("--estimator", choices=("parabola", "window", "interpolate"), default="parabola",
                        help="approach 2's per-budget optimum: a parabola over all sizes (default), over a window around the best run, "
                             "or Porian et al.'s interpolation with a seed-noise bootstrap (needs --seed-noise)")
    parser.add_argument("--window", type=int, help="with --estimator window: sizes in the window (default 5)")
    parser.add_argument("--seed-noise", type=float, help="with --estimator interpolate: the loss's seed-to-seed standard deviation")
    parser.add_argument("--compute", "--budget", dest="compute", default="C", help="compute column (default C; --budget is the old spelling)")
    parser.add_argument("--size", default="N", help="model size column (default N)")
    parser.add_argument("--tokens", default="D", help="tokens column (default D)")
    parser.add_argument("-n", "--n-bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.set_defaults(run=run, outputs=("out",))


def run(args) -> int:
    import pandas as pd

    import jaxscale as js

    data, source = common.load(args)
    columns = dict(size=args.size, tokens=args.tokens, target=args.target, by=args.by, n_bootstrap=args.n_bootstrap)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        if args.approach == 2:
            extra = {"estimator": args.estimator}
            if args.window is not None:
                extra["window"] = args.window
            if args.seed_noise is not None:
                extra["seed_noise"] = args.seed_noise
            result = js.isoflop.profiles(data, compute=args.compute, **columns, **extra)
        else:
            if args.estimator != "parabola" or args.window is not None or args.seed_noise is not None:
                raise ValueError("--estimator, --window and --seed-noise choose approach 2's estimator: drop them with --approach 1.")
            result = js.isoflop.envelope(data, compute=args.compute, **columns)
    table = result.to_frame()
    print(f"{result.method} on {source}; N_opt = k C^a, D_opt = k_D C^b, {result.level:.0%} bootstrap intervals:")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    common.print_warnings(caught)
    common.write_table(args, table)
    return 0
