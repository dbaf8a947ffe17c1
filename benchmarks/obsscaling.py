"""Observational scaling (Ruan, Maddison and Hashimoto 2024) on ObsScaling: hold out the models above the paper's
cutoff (FLOPs > 8.4e22, Llama-2-7B; 47 training, 28 held-out models of the repository's 21 evaluated families with
known FLOPs), and predict each target benchmark three ways with `observational_scaling`:

- factors: sigmoid of the top 3 PCs of the 8 base benchmarks (imputed by rank-1 PCA; for a base benchmark as
  target, the PCs of the other 7), the paper's observational law;
- log_compute: the same sigmoid link on log FLOPs alone (the baseline);
- family_compute: the PCs predicted from log FLOPs + a per-family offset (compute efficiency), then the link.

Floors held at chance where the benchmark has one, else fitted in [0, 0.2] (the paper's parametric sigmoid).
1,000 bootstrap resamples of the training models, the imputation and PCA refitted in each; 90% intervals for a
model's score (resampled fit + resampled residual). Appends the table to benchmarks/README.md.
Run: python benchmarks/obsscaling.py
"""

import datetime
import platform
import time

import jax
from _record import record

import jaxscale as js
from jaxscale._observational import observational_scaling
from jaxscale.datasets._obsscaling import OBSSCALING_BENCHMARKS, OBSSCALING_CHANCE, OBSSCALING_CUTOFF, obsscaling

TARGETS = ["leaderboard_bbh", "leaderboard_gpqa", "leaderboard_mmlu_pro", "leaderboard_math_hard", "leaderboard_musr",
           "word_unscrambling_2_exact_match", "arithmetic_3ds_2_acc", "MMLU", "GSM8K", "HumanEval"]
N_BOOTSTRAP = 1000


def main():
    table = obsscaling()
    table = table[table["evaluated_family"] & table["C"].notna()].reset_index(drop=True)
    rows, timings = [], []
    for target in TARGETS:
        benchmarks = [b for b in OBSSCALING_BENCHMARKS if b != target]
        floor = OBSSCALING_CHANCE.get(target)
        first = time.perf_counter()
        observational_scaling(table, target, benchmarks, OBSSCALING_CUTOFF, floor=floor, n_bootstrap=N_BOOTSTRAP)
        first = time.perf_counter() - first
        warm = time.perf_counter()
        result = observational_scaling(table, target, benchmarks, OBSSCALING_CUTOFF, floor=floor, n_bootstrap=N_BOOTSTRAP)
        warm = time.perf_counter() - warm
        timings.append((target, first, warm))
        s = result.summary()
        cells = [f"{s.loc[m, 'mae']:.3f} ({s.loc[m, 'coverage']:.0%})" for m in ("factors", "log_compute", "family_compute")]
        best = s["mae"].idxmin()
        rows.append(f"| {target} | {'chance ' + format(floor, 'g') if floor is not None else 'fitted'} | {int(s.loc['factors', 'n_heldout'])} | "
                    f"{' | '.join(cells)} | {s.loc['factors', 'median_width']:.3f} | {best} |")
    header = [
        f"\n## Observational scaling on ObsScaling (Ruan et al. 2024), {datetime.date.today()}",
        f"{platform.machine()}, {jax.device_count()} x {jax.devices()[0].platform}, jaxscale {js.__version__}, jax {jax.__version__}; "
        f"`python benchmarks/obsscaling.py`.",
        "",
        f"Train on models with FLOPs <= {OBSSCALING_CUTOFF:.3g} (Llama-2-7B, the paper's cut), predict the larger ones; the 21 families the "
        "ObsScaling repository evaluated, models with known FLOPs (75: 47 train, 28 held out; leaderboard v2 scores exist for 23 + 14, "
        f"BIG-bench tasks for 44 + 19). 3 PCs of the 8 base benchmarks (the other 7 for a base target). {N_BOOTSTRAP} bootstrap resamples over "
        "training models, the imputation and PCA refitted in each. Cells: held-out mean absolute error (coverage of the 90% interval).",
        "",
        "| target | floor | held out | factors | log compute | family + compute | factors' median 90% width | lowest MAE |",
        "|---|---|---|---|---|---|---|---|",
    ]
    times = ["", "| target | first call (s, compile included) | warm (s) |", "|---|---|---|"]
    times += [f"| {t} | {f:.1f} | {w:.2f} |" for t, f, w in timings]
    record("\n".join(header + rows + times) + "\n")


if __name__ == "__main__":
    main()
