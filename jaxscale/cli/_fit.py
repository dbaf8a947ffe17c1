"""`jaxscale fit`: a law fitted to a built-in dataset or a CSV file (one fit, or one per group)."""

import sys
import time
import warnings

from . import _common as common


def add(commands, parents) -> None:
    parser = commands.add_parser("fit", parents=[parents["data"], parents["law"], parents["out"]], help="fit a law to a built-in dataset or a CSV file")
    parser.add_argument("--by", action="append", metavar="COLUMN", help="fit each group of rows separately")
    parser.add_argument("--plot", metavar="PNG", help="save the fitted law against the data")
    parser.set_defaults(run=run, outputs=("out", "plot"))


def run(args) -> int:
    import jaxscale as js

    data, source = common.load(args)
    law = js.laws.get(args.law)
    options = common.fit_options(args)
    print(f"Fitting {law.__name__} to {source}: {len(data)} rows, target '{args.target}', LogHuber(delta={args.delta:g}).")
    began = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        if args.by:
            result = js.fit(law, data, by=args.by, **options)
        else:
            result = js.fit(law, data, progress=sys.stderr.isatty(), **options)
    total = time.perf_counter() - began
    table = result.to_frame()
    if args.by:
        print(table.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        print(f"time: {result.seconds:.3f} s fitting {len(result)} groups, {result.compile_seconds:.2f} s compiling, {total:.2f} s in all")
    else:
        names = result.parameterization.flat_names()
        print(table[names].to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        errors = result.standard_errors()
        print("standard errors (curvature at the optimum): " + ", ".join(f"{k} {v:.3g}" for k, v in errors.items()))
        print(f"objective: {result.objective:.10g}")
        counts = ", ".join(f"{n} {k}" for k, n in result.status_counts().items())
        print(f"restarts: {result.n_starts} screened, {result.n_refined} refined ({counts}); "
              f"{result.n_agree} reached the best objective (rtol {result.agree_rtol:g})")
        print(f"time: {result.seconds:.3f} s fitting, {result.compile_seconds:.2f} s compiling, {total:.2f} s in all")
    common.print_warnings(caught)
    common.write_table(args, table)
    if args.plot:  # a fit of any law, or small multiples of the groups
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", js.FitWarning)
            js.plot.plot_fit(result, data, args.plot, inputs=options["inputs"], target=args.target)
        print(f"plot saved to {args.plot}")
        common.print_warnings(caught)
    return 0
