"""4,000 bootstrap refits of the Chinchilla fit: jaxscale against Epoch's BFGS loop and a grid-per-resample pool.

Prints a table and appends it (with machine, versions and date) to benchmarks/README.md. Peer times come from
a sample of resamples, extrapolated linearly to n (see peers_bootstrap.py). Peak memory of jaxscale is the
maximum resident set size of a fresh process running the whole bootstrap for n = 4,000 and n = 40,000.
Run: python benchmarks/bench_bootstrap.py [--n 4000] [--bfgs-sample 400] [--grid-sample 4]
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import jax  # noqa: E402
import peers_bootstrap as peers  # noqa: E402
from _record import record  # noqa: E402

import jaxscale as js  # noqa: E402

NAMES = ("E", "A", "B", "alpha", "beta")
EPOCH_SE = {"E": 0.0257, "A": 124.5, "B": 1293.0, "alpha": 0.0154, "beta": 0.0206}

MEMORY_PROBE = """
import json, resource, time, jaxscale as js
full = js.fit(js.Chinchilla, js.datasets.load("chinchilla", subset="epoch"))
began = time.perf_counter()
boot = js.bootstrap(full, n={n}, seed=0)
print(json.dumps(dict(seconds=time.perf_counter() - began, maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def run_jaxscale(n: int) -> dict:
    full = js.fit(js.Chinchilla, js.datasets.load("chinchilla", subset="epoch"))
    began = time.perf_counter()
    first = js.bootstrap(full, n=n, seed=0)
    first_call = time.perf_counter() - began
    began = time.perf_counter()
    warm = js.bootstrap(full, n=n, seed=1)
    seconds = time.perf_counter() - began
    se = warm.standard_errors()
    return dict(name="jaxscale bootstrap (DampedNewton, 2 starts per resample, chunks of 250)", seconds=seconds,
                note=f"warm (seed 1); first call {first_call:.1f} s with {first.compile_seconds:.1f} s compiling; all {n} resamples run",
                se={k: float(se[k]) for k in NAMES})


def peak_memory(n: int) -> dict:
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE.format(n=n)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--bfgs-sample", type=int, default=400)
    parser.add_argument("--grid-sample", type=int, default=4)
    parser.add_argument("--memory", type=int, nargs="*", default=[4000, 40000])
    args = parser.parse_args()
    N, D, L = peers.load_epoch_240()
    rows = [run_jaxscale(args.n)]
    for analytic in (True, False):
        peer = peers.epoch_bfgs_bootstrap(N, D, L, n=args.n, sample=args.bfgs_sample, analytic_grad=analytic)
        rows.append(dict(name=peer["name"], seconds=peer["seconds_for_n"], note=peer["note"], se=peer["se"]))
    peer = peers.grid_pool_bootstrap(N, D, L, n=args.n, sample=args.grid_sample)
    rows.append(dict(name=peer["name"], seconds=peer["seconds_for_n"], note=peer["note"], se=peer["se"]))
    memory = {n: peak_memory(n) for n in args.memory}

    ours = rows[0]["seconds"]
    lines = [
        f"### Bootstrap, {args.n} resamples, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), "
        f"jax {jax.__version__}, jaxscale {js.__version__}",
        "",
        f"| method | time for {args.n} resamples (s) | jaxscale speed-up | SE E | SE A | SE B | SE alpha | SE beta | note |",
        "|---|---|---|---|---|---|---|---|---|",
        "| Epoch AI (Besiroglu et al. 2024), published | | | 0.0257 | 124.5 | 1293 | 0.0154 | 0.0206 | their bootstrap |",
    ]
    for row in rows:
        se = " | ".join(f"{row['se'][k]:.4g}" for k in NAMES)
        lines.append(f"| {row['name']} | {row['seconds']:.1f} | {row['seconds'] / ours:.0f}x | {se} | {row['note']} |")
    lines += ["", "jaxscale peak memory (max RSS of a fresh process: import, full fit, bootstrap):", ""]
    lines += [f"- n = {n}: {m['maxrss_mb']:.0f} MB, bootstrap {m['seconds']:.1f} s including compilation" for n, m in memory.items()]
    table = "\n".join(lines) + "\n"
    record(table)


if __name__ == "__main__":
    main()
