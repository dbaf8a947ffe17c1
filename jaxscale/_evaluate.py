"""`evaluate`: fit on part of the data (small scale), predict the rest (large scale), report the error."""

from collections.abc import Mapping

import equinox as eqx
import numpy as np
import pandas as pd

from ._fit import fit
from ._fit_result import FitResult, GroupedFitResult
from ._groups import by_columns, group_key


class Extrapolation(eqx.Module):
    """The outcome of `evaluate`: the fits to the training rows and their errors on the held-out rows.

    `fits` is a `FitResult` (or a `GroupedFitResult` with `by`); `predictions` the held-out rows with a
    `prediction` column; `to_frame()` the errors per group; `summary()` their median and mean over groups.
    Errors: `are` is the mean absolute relative error |prediction - y| / |y| (the metric of Choshen et al.
    2024, "A Hitchhiker's Guide to Scaling Law Estimation"), `rmse` the root mean squared error of the
    predictions, `rmse_log` that of their logarithms (where the targets are positive).
    """

    fits: FitResult | GroupedFitResult
    predictions: pd.DataFrame
    target: str
    by: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per group: `n_train`, `n_test`, `are`, `rmse`, `rmse_log`."""
        rows = self.predictions.assign(
            _abs_rel=lambda f: np.abs(f["prediction"] - f[self.target]) / np.abs(f[self.target]),
            _sq=lambda f: (f["prediction"] - f[self.target]) ** 2,
            _sq_log=lambda f: (np.log(f["prediction"].where(f["prediction"] > 0)) - np.log(f[self.target].where(f[self.target] > 0))) ** 2,
        )
        keys = list(self.by) if self.by else (lambda _: 0)
        frame = rows.groupby(keys, sort=True).agg(
            n_test=("prediction", "size"), are=("_abs_rel", "mean"), rmse=("_sq", "mean"), rmse_log=("_sq_log", "mean")
        )
        frame["rmse"], frame["rmse_log"] = np.sqrt(frame["rmse"]), np.sqrt(frame["rmse_log"])
        n_train = self._n_train()
        frame.insert(0, "n_train", [n_train.get(k, 0) for k in frame.index])
        return frame.reset_index(drop=not self.by)

    def summary(self) -> pd.DataFrame:
        """Median and mean over groups of `are`, `rmse` and `rmse_log`."""
        return self.to_frame()[["are", "rmse", "rmse_log"]].agg(["median", "mean"])

    def _n_train(self) -> dict:
        if isinstance(self.fits, GroupedFitResult):
            used = np.asarray(self.fits.dataset.weights) > 0
            return {k: int(np.sum(used[rows])) for k, rows in zip(self.fits.keys, self.fits.group_rows)}
        return {0: int(np.sum(np.asarray(self.fits.dataset.weights) > 0))}

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"Extrapolation({len(self.to_frame())} group(s), {len(self.predictions)} held-out rows: "
            f"ARE median {s.loc['median', 'are']:.4g} mean {s.loc['mean', 'are']:.4g}; "
            f"RMSE median {s.loc['median', 'rmse']:.4g} mean {s.loc['mean', 'rmse']:.4g})"
        )


def evaluate(law, data, *, train=None, below: Mapping[str, float] | None = None, by=None, target: str = "loss", **fit_options) -> Extrapolation:
    """Fits `law` on the training rows of `data` and scores its predictions on the others.

    Say which rows train with exactly one of:
        train: a boolean mask (array) or the name of a column whose non-zero rows train (e.g. "training");
        below: {column: threshold}: rows with every such column below its threshold train, e.g.
            `below={"C": 1e21}` fits on the small-compute runs and extrapolates to the large ones.

    Args:
        law, target, **fit_options: as for `fit` (`loss`, `starts`, `n_refine`, `inputs`, ...).
        by: fit and score each group separately (all groups in one compiled program).

    >>> import jaxscale as js
    >>> df = js.datasets.load("chinchilla", subset="epoch")
    >>> result = js.evaluate(js.Chinchilla, df, below={"C": 1e21})
    >>> bool(result.summary().loc["mean", "are"] < 0.05)
    True
    """
    frame = pd.DataFrame(data)
    mask = _training_mask(frame, train, below)
    by = by_columns(frame, by)
    if by:
        trained = {group_key(k, by) for k in frame[mask].groupby(list(by)).indices}
        unfit = [k for k in frame[~mask].groupby(list(by)).indices if group_key(k, by) not in trained]
        if unfit:
            raise ValueError(
                f"{len(unfit)} group(s) have held-out rows but no training rows, e.g. {group_key(unfit[0], by)!r}: "
                f"drop them or move some of their rows into training."
            )
    if "shared" in fit_options:
        raise ValueError("evaluate scores separate fits per group; shared= (one joint fit) is not supported here: drop it.")
    fits = fit(law, frame[mask], target=target, by=by or None, **fit_options)
    held_out = frame[~mask]
    predictions = held_out.assign(prediction=fits.predict(held_out, fit_options.get("inputs")))
    return Extrapolation(fits, predictions, target, by)


def _training_mask(frame: pd.DataFrame, train, below) -> np.ndarray:
    if (train is None) == (below is None):
        raise ValueError("say which rows to fit on with exactly one of train= (a mask or column) or below= ({column: threshold}).")
    if below is not None:
        mask = np.ones(len(frame), bool)
        for column, threshold in below.items():
            if column not in frame.columns:
                raise ValueError(f"below names column '{column}', which is not in the data; its columns are {list(frame.columns)}.")
            mask &= frame[column].to_numpy() < threshold
    elif isinstance(train, str):
        if train not in frame.columns:
            raise ValueError(f"train names column '{train}', which is not in the data; its columns are {list(frame.columns)}.")
        mask = frame[train].to_numpy() != 0
    else:
        mask = np.asarray(train, dtype=bool)
        if mask.shape != (len(frame),):
            raise ValueError(f"the train mask has shape {mask.shape} but the data has {len(frame)} rows.")
    if not mask.any():
        raise ValueError("no training rows: the mask or threshold selects none.")
    if mask.all():
        raise ValueError("no held-out rows: every row trains, so there is nothing to extrapolate to.")
    return mask
