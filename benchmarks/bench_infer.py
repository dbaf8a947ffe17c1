"""NUTS on the 240 Chinchilla points: js.infer against a hand-written NumPyro model of the same law, same run.

Both: LogNormal(0, 5) priors on E, A, B, alpha, beta, HalfNormal(0.1) on sigma, a Normal likelihood on log loss,
dense mass matrix, 4 chains x (500 warm-up + 1,000) draws, the same initial values. The hand-written model runs
through `numpyro.infer.MCMC` with `chain_method="vectorized"` (NumPyro's way for several chains on one device)
and with "sequential". Times are wall clock for the whole call (jaxscale: including its point fit and
compilation). Appends the table to benchmarks/README.md. Run: python benchmarks/bench_infer.py
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


def hand_written(df, init, chain_method):
    N, D, log_y = (jnp.asarray(df[c].to_numpy()) for c in ("N", "D", "loss"))
    log_y = jnp.log(log_y)

    def model():
        E, A, B = (numpyro.sample(k, dist.LogNormal(0.0, 5.0)) for k in ("E", "A", "B"))
        alpha, beta = (numpyro.sample(k, dist.LogNormal(0.0, 5.0)) for k in ("alpha", "beta"))
        mean = jnp.logaddexp(jnp.logaddexp(jnp.log(A) - alpha * jnp.log(N), jnp.log(B) - beta * jnp.log(D)), jnp.log(E))
        sigma = numpyro.sample("sigma", dist.HalfNormal(0.1))
        numpyro.factor("log_likelihood", jnp.sum(dist.Normal(mean, sigma).log_prob(log_y)))

    mcmc = MCMC(NUTS(model, init_strategy=init_to_value(values=init), dense_mass=True), num_warmup=500,
                num_samples=1000, num_chains=4, chain_method=chain_method, progress_bar=False)
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
    rows = [("js.infer(js.Chinchilla, df)", ours, posterior.samples)]
    for chain_method in ("vectorized", "sequential"):
        began = time.perf_counter()
        samples = hand_written(df, init, chain_method)
        rows.append((f"hand-written NumPyro model, chain_method={chain_method!r}", time.perf_counter() - began, samples))
    lines = [
        f"### NUTS on the Chinchilla points, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), "
        f"jax {jax.__version__}, numpyro {numpyro.__version__}, jaxscale {js.__version__}",
        "",
        "| method | wall time (s) | min ESS over E, A, B, alpha, beta | ESS per second | alpha mean (sd) |",
        "|---|---|---|---|---|",
    ]
    for label, seconds, samples in rows:
        ess = min_ess(samples)
        lines.append(f"| {label} | {seconds:.1f} | {ess:.0f} | {ess / seconds:.0f} | {samples['alpha'].mean():.4f} ({samples['alpha'].std():.4f}) |")
    fastest = min(seconds for _, seconds, _ in rows[1:])
    lines += ["", f"jaxscale / fastest hand-written time: {ours / fastest:.2f}x (all include compilation; js.infer also its multi-start point fit)."]
    table = "\n".join(lines) + "\n"
    record(table)


if __name__ == "__main__":
    main()
