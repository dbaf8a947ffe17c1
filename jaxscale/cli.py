"""The `jaxscale` command line.

`jaxscale fit chinchilla`, `jaxscale fit data.csv --law chinchilla [--by family]`,
`jaxscale bootstrap chinchilla -n 4000`, `jaxscale isoflop data.csv [--by config]`.
"""

import argparse
import os
import sys
import time
import warnings


def main(argv=None) -> int:
    from .laws import BY_NAME
    from .likelihoods import LIKELIHOODS

    parser = argparse.ArgumentParser(prog="jaxscale", description="Fit, quantify and act on scaling laws.")
    commands = parser.add_subparsers(dest="command", required=True)
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("data", help="a built-in dataset name (see jaxscale.datasets.names()) or a CSV file")
    data.add_argument("--target", default="loss", help="column to fit (default: loss)")
    data.add_argument("--all-points", action="store_true", help="chinchilla: use all 245 points, not Epoch's 240")
    law = argparse.ArgumentParser(add_help=False)
    law.add_argument("--law", default="chinchilla", help=f"law name: {', '.join(sorted(BY_NAME))}")
    law.add_argument("--input", action="append", default=[], metavar="NAME=COLUMN", help="map a law input to a column")
    law.add_argument("--delta", type=float, default=1e-3, help="Huber delta of the LogHuber objective")
    law.add_argument("--n-refine", type=int, default=16, help="how many screened starts to refine")
    law.add_argument("--float32", action="store_true", help="fit in float32 instead of float64")
    law.add_argument("--fix", action="append", default=[], metavar="NAME=VALUE", help="hold a parameter at a value (e.g. E=1.69)")
    law.add_argument("--tie", action="append", default=[], metavar="NAME=OTHER", help="give a parameter another's value (e.g. beta=alpha)")

    fit_parser = commands.add_parser("fit", parents=[data, law], help="fit a law to a built-in dataset or a CSV file")
    fit_parser.add_argument("--by", action="append", metavar="COLUMN", help="fit each group of rows separately")
    fit_parser.add_argument("--plot", metavar="PNG", help="save the fitted law against the data")
    boot_parser = commands.add_parser("bootstrap", parents=[data, law], help="bootstrap standard errors and intervals")
    boot_parser.add_argument("-n", type=int, default=1000, help="number of resamples (default 1000)")
    boot_parser.add_argument("--seed", type=int, default=0)
    iso_parser = commands.add_parser("isoflop", parents=[data], help="Chinchilla Approach 2 (or 1): N_opt and D_opt vs compute")
    iso_parser.add_argument("--by", action="append", metavar="COLUMN", help="fit each group (e.g. a configuration) separately")
    iso_parser.add_argument("--approach", type=int, choices=(1, 2), default=2, help="2: isoFLOP parabolas, 1: training-curve envelope")
    iso_parser.add_argument("--compute", "--budget", dest="compute", default="C", help="compute column (default C; --budget is the old spelling)")
    iso_parser.add_argument("--size", default="N", help="model size column (default N)")
    iso_parser.add_argument("--tokens", default="D", help="tokens column (default D)")
    iso_parser.add_argument("-n", "--n-bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    alloc_parser = commands.add_parser("allocate", parents=[data, law], help="compute-optimal N and D for a budget, with an interval")
    alloc_parser.add_argument("--budget", type=float, help="training FLOPs, e.g. 1e24")
    alloc_parser.add_argument("--frontier", metavar="LO:HI", help="tabulate the compute-optimal frontier over LO..HI FLOPs")
    alloc_parser.add_argument("--points", type=int, default=13, help="budgets on the frontier (default 13)")
    alloc_parser.add_argument("-n", type=int, default=1000, help="bootstrap refits for the interval (default 1000)")
    alloc_parser.add_argument("--plot", metavar="PNG", help="with --frontier: save N* and D* against compute, with the band")
    alloc_parser.add_argument("--precision", action="store_true",
                              help="also choose the training bits (cost 6 N D P / 16); data 'kumar_2024' uses Kumar et al.'s published law")
    mixture = argparse.ArgumentParser(add_help=False)
    mixture.add_argument("--law", default="mixture_additive", help="exp_mixing or mixture_additive (default)")
    mixture.add_argument("--domains", help="weight columns, comma-separated (regmix: its 17 domains)")
    mix_parser = commands.add_parser("mixture", help="fit a data-mixture law, or find the mixture that minimises it")
    mix_actions = mix_parser.add_subparsers(dest="action", required=True)
    mix_actions.add_parser("fit", parents=[data, mixture], help="fit the law (regmix: also rank the 256 held-out runs)")
    optimize_parser = mix_actions.add_parser("optimize", parents=[data, mixture], help="fit, then the mixture minimising the target")
    optimize_parser.add_argument("--tokens", type=float, help="training tokens D (needed with --unique-tokens)")
    optimize_parser.add_argument("--unique-tokens", action="append", default=[], metavar="DOMAIN=TOKENS", help="a domain's available tokens")
    optimize_parser.add_argument("--max-epochs", type=float, default=1.0, help="repeats allowed per domain (default 1)")
    infer_parser = commands.add_parser("infer", parents=[data], help="Bayesian posterior (NUTS) of a law's parameters")
    infer_parser.add_argument("--law", default="chinchilla", help="law name (default chinchilla)")
    infer_parser.add_argument("--likelihood", choices=tuple(LIKELIHOODS), default="normal", help="observation model (default normal)")
    infer_parser.add_argument("--samples", type=int, default=1000, help="draws per chain (default 1000)")
    infer_parser.add_argument("--chains", type=int, default=4, help="chains (default 4)")
    infer_parser.add_argument("--seed", type=int, default=0)
    infer_parser.add_argument("--by", help="column(s), comma-separated, whose values define groups for a hierarchical fit")
    infer_parser.add_argument("--pooled", default="", help="parameters, comma-separated, drawn per group from a population")
    infer_parser.add_argument("--independent", default="", help="parameters, comma-separated, free per group")
    infer_parser.add_argument("--budget", type=float, default=1e24, help="predict at the compute-optimal point of this budget")
    args = parser.parse_args(argv)
    try:
        commands_by_name = {"fit": _fit, "bootstrap": _bootstrap, "isoflop": _isoflop, "allocate": _allocate, "infer": _infer, "mixture": _mixture}
        return commands_by_name[args.command](args)
    except (ValueError, TypeError, KeyError) as error:
        print(f"jaxscale: error: {error}", file=sys.stderr)
        return 2


def _load(args):
    import pandas as pd

    import jaxscale as js

    if os.path.exists(args.data):
        return pd.read_csv(args.data), args.data
    if args.data == "chinchilla":
        subset = "all" if args.all_points else "epoch"
        data = js.datasets.load(args.data, subset=subset)
        return data, f"built-in 'chinchilla' ({len(data)} points{', as fitted by Epoch AI' if subset == 'epoch' else ''})"
    if args.data in js.datasets.names():
        return js.datasets.load(args.data), f"built-in '{args.data}'"
    raise ValueError(f"{args.data!r} is neither a file nor a built-in dataset ({', '.join(js.datasets.names())}).")


def _fit_options(args) -> dict:
    import jax.numpy as jnp

    import jaxscale as js

    return dict(
        target=args.target,
        inputs=dict(_pair(text) for text in args.input),
        loss=js.LogHuber(args.delta),
        n_refine=args.n_refine,
        dtype=jnp.float32 if args.float32 else jnp.float64,
        fixed={name: _number(value, "--fix") for name, value in (_pair(text, "--fix NAME=VALUE") for text in args.fix)},
        tied=dict(_pair(text, "--tie NAME=OTHER") for text in args.tie),
    )


def _number(text: str, flag: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{flag} takes NAME=VALUE with a number as the value, got {text!r}.") from None


def _print_warnings(caught) -> None:
    for warning in caught:
        print(f"warning: {warning.message}")


def _bootstrap(args) -> int:
    import jaxscale as js

    data, source = _load(args)
    law = js.laws.get(args.law)
    derived = {"a": lambda law: law.beta / (law.alpha + law.beta)} if law is js.Chinchilla else {}
    print(f"Bootstrapping {law.__name__} on {source}: {args.n} resamples (seed {args.seed}).")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.bootstrap(law, data, n=args.n, seed=args.seed, derived=derived, progress=sys.stderr.isatty(), **_fit_options(args))
    print(result.summary().to_string(float_format=lambda v: f"{v:.6g}"))
    if derived:
        print("a = beta / (alpha + beta): the exponent of N_opt ∝ C^a")
    print(f"time: {result.seconds:.2f} s refitting, {result.compile_seconds:.2f} s compiling")
    _print_warnings(caught)
    return 0


def _allocate(args) -> int:
    import numpy as np
    import pandas as pd

    import jaxscale as js

    if (args.budget is None) == (args.frontier is None):
        raise ValueError("give exactly one of --budget FLOPS or --frontier LO:HI.")
    if args.frontier:
        lo, sep, hi = args.frontier.partition(":")
        if not sep:
            raise ValueError(f"--frontier takes LO:HI, e.g. 1e20:1e26, got {args.frontier!r}.")
        budgets = np.geomspace(float(lo), float(hi), args.points)
    else:
        budgets = np.asarray([args.budget])
    if args.precision:
        return _allocate_precision(args, budgets)
    data, source = _load(args)
    law = js.laws.get(args.law)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        full = js.fit(law, data, **_fit_options(args))
        boot = js.bootstrap(full, n=args.n, seed=0)
    problem = js.problems.ComputeOptimal(budgets)
    point = js.allocate(full.law, problem)
    spread = js.allocate(boot.laws, problem)
    rows = []
    for i, budget in enumerate(budgets):
        row = {"C": budget}
        for name in ("N", "D", "tokens_per_parameter", "loss"):
            values = np.asarray(getattr(spread, name))[:, i]
            row[name] = float(np.atleast_1d(getattr(point, name))[i])
            row[f"{name}_lo"], row[f"{name}_hi"] = np.quantile(values, [0.025, 0.975])
        rows.append(row)
    table = pd.DataFrame(rows)
    print(f"Compute-optimal allocation (6 N D = C) from {law.__name__} fitted to {source}; 95% intervals over {args.n} bootstrap refits:")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    _print_warnings(caught)
    if args.plot:
        if not args.frontier:
            raise ValueError("--plot draws the frontier: use it with --frontier.")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for name in ("N", "D"):
            ax.plot(table["C"], table[name], label=f"{name}*")
            ax.fill_between(table["C"], table[f"{name}_lo"], table[f"{name}_hi"], alpha=0.25)
        ax.set(xscale="log", yscale="log", xlabel="training FLOPs C", ylabel="parameters / tokens", title="Compute-optimal frontier (95% band)")
        ax.legend()
        fig.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"plot saved to {args.plot}")
    return 0


def _infer(args) -> int:
    import jaxscale as js

    data, source = _load(args)
    law = js.laws.get(args.law)
    print(f"Sampling the posterior of {law.__name__} given {source}: {args.chains} chains x {args.samples} draws, {args.likelihood} likelihood.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        posterior = js.infer(law, data, target=args.target, likelihood=args.likelihood, n_samples=args.samples,
                             n_chains=args.chains, seed=args.seed, progress=sys.stderr.isatty(), by=_names(args.by),
                             pooled=_names(args.pooled), independent=_names(args.independent))
    print(posterior.summary().to_string(float_format=lambda v: f"{v:.5g}"))
    if set(law.inputs) == {"N", "D"}:
        best = js.allocate(posterior.point_fit.law, js.problems.ComputeOptimal(args.budget))
        print(f"at the compute-optimal point for {args.budget:.3g} FLOPs (N = {float(best.N):.4g}, D = {float(best.D):.4g}):")
        for key in posterior.groups or (None,):
            at = {"N": [float(best.N)], "D": [float(best.D)]} | dict(zip(posterior.by, ([k] for k in (key if len(posterior.by) > 1 else (key,)))))
            band = posterior.predict(at, quantiles=(0.05, 0.5, 0.95)).iloc[0]
            print(f"  {'' if key is None else f'{key}: '}loss {band['q0.5']:.4f}, 90% interval [{band['q0.05']:.4f}, {band['q0.95']:.4f}]")
    print(f"time: {posterior.seconds:.1f} s sampling; {posterior.divergences} divergences")
    _print_warnings(caught)
    return 0


def _allocate_precision(args, budgets) -> int:
    import pandas as pd

    import jaxscale as js

    if args.data == "kumar_2024":
        law, source = js.laws.Precision.kumar_2024(), "Kumar et al. 2024's published constants"
    else:
        data, source = _load(args)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", js.FitWarning)
            law = js.fit(js.laws.get(args.law if args.law != "chinchilla" else "precision"), data, **_fit_options(args)).law
        _print_warnings(caught)
    best = js.allocate(law, js.problems.ComputeOptimalPrecision(budgets))
    table = best.to_frame()
    table.insert(0, "C", budgets)
    print(f"Compute-optimal N, D and training bits (cost 6 N D P / 16 = C) from {source}:")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0


def _mixture(args) -> int:
    import numpy as np

    import jaxscale as js

    if args.data == "regmix":
        data = js.datasets.load("regmix").assign(N=1e6, D=1e9)
        held_out = data[(data.scale == "1M") & (data.split == "test")]
        data, source = data[(data.scale == "1M") & (data.split == "train")], "RegMix's 512 training runs at 1M (N = 1e6, D = 1e9)"
        domains = _names(args.domains) or list(js.datasets.REGMIX_DOMAINS)
        target = "loss_pile_cc" if args.target == "loss" else args.target
    else:
        data, source = _load(args)
        held_out, domains, target = None, _names(args.domains), args.target
        if not domains:
            raise ValueError("name the weight columns: --domains a,b,c")
    law = js.laws.get(args.law).over(domains)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.fit(law, data, target=target)
    print(f"{type(result.law).__name__} for {target}, fitted to {source}: objective {result.objective:.6g}")
    if args.action == "fit":
        print(result.to_frame().T.to_string(header=False, float_format=lambda v: f"{v:.5g}"))
        if held_out is not None:
            from scipy.stats import spearmanr

            rho = spearmanr(result.law.predict(held_out), held_out[target]).statistic
            print(f"Spearman rho on the 256 held-out 1M runs: {100 * rho:.2f} (x 100)")
    else:
        limits = {domain: float(tokens) for domain, tokens in (_pair(text, "--unique-tokens DOMAIN=TOKENS") for text in args.unique_tokens)}
        scale = {k: float(np.median(data[k])) for k in ("N", "D") if k in type(result.law).scale_inputs}
        if args.tokens is not None:
            scale["D"] = args.tokens
        problem = js.problems.OptimalMixture(**scale, unique_tokens=limits or None, max_epochs=args.max_epochs)
        best = js.allocate(result.law, problem)
        print(f"mixture minimising {target} (weights > 0.1%), predicted loss {float(best.loss):.4f}:")
        for domain, weight in sorted(zip(domains, np.asarray(best.weights)), key=lambda item: -item[1]):
            if weight > 1e-3:
                print(f"  {domain:24s} {weight:.3f}")
    _print_warnings(caught)
    return 0


def _names(text: str | None) -> list[str]:
    """A comma-separated command-line list as names ("" or None: none)."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def _isoflop(args) -> int:
    import pandas as pd

    import jaxscale as js

    data, source = _load(args)
    columns = dict(size=args.size, tokens=args.tokens, target=args.target, by=args.by, n_bootstrap=args.n_bootstrap)
    if args.approach == 2:
        result = js.isoflop.profiles(data, compute=args.compute, **columns)
    else:
        result = js.isoflop.envelope(data, compute=args.compute, **columns)
    print(f"{result.method} on {source}; N_opt = k C^a, D_opt = k_D C^b, {result.level:.0%} bootstrap intervals:")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(result.to_frame().to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0


def _fit(args) -> int:
    import jaxscale as js

    data, source = _load(args)
    law = js.laws.get(args.law)
    options = _fit_options(args)
    print(f"Fitting {law.__name__} to {source}: {len(data)} rows, target '{args.target}', LogHuber(delta={args.delta:g}).")
    began = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        if args.by:
            result = js.fit(law, data, by=args.by, **options)
        else:
            result = js.fit(law, data, progress=sys.stderr.isatty(), **options)
    total = time.perf_counter() - began
    if args.by:
        print(result.to_frame().to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        print(f"time: {result.seconds:.3f} s fitting {len(result)} groups, {result.compile_seconds:.2f} s compiling, {total:.2f} s in all")
        _print_warnings(caught)
        return 0
    print(result.to_frame().iloc[:, : len(result.parameterization.flat_names())].to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    print(f"objective: {result.objective:.10g}")
    counts = ", ".join(f"{n} {k}" for k, n in result.status_counts().items())
    print(f"restarts: {result.n_starts} screened, {result.n_refined} refined ({counts}); "
          f"{result.n_agree} reached the best objective (rtol {result.agree_rtol:g})")
    print(f"time: {result.seconds:.3f} s fitting, {result.compile_seconds:.2f} s compiling, {total:.2f} s in all")
    _print_warnings(caught)
    if args.plot:
        from ._plot import plot_fit

        plot_fit(result, data, args.plot, inputs=options["inputs"], target=args.target)
        print(f"plot saved to {args.plot}")
    return 0


def _pair(text: str, usage: str = "--input NAME=COLUMN") -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise ValueError(f"{usage.split()[0]} takes {usage.split()[1]}, got {text!r}.")
    return name, value


if __name__ == "__main__":
    sys.exit(main())
