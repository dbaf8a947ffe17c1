"""`jaxscale bootstrap`: standard errors and percentile intervals from refits to resampled rows."""

import sys
import warnings

from . import _common as common


def add(commands, parents) -> None:
    parser = commands.add_parser("bootstrap", parents=[parents["data"], parents["law"], parents["out"]], help="bootstrap standard errors and intervals")
    parser.add_argument("-n", type=int, default=1000, help="number of resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(run=run, outputs=("out",))


def run(args) -> int:
    import jaxscale as js

    if args.n < 1:
        raise ValueError(f"-n must be >= 1 resamples, got {args.n}.")
    data, source = common.load(args)
    # Checked before any work: every resample carries one weight per row.
    gib = args.n * len(data) * 8 / 2**30
    if gib > 8:
        raise ValueError(f"-n {args.n} would hold {gib:,.0f} GiB of resampling weights ({len(data)} rows each): use -n 100000 or fewer.")
    law = js.laws.get(args.law)
    options = common.fit_options(args)
    derived = {"a": lambda law: law.beta / (law.alpha + law.beta)} if law is js.Chinchilla else {}
    print(f"Bootstrapping {law.__name__} on {source}: {args.n} resamples (seed {args.seed}).")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.bootstrap(law, data, n=args.n, seed=args.seed, derived=derived, progress=sys.stderr.isatty(), **options)
    table = result.summary()
    print(table.to_string(float_format=lambda v: f"{v:.6g}"))
    if derived:
        print("a = beta / (alpha + beta): the exponent of N_opt ∝ C^a")
    print(f"time: {result.seconds:.2f} s refitting, {result.compile_seconds:.2f} s compiling")
    common.print_warnings(caught)
    common.write_table(args, table.reset_index())
    return 0
