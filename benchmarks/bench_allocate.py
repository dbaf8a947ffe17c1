"""Allocation: a 1,000-budget compute-optimal frontier and allocation over 4,000 bootstrap draws, against a scipy loop.

Both jaxscale and the peer solve min_N L(N, C / (6 N)) for the Chinchilla law (the peer with
scipy.optimize.minimize_scalar(method="bounded") over log N, one call per budget or per law). Also records the
real-numbers check: N*, D* and tokens per parameter at 1e24 FLOPs from the Epoch AI fit, with a bootstrap
interval. Appends the table to benchmarks/README.md. Run: python benchmarks/bench_allocate.py
"""

import datetime
import os
import platform
import sys
import time

import jax
import numpy as np
import scipy.optimize

import jaxscale as js

sys.path.insert(0, os.path.dirname(__file__))
from _record import record  # noqa: E402

from jaxscale.problems import ComputeOptimal


def warm_seconds(function, repeats=5):
    function()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        jax.block_until_ready(function())
        times.append(time.perf_counter() - began)
    return min(times)


def scipy_allocation(E, A, B, alpha, beta, budget):
    def loss(log_n):
        n = np.exp(log_n)
        return E + A / n**alpha + B / (budget / (6 * n)) ** beta

    return np.exp(scipy.optimize.minimize_scalar(loss, bounds=(np.log(1e3), np.log(1e16)), method="bounded", options={"xatol": 1e-10}).x)


def main() -> None:
    df = js.datasets.load("chinchilla", subset="epoch")
    full = js.fit(js.Chinchilla, df)
    boot = js.bootstrap(full, n=4000, seed=0)
    law = full.law
    budgets = np.geomspace(1e18, 1e27, 1000)
    params = {k: float(getattr(law, k)) for k in ("E", "A", "B", "alpha", "beta")}
    draws = {k: np.asarray(getattr(boot.laws, k)) for k in params}

    frontier = js.allocate(law, ComputeOptimal(budgets))
    ours_frontier = warm_seconds(lambda: js.allocate(law, ComputeOptimal(budgets)).N)
    began = time.perf_counter()
    peer_frontier_n = np.array([scipy_allocation(**params, budget=c) for c in budgets])
    peer_frontier = time.perf_counter() - began

    spread = js.allocate(boot.laws, ComputeOptimal(1e24))
    ours_draws = warm_seconds(lambda: js.allocate(boot.laws, ComputeOptimal(1e24)).N)
    began = time.perf_counter()
    peer_draws_n = np.array([scipy_allocation(*(draws[k][i] for k in params), budget=1e24) for i in range(4000)])
    peer_draws = time.perf_counter() - began

    point = js.allocate(law, ComputeOptimal(1e24))
    summary = spread.summary()
    lines = [
        f"### Allocation, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), jax {jax.__version__}, jaxscale {js.__version__}",
        "",
        "| task | jaxscale warm (s) | scipy minimize_scalar loop (s) | speed-up | max relative difference in N* |",
        "|---|---|---|---|---|",
        f"| frontier, 1,000 budgets 1e18-1e27 | {ours_frontier:.4f} | {peer_frontier:.2f} | {peer_frontier / ours_frontier:.0f}x | "
        f"{np.max(np.abs(np.asarray(frontier.N) / peer_frontier_n - 1)):.1e} |",
        f"| 4,000 bootstrap draws at 1e24 FLOPs | {ours_draws:.4f} | {peer_draws:.2f} | {peer_draws / ours_draws:.0f}x | "
        f"{np.max(np.abs(np.asarray(spread.N) / peer_draws_n - 1)):.1e} |",
        "",
        "Compute-optimal at 1e24 FLOPs from the Epoch AI fit (LogHuber(1e-3), 240 points), 95% bootstrap interval over 4,000 refits:",
        "",
        "| quantity | point estimate | median | 95% interval |",
        "|---|---|---|---|",
    ]
    for name, value in (("N", point.N), ("D", point.D), ("tokens_per_parameter", point.tokens_per_parameter), ("loss", point.loss)):
        row = summary.loc[name]
        lines.append(f"| {name} | {float(value):.4g} | {row['median']:.4g} | [{row['lo']:.4g}, {row['hi']:.4g}] |")
    lines += ["", "Epoch AI (Besiroglu et al. 2024) report that their fit implies about 20 tokens per parameter at the optimum."]
    table = "\n".join(lines) + "\n"
    record(table)


if __name__ == "__main__":
    main()
