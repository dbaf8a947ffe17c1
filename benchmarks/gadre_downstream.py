"""Gadre et al. 2024 ("Language models scale reliably with over-training and on downstream tasks",
arXiv:2403.08540): their loss law and top-1 error law, chained, predict the average top-1 error over their
17-task subset of the 1.4B model at M = 640 and the 6.9B model at M = 20 (RedPajama), as their
repository's `scaling_explorer.ipynb` (commit 79adc26, scaling/shared.py `fit_ds`) does:

- loss law `Overtraining` (L = E + (a M^eta + b M^-eta) C^-eta; their Eq. 4), least squares, on 5 models:
  0.011B, 0.079B, 0.154B and 0.411B at M = 20, and 0.011B at M = 320;
- error law `GadreTopOneError` (Err = epsilon - k exp(-gamma L)), least squares on the observed C4 loss of
  those 5 and the 1.4B M = 20 model;
- prediction: the error law at the loss law's predicted loss.

Their notebook reports relative errors of 0.7103% (1.4B) and 0.7320% (6.9B) on the loss and 3.6365% and
0.0464% on the 17-task error. Appends the table to benchmarks/README.md. Run: python benchmarks/gadre_downstream.py
"""

import datetime
import os
import platform
import sys
import warnings

import jax
import pandas as pd

import jaxscale as js
from jaxscale._chain import ChainStep, chain
from jaxscale.datasets._gadre_downstream import load_gadre_downstream

sys.path.insert(0, os.path.dirname(__file__))
from _record import record  # noqa: E402

THEIRS = {("open_lm_1b", 640.0): (0.7103, 3.6365), ("open_lm_7b", 20.0): (0.7320, 0.0464)}
SMALL = ("d=96_l=8_h=4", "d=512_l=8_h=4", "d=576_l=24_h=8", "d=1024_l=24_h=8")


def points(corpus: str = "rpj"):
    data = load_gadre_downstream()
    data = data[data["corpus"] == corpus]
    loss_fit = data[(data["model"].isin(SMALL) & (data["M"] == 20)) | ((data["model"] == SMALL[0]) & (data["M"] == 320))]
    error_fit = pd.concat([loss_fit, data[(data["model"] == "open_lm_1b") & (data["M"] == 20)]])
    targets = pd.concat([data[(data["model"] == m) & (data["M"] == mult)] for m, mult in THEIRS])
    return loss_fit, error_fit, targets


def main():
    warnings.simplefilter("ignore", js.FitWarning)
    loss_fit, error_fit, targets = points()
    result = chain(ChainStep(js.laws.Overtraining, loss_fit, target="loss", loss=js.Squared()),
                   ChainStep(js.laws.GadreTopOneError, error_fit, target="err_subset", inputs={"L": "loss"}, loss=js.Squared()),
                   run="name", n_bootstrap=1000)
    band = result.predict(targets, level=0.9)
    lines = ["| target | actual loss | predicted loss | rel. error (theirs) | actual 17-task error | predicted | rel. error (theirs) | 90% interval | covers |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (model, mult), (loss_theirs, err_theirs), row, b in zip(THEIRS, THEIRS.values(), targets.itertuples(), band.itertuples()):
        loss_err = abs(b.intermediate - row.loss) / row.loss
        err_err = abs(b.prediction - row.err_subset) / row.err_subset
        lines.append(f"| {model} M={mult:.0f} | {row.loss:.4f} | {b.intermediate:.4f} | {100 * loss_err:.2f}% ({loss_theirs}%) | "
                     f"{row.err_subset:.4f} | {b.prediction:.4f} | {100 * err_err:.2f}% ({err_theirs}%) | [{b.lo:.4f}, {b.hi:.4f}] | "
                     f"{'yes' if b.lo <= row.err_subset <= b.hi else 'no'} |")
    stamp = f"{datetime.date.today()}, {platform.machine()}, jax {jax.__version__}, jaxscale {js.__version__}"
    record(
        f"\n## Gadre et al. 2024: loss law -> 17-task top-1 error, `benchmarks/gadre_downstream.py`\n\n{stamp}. RedPajama; fitted "
        f"as their repository's notebook does (5 models for the loss law, 6 for the error law, least squares); theirs in "
        f"brackets, from `scaling_explorer.ipynb` at commit 79adc26 of mlfoundations/scaling. Intervals: 90%, joint bootstrap "
        f"over the 6 fitted models (1,000 resamples; with 5-6 points for 3-4 parameters they are rough).\n\n" + "\n".join(lines) + "\n"
    )


if __name__ == "__main__":
    main()
