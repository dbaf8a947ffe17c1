"""Cold starts: what a new process pays before its first answer (issue 14, part 5).

Each row is a fresh Python process, timed from outside (wall clock, minimum of REPEATS runs):
`import jax` against `import jaxscale` (and against what a fit loads); `jaxscale fit chinchilla` handed to the
resident process (the default: its first, second and repeated calls, in a private resident directory) and in
its own process (`JAXSCALE_RESIDENT=0`) with JAX's persistent compilation cache on and off; and the first
`evaluate(js.PowerLaw, revisiting, by="curve")` of a process with the cache warm and with an empty cache. The last row counts XLA compiles over
ten allocations with different loss targets, budgets and inference tokens.

With `--against TREE` (a checkout of an earlier revision, e.g. `git worktree add /tmp/base <commit>`), a
second table times `import jaxscale`, a repeat `jaxscale fit chinchilla` and the first evaluate call for both
trees side by side, in fresh processes that alternate between them.
Run: python benchmarks/cold_start.py [--against /tmp/base]
"""

import argparse
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
import time
import warnings
import jaxscale as js
curves = js.datasets.load("revisiting")
warnings.simplefilter("ignore", js.FitWarning)  # 12 curves have a parameter to check: reported, not timed
began = time.perf_counter()
js.evaluate(js.PowerLaw, curves, train="training", by="curve")
print(time.perf_counter() - began)
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
    _timed(command, env)
    return min(_timed(command, env) for _ in range(repeats))


def resident(script: list[str], argv: list[str], rounds: int = 3, repeats: int = REPEATS) -> dict[str, float]:
    """`script` + `argv` through the resident process, in a private resident directory per round: the first call (no
    resident yet: it runs in its own process, then starts one), the second (the resident's first call, once it
    is up) and the minimum of `repeats` further calls; each the minimum over `rounds`."""
    first, second, repeat = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="js-", dir="/tmp") as directory:
            env = {**os.environ, "JAXSCALE_RESIDENT_DIR": directory}
            env.pop("JAXSCALE_RESIDENT", None)
            timed = lambda: _timed(script + argv, env)
            first.append(timed())
            began = time.monotonic()
            while not subprocess.run(script + ["resident"], env=env, capture_output=True, text=True).stdout.startswith("resident jaxscale process"):
                if time.monotonic() - began > 120:
                    raise RuntimeError("the resident did not start within 120 s")
                time.sleep(0.25)
            second.append(timed())
            repeat.append(min(timed() for _ in range(repeats)))
            subprocess.run(script + ["resident", "stop"], env=env, capture_output=True, check=True)
    return {"first": min(first), "second": min(second), "repeat": min(repeat)}


def _timed(command: list[str], env: dict) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def first_evaluate(empty_cache: bool, repeats: int) -> tuple[float, float]:
    """(whole process, the evaluate call alone) for a fresh process's first evaluate, minimum of `repeats`."""
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as empty:
            env = {**os.environ, **({"JAXSCALE_CACHE_DIR": empty} if empty_cache else {})}
            began = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", EVALUATE], env=env, check=True, capture_output=True, text=True)
            runs.append((time.perf_counter() - began, float(done.stdout.split()[-1])))
    return min(r[0] for r in runs), min(r[1] for r in runs)


# Each snippet puts its tree first on sys.path, so the same interpreter runs either revision.
SIDE_BY_SIDE = {
    "`import jaxscale`": "import sys; sys.path.insert(0, {root!r}); import jaxscale; assert jaxscale.__file__.startswith({root!r})",
    "repeat `jaxscale fit chinchilla`": (
        "import sys; sys.path.insert(0, {root!r}); sys.argv = ['jaxscale', 'fit', 'chinchilla']; "
        "from jaxscale.cli import main; sys.exit(main())"
    ),
    "first `evaluate(js.PowerLaw, revisiting, by=\"curve\")` call, cache warm": "import sys; sys.path.insert(0, {root!r})\n" + EVALUATE,
}


