"""`evaluate`: fit on part of the data (small scale), predict the rest (large scale), report the error."""

from collections.abc import Mapping

import equinox as eqx
import numpy as np
import pandas as pd

from ._backtest import extrapolate, read_axis
from ._dataset import check_seed, is_count
from ._extrapolation import FAR, announce_far
from ._fit import fit
from ._fit_result import FitResult, GroupedFitResult
from ._groups import by_columns, group_key, groups_of
from .intervals import check_level, resolve_methods
from .laws import resolve


class Extrapolation(eqx.Module):
    """The outcome of `evaluate`: the fits to the training rows and their errors on the held-out rows.

    `fits` is a `FitResult` (or a `GroupedFitResult` with `by`); `predictions` the held-out rows with a
    `prediction` column and how far each reaches beyond its group's training rows (`reach`, `reach_<input>`:
    the ratio to the largest trained value; see `evaluate`); `to_frame()` the errors per group (and `reach`,
    the farthest held-out row); `summary()` their median and mean over groups.
    Errors: `are` is the mean absolute relative error |prediction - y| / |y| (the metric of Choshen et al.
    2024, "A Hitchhiker's Guide to Scaling Law Estimation"), `rmse` the root mean squared error of the
    predictions, `rmse_log` that of their logarithms (where the targets are positive).
    """

    fits: FitResult | GroupedFitResult
    predictions: pd.DataFrame
    target: str
    by: tuple[str, ...]
    methods: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per group: `n_train`, `n_test`, `are`, `rmse`, `rmse_log` and `reach` (the largest over the
        group's held-out rows; NaN where no input was measured)."""
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
        if "reach" in rows:
            frame["reach"] = rows.groupby(keys, sort=True)["reach"].max()
        for method in self.methods:  # the share of held-out rows each interval method covers
            frame[f"coverage_{method}"] = rows.groupby(keys, sort=True)[f"covered_{method}"].mean()
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


def evaluate(
    law, data, *, train=None, below: Mapping[str, float] | None = None, by=None, target: str = "loss",
    intervals=None, axis: str | None = None, level: float = 0.9, n_resamples: int = 1000, seed: int = 0, **fit_options,
) -> Extrapolation:
    """Fits `law` on the training rows of `data` and scores its predictions on the others.

    Say which rows train with exactly one of:
        train: a boolean mask (array) or the name of a column whose non-zero rows train (e.g. "training");
        below: {column: threshold}: rows with every such column below its threshold train, e.g.
            `below={"C": 1e21}` fits on the small-compute runs and extrapolates to the large ones.

    Args:
        law, target, **fit_options: as for `fit` (`loss`, `starts`, `n_refine`, `inputs`, ...).
        by: fit and score each group separately (all groups in one compiled program).
        intervals: interval methods (names or `js.intervals` instances, as for `js.backtest`), e.g.
            "plateau_band": adds `lo_<method>`, `hi_<method>`, `covered_<method>` to `predictions` and
            `coverage_<method>` to `to_frame()`. Rolling-origin methods calibrate on prefixes of the training
            rows in order of `axis` (default: the one column of `below`).
        axis, level, n_resamples, seed: the axis the distances are ratios of, the nominal coverage, and the
            bootstrap refits (for "bootstrap").

    How far each held-out row extrapolates is measured against the training rows of its own group (of all
    training rows without `by`): `predictions` gains `reach_<input>`, the row's value of each law input over
    the largest trained value of it (inputs positive throughout the group's training rows: N, D, C, x, ...;
    1 or less is inside the trained range), and `reach`, the largest of them; `to_frame()` gains `reach`, the
    farthest held-out row of each group. When any held-out row reaches beyond 10x, one `FitWarning` says so
    (naming the farthest group), since a score that far out says more about the law's form than about the data.

    >>> import jaxscale as js
    >>> df = js.datasets.load("chinchilla", subset="epoch")
    >>> result = js.evaluate(js.Chinchilla, df, below={"C": 1e21})
    >>> bool(result.summary().loc["mean", "are"] < 0.05)
    True
    >>> bool(1 < result.to_frame()["reach"].iloc[0] < 10)  # the held-out runs reach a few times the trained N or D
    True
    """
    frame = pd.DataFrame(data)
    mask = _training_mask(frame, train, below)
    by = by_columns(frame, by)
    level = check_level(level)
    if not is_count(n_resamples):
        raise ValueError(f"n_resamples (the bootstrap refits of intervals='bootstrap') must be a positive integer, got {n_resamples!r}.")
    check_seed(seed)
    _check_held_out_target(frame, mask, target)
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
    methods = () if intervals is None else resolve_methods(intervals)
    if methods:
        if axis is None:
            if below is None or len(below) != 1:
                raise ValueError("intervals= needs axis=<column> (the axis distances are measured along), unless below= names one column.")
            axis = next(iter(below))
    fits = fit(law, frame[mask], target=target, by=by or None, **fit_options)
    held_out = frame[~mask]
    # evaluate announces its own reach, once, below
    predictions = held_out.assign(prediction=fits.predict(held_out, fit_options.get("inputs"), announce_reach=False))
    predictions = _with_reach(fits, held_out, by, fit_options.get("inputs"), predictions)
    if methods:
        predictions = _with_intervals(law, frame, mask, by, axis, methods, level, n_resamples, seed, target, fit_options, predictions)
    return Extrapolation(fits, predictions, target, by, tuple(m.name for m in methods))


def _with_intervals(law, frame, mask, by, axis, methods, level, n_resamples, seed, target, fit_options, predictions) -> pd.DataFrame:
    """`predictions` with each method's interval at every held-out row (one case per group)."""
    frame = frame.reset_index(drop=True)
    axis_values = read_axis(frame, axis)
    keys, group_rows = groups_of(frame, by) if by else ([None], [np.arange(len(frame))])
    cases = []
    for rows in group_rows:
        train, held = rows[mask[rows]], rows[~mask[rows]]
        if len(held):
            cases.append({"train": train[np.argsort(axis_values[train], kind="stable")], "targets": held, "_row": held})
    inputs = fit_options.pop("inputs", None)
    found = extrapolate(resolve(law), frame, cases, axis_values, methods, level, n_resamples, seed, target, inputs, fit_options)
    position = {row: i for i, row in enumerate(np.flatnonzero(~mask))}
    out = predictions.copy()
    for method in methods:
        part = found[found["method"] == method.name]
        order = np.array([position[r] for r in part["_row"]])
        for column in ("lo", "hi", "covered"):
            values = np.empty(len(out), dtype=part[column].dtype)
            values[order] = part[column].to_numpy()
            out[f"{column}_{method.name}"] = values
    return out


def _with_reach(fits, held_out: pd.DataFrame, by, inputs, predictions) -> pd.DataFrame:
    """`predictions` with `reach_<input>` and `reach` (the fit's `reach`: each held-out row against the rows
    its own group was fitted to), and one warning, naming evaluate, when any row reaches beyond `FAR`."""
    reached = fits.reach(held_out, inputs).reset_index(drop=True)
    if len(reached) != len(held_out):  # no input measurable (none positive throughout): reach has no rows
        reached = pd.DataFrame({"reach": np.full(len(held_out), np.nan)})
    far = reached["reach"].to_numpy() > FAR
    if far.any():
        what = "evaluate"
        if by:
            groups = held_out[list(by)].reset_index(drop=True)
            worst = group_key(tuple(groups.iloc[int(np.nanargmax(reached["reach"].to_numpy()))].tolist()), by)
            n_far = len(groups[far].drop_duplicates())
            what = f"evaluate (group {worst!r}" + (f" and {n_far - 1} more group(s))" if n_far > 1 else ")")
        announce_far(reached, what)
    out = predictions.copy()
    for column in reached.columns:
        out[column] = reached[column].to_numpy()
    return out


def _check_held_out_target(frame: pd.DataFrame, mask: np.ndarray, target) -> None:
    """The held-out rows are scored against `target`: a NaN there would make every error NaN (the training
    rows are checked by `fit`). A missing column is left to `fit`, which names it."""
    if not isinstance(target, str) or target not in frame.columns:
        return
    held = frame[target][~mask]
    values = pd.to_numeric(held, errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"target column '{target}' has {int(bad.sum())} held-out rows with NaN, inf or no number (e.g. row {held.index[np.argmax(bad)]!r}): "
            f"they could not be scored; drop them or fill them in."
        )


def _training_mask(frame: pd.DataFrame, train, below) -> np.ndarray:
    if (train is None) == (below is None):
        raise ValueError("say which rows to fit on with exactly one of train= (a mask or column) or below= ({column: threshold}).")
    if below is not None:
        if not isinstance(below, Mapping) or not below:
            raise TypeError(f"below must be a non-empty dict {{column: threshold}}, e.g. {{'C': 1e21}}; got {below!r}.")
        mask = np.ones(len(frame), bool)
        for column, threshold in below.items():
            if column not in frame.columns:
                raise ValueError(f"below names column '{column}', which is not in the data; its columns are {list(frame.columns)}.")
            if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, (int, float, np.integer, np.floating)) or np.isnan(threshold):
                raise ValueError(f"below={{{column!r}: {threshold!r}}}: the threshold must be a number (not NaN), e.g. below={{{column!r}: 1e21}}.")
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
            bad = int(np.sum(np.isnan(values)))
            if bad:
                raise ValueError(f"below compares column '{column}', which has {bad} NaN (or non-numeric) rows; drop or fill them first.")
            mask &= values < threshold
        named = "below="
    elif isinstance(train, str):
        if train not in frame.columns:
            raise ValueError(f"train names column '{train}', which is not in the data; its columns are {list(frame.columns)}.")
        values = frame[train]
        bad = int(values.isna().sum())
        if bad:
            raise ValueError(f"train names column '{train}', which has {bad} NaN rows: mark every row as training (non-zero) or not (0).")
        mask = values.to_numpy() != 0
        named = f"train={train!r}"
    else:
        mask = _mask_array(frame, train)
        named = "train="
    if not mask.any():
        raise ValueError(f"no training rows: {named} selects none.")
    if mask.all():
        raise ValueError(f"{named} selects every row: no held-out rows, so there is nothing to extrapolate to.")
    return mask


