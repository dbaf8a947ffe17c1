"""The `jaxscale` command line: `jaxscale fit chinchilla`, `jaxscale fit data.csv --law chinchilla`."""

import argparse
import os
import sys
import time
import warnings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="jaxscale", description="Fit, quantify and act on scaling laws.")
    commands = parser.add_subparsers(dest="command", required=True)
    fit_parser = commands.add_parser("fit", help="fit a law to a built-in dataset or a CSV file")
    fit_parser.add_argument("data", help="a built-in dataset name (chinchilla) or a path to a CSV file")
    fit_parser.add_argument("--law", default="chinchilla", help="law name: chinchilla, kaplan, power_law, bnsl")
    fit_parser.add_argument("--target", default="loss", help="column to fit (default: loss)")
    fit_parser.add_argument("--input", action="append", default=[], metavar="NAME=COLUMN", help="map a law input to a column")
    fit_parser.add_argument("--delta", type=float, default=1e-3, help="Huber delta of the LogHuber objective")
    fit_parser.add_argument("--n-refine", type=int, default=64, help="how many screened starts to refine")
    fit_parser.add_argument("--all-points", action="store_true", help="chinchilla: fit all 245 points, not Epoch's 240")
    fit_parser.add_argument("--float32", action="store_true", help="fit in float32 instead of float64")
    fit_parser.add_argument("--plot", metavar="PNG", help="save the fitted law against the data")
    args = parser.parse_args(argv)
    try:
        return _fit(args)
    except (ValueError, TypeError) as error:
        print(f"jaxscale: error: {error}", file=sys.stderr)
        return 2


def _fit(args) -> int:
    import jax.numpy as jnp
    import pandas as pd

    import jaxscale as js

    if os.path.exists(args.data):
        data, source = pd.read_csv(args.data), args.data
    elif args.data in js.datasets.names():
        subset = "all" if args.all_points else "epoch"
        data = js.datasets.load(args.data, subset=subset)
        source = f"built-in '{args.data}' ({len(data)} points{', as fitted by Epoch AI' if subset == 'epoch' else ''})"
    else:
        raise ValueError(f"{args.data!r} is neither a file nor a built-in dataset ({', '.join(js.datasets.names())}).")
    inputs = dict(_pair(text) for text in args.input)
    law = js.laws.get(args.law)
    print(f"Fitting {law.__name__} to {source}: {len(data)} rows, target '{args.target}', LogHuber(delta={args.delta:g}).")
    began = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.fit(
            law,
            data,
            target=args.target,
            inputs=inputs,
            loss=js.LogHuber(args.delta),
            n_refine=args.n_refine,
            dtype=jnp.float32 if args.float32 else jnp.float64,
            progress=sys.stderr.isatty(),
        )
    total = time.perf_counter() - began
    print(result.to_frame().iloc[:, : result.parameterization.size].to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    print(f"objective: {result.objective:.10g}")
    counts = ", ".join(f"{n} {k}" for k, n in result.status_counts().items())
    print(f"restarts: {result.n_starts} screened, {result.n_refined} refined ({counts}); "
          f"{result.n_agree} reached the best objective (rtol {result.agree_rtol:g})")
    print(f"time: {result.seconds:.3f} s fitting, {result.compile_seconds:.2f} s compiling, {total:.2f} s in all")
    for warning in caught:
        print(f"warning: {warning.message}")
    if args.plot:
        from ._plot import plot_fit

        plot_fit(result, data, args.plot, inputs=inputs, target=args.target)
        print(f"plot saved to {args.plot}")
    return 0


def _pair(text: str) -> tuple[str, str]:
    name, sep, column = text.partition("=")
    if not sep or not name or not column:
        raise ValueError(f"--input takes NAME=COLUMN, got {text!r}.")
    return name, column


if __name__ == "__main__":
    sys.exit(main())
