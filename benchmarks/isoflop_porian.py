"""Chinchilla Approach 2 on Porian et al. 2024's isoFLOP runs: the exponent a (N_opt ∝ C^a) per configuration,
by each of `js.isoflop.profiles`' three estimators, beside the exponent Porian et al. report.

Estimators: "parabola" (one parabola in log N per budget over all its sizes, Hoffmann et al.), "window" (a
parabola over the 5 sizes around each budget's best run) and "interpolate" (Porian et al.'s: Akima interpolation
of log loss against log N, seed-noise bootstrap with their noise levels, 0.002 on RefinedWeb and 0.01 on
OpenWebText2). Porian et al.'s exponents: `basic.n_exponent` of their released fits (repository
formll/resolving-scaling-law-discrepancies, commit 0dc60d9, MIT). A table of results, not a speed test; appends
it to benchmarks/README.md.
Run: python benchmarks/isoflop_porian.py
"""

import datetime
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

import jaxscale as js

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from _record import record  # noqa: E402
from test_isoflop import PORIAN_A, PORIAN_HEADLINE, PORIAN_SEED_NOISE  # noqa: E402  (one copy, kept with the test)

N_BOOTSTRAP = 1000  # as Porian et al.'s seed-noise bootstrap
ESTIMATORS = {"parabola": {}, "window": {}, "interpolate": {"seed_noise": "seed_noise"}}


def main() -> None:
    data = js.datasets.load("porian_isoflop")
    data = data.assign(seed_noise=data["config"].str.split("/").str[0].map(PORIAN_SEED_NOISE))
    columns, seconds, dropped = {}, {}, {}
    for estimator, options in ESTIMATORS.items():
        began = time.perf_counter()
        with warnings.catch_warnings():  # the budgets left out are counted from result.optima below
            warnings.simplefilter("ignore", js.FitWarning)
            result = js.isoflop.profiles(data, by="config", estimator=estimator, n_bootstrap=N_BOOTSTRAP, seed=0, **options)
        seconds[estimator] = time.perf_counter() - began
        columns[estimator] = result.to_frame().set_index("config")
        dropped[estimator] = result.optima.groupby("config")["used"].agg(lambda used: int((~used).sum()))
    configs = list(PORIAN_A)
    lines = [
        f"### isoFLOP estimators on Porian et al. 2024, {datetime.date.today()}, jaxscale {js.__version__} "
        f"(15 configurations, {N_BOOTSTRAP:,} resamples each; "
        + ", ".join(f"{name} {s:.1f} s" for name, s in seconds.items()) + " for all 15)",
        "",
        "config = dataset/hparams/warmup/decay/param_count/loss_split. a (N_opt ∝ C^a) with its 95% bootstrap "
        "interval; (k) = budgets left out because the optimum is not inside the sizes run; **bold** = Porian et "
        "al.'s four headline exponents (their Figure 1: Kaplan setup, all fixes).",
        "",
        "| config | parabola | window (5 sizes) | interpolate (seed noise) | Porian et al. a |",
        "|---|---|---|---|---|",
    ]
    for config in configs:
        cells = []
        for estimator in ESTIMATORS:
            r = columns[estimator].loc[config]
            cells.append(f"{r['a']:.3f} [{r['a_lo']:.3f}, {r['a_hi']:.3f}] ({dropped[estimator][config]})")
        name = f"**{config}**" if config in PORIAN_HEADLINE else config
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {PORIAN_A[config]:.3f} |")
    lines.append("")
    for estimator in ESTIMATORS:
        difference = (columns[estimator].loc[configs, "a"] - pd.Series(PORIAN_A)).abs()
        inside = int(sum(columns[estimator].loc[c, "a_lo"] <= PORIAN_A[c] <= columns[estimator].loc[c, "a_hi"] for c in configs))
        headline = np.max([abs(columns[estimator].loc[c, "a"] - v) for c, v in PORIAN_HEADLINE.items()])
        lines.append(
            f"- {estimator}: |a - Porian's a| median {difference.median():.4f}, max {difference.max():.4f} "
            f"(headline four: max {headline:.4f}); Porian's a inside the 95% interval for {inside} of 15; "
            f"{int(dropped[estimator].sum())} budgets left out in all."
        )
    record("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
