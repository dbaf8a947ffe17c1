"""Cold starts: what a new process pays before its first answer (issue 14, part 5).

Each row is a fresh Python process, timed from outside (wall clock, minimum of REPEATS runs):
`import jax` against `import jaxscale` (and against what a fit loads), a repeat `jaxscale fit chinchilla` with
JAX's persistent compilation cache on (the default) and off, and the first `evaluate(js.PowerLaw, revisiting,
by="curve")` of a process with the cache warm and with an empty cache. The last row counts XLA compiles over
ten allocations with different loss targets, budgets and inference tokens.
Run: python benchmarks/cold_start.py
"""

import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time

from _record import record

REPEATS = 5

EVALUATE = """
import jaxscale as js
curves = js.datasets.load("revisiting")
js.evaluate(js.PowerLaw, curves, train="training", by="curve")
"""

ALLOCATE = """
import numpy as np
import jaxscale as js
from jaxscale._compile_timer import compile_timer
law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
P = js.problems
asks = {
    "LossTarget": [P.LossTarget(t) for t in np.linspace(2.0, 2.5, 11)],
    "ComputeOptimal": [P.ComputeOptimal(b) for b in np.geomspace(1e20, 1e26, 11)],
    "InferenceAware": [P.InferenceAware(2.2, inference_tokens=t) for t in np.geomspace(1e10, 1e14, 11)],
}
for name, problems in asks.items():
    js.allocate(law, problems[0])
    with compile_timer() as timer:
        for problem in problems[1:]:
            js.allocate(law, problem)
    print(f"{name}:{timer.compiles}")
"""


def wall(command: list[str], env: dict | None = None, repeats: int = REPEATS) -> float:
    """Minimum wall time of `command` in fresh processes (one unrecorded run first, to warm the file cache)."""
    env = {**os.environ, **(env or {})}
    subprocess.run(command, env=env, check=True, capture_output=True)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return min(times)


def first_evaluate_with_empty_cache() -> float:
    times = []
    for _ in range(2):
        with tempfile.TemporaryDirectory() as empty:
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", EVALUATE], env={**os.environ, "JAXSCALE_CACHE_DIR": empty}, check=True, capture_output=True)
            times.append(time.perf_counter() - began)
    return min(times)


def main():
    python = sys.executable
    jaxscale_cli = ["jaxscale"]
    load = os.getloadavg()[0]
    rows = {
        "`import jax`": wall([python, "-c", "import jax"]),
        "`import jaxscale`": wall([python, "-c", "import jaxscale"]),
        "`import jaxscale; jaxscale.fit` (everything a fit loads)": wall([python, "-c", "import jaxscale; jaxscale.fit"]),
        "repeat `jaxscale fit chinchilla`, persistent cache on (default)": wall(jaxscale_cli + ["fit", "chinchilla"]),
        "repeat `jaxscale fit chinchilla`, cache off (`JAXSCALE_COMPILATION_CACHE=0`)": wall(jaxscale_cli + ["fit", "chinchilla"], {"JAXSCALE_COMPILATION_CACHE": "0"}, repeats=2),
        "first `evaluate(js.PowerLaw, revisiting, by=\"curve\")` of a process, cache warm": wall([python, "-c", EVALUATE], repeats=3),
        "first `evaluate(js.PowerLaw, revisiting, by=\"curve\")` of a process, empty cache": first_evaluate_with_empty_cache(),
    }
    compiles = subprocess.run([python, "-c", ALLOCATE], check=True, capture_output=True, text=True).stdout.split()
    jax_import = rows["`import jax`"]
    lines = [
        f"### Cold starts, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores, load {load:.1f} at the start), "
        f"fresh processes, wall clock, minimum of {REPEATS} (cache off: 2, evaluate: 3, empty cache: 2)",
        "",
        "| what | seconds | against `import jax` |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {seconds:.2f} | {seconds / jax_import:.2f}x |" for name, seconds in rows.items()]
    lines += ["", "XLA compiles over 10 further allocations after a first one, each with a new value: "
              + ", ".join(f"{entry.split(':')[0]} {entry.split(':')[1]}" for entry in compiles) + ".", ""]
    record("\n".join(lines))


if __name__ == "__main__":
    main()
