"""`jaxscale compare`: how much compute each variant of a recipe is worth against a baseline."""

import warnings

from . import _common as common


def add(commands, parents) -> None:
    parser = commands.add_parser("compare", parents=[parents["data"], parents["out"]],
                                 help="effective compute multipliers of variants over a baseline, with intervals")
    parser.add_argument("--law", default="chinchilla", help="law name (default chinchilla)")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=COLUMN", help="map a law input to a column (e.g. x=C)")
    parser.add_argument("--variant", required=True, help="the column naming each run's variant (e.g. corpus)")
    parser.add_argument("--baseline", required=True, help="the variant the others are measured against")
    parser.add_argument("--at", required=True, help="computes (FLOPs), comma-separated, e.g. 1e21,1e23")
    parser.add_argument("--shared", default="E", help="parameters shared by every variant, comma-separated (default E)")
    parser.add_argument("-n", "--n-resamples", type=int, default=1000, help="bootstrap refits (default 1000)")
    parser.add_argument("--level", type=float, default=0.9, help="nominal coverage of the intervals (default 0.9)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="PNG", help="save the loss curves and the multiplier with its band")
    parser.set_defaults(run=run, outputs=("out", "plot"))


def run(args) -> int:
    import pandas as pd

    import jaxscale as js

    data, source = common.load(args)
    try:
        at = [float(c) for c in common.names(args.at)]
    except ValueError:
        raise ValueError(f"--at takes computes separated by commas, e.g. 1e21,1e23, got {args.at!r}.") from None
    baseline = args.baseline
    if args.variant in data.columns and data[args.variant].dtype.kind in "iuf":  # a numeric variant column
        try:
            baseline = data[args.variant].dtype.type(float(args.baseline))
        except ValueError:
            pass  # compare refuses it, naming the variants
    law = js.laws.get(args.law)
    print(f"Comparing the variants of {args.variant!r} in {source} against {baseline!r} with {law.__name__} "
          f"(shared: {args.shared or 'none'}), {args.n_resamples} paired bootstrap refits, {args.level:.0%} intervals.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.compare(law, data, variant=args.variant, baseline=baseline, at=at, shared=common.names(args.shared),
                            n_resamples=args.n_resamples, level=args.level, seed=args.seed, target=args.target,
                            inputs=dict(common.pair(text) for text in args.input) or None)
        table = result.to_frame()
        with pd.option_context("display.width", 220, "display.max_columns", 20):
            print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
            print(result.crossovers().to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        if args.plot:
            figure = result.plot()
            common.write_atomically(args.plot, lambda path: figure.savefig(path, dpi=120, bbox_inches="tight"))
            print(f"plot saved to {args.plot}")
    common.print_warnings(caught)
    common.write_table(args, table)
    return 0
