"""`compare` on Gadre et al.'s three corpora and on a synthetic pair with a known 2x compute multiplier.

Gadre et al. 2024 ("Language models scale reliably with over-training and on downstream tasks") trained the
same model shapes on C4, RedPajama (rpj) and RefinedWeb (rw) and report the C4 validation loss of each; here
the Overtraining law (their Eq. 4) is fitted to the three corpora jointly with E shared, and each corpus's
effective compute multiplier over C4 is read at compute-optimal losses, with a paired bootstrap interval
(runs with the same N and D in every corpus are drawn together), the crossover compute and P(better).

The synthetic pair: variant B is Chinchilla's law with N and D each worth sqrt(2) more than in A, so B's
compute-optimal loss at C equals A's at 2C (multiplier exactly 2), with 0.5% log-normal noise on 30 runs each.

Prints a table and appends it (with machine, versions and date) to benchmarks/README.md. "first call" is the
first `compare` in the process (joint fit, refits and frontier tables, compiling included); "warm" the same
call again with another seed; "compiling" is what JAX spent tracing and compiling inside the refits and tables.
Run: python benchmarks/compare_gadre.py [--n 1000]
"""

import argparse
import datetime
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _record import record  # noqa: E402

import jaxscale as js  # noqa: E402

COMPARE = getattr(js, "compare", None)
if COMPARE is None:  # before jaxscale exports it
    from jaxscale._compare import compare as COMPARE

GADRE_AT = (1e19, 1e21, 1e23)
SYNTHETIC_AT = (1e19, 1e20, 1e21)


def timed(**options):
    began = time.perf_counter()
    result = COMPARE(**options)
    return result, time.perf_counter() - began


def synthetic_pair(noise: float = 0.005, seed: int = 0) -> pd.DataFrame:
    truth = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
    laws = {"A": js.Chinchilla(**truth), "B": js.Chinchilla(**{**truth, "A": 406.4 * 2**-0.17, "B": 410.7 * 2**-0.14})}
    n = np.repeat(np.geomspace(5e7, 2e9, 6), 5)
    d = n * np.tile([5.0, 10.0, 20.0, 40.0, 80.0], 6)
    rng = np.random.default_rng(seed)
    return pd.concat(
        [pd.DataFrame({"recipe": k, "N": n, "D": d, "loss": law.predict({"N": n, "D": d}) * np.exp(noise * rng.standard_normal(n.size))}) for k, law in laws.items()],
        ignore_index=True,
    )


def rows_of(result) -> list[str]:
    frame = result.to_frame()
    crossovers = result.crossovers().set_index(result.variant)
    lines = []
    for name in result.variants:
        mine = frame[frame[result.variant] == name]
        cells = " | ".join(f"{r.multiplier:.3f} [{r.lo:.3f}, {r.hi:.3f}], P {r.p_better:.2f}" for r in mine.itertuples())
        c = crossovers.loc[name]
        crossing = "none in range" if np.isnan(c["crossover"]) else f"{c['crossover']:.3g} [{c['lo']:.3g}, {c['hi']:.3g}]"
        lines.append(f"| {name} | {cells} | {crossing} ({c['p_crossing']:.0%} of refits cross) | {c['note']} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    gadre = js.datasets.load("gadre_overtraining")
    options = dict(law=js.laws.Overtraining, data=gadre, variant="corpus", baseline="c4_original", at=GADRE_AT, n_resamples=args.n)
    first, first_seconds = timed(**options, seed=0)
    warm, warm_seconds = timed(**options, seed=1)
    synthetic = {}
    for shared in (("E", "alpha", "beta"), ("E",)):
        data = synthetic_pair()
        one = dict(law=js.Chinchilla, data=data, variant="recipe", baseline="A", at=SYNTHETIC_AT, shared=list(shared), n_resamples=args.n)
        cold, cold_seconds = timed(**one, seed=0)
        hot, hot_seconds = timed(**one, seed=1)
        synthetic[shared] = (cold, cold_seconds, hot, hot_seconds)

    head = " | ".join(f"C = {c:.0e}: multiplier [{first.level:.0%} interval], P(better)" for c in GADRE_AT)
    lines = [
        f"### compare: Gadre et al.'s corpora against C4, and a known 2x, {datetime.date.today()}, {platform.node()} "
        f"({os.cpu_count()} CPU cores), jax {jax.__version__}, jaxscale {js.__version__}",
        "",
        f"Overtraining law (Gadre et al. Eq. 4) fitted to all three corpora with E shared (E = {float(first.fit.law.E[0]):.4f}); "
        f"C4 validation loss; compute-optimal losses; {args.n} paired resamples ({first.n_paired_runs} of 104 runs paired; "
        f"{int(first.ok.sum())} refits finite). Multiplier = compute C4 needs to reach the corpus's loss at C, over C.",
        "",
        f"| corpus | {head} | crossover with C4 (FLOPs) | note |",
        "|---|" + "---|" * len(GADRE_AT) + "---|---|",
        *rows_of(first),
        "",
        f"Timing: first call {first_seconds:.1f} s (refits and tables {first.seconds:.1f} s plus {first.compile_seconds:.1f} s compiling; the "
        f"rest is the joint fit), warm call (seed 1) {warm_seconds:.1f} s (refits and tables {warm.seconds:.1f} s, {warm.compile_seconds:.1f} s compiling). "
        f"Seed 1 gives: " + "; ".join(
            f"{name} at {c:.0e}: {m:.3f} [{lo:.3f}, {hi:.3f}]" for name, row in zip(warm.variants, zip(*warm.multiplier())) for c, m, lo, hi in zip(GADRE_AT, *row)
        ) + ".",
        "",
        f"Synthetic Chinchilla pair with a true multiplier of 2 at every C (0.5% noise, 30 paired runs each, {args.n} resamples):",
        "",
        "| shared | " + " | ".join(f"C = {c:.0e}" for c in SYNTHETIC_AT) + " | first call (s) | warm (s) |",
        "|---|" + "---|" * len(SYNTHETIC_AT) + "---|---|",
    ]
    for shared, (cold, cold_seconds, hot, hot_seconds) in synthetic.items():
        estimate, lo, hi = cold.multiplier()
        cells = " | ".join(f"{estimate[0, j]:.3f} [{lo[0, j]:.3f}, {hi[0, j]:.3f}]" for j in range(len(SYNTHETIC_AT)))
        lines.append(f"| {', '.join(shared)} | {cells} | {cold_seconds:.1f} | {hot_seconds:.1f} |")
    record("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
