"""`jaxscale backtest`: rolling-origin extrapolation tests of one or more laws, with interval coverage."""

import warnings

from . import _common as common


def add(commands, parents) -> None:
    parser = commands.add_parser("backtest", parents=[parents["data"], parents["out"]],
                                 help="fit the first part of each curve, predict the rest, score the intervals")
    parser.add_argument("--law", action="append", metavar="NAME", help="law name (repeat to compare laws side by side; default power_law)")
    parser.add_argument("--axis", default="x", help="the column that orders each curve (x, N, D, C or step; default x)")
    parser.add_argument("--by", action="append", metavar="COLUMN", help="the column(s) whose groups are separate curves")
    parser.add_argument("--cutoffs", default="0.5,0.7,0.85", help="fractions of each curve to train on (default 0.5,0.7,0.85)")
    parser.add_argument("--horizon", choices=("all", "last"), default="all", help="score every held-out point, or only each curve's last")
    parser.add_argument("--intervals", default="bootstrap,rolling_origin,plateau_envelope,plateau_band,plateau_intersection", help="interval methods, comma-separated")
    parser.add_argument("--level", type=float, default=0.9, help="nominal coverage of the intervals (default 0.9)")
    parser.add_argument("-n", "--n-resamples", type=int, default=1000, help="bootstrap refits per case (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--summary-by", help="also summarise per this column (e.g. domain)")
    parser.set_defaults(run=run, outputs=("out",))


def run(args) -> int:
    import pandas as pd

    import jaxscale as js

    data, source = common.load(args)
    laws = args.law or ["power_law"]
    try:
        cutoffs = [float(c) for c in common.names(args.cutoffs)]
    except ValueError:
        raise ValueError(f"--cutoffs takes fractions separated by commas, e.g. 0.5,0.7,0.85, got {args.cutoffs!r}.") from None
    if args.summary_by is not None and args.summary_by not in data.columns:
        raise ValueError(f"--summary-by {args.summary_by!r} is not a column of the data; columns are {list(data.columns)}.")
    print(f"Backtesting {', '.join(laws)} on {source} along {args.axis!r}: cutoffs {cutoffs}, horizon {args.horizon}, "
          f"{args.level:.0%} intervals ({args.intervals}).")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.backtest([js.laws.get(name) for name in laws], data, axis=args.axis, cutoffs=cutoffs, by=args.by, horizon=args.horizon,
                             intervals=common.names(args.intervals), level=args.level, n_resamples=args.n_resamples, seed=args.seed,
                             target=args.target)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(result.summary().to_string(float_format=lambda v: f"{v:.4g}"))
        if args.summary_by:
            print(f"per {args.summary_by}:")
            print(result.summary(by=args.summary_by).to_string(float_format=lambda v: f"{v:.4g}"))
    common.print_warnings(caught)
    common.write_table(args, result.to_frame())
    return 0
