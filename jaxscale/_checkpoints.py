"""Smoothing a run's checkpoints the way published downstream protocols do: skip the first part of each run,
take a trailing moving average, and summarise a run by the mean of its last k checkpoints."""

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd


def moving_average(values, window: int) -> np.ndarray:
    """Trailing mean over `window` points; the first window - 1 points are the mean of all points so far (an
    expanding mean), so the output has as many points as the input (as the OLMo ladder's code smooths).

    >>> from jaxscale._checkpoints import moving_average
    >>> moving_average([1.0, 2.0, 3.0, 4.0], 2).tolist()
    [1.0, 1.5, 2.5, 3.5]
    """
    window = _check_count(window, "window")
    x = np.asarray(values, dtype=float)
    cumulative = np.concatenate([[0.0], np.cumsum(x)])
    upper = np.arange(1, len(x) + 1)
    lower = np.maximum(upper - window, 0)
    return (cumulative[upper] - cumulative[lower]) / (upper - lower)


def smooth_checkpoints(
    data: pd.DataFrame, columns: str | Sequence[str], *, run: str = "run", order: str | None = "step",
    skip_fraction: float = 0.0, window: int = 1,
) -> pd.DataFrame:
    """Each run's checkpoints (rows of `data` with the same `run`, sorted by `order`) with the first
    ceil(skip_fraction * n) of its n rows dropped and every column of `columns` replaced by its trailing
    `moving_average` over `window` rows. Other columns are kept as they are.

    The OLMo ladder's step 2 (Bhagia et al. 2024) is `skip_fraction=0.1, window=5` over the task loss and
    the accuracy. Raises ValueError (before anything is fitted) if a run would be left with no rows.

    >>> import pandas as pd
    >>> from jaxscale._checkpoints import smooth_checkpoints
    >>> df = pd.DataFrame({"run": ["a"] * 4, "step": [1, 2, 3, 4], "acc": [0.1, 0.2, 0.3, 0.4]})
    >>> smooth_checkpoints(df, "acc", skip_fraction=0.25, window=2)["acc"].round(3).tolist()
    [0.2, 0.25, 0.35]
    """
    columns = _check_frame(data, columns, run, order)
    if not (isinstance(skip_fraction, (int, float)) and 0.0 <= skip_fraction <= 1.0):
        raise ValueError(f"skip_fraction must be a number in [0, 1] (the share of each run's first checkpoints to drop), got {skip_fraction!r}.")
    window = _check_count(window, "window")
    parts = []
    for name, rows in _runs(data, run, order):
        kept = rows.iloc[math.ceil(skip_fraction * len(rows) - 1e-12):].copy()
        if not len(kept):
            raise ValueError(
                f"smoothing leaves run {name!r} with no checkpoints: it has {len(rows)} and skip_fraction={skip_fraction} "
                f"drops ceil({skip_fraction} * {len(rows)}) = {math.ceil(skip_fraction * len(rows))} of them; lower skip_fraction "
                f"or drop the run."
            )
        for column in columns:
            kept[column] = moving_average(kept[column].to_numpy(float), window)
        parts.append(kept)
    return pd.concat(parts).reset_index(drop=True)


def final_checkpoints(
    data: pd.DataFrame, columns: str | Sequence[str], *, run: str = "run", order: str | None = "step", last: int = 1,
) -> pd.DataFrame:
    """One row per run: its last checkpoint (by `order`), with each column of `columns` replaced by its mean
    over the run's last `last` checkpoints (all of them if it has fewer). The OLMo ladder's step 1 uses
    `last=5` for every run's task loss.

    >>> import pandas as pd
    >>> from jaxscale._checkpoints import final_checkpoints
    >>> df = pd.DataFrame({"run": ["a", "a", "a", "b"], "step": [1, 2, 3, 1], "bpb": [3.0, 2.0, 1.0, 5.0]})
    >>> final_checkpoints(df, "bpb", last=2)[["run", "step", "bpb"]].values.tolist()
    [['a', 3, 1.5], ['b', 1, 5.0]]
    """
    columns = _check_frame(data, columns, run, order)
    last = _check_count(last, "last")
    rows_out = []
    for _, rows in _runs(data, run, order):
        row = rows.iloc[-1].copy()
        for column in columns:
            row[column] = float(rows[column].iloc[-last:].astype(float).mean())
        rows_out.append(row)
    return pd.DataFrame(rows_out).reset_index(drop=True)


def _runs(data: pd.DataFrame, run: str, order: str | None):
    for name, rows in data.groupby(run, sort=False):
        yield name, rows if order is None else rows.sort_values(order, kind="stable", na_position="last")


def _check_frame(data, columns, run: str, order: str | None) -> list[str]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame of checkpoints, got {type(data).__name__}.")
    columns = [columns] if isinstance(columns, str) else list(columns)
    for role, name in [("run", run)] + ([("order", order)] if order is not None else []) + [("columns", c) for c in columns]:
        if name not in data.columns:
            raise ValueError(f"{role}: column {name!r} is not in the data (columns: {list(data.columns)}).")
    for column in columns:
        values = pd.to_numeric(data[column], errors="coerce")
        bad = int((~np.isfinite(values.to_numpy(float))).sum())
        if bad:
            raise ValueError(f"column {column!r} has {bad} non-numeric, NaN or infinite rows; drop or fill them before smoothing.")
    if data[run].isna().any():
        raise ValueError(f"column {run!r} (the run of each checkpoint) has {int(data[run].isna().sum())} missing values.")
    return columns


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    return int(value)
