"""What `observational_scaling` returns: each model's prediction of the target benchmark by each method, with
bootstrap intervals, and the fitted capability factors, link and family compute efficiencies."""

import equinox as eqx
import numpy as np
import pandas as pd

METHODS = ("factors", "log_compute", "family_compute")
_METHOD_WORDS = {
    "factors": "sigmoid of the capability factors (Ruan et al.)",
    "log_compute": "sigmoid of log compute alone (baseline)",
    "family_compute": "factors predicted from log compute + family offset, then the same sigmoid",
}


class ObservationalResult(eqx.Module):
    """The outcome of `observational_scaling` for one target benchmark.

    `predictions`: one row per model x method (`METHODS`: "factors", the observational law; "log_compute", the
    baseline; "family_compute", the factors the family's compute efficiency predicts from compute alone) with the
    model's `model`, `family`, `compute`, `split` ("train" or "heldout"), `actual` (NaN where the model has no
    score), `prediction` (the point fit), `lo` and `hi` (the `level` bootstrap prediction interval: the
    resample's fit plus a resampled training residual), `mean_lo` and `mean_hi` (the interval of the fitted curve
    alone), `abs_error` and `covered`. `loadings` (benchmark x factor) and `explained` (each factor's share of the
    training variance), `link` (the point fit's parameters per method), `efficiency` (per family: offset of each
    factor and `log_compute_gain`, the first factor's offset in units of log compute), `n_bootstrap`, `n_failed`
    (resamples whose fit was not finite, left out) and `seconds` (wall time, compiling included).
    """

    target: str
    cutoff: float
    level: float
    n_factors: int
    predictions: pd.DataFrame
    loadings: pd.DataFrame
    explained: np.ndarray
    link: pd.DataFrame
    efficiency: pd.DataFrame
    n_bootstrap: int
    n_failed: int
    seconds: float

    def to_frame(self) -> pd.DataFrame:
        """One row per model x method (see the class docstring for the columns)."""
        return self.predictions.copy()

    def summary(self) -> pd.DataFrame:
        """Per method, on the held-out models with a score: their number, the mean absolute error, the share of
        `level` intervals that cover the actual score and the intervals' median width; and the training fit's
        root-mean-square residual."""
        scored = self.predictions[self.predictions["actual"].notna()]
        held = scored[scored["split"] == "heldout"]
        train = scored[scored["split"] == "train"]
        table = held.groupby("method", sort=False).agg(
            n_heldout=("abs_error", "size"), mae=("abs_error", "mean"), coverage=("covered", "mean"),
            median_width=("width", "median"),
        )
        table["train_rmse"] = train.groupby("method", sort=False)["abs_error"].apply(lambda e: float(np.sqrt(np.mean(e**2))))
        table["nominal"] = self.level
        return table.reindex([m for m in METHODS if m in table.index])

    def __repr__(self) -> str:
        lines = [
            f"ObservationalResult(target '{self.target}': trained on {int((self.predictions['split'] == 'train').sum() // len(METHODS))} models "
            f"with compute <= {self.cutoff:.3g}, {self.n_factors} capability factor(s) explaining {float(np.sum(self.explained)):.0%} of the "
            f"benchmark variance; {self.n_bootstrap} bootstrap resamples over models, {self.n_failed} failed):"
        ]
        for method, row in self.summary().iterrows():
            lines.append(f"  {method} ({_METHOD_WORDS[method]}): held-out MAE {row['mae']:.4f} on {int(row['n_heldout'])} models, "
                         f"{self.level:.0%} intervals cover {row['coverage']:.0%}")
        return "\n".join(lines)
