"""`curve_inputs`: the per-row inputs of a schedule-aware law, from the rows of training curves and each
curve's learning-rate schedule.

A curve is a group of rows (one training run), ordered by step. Its schedule is a schedule module (given for
every curve, or per curve in a mapping), a plain function of the step, or a column of logged learning rates.
Every problem is a ValueError raised here, before anything is compiled.
"""

from collections.abc import Callable, Mapping, Sequence

import equinox as eqx
import numpy as np
import pandas as pd

from ._knots import KNOT_INPUTS, annealing_knots, pad_knots
from ._schedule import AbstractSchedule, FromArray


def curve_inputs(
    data,
    schedule,
    *,
    curve: str | Sequence[str] | None = None,
    key: str | None = None,
    step: str = "step",
    warmup: int = 0,
    n_knots: int = 32,
) -> pd.DataFrame:
    """A copy of `data` with the columns a schedule-aware law reads (`MultiPowerLaw`, `LRAnnealing`):
    `lr` (if absent), `lr_area` (the summed learning rate up to the row's step, warmup included) and the knot
    columns `lr_drop`, `lr_after`, `drop_area`, `drop_lag` (one array per row; see `js.schedules` for what
    they hold and where they are exact).

    Args:
        data: a DataFrame with a `step` column (integers >= 0), one row per logged step of each curve.
        schedule: a schedule (`js.schedules.WSD(...)`, ...) for every curve; a mapping from a curve's key (the
            value of `key`, else of `curve`) to its schedule; a function of an integer step array returning
            the learning rates; or the name of a column of learning rates logged at the rows (taken as linear
            between logged steps and constant before the first, with the first `warmup` steps as warmup).
        curve: the column(s) naming each curve (e.g. "run"); None: all rows are one curve.
        key: with a mapping `schedule`, the column whose value picks each curve's schedule (e.g. "schedule").
        step: the step column.
        warmup: warmup steps, for a schedule given as a function or a column (a schedule module has its own).
        n_knots: knots per row where a curve's learning rate changes at more steps than this.

    >>> import jaxscale as js
    >>> df = js.datasets.load("multipower")
    >>> x = js.schedules.curve_inputs(df, js.datasets.multipower_schedules(), curve="run", key="schedule")
    >>> x["lr_drop"].iloc[0].shape[0] >= 1, len(x) == len(df)
    (True, True)
    """
    if not isinstance(data, pd.DataFrame):
        if not isinstance(data, Mapping):
            raise TypeError(f"curve_inputs needs a DataFrame or a dict of columns, got {type(data).__name__}.")
        data = pd.DataFrame(data)
    if len(data) == 0:
        raise ValueError("the data is empty (0 rows).")
    if not (isinstance(n_knots, (int, np.integer)) and n_knots >= 2):
        raise ValueError(f"n_knots must be an integer >= 2, got {n_knots!r}.")
    steps = _steps(data, step)
    columns = [] if curve is None else ([curve] if isinstance(curve, str) else list(curve))
    for column in columns + ([key] if key else []):
        if column not in data.columns:
            raise ValueError(f"column '{column}' is not in the data; its columns are {list(data.columns)}.")
    if isinstance(schedule, str):
        _check_lr_column(data, schedule)
    groups = data.groupby(columns, sort=True).indices if columns else {None: np.arange(len(data))}
    parts = {}
    for curve_key, rows in groups.items():
        rows = np.asarray(rows)
        name = curve_key[0] if isinstance(curve_key, tuple) and len(curve_key) == 1 else curve_key
        _check_curve_steps(steps[rows], name, curve, step)
        lr, anneal_from = _curve_learning_rates(data, rows, steps[rows], schedule, name, key, warmup)
        parts[name] = (rows, lr[steps[rows]], annealing_knots(lr, steps[rows], anneal_from, n_knots))
    width = max(part[2]["lr_drop"].shape[1] for part in parts.values())
    n = len(data)
    area, lr_at_row = np.empty(n), np.empty(n)
    knots = {name: np.empty((n, width)) for name in KNOT_INPUTS}
    for rows, lr_rows, found in parts.values():
        area[rows], lr_at_row[rows] = found["lr_area"], lr_rows
        for name, values in pad_knots({k: found[k] for k in KNOT_INPUTS}, width).items():
            knots[name][rows] = values
    out = data.copy()
    if "lr" not in out.columns:
        out["lr"] = lr_at_row
    out["lr_area"] = area
    for name, values in knots.items():
        out[name] = pd.Series(list(values), index=out.index, dtype=object)
    return out


def schedule_inputs(schedule: AbstractSchedule, steps, n_knots: int = 32) -> dict[str, np.ndarray]:
    """The law inputs at `steps` of one schedule, as arrays (no DataFrame): `lr_area` (rows,) and the knots
    (rows, knots).

    >>> import jaxscale as js
    >>> x = js.schedules.schedule_inputs(js.schedules.Constant(peak=3e-4, total=100), [10, 99])
    >>> [round(float(v), 6) for v in x["lr_area"]]
    [0.0033, 0.03]
    """
    steps = np.asarray(steps)
    if steps.ndim != 1 or len(steps) == 0 or not np.all(steps == np.round(steps)) or np.any(steps < 0):
        raise ValueError(f"steps must be a non-empty 1-d array of whole numbers >= 0, got shape {steps.shape}.")
    _check_curve_steps(steps, None, None, "steps", min_rows=1)
    lr = _evaluate(schedule, int(steps.max()) + 1, None)
    return annealing_knots(lr, steps.astype(int), _anneal_from(schedule, 0), n_knots)


