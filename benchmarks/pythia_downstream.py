"""Downstream accuracy against compute on Pythia: does a Binomial likelihood extrapolate better than a Huber
loss on log accuracy or least squares?

For each of the 8 zero-shot tasks of `js.datasets.load("pythia_evals")`, `SigmoidCompute` (accuracy =
floor + (ceiling - floor) * sigmoid(slope * (log C - log_c50))), its floor held at the task's chance level, is
fitted to the standard (not deduped) Pythia models of 70M-1.4B, every checkpoint after step 0 (C = 6 N D > 0;
26 per model, 104 points), three ways:

- `js.Binomial(trials="n", fractions=True)`: accuracy = k / n of the benchmark's n items;
- `js.LogHuber(1e-3)`: Huber on log accuracy, the library's default loss (it refuses accuracies of 0, so on
  LAMBADA it sees only the checkpoints with acc > 0);
- `js.Squared()`: least squares on accuracy.

Each fit predicts the final checkpoints (step 143,000) of 2.8B, 6.9B and 12B; the table has |error| per task
and size. A second protocol, final checkpoints only (4 points per task), is summarised by its mean errors.
Appends the tables to benchmarks/README.md.
Run: python benchmarks/pythia_downstream.py
"""

import datetime
import os
import platform
import sys
import time
import warnings

import jax
import numpy as np

import jaxscale as js

sys.path.insert(0, os.path.dirname(__file__))
from _record import record  # noqa: E402

TRAIN_SCALES = ("70m", "160m", "410m", "1.4b")  # standard Pythia <= 1.4B (standard 1B is not in the source)
TEST_SCALES = ("2.8b", "6.9b", "12b")
FINAL_STEP = 143_000
# LAMBADA's chance is ~0, but a fixed value must lie inside the floor's open interval (0, 1).
NEAR_ZERO_FLOOR = 1e-6
TIE = 5e-4  # errors closer than this to the best count as equally good
LOSSES = {
    "Binomial": js.Binomial(trials="n", fractions=True),
    "LogHuber": js.LogHuber(1e-3),
    "Squared": js.Squared(),
}


def fit_task(train, floor: float, loss):
    """The fitted SigmoidCompute and the FitWarnings it raised (a parameter on its bound, ...)."""
    if isinstance(loss, js.LogHuber):
        train = train[train["acc"] > 0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.fit(js.laws.SigmoidCompute, train, target="acc", loss=loss, fixed={"floor": max(floor, NEAR_ZERO_FLOOR)})
    notes = [str(w.message) for w in caught if issubclass(w.category, js.FitWarning)]
    return result, notes, len(train)


def run(data, final_only: bool):
    """One row per task and test scale: truth, predictions and |errors| of each loss."""
    rows, notes = [], {}
    for task in js.datasets.PYTHIA_TASKS:
        rows_of_task = data[data["task"] == task]
        train = rows_of_task[rows_of_task["scale"].isin(TRAIN_SCALES) & (rows_of_task["step"] > 0)]
        if final_only:
            train = train[train["step"] == FINAL_STEP]
        test = rows_of_task[rows_of_task["scale"].isin(TEST_SCALES) & (rows_of_task["step"] == FINAL_STEP)]
        predictions = {}
        for name, loss in LOSSES.items():
            result, caught, n_points = fit_task(train, js.datasets.PYTHIA_CHANCE[task], loss)
            predictions[name] = result.predict(test)
            if caught:
                notes[(task, name)] = caught
            if n_points != len(train):
                notes.setdefault((task, name), []).append(f"fitted on the {n_points} of {len(train)} points with acc > 0")
        for i, (_, r) in enumerate(test.iterrows()):
            row = {"task": task, "scale": r["scale"], "acc": r["acc"], "se": np.sqrt(r["acc"] * (1 - r["acc"]) / r["n"])}
            for name in LOSSES:
                row[name] = abs(predictions[name][i] - r["acc"])
            rows.append(row)
    return rows, notes


def on_bound(messages) -> bool:
    return any("bound" in m for m in messages)


def main() -> None:
    data = js.datasets.load("pythia_evals")
    data = data[~data["deduped"]]
    began = time.perf_counter()
    rows, notes = run(data, final_only=False)
    seconds = time.perf_counter() - began
    final_rows, final_notes = run(data, final_only=True)

    def mean(rows, name, skip=()):
        return np.mean([r[name] for r in rows if r["task"] not in skip])

    machine = f"{platform.node() or 'machine'} ({os.cpu_count()} CPU cores)"
    lines = [
        f"### Pythia downstream accuracy, Binomial against LogHuber and Squared, {datetime.date.today()}, {machine}, "
        f"jax {jax.__version__}, jaxscale {js.__version__} ({seconds:.1f} s for the 24 fits)",
        "",
        "`SigmoidCompute` (floor held at chance: 0.5 piqa/winogrande/wsc, 0.25 arc/sciq/logiqa, 1e-6 lambada) fitted "
        "per task to standard Pythia 70M-1.4B, all 26 checkpoints after step 0 (104 points), x = C = 6 N D with N the "
        "total parameter count; |error| of each fit's prediction of the final 2.8B, 6.9B and 12B accuracy. "
        "`se` = sqrt(acc (1 - acc) / n), the benchmark's own sampling error. † the ceiling ended on its bound (1.0); "
        "‡ LogHuber refuses acc = 0, so it saw only the checkpoints with acc > 0. Best of the three in bold (all within 0.0005 of the best when they tie).",
        "",
        "| task | size | acc | se | Binomial | LogHuber | Squared |",
        "|---|---|---|---|---|---|---|",
    ]
    wins = dict.fromkeys([*LOSSES, "tie"], 0)
    for r in rows:
        lowest = min(r[name] for name in LOSSES)
        best = [name for name in LOSSES if r[name] - lowest < TIE]
        wins[best[0] if len(best) == 1 else "tie"] += 1
        cells = []
        for name in LOSSES:
            mark = ("†" if on_bound(notes.get((r["task"], name), [])) else "") + ("‡" if any("acc > 0" in m for m in notes.get((r["task"], name), [])) else "")
            text = f"{r[name]:.3f}{mark}"
            cells.append(f"**{text}**" if name in best else text)
        lines.append(f"| {r['task']} | {r['scale']} | {r['acc']:.3f} | {r['se']:.3f} | " + " | ".join(cells) + " |")
    lines.append("| **mean, all 8 tasks** | | | | " + " | ".join(f"{mean(rows, name):.4f}" for name in LOSSES) + " |")
    lines.append("| mean without wsc | | | | " + " | ".join(f"{mean(rows, name, ('wsc',)):.4f}" for name in LOSSES) + " |")
    lines.append("| mean, final checkpoints only (4 points per fit) | | | | " + " | ".join(f"{mean(final_rows, name):.4f}" for name in LOSSES) + " |")
    lines.append("| same, without wsc | | | | " + " | ".join(f"{mean(final_rows, name, ('wsc',)):.4f}" for name in LOSSES) + " |")
    lines += ["", "Best of the three per cell (all checkpoints): " + ", ".join(f"{name} {count}" for name, count in wins.items()) + " of 24 (tie: two or more within 0.0005)."]
    final_bound = sorted({f"{task}/{name}" for (task, name), m in final_notes.items() if on_bound(m)})
    if final_bound:
        lines.append(f"Final-checkpoints-only fits with a parameter on its bound: {', '.join(final_bound)}.")
    table = "\n".join(lines) + "\n"
    record(table)


if __name__ == "__main__":
    main()
