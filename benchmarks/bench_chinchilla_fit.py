"""Chinchilla Approach-3 grid fit: jaxscale against scipy, lmfit and the `chinchilla` package, in one run.

Prints a table and appends it (with machine, versions and date) to benchmarks/README.md.
Run: python benchmarks/bench_chinchilla_fit.py [--sample 90]. Peer times for sampled runs are extrapolated
linearly to the 4,500-start grid (see peers_chinchilla.py).
"""

import argparse
import datetime
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import jax  # noqa: E402
import peers_chinchilla as peers  # noqa: E402
from _record import record  # noqa: E402

import jaxscale as js  # noqa: E402


def run_jaxscale(name: str, repeats: int = 5, **options) -> dict:
    df = js.datasets.load("chinchilla", subset="epoch")
    began = time.perf_counter()
    first = js.fit(js.Chinchilla, df, **options)
    first_call = time.perf_counter() - began
    warm = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = js.fit(js.Chinchilla, df, **options)
        warm.append(time.perf_counter() - began)
    note = f"min of {repeats} warm runs; {result.n_agree} of {result.n_refined} refined restarts reach the best; {result.status_counts()}"
    return dict(name=name, first_call=first_call, compile=first.compile_seconds, seconds=min(warm),
                best_objective=result.objective, note=note)


JAXSCALE_CONFIGS = [
    ("jaxscale default: GaussNewton, 16 of 4500 refined", {}),
    ("jaxscale GaussNewton, 64 of 4500 refined", dict(n_refine=64)),
    ("jaxscale DampedNewton (exact Hessian), 64 of 4500 refined", dict(solver=js.solvers.DampedNewton(max_steps=400), n_refine=64)),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=90, help="starts each peer runs (time extrapolated)")
    args = parser.parse_args()
    ours, *others = [run_jaxscale(name, **options) for name, options in JAXSCALE_CONFIGS]
    N, D, L = peers.load_epoch_240()
    rows = [
        peers.scipy_lbfgsb_loop(N, D, L, sample=args.sample),
        peers.scipy_lbfgsb_loop_analytic_grad(N, D, L, sample=args.sample),
        peers.lmfit_fit(N, D, L, sample=args.sample),
        peers.chinchilla_package_fit(N, D, L, sample=args.sample),
    ]
    lines = [
        f"### Chinchilla grid fit, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), "
        f"jax {jax.__version__}, jaxscale {js.__version__}",
        "",
        "| method | time for the 4,500-start grid (s) | jaxscale speed-up | best objective | note |",
        "|---|---|---|---|---|",
    ]
    for row in [ours, *others]:
        lines.append(
            f"| {row['name']} | {row['seconds']:.3f} warm; {row['first_call']:.2f} first call ({row['compile']:.2f} "
            f"compiling) | {ours['seconds'] / row['seconds']:.2f}x | {row['best_objective']:.10e} | {row['note']} |"
        )
    for row in rows:
        seconds = row.get("seconds_full_grid")
        speedup = f"{seconds / ours['seconds']:.0f}x" if seconds else "n/a"
        lines.append(f"| {row['name']} | {seconds:.1f} | {speedup} | {row['best_objective']:.10e} | {row['note']} |")
    table = "\n".join(lines) + "\n"
    record(table)


if __name__ == "__main__":
    main()
