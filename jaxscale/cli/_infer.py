"""`jaxscale infer`: the Bayesian posterior (NUTS) of a law's parameters, optionally hierarchical over groups."""

import sys
import warnings

from . import _common as common


def add(commands, parents) -> None:
    from ..likelihoods import LIKELIHOODS

    parser = commands.add_parser("infer", parents=[parents["data"], parents["out"]], help="Bayesian posterior (NUTS) of a law's parameters")
    parser.add_argument("--law", default="chinchilla", help="law name (default chinchilla)")
    parser.add_argument("--likelihood", choices=tuple(LIKELIHOODS), default="normal", help="observation model (default normal)")
    parser.add_argument("--samples", type=int, default=1000, help="draws per chain (default 1000)")
    parser.add_argument("--chains", type=int, default=4, help="chains (default 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--by", help="column(s), comma-separated, whose values define groups for a hierarchical fit")
    parser.add_argument("--pooled", default="", help="parameters, comma-separated, drawn per group from a population")
    parser.add_argument("--independent", default="", help="parameters, comma-separated, free per group")
    parser.add_argument("--budget", type=float, default=1e24, help="predict at the compute-optimal point of this budget")
    parser.set_defaults(run=run, outputs=("out",))


def run(args) -> int:
    import jaxscale as js

    if not args.budget > 0:
        raise ValueError(f"--budget must be > 0 FLOPs, got {args.budget}.")
    data, source = common.load(args)
    law = js.laws.get(args.law)
    print(f"Sampling the posterior of {law.__name__} given {source}: {args.chains} chains x {args.samples} draws, {args.likelihood} likelihood.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        posterior = js.infer(law, data, target=args.target, likelihood=args.likelihood, n_samples=args.samples,
                             n_chains=args.chains, seed=args.seed, progress=sys.stderr.isatty(), by=common.names(args.by),
                             pooled=common.names(args.pooled), independent=common.names(args.independent))
    table = posterior.summary()
    print(table.to_string(float_format=lambda v: f"{v:.5g}"))
    if set(law.inputs) == {"N", "D"}:
        best = js.allocate(posterior.point_fit.law, js.problems.ComputeOptimal(args.budget))
        print(f"at the compute-optimal point for {args.budget:.3g} FLOPs (N = {float(best.N):.4g}, D = {float(best.D):.4g}):")
        for key in posterior.groups or (None,):
            at = {"N": [float(best.N)], "D": [float(best.D)]} | dict(zip(posterior.by, ([k] for k in (key if len(posterior.by) > 1 else (key,)))))
            band = posterior.predict(at, quantiles=(0.05, 0.5, 0.95)).iloc[0]
            print(f"  {'' if key is None else f'{key}: '}loss {band['q0.5']:.4f}, 90% interval [{band['q0.05']:.4f}, {band['q0.95']:.4f}]")
    print(f"time: {posterior.seconds:.1f} s sampling; {posterior.divergences} divergences")
    common.print_warnings(caught)
    common.write_table(args, table.reset_index())
    return 0
