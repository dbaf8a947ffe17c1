"""`jaxscale mixture fit|optimize`: a data-mixture law, and the mixture that minimises it."""

import argparse
import warnings

import numpy as np

from . import _common as common


def add(commands, parents) -> None:
    mixture = argparse.ArgumentParser(add_help=False)
    mixture.add_argument("--law", default="mixture_additive", help="exp_mixing or mixture_additive (default)")
    mixture.add_argument("--domains", help="weight columns, comma-separated (regmix: its 17 domains)")
    parser = commands.add_parser("mixture", help="fit a data-mixture law, or find the mixture that minimises it")
    actions = parser.add_subparsers(dest="action", required=True)
    fit_parser = actions.add_parser("fit", parents=[parents["data"], mixture, parents["out"]], help="fit the law (regmix: also rank the 256 held-out runs)")
    fit_parser.set_defaults(run=run, outputs=("out",))
    optimize = actions.add_parser("optimize", parents=[parents["data"], mixture, parents["out"]], help="fit, then the mixture minimising the target")
    optimize.add_argument("--tokens", type=float, help="training tokens D (needed with --unique-tokens)")
    optimize.add_argument("--unique-tokens", action="append", default=[], metavar="DOMAIN=TOKENS", help="a domain's available tokens")
    optimize.add_argument("--max-epochs", type=float, default=1.0, help="repeats allowed per domain (default 1)")
    optimize.set_defaults(run=run, outputs=("out",))


def run(args) -> int:
    import pandas as pd

    import jaxscale as js

    if args.data == "regmix":
        data = js.datasets.load("regmix").assign(N=1e6, D=1e9)
        held_out = data[(data.scale == "1M") & (data.split == "test")]
        data, source = data[(data.scale == "1M") & (data.split == "train")], "RegMix's 512 training runs at 1M (N = 1e6, D = 1e9)"
        domains = common.names(args.domains) or list(js.datasets.REGMIX_DOMAINS)
        target = "loss_pile_cc" if args.target == "loss" else args.target
    else:
        data, source = common.load(args)
        held_out, domains, target = None, common.names(args.domains), args.target
        if not domains:
            raise ValueError("name the weight columns: --domains a,b,c")
    law = js.laws.get(args.law).over(domains)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.fit(law, data, target=target)
    print(f"{type(result.law).__name__} for {target}, fitted to {source}: objective {result.objective:.6g}")
    if args.action == "fit":
        table = result.to_frame()
        print(table.T.to_string(header=False, float_format=lambda v: f"{v:.5g}"))
        if held_out is not None:
            from scipy.stats import spearmanr

            rho = spearmanr(result.law.predict(held_out), held_out[target]).statistic
            print(f"Spearman rho on the 256 held-out 1M runs: {100 * rho:.2f} (x 100)")
    else:
        limits = {domain: float(tokens) for domain, tokens in (common.pair(text, "--unique-tokens DOMAIN=TOKENS") for text in args.unique_tokens)}
        scale = {k: float(np.median(data[k])) for k in ("N", "D") if k in type(result.law).scale_inputs}
        if args.tokens is not None:
            scale["D"] = args.tokens
        problem = js.problems.OptimalMixture(**scale, unique_tokens=limits or None, max_epochs=args.max_epochs)
        best = js.allocate(result.law, problem)
        print(f"mixture minimising {target} (weights > 0.1%), predicted loss {float(best.loss):.4f}:")
        table = pd.DataFrame({"domain": domains, "weight": np.asarray(best.weights)}).sort_values("weight", ascending=False)
        for domain, weight in zip(table["domain"], table["weight"]):
            if weight > 1e-3:
                print(f"  {domain:24s} {weight:.3f}")
    common.print_warnings(caught)
    common.write_table(args, table)
    return 0
