"""jaxscale against an earlier revision of itself, side by side in one run: did a change make anything slower?

Each benchmark's jaxscale part (the Chinchilla grid fit, 4,000 bootstrap refits, the 92 Revisiting curves
with `evaluate(by=)`, NUTS on Chinchilla) runs in a fresh process, once for the baseline tree and once for
this one, alternating, `--rounds` times; each row keeps the minimum warm time (and the minimum first call,
which includes compiling). Run it from the repository root:

    git worktree add /tmp/base <commit>
    python benchmarks/compare_revisions.py --baseline /tmp/base [--rounds 3]

Prints a table and appends it (with machine, versions and date) to benchmarks/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _record import record  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each job prints {"first": s, "warm": s, "check": number}; only names both revisions have are used.
JOBS = {
    "fit: Chinchilla, 4,500-start grid, defaults": """
df = js.datasets.load("chinchilla", subset="epoch")
first = timed(lambda: js.fit(js.Chinchilla, df))
warm, res = best_of(5, lambda: js.fit(js.Chinchilla, df))
check = res.objective
""",
    "bootstrap: 4,000 Chinchilla refits": """
full = js.fit(js.Chinchilla, js.datasets.load("chinchilla", subset="epoch"))
first = timed(lambda: js.bootstrap(full, n=4000, seed=0))
warm, boot = best_of(2, lambda: js.bootstrap(full, n=4000, seed=1))
check = float(boot.standard_errors()["alpha"])
""",
    "evaluate: 92 Revisiting curves, PowerLaw, by='curve'": """
curves = js.datasets.load("revisiting")
run = lambda: js.evaluate(js.PowerLaw, curves, train="training", by="curve")
first = timed(run)
warm, ext = best_of(5, run)
check = float(ext.summary().loc["median", "are"])
""",
    "evaluate: 92 Revisiting curves, BrokenPowerLaw, by='curve'": """
curves = js.datasets.load("revisiting")
run = lambda: js.evaluate(js.BrokenPowerLaw.template(n_breaks=1), curves, train="training", by="curve")
first = timed(run)
warm, ext = best_of(3, run)
check = float(ext.summary().loc["median", "are"])
""",
    "infer: NUTS on Chinchilla, 4 x (500 + 1,000) draws": """
df = js.datasets.load("chinchilla", subset="epoch")
first = timed(lambda: js.infer(js.Chinchilla, df, seed=0))
warm, post = best_of(2, lambda: js.infer(js.Chinchilla, df, seed=1))
check = float(post.summary().loc["alpha", "mean"])
""",
}

PRELUDE = """
import json, time, warnings
import jaxscale as js
warnings.simplefilter("ignore")
def timed(f):
    began = time.perf_counter(); f(); return time.perf_counter() - began
def best_of(k, f):
    times, out = [], None
    for _ in range(k):
        began = time.perf_counter(); out = f(); times.append(time.perf_counter() - began)
    return min(times), out
"""


def run_job(tree: str, body: str) -> dict:
    script = PRELUDE + body + '\nprint(json.dumps({"first": first, "warm": warm, "check": check}))\n'
    env = dict(os.environ, PYTHONPATH=tree)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd="/tmp", timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True, help="a checkout of the earlier revision (e.g. a git worktree)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="run only the jobs whose name contains this")
    args = parser.parse_args()
    base_rev = subprocess.run(["git", "-C", args.baseline, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    this_rev = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    rows = []
    for name, body in JOBS.items():
        if args.only not in name:
            continue
        runs = {"base": [], "this": []}
        for _ in range(args.rounds):
            runs["base"].append(run_job(args.baseline, body))
            runs["this"].append(run_job(HERE, body))
        best = {k: {m: min(r[m] for r in v) for m in ("first", "warm")} for k, v in runs.items()}
        rows.append((name, best, runs["base"][0]["check"], runs["this"][0]["check"]))
        print(name, best, flush=True)
    import jax

    lines = [
        f"### This revision against {base_rev}, side by side, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), "
        f"jax {jax.__version__}",
        "",
        f"Each cell the minimum over {args.rounds} fresh processes per revision, run alternately. Warm: the best repeat after "
        "the first call; first call: includes tracing and compiling. `check` is a number each run computes (an objective, "
        "a standard error, a median error, a posterior mean), which must agree.",
        "",
        f"| job | {base_rev} warm (s) | this ({this_rev}) warm (s) | change | {base_rev} first call (s) | this first call (s) "
        f"| check {base_rev} / this |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, best, check_base, check_this in rows:
        change = best["this"]["warm"] / best["base"]["warm"] - 1
        lines.append(
            f"| {name} | {best['base']['warm']:.3f} | {best['this']['warm']:.3f} | {change:+.0%} | {best['base']['first']:.2f} | "
            f"{best['this']['first']:.2f} | {check_base:.6g} / {check_this:.6g} |"
        )
    record("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
