"""`jaxscale allocate`: the compute-optimal N and D for a budget (or the cheapest for a loss target), with
bootstrap intervals; with --precision also the training bits."""

import warnings

import numpy as np

from . import _common as common


def add(commands, parents) -> None:
    parser = commands.add_parser("allocate", parents=[parents["data"], parents["law"], parents["out"]],
                                 help="compute-optimal N and D for a budget, with an interval")
    parser.add_argument("--budget", type=float, help="FLOPs to spend, e.g. 1e24 (training, plus inference with --inference-tokens)")
    parser.add_argument("--frontier", metavar="LO:HI", help="tabulate the compute-optimal frontier over LO..HI FLOPs")
    parser.add_argument("--points", type=int, default=13, help="budgets on the frontier (default 13)")
    parser.add_argument("--loss-target", type=float, help="instead of a budget: the cheapest N and D that reach this loss")
    parser.add_argument("--inference-tokens", type=float, default=0.0,
                        help="tokens the model will serve; their cost 2 N per token counts (Sardana et al. 2024)")
    parser.add_argument("-n", type=int, default=1000, help="bootstrap refits for the interval (default 1000)")
    parser.add_argument("--plot", metavar="PNG", help="with --frontier: save N* and D* against compute, with the band")
    parser.add_argument("--precision", action="store_true",
                        help="also choose the training bits (cost 6 N D P / 16); data 'kumar_2024' uses Kumar et al.'s published law")
    parser.set_defaults(run=run, outputs=("out", "plot"))


def _problem(args):
    """The allocation problem the options ask for, and the budgets (or loss targets) it is solved at."""
    import jaxscale as js

    chosen = [flag for flag, value in (("--budget", args.budget), ("--frontier", args.frontier), ("--loss-target", args.loss_target)) if value is not None]
    if len(chosen) != 1:
        raise ValueError(f"give exactly one of --budget FLOPS, --frontier LO:HI or --loss-target LOSS (got {chosen or 'none'}).")
    if not (np.isfinite(args.inference_tokens) and args.inference_tokens >= 0):
        raise ValueError(f"--inference-tokens must be a finite number >= 0, got {args.inference_tokens}.")
    if args.points < 2 and args.frontier:
        raise ValueError(f"--points must be >= 2 for a frontier, got {args.points}.")
    if args.plot and not args.frontier:
        raise ValueError("--plot draws the frontier: use it with --frontier.")
    if args.loss_target is not None:
        if not (np.isfinite(args.loss_target) and args.loss_target > 0):
            raise ValueError(f"--loss-target must be a finite loss > 0, got {args.loss_target}.")
        if args.precision:
            raise ValueError("--precision chooses bits for a compute budget: give --budget or --frontier, not --loss-target.")
        return js.problems.InferenceAware(args.loss_target, inference_tokens=args.inference_tokens), np.asarray([args.loss_target]), "loss target"
    if args.frontier:
        lo, sep, hi = args.frontier.partition(":")
        try:
            budgets = np.geomspace(float(lo), float(hi), args.points) if sep else None
        except ValueError:
            budgets = None
        if budgets is None or not (np.all(np.isfinite(budgets)) and float(lo) > 0 and float(hi) > float(lo)):
            raise ValueError(f"--frontier takes LO:HI with 0 < LO < HI, e.g. 1e20:1e26, got {args.frontier!r}.")
    else:
        if not (np.isfinite(args.budget) and args.budget > 0):
            raise ValueError(f"--budget must be a finite number of FLOPs > 0, got {args.budget}.")
        budgets = np.asarray([args.budget])
    if args.precision:
        if args.inference_tokens:
            raise ValueError("--precision does not count inference: drop --inference-tokens.")
        return js.problems.ComputeOptimalPrecision(budgets), budgets, "budget"
    cost = js.problems.training_and_inference(args.inference_tokens) if args.inference_tokens else js.problems.six_nd
    return js.problems.ComputeOptimal(budgets, cost=cost), budgets, "budget"


def run(args) -> int:
    import pandas as pd

    import jaxscale as js

    problem, values, kind = _problem(args)
    if args.precision:
        return _precision(args, problem, values)
    data, source = common.load(args)
    law = js.laws.get(args.law)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        full = js.fit(law, data, **common.fit_options(args))
        boot = js.bootstrap(full, n=args.n, seed=0)
        point = js.allocate(full, problem).to_frame()  # the fit, not its bare law: the answer's reach, and a warning past 10x
        spread = js.allocate(boot.laws, problem)
    rows = []
    for i, value in enumerate(values):
        row = {"C" if kind == "budget" else "loss_target": value}
        for name in point.columns:
            if name.startswith("reach_"):  # N* or D* over the largest fitted: the point answer's, no interval
                row[name] = float(point[name].iloc[i])
                continue
            draws = np.asarray(getattr(spread, name))
            draws = draws.reshape(draws.shape[0], -1)[:, i]
            row[name] = float(point[name].iloc[i])
            finite = draws[np.isfinite(draws)]
            row[f"{name}_lo"], row[f"{name}_hi"] = np.quantile(finite, [0.025, 0.975]) if finite.size else (np.nan, np.nan)
        rows.append(row)
    table = pd.DataFrame(rows)
    what = "Compute-optimal allocation" if kind == "budget" else f"Cheapest allocation reaching loss {args.loss_target:g}"
    serving = f", counting {args.inference_tokens:.3g} inference tokens" if args.inference_tokens else ""
    print(f"{what} (cost 6 N D{' + 2 N T' if serving else ''}{serving}) from {law.__name__} fitted to {source}; "
          f"95% intervals over {args.n} bootstrap refits:")
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    _print_reach(table, full.fitted_maxima())
    common.print_warnings(caught)
    common.write_table(args, table)
    if args.plot:
        js.plot.frontier(boot, values, level=0.95, path=args.plot)
        print(f"plot saved to {args.plot}")
    return 0


def _print_reach(table, fitted: dict[str, float]) -> None:
    """One line: how far the answers reach beyond the largest N and D fitted (the `reach_` columns)."""
    parts = [f"{name}* up to {table[f'reach_{name}'].max():.3g}x the largest {name} fitted ({fitted[name]:.3g})"
             for name in ("N", "D") if f"reach_{name}" in table and name in fitted]
    if parts:
        print(f"Reach beyond the data: {', '.join(parts)} (past 10x the answer rests on the law's form, not on data).")


def _precision(args, problem, budgets) -> int:
    import pandas as pd

    import jaxscale as js

    caught = []
    if args.data == "kumar_2024":
        source = "Kumar et al. 2024's published constants"
        table = js.allocate(js.laws.Precision.kumar_2024(), problem).to_frame()
    else:
        data, source = common.load(args)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", js.FitWarning)
            result = js.fit(js.laws.get(args.law if args.law != "chinchilla" else "precision"), data, **common.fit_options(args))
            table = js.allocate(result, problem).to_frame()  # a fit: with the answer's reach, and a warning past 10x
    table.insert(0, "C", budgets)
    print(f"Compute-optimal N, D and training bits (cost 6 N D P / 16 = C) from {source}:")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    common.print_warnings(caught)
    common.write_table(args, table)
    return 0
