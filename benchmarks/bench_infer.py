"""NUTS on the 240 Chinchilla points: js.infer against a hand-written NumPyro model of the same law, same run.

Both: LogNormal(0, 5) priors on E, A, B, alpha, beta, HalfNormal(0.1) on sigma, a Normal likelihood on log loss,
dense mass matrix, 4 chains x (500 warm-up + 1,000) draws, vectorized chains, the same initial values.
Times are wall clock for the whole call (jaxscale: including its point fit and compilation). Appends the table
to benchmarks/README.md. Run: python benchmarks/bench_infer.py
"""

import datetime
import os
import platform
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.diagnostics import effective_sample_size
from numpyro.infer import MCMC, NUTS, init_to_value

import jaxscale as js

sys.path.insert(0, os.path.dirname(__file__))
from _record import record  # noqa: E402


def hand_written(df, init):
    N, D, log_y = (jnp.asarray(df[c].to_numpy()) for c in ("N", "D", "loss"))
    log_y = jnp.log(log_y)

    def model():
        E, A, B = (numpyro.sample(k, dist.LogNormal(0.0, 5.0)) for k in ("E", "A", "B"))
        alpha, beta = (numpyro.sample(k, dist.LogNormal(0.0, 5.0)) for k in ("alpha", "beta"))
        mean = jnp.logaddexp(jnp.logaddexp(jnp.log(A) - alpha * jnp.log(N), jnp.log(B) - beta * jnp.log(D)), jnp.log(E))
        sigma = numpyro.sample("sigma", dist.HalfNormal(0.1))
        numpyro.factor("log_likelihood", jnp.sum(dist.Normal(mean, sigma).log_prob(log_y)))

    mcmc = MCMC(NUTS(model, init_strategy=init_to_value(values=init), dense_mass=True), num_warmup=500,
                num_samples=1000, num_chains=4, chain_method="vectorized", progress_bar=False)
    mcmc.run(jax.random.key(0))
    return {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}


def min_ess(samples):
    return min(float(effective_sample_size(samples[k])) for k in ("E", "A", "B", "alpha", "beta"))


def main() -> None:
    df = js.datasets.load("chinchilla", subset="epoch")
    began = time.perf_counter()
    posterior = js.infer(js.Chinchilla, df, seed=0)
    ours = time.perf_counter() - began
    init = {k: float(np.median(posterior.samples[k])) for k in ("E", "A", "B", "alpha", "beta", "sigma")}
    began = time.perf_counter()
    theirs_samples = hand_written(df, init)
    theirs = time.perf_counter() - began
    ess_ours, ess_theirs = min_ess(posterior.samples), min_ess(theirs_samples)
    lines = [
        f"### NUTS on the Chinchilla points, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), "
        f"jax {jax.__version__}, numpyro {numpyro.__version__}, jaxscale {js.__version__}",
        "",
        "| method | wall time (s) | min ESS over E, A, B, alpha, beta | ESS per second | alpha mean (sd) |",
        "|---|---|---|---|---|",
        f"| js.infer(js.Chinchilla, df) | {ours:.1f} | {ess_ours:.0f} | {ess_ours / ours:.0f} | "
        f"{posterior.samples['alpha'].mean():.4f} ({posterior.samples['alpha'].std():.4f}) |",
        f"| hand-written NumPyro model | {theirs:.1f} | {ess_theirs:.0f} | {ess_theirs / theirs:.0f} | "
        f"{theirs_samples['alpha'].mean():.4f} ({theirs_samples['alpha'].std():.4f}) |",
        "",
        f"jaxscale / hand-written time: {ours / theirs:.2f}x (both include compilation; js.infer also its multi-start point fit).",
    ]
    table = "\n".join(lines) + "\n"
    record(table)


if __name__ == "__main__":
    main()