def side_by_side(baseline: str, rounds: int = 4) -> str:
    """A table of `SIDE_BY_SIDE` for the `baseline` tree and this one: minimum over `rounds` alternating runs."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trees = {"baseline": os.path.abspath(baseline), "this": here}
    revision = lambda tree: subprocess.run(["git", "-C", tree, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()

    def seconds(code: str, is_call: bool) -> float:
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=tempfile.gettempdir())
        return float(done.stdout.split()[-1]) if is_call else time.perf_counter() - began

    lines = [
        f"Side by side with {revision(trees['baseline'])} (fresh processes alternating between the trees, minimum of {rounds}; "
        "the evaluate row times the call alone):",
        "",
        f"| what | {revision(trees['baseline'])} (s) | this, {revision(here)} (s) |",
        "|---|---|---|",
    ]
    for name, template in SIDE_BY_SIDE.items():
        is_call = name.startswith("first")
        for tree in trees.values():
            seconds(template.format(root=tree), is_call)  # fills the compilation cache for this tree
        runs = {label: [] for label in trees}
        for _ in range(rounds):
            for label, tree in trees.items():
                runs[label].append(seconds(template.format(root=tree), is_call))
        best = {label: min(times) for label, times in runs.items()}
        lines.append(f"| {name} | {best['baseline']:.2f} | {best['this']:.2f} |")
    return "\n".join(lines + [""])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", help="a checkout of an earlier revision to time side by side")
    args = parser.parse_args()
    python = sys.executable
    # the script pip installed beside this interpreter (not a version manager's shim, which adds its own time)
    script = os.path.join(os.path.dirname(python), "jaxscale")
    jaxscale_cli = [script] if os.path.exists(script) else ["jaxscale"]
    load = os.getloadavg()[0]
    rows = {
        "`import jax`": wall([python, "-c", "import jax"]),
        "`import jaxscale`": wall([python, "-c", "import jaxscale"]),
        "`import jaxscale; jaxscale.fit` (everything a fit loads)": wall([python, "-c", "import jaxscale; jaxscale.fit"]),
    }
    calls = resident(jaxscale_cli, ["fit", "chinchilla"])
    own = {"JAXSCALE_RESIDENT": "0"}
    rows |= {
        "`jaxscale fit chinchilla`, first call (no resident yet: its own process, then starts one)": calls["first"],
        "`jaxscale fit chinchilla`, second call (the resident's first)": calls["second"],
        "repeat `jaxscale fit chinchilla` (default: the resident answers)": calls["repeat"],
        "repeat `jaxscale fit chinchilla`, own process (`JAXSCALE_RESIDENT=0`), persistent cache on": wall(jaxscale_cli + ["fit", "chinchilla"], own),
        "repeat `jaxscale fit chinchilla`, own process, cache off (`JAXSCALE_COMPILATION_CACHE=0`)": wall(jaxscale_cli + ["fit", "chinchilla"], own | {"JAXSCALE_COMPILATION_CACHE": "0"}, repeats=2),
    }
    subprocess.run([python, "-c", EVALUATE], check=True, capture_output=True)  # the cache holds its programs
    for label, empty in (("cache warm", False), ("empty cache", True)):
        process, call = first_evaluate(empty, repeats=3 if not empty else 2)
        rows[f"first `evaluate(js.PowerLaw, revisiting, by=\"curve\")` of a process, {label}: the call"] = call
        rows[f"first `evaluate(js.PowerLaw, revisiting, by=\"curve\")` of a process, {label}: the whole process"] = process
    compiles = subprocess.run([python, "-c", ALLOCATE], check=True, capture_output=True, text=True).stdout.split()
    jax_import = rows["`import jax`"]
    versions = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('jax'), m.version('jaxscale'))"],
                              check=True, capture_output=True, text=True).stdout.split()
    lines = [
        f"### Cold starts, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores, load {load:.1f} at the start), "
        f"jax {versions[0]}, jaxscale {versions[1]}, "
        f"fresh processes, wall clock, minimum of {REPEATS} (resident calls: of 3 rounds; cache off: 2, evaluate: 3, empty cache: 2)",
        "",
        "| what | seconds | against `import jax` |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {seconds:.2f} | {seconds / jax_import:.2f}x |" for name, seconds in rows.items()]
    lines += ["", "XLA compiles over 10 further allocations after a first one, each with a new value: "
              + ", ".join(f"{entry.split(':')[0]} {entry.split(':')[1]}" for entry in compiles) + ".", ""]
    if args.against:
        lines.append(side_by_side(args.against))
    record("\n".join(lines))


if __name__ == "__main__":
    main()
