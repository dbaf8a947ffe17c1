"""Calibration of js.infer: do 90% credible intervals contain the true parameters 90% of the time?

Each replicate draws a synthetic Chinchilla data set from known parameters (Epoch AI's fit: E 1.8172, A 482.01,
B 2085.43, alpha 0.3478, beta 0.3658) with log-normal noise of sd 0.01 (the Epoch points' residual sd is 0.007),
n = 50, 100, 150, 200 or 250 points in turn, N log-uniform over Chinchilla's range [7e7, 1.6e10] and D / N
log-uniform over [2, 200]. It then runs js.infer with its defaults (NUTS, weakly informative priors) but 2
chains x (500 warm-up + 1,000 draws), and method="laplace", and records whether each equal-tailed 90% interval
contains the truth. Coverage within 85-95% per parameter is the target; with R replicates the binomial sd of a
coverage of 0.9 is sqrt(0.09 / R). JAX's persistent compilation cache is on, so replicates of one size share a
compiled sampler. Appends the table to benchmarks/README.md.

Run: python benchmarks/infer_calibration.py [--replicates 200]
"""

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
import warnings

import jax
import numpy as np
import pandas as pd

import jaxscale as js

sys.path.insert(0, os.path.dirname(__file__))
from _record import record  # noqa: E402

TRUTH = {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}
SIGMA = 0.01
SIZES = (50, 100, 150, 200, 250)


def synthetic(rng, n: int) -> pd.DataFrame:
    N = np.exp(rng.uniform(np.log(7e7), np.log(1.6e10), n))
    D = N * np.exp(rng.uniform(np.log(2.0), np.log(200.0), n))
    loss = js.Chinchilla(**TRUTH).predict({"N": N, "D": D}) * np.exp(SIGMA * rng.standard_normal(n))
    return pd.DataFrame({"N": N, "D": D, "loss": loss})


def covered(posterior) -> dict:
    summary = posterior.summary(level=0.9)
    truth = dict(TRUTH, sigma=SIGMA)
    return {name: bool(summary.loc[name, "q0.05"] <= value <= summary.loc[name, "q0.95"]) for name, value in truth.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicates", type=int, default=200)
    args = parser.parse_args()
    jax.config.update("jax_compilation_cache_dir", tempfile.mkdtemp(prefix="jaxscale-calibration-"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    rng = np.random.default_rng(2026)
    rows, warned = {"nuts": [], "laplace": []}, 0
    began = time.perf_counter()
    for replicate in range(args.replicates):
        data = synthetic(rng, SIZES[replicate % len(SIZES)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", js.FitWarning)
            nuts = js.infer(js.Chinchilla, data, seed=replicate, n_chains=2)
        warned += bool(caught)
        rows["nuts"].append(covered(nuts))
        rows["laplace"].append(covered(js.infer(js.Chinchilla, data, seed=replicate, method="laplace", n_chains=2)))
        if (replicate + 1) % 20 == 0:
            print(f"{replicate + 1} replicates, {time.perf_counter() - began:.0f} s", flush=True)
    seconds = time.perf_counter() - began
    R = args.replicates
    names = list(TRUTH) + ["sigma"]
    lines = [
        f"### Calibration of js.infer, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), "
        f"jaxscale {js.__version__}: {R} synthetic Chinchilla data sets, {seconds:.0f} s",
        "",
        f"Share of replicates whose 90% interval contains the true value (target 85-95%; binomial sd at 90%: "
        f"{100 * np.sqrt(0.09 / R):.1f} points). n cycles through {SIZES}; noise sd {SIGMA} in log loss.",
        "",
        "| method | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for method, label in (("nuts", "NUTS, 2 x (500 + 1,000)"), ("laplace", "Laplace")):
        frame = pd.DataFrame(rows[method])
        lines.append(f"| {label} | " + " | ".join(f"{100 * frame[n].mean():.1f}%" for n in names) + " |")
    lines += ["", f"NUTS raised a convergence warning (r_hat, divergences or ESS < 400) in {warned} of {R} replicates."]
    record("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