def _mask_array(frame: pd.DataFrame, train) -> np.ndarray:
    """A boolean mask given as an array (by position) or a Series (by index, aligned to the frame's)."""
    if isinstance(train, pd.Series):
        if not train.index.equals(frame.index):
            if not (train.index.is_unique and frame.index.is_unique and len(train) == len(frame) and train.index.isin(frame.index).all()):
                missing = frame.index.difference(train.index)
                raise ValueError(
                    f"the train Series' index does not match the data's index ({len(missing)} of the data's {len(frame)} row labels are "
                    f"not in it, e.g. {list(missing[:3])}): build the mask from the same frame, or pass train.to_numpy() to apply it by position."
                )
            train = train.reindex(frame.index)
        train = train.to_numpy()
    mask = np.asarray(train)
    if mask.shape != (len(frame),):
        raise ValueError(f"the train mask has shape {mask.shape} but the data has {len(frame)} rows.")
    if mask.dtype != bool:
        if mask.dtype.kind in "fc" or mask.dtype == object:
            bad = int(pd.isna(pd.Series(mask)).sum())
            if bad:
                raise ValueError(f"the train mask has {bad} NaN rows; it must be boolean (True = fit on this row), with no missing entries.")
        raise TypeError(f"train must be a boolean mask (True = fit on this row), got dtype {mask.dtype}; e.g. train=frame['x'] < 1e8, or mask.astype(bool).")
    return mask