def _steps(data: pd.DataFrame, step: str) -> np.ndarray:
    if step not in data.columns:
        raise ValueError(f"step column '{step}' is missing; the data has columns {list(data.columns)}. Pass step='<your column>'.")
    values = pd.to_numeric(data[step], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values != np.round(values)))
    if len(bad):
        raise ValueError(f"step column '{step}' has {len(bad)} rows that are not whole numbers >= 0 (e.g. row {bad[0]}).")
    return values.astype(np.int64)


def _check_curve_steps(steps: np.ndarray, name, curve, step: str, min_rows: int = 2) -> None:
    where = "" if name is None else f" in curve {name!r} (curve={curve!r})"
    if len(steps) < min_rows:
        raise ValueError(f"only one row{where}: a training curve needs at least two steps. Drop it or add its other logged steps.")
    gaps = np.diff(steps)
    if np.any(gaps == 0):
        raise ValueError(f"step {int(steps[1:][gaps == 0][0])} appears twice{where}: each step may be logged once. Drop the duplicates.")
    if np.any(gaps < 0):
        raise ValueError(
            f"the steps{where} are not in increasing order (step {int(steps[1:][gaps < 0][0])} comes after a later one): "
            f"sort the rows, e.g. df.sort_values([<curve column>, '{step}'])."
        )


def _check_lr_column(data: pd.DataFrame, column: str) -> None:
    if column not in data.columns:
        raise ValueError(f"learning-rate column '{column}' is missing; the data has columns {list(data.columns)}.")
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    missing = np.flatnonzero(~np.isfinite(values))
    if len(missing):
        raise ValueError(
            f"learning-rate column '{column}' has no value (NaN, inf or not a number) in {len(missing)} rows (e.g. row "
            f"{missing[0]}): every row needs its schedule's learning rate. Fill them or pass the schedule as a js.schedules module."
        )
    _check_lr(values, f"column '{column}'")


def _check_lr(values: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} gives NaN or inf learning rates at {int(np.sum(~np.isfinite(values)))} steps.")
    if np.any(values < 0):
        raise ValueError(f"{what} gives negative learning rates at {int(np.sum(values < 0))} steps (e.g. {values[values < 0][0]:.3g}).")


def _curve_learning_rates(data, rows, steps, schedule, name, key, warmup) -> tuple[np.ndarray, int]:
    """The learning rate at every step 0 .. last step of one curve, and the first step whose drop counts."""
    n_steps = int(steps[-1]) + 1
    if isinstance(schedule, str):
        logged = data[schedule].to_numpy(dtype=float)[rows]
        return np.interp(np.arange(n_steps), steps, logged), int(warmup)
    if isinstance(schedule, Mapping):
        lookup = name if key is None else data[key].iloc[rows[0]]
        if key is not None and data[key].iloc[rows].nunique() > 1:
            raise ValueError(f"curve {name!r} has more than one value of '{key}': one curve runs one schedule.")
        if lookup not in schedule:
            raise ValueError(f"no schedule for {lookup!r} in the mapping (it has {sorted(map(str, schedule))[:10]}): add one.")
        schedule = schedule[lookup]
    return _evaluate(schedule, n_steps, name), _anneal_from(schedule, warmup)


@eqx.filter_jit
def _learning_rates(schedule, steps):
    return schedule(steps)


def _anneal_from(schedule, warmup: int) -> int:
    return schedule.warmup if isinstance(schedule, AbstractSchedule) else int(warmup)


def _evaluate(schedule, n_steps: int, name) -> np.ndarray:
    where = "" if name is None else f" for curve {name!r}"
    if isinstance(schedule, AbstractSchedule):
        if not isinstance(schedule, FromArray) and n_steps > schedule.total + 1:
            raise ValueError(f"the rows{where} reach step {n_steps - 1} but the schedule has only {schedule.total} steps: lengthen its `total`.")
        if isinstance(schedule, FromArray) and n_steps > schedule.total:
            raise ValueError(f"the rows{where} reach step {n_steps - 1} but the array schedule has {schedule.total} steps.")
    elif not isinstance(schedule, Callable):
        raise TypeError(f"schedule{where} must be a js.schedules module, a function of the step, a mapping or a column name; got {type(schedule).__name__}.")
    try:
        if isinstance(schedule, AbstractSchedule):  # compiled once per kind of schedule and bucket of lengths
            bucket = -(-n_steps // 16384) * 16384
            lr = np.asarray(_learning_rates(schedule, np.arange(bucket)), dtype=float)[:n_steps]
        else:
            lr = np.asarray(schedule(np.arange(n_steps)), dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"the schedule{where} failed on the steps 0 .. {n_steps - 1}: {error}") from None
    if lr.shape != (n_steps,):
        raise ValueError(
            f"the schedule{where} returned shape {lr.shape} for {n_steps} steps: it must return one learning rate per step, shape ({n_steps},)."
        )
    _check_lr(lr, f"the schedule{where}")
    return lr
