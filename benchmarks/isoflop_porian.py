"""Chinchilla Approach 2 on Porian et al. 2024's isoFLOP runs: the exponent a (N_opt ∝ C^a) per configuration.

Our a with its bootstrap interval (runs resampled within each budget), beside the exponent Porian et al.
report for the same configuration (`basic.n_exponent` of their released fits; repository
formll/resolving-scaling-law-discrepancies, commit 0dc60d9, MIT; they locate each budget's optimum by
interpolation, we by a parabola in log N). Appends the table to benchmarks/README.md.
Run: python benchmarks/isoflop_porian.py
"""

import datetime
import os
import sys
import time

import pandas as pd

import jaxscale as js

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from _record import record  # noqa: E402
from test_isoflop import PORIAN_A  # noqa: E402  (Porian et al.'s published exponents: one copy, kept with the test)


def main() -> None:
    began = time.perf_counter()
    result = js.isoflop.profiles(js.datasets.load("porian_isoflop"), by="config", n_bootstrap=4000, seed=0)
    seconds = time.perf_counter() - began
    frame = result.to_frame()
    frame["porian_a"] = frame["config"].map(PORIAN_A)
    lines = [
        f"### isoFLOP Approach 2 on Porian et al. 2024, {datetime.date.today()}, jaxscale {js.__version__} "
        f"(15 configurations, 4,000 resamples each, {seconds:.1f} s in all)",
        "",
        "config = dataset/hparams/warmup/decay/param_count/loss_split. Budgets whose parabola has no minimum inside "
        "the sizes run are left out (`budgets used`).",
        "",
        "| config | a (N_opt ∝ C^a) | 95% interval | b (D_opt ∝ C^b) | budgets used | Porian et al. a |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in frame.iterrows():
        lines.append(
            f"| {r['config']} | {r['a']:.3f} | [{r['a_lo']:.3f}, {r['a_hi']:.3f}] | {r['b']:.3f} | {r['n_points']} | {r['porian_a']:.3f} |"
        )
    inside = ((frame["a_lo"] <= frame["porian_a"]) & (frame["porian_a"] <= frame["a_hi"])).sum()
    difference = (frame["a"] - frame["porian_a"]).abs()
    lines += ["", f"Porian et al.'s a lies inside our 95% interval for {inside} of 15 configurations; "
              f"|difference| median {difference.median():.3f}, max {difference.max():.3f}."]
    table = "\n".join(lines) + "\n"
    record(table)


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
