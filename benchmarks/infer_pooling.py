"""Does pooling pay? Hierarchical against independent posteriors on Gadre et al. 2024's three corpora.

Data: js.datasets.load("gadre_overtraining"), C4 validation loss of models trained on C4, RedPajama and
RefinedWeb. Fit on the 31-32 models of 10.6M-411.6M parameters per corpus (token multipliers M = 5-640); predict
the 9 held-out models (per corpus 1.4B at M = 20, one over-trained 1.4B run and 6.9B at M = 20), the paper's own
extrapolation targets. Law: `js.laws.Overtraining` (Gadre et al.'s Eq. 4), Student-t likelihood on log loss.

- independent: one `js.infer` per corpus (every parameter and the noise scale its own);
- hierarchical: one `js.infer(..., by="corpus", pooled=[...])`, the rest independent.

All NUTS runs: 4 chains x (1,000 warm-up + 1,000 draws), target_accept 0.95, seed 0. Reports the posterior
median's error at the held-out models and whether their 90% posterior predictive interval (observation noise
included) contains the measured loss. Point fits per corpus (`js.fit(..., by="corpus")`, default LogHuber)
are shown for reference. Appends the table to benchmarks/README.md. Run: python benchmarks/infer_pooling.py
"""

import datetime
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd

import jaxscale as js

sys.path.insert(0, os.path.dirname(__file__))
from _record import record  # noqa: E402

LAW = js.laws.Overtraining
SETTINGS = dict(likelihood="student_t", n_warmup=1000, n_samples=1000, target_accept=0.95, seed=0)


def score(band: pd.DataFrame, held_out: pd.DataFrame) -> dict:
    loss = held_out["loss"].to_numpy()
    error = 100 * np.abs(band["q0.5"].to_numpy() / loss - 1)
    inside = (band["q0.05"].to_numpy() <= loss) & (loss <= band["q0.95"].to_numpy())
    width = 100 * np.mean(band["q0.95"].to_numpy() / band["q0.05"].to_numpy() - 1)
    return {"mean |error| (%)": error.mean(), "max |error| (%)": error.max(), "inside 90% interval": f"{inside.sum()} / {len(inside)}",
            "mean interval width (%)": width, "errors (%)": " ".join(f"{e:.1f}" for e in error)}


def diagnostics(posteriors) -> str:
    r_hat = max(float(p.summary()["r_hat"].max()) for p in posteriors)
    return f"max r_hat {r_hat:.3f}, {sum(p.divergences for p in posteriors)} divergences"


def main() -> None:
    data = js.datasets.load("gadre_overtraining")
    train, held_out = data[data["N"] < 1e9], data[data["N"] > 1e9].reset_index(drop=True)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)  # convergence is reported in the table instead
        began = time.perf_counter()
        points = js.fit(LAW, train, by="corpus")
        rows.append(("point fits per corpus (LogHuber)", time.perf_counter() - began, score(pd.DataFrame({"q0.5": points.predict(held_out), "q0.05": np.nan, "q0.95": np.nan}), held_out), "-"))

        began = time.perf_counter()
        separate = {corpus: js.infer(LAW, group, **SETTINGS) for corpus, group in train.groupby("corpus")}
        band = pd.concat([separate[c].predict(held_out[held_out["corpus"] == c], include_noise=True) for c in separate], ignore_index=True)
        order = np.concatenate([np.flatnonzero(held_out["corpus"] == c) for c in separate])
        rows.append(("independent: one js.infer per corpus", time.perf_counter() - began, score(band, held_out.iloc[order]), diagnostics(separate.values())))

        for pooled in (["E", "a", "b", "eta"], ["eta"]):
            independent = [n for n in LAW.parameter_names() if n not in pooled]
            began = time.perf_counter()
            post = js.infer(LAW, train, by="corpus", pooled=pooled, independent=independent, **SETTINGS)
            label = f"hierarchical: pooled={pooled}" + (f", independent={independent}" if independent else "")
            rows.append((label, time.perf_counter() - began, score(post.predict(held_out, include_noise=True), held_out), diagnostics([post])))

    lines = [
        f"### Pooling pays? Gadre et al. 2024, 3 corpora, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), jaxscale {js.__version__}",
        "",
        "Fit on 95 models of 10.6M-411.6M parameters, predict 9 held-out models of 1.4B-6.9B (C4 validation loss); "
        "Overtraining law, Student-t likelihood, 4 x (1,000 + 1,000) draws. Errors are in held-out order "
        "(per corpus c4, rpj, rw: 1.4B M=20, 1.4B over-trained, 6.9B M=20).",
        "",
        "| method | mean abs. error (%) | max abs. error (%) | held-out inside 90% interval | mean 90% width (%) | errors (%) | diagnostics | time (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, seconds, s, diag in rows:
        width = "-" if np.isnan(s["mean interval width (%)"]) else f"{s['mean interval width (%)']:.1f}"
        inside = "-" if width == "-" else s["inside 90% interval"]
        lines.append(f"| {label} | {s['mean |error| (%)']:.2f} | {s['max |error| (%)']:.2f} | {inside} | {width} | {s['errors (%)']} | {diag} | {seconds:.1f} |")
    record("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
