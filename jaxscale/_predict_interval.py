"""`predict_interval`: a law fitted to all the data, predicting new points with extrapolation intervals.

The intervals are those `backtest` scores (`js.intervals`), calibrated exactly as there: from the data's own
fits (bootstrap refits; fits to prefixes of the rows in order of the axis, predicting the later rows), never
from the new points, which need no observed target.
"""

import numpy as np
import pandas as pd

from ._backtest import extrapolate, free_parameters, read_axis, read_request
from ._dataset import read_inputs
from ._groups import by_columns, groups_of, key_tuple
from ._results import warn
from .laws import resolve
from .problems import AbstractAllocation


def predict_interval(
    law,
    data,
    at,
    *,
    axis: str,
    intervals="plateau_intersection",
    level: float = 0.9,
    by: str | list[str] | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    target: str = "loss",
    inputs=None,
    **fit_options,
) -> pd.DataFrame:
    """Fit `law` to all of `data` and predict the points `at`, each with an extrapolation interval per method.

    Each group's rows (all rows without `by`) are put in order of `axis` and fitted together; the interval
    methods are calibrated on that fit as `backtest` calibrates a case whose training rows are the whole
    group: "bootstrap" on refits to resamples of the rows, "rolling_origin", "plateau_envelope" and
    "plateau_intersection" on fits to prefixes of the rows that predict the later rows, "plateau_band" on the
    fit's late residuals. Nothing is calibrated on `at`.

    Args:
        law: a law as for `fit` (class, instance or registered name).
        data: a DataFrame with the law's inputs, `target`, `axis` (and the `by` columns).
        at: the points to predict: a DataFrame or dict of columns with the law's inputs and `axis` (and the
            `by` columns), or an `Allocation` from `allocate` (its N and D, and its `axis` column if it has one;
            `axis="C"` reads its training FLOPs).
        axis: the column that orders the rows and measures distance (x, N, D, C or step); positive.
        intervals: names or instances of `js.intervals` methods (as for `backtest`); by default
            "plateau_intersection", for PowerLaw on the Revisiting backtest the narrowest of the methods that
            covered at least 85% in both domains at nominal 90% (benchmarks/README.md).
        level: the nominal coverage of the intervals, strictly between 0 and 1.
        by: a column (or columns) whose groups are separate curves; each point of `at` is predicted by its group.
        n_resamples: bootstrap refits (for "bootstrap").
        seed: seeds the resampling (a non-negative integer).
        target, inputs, **fit_options: as for `fit` (`loss`, `n_refine`, `bounds`, `fixed`, ...).

    Returns:
        One row per row of `at`, in its order: its columns, `prediction`, `distance` (axis value over the
        group's last axis value in `data`; above 1 beyond the data) and `lo_<method>`, `hi_<method>` per method.

    >>> import warnings, jaxscale as js
    >>> df = js.datasets.load("revisiting")
    >>> curve = df[df["curve"] == "IC/inet_5/MiX/B/16"]
    >>> with warnings.catch_warnings():  # short prefixes do not pin every parameter down, and say so
    ...     warnings.simplefilter("ignore", js.FitWarning)
    ...     table = js.predict_interval(js.PowerLaw, curve, {"x": [2 * curve["x"].max()]}, axis="x")
    >>> row = table.iloc[0]
    >>> bool(row["lo_plateau_intersection"] <= row["prediction"] <= row["hi_plateau_intersection"]), float(row["distance"])
    (True, 2.0)
    """
    template = resolve(law)
    for bad in ("weights", "shared", "by_case", "cutoffs", "horizon"):
        if bad in fit_options:
            raise ValueError(f"predict_interval does not take {bad}=: it fits all of `data` (per group of `by`) once.")
    frame, axis_values, by, level, methods, seed = read_request(data, axis, by, intervals, level, n_resamples, seed)
    if target not in frame.columns:
        raise ValueError(f"target column '{target}' is missing from data; it has columns {list(frame.columns)}. Pass target=<column>.")
    points = _points(at, axis, by, template, inputs)
    try:
        point_axis = read_axis(points, axis)
    except ValueError as error:
        raise ValueError(f"at: {error}") from None

    keys, group_rows = groups_of(frame, by) if by else ([None], [np.arange(len(frame))])
    point_keys, point_rows = groups_of(points, by) if by else ([None], [np.arange(len(points))])
    known = {key_tuple(key): rows for key, rows in zip(keys, group_rows)} if by else {(None,): group_rows[0]}
    size = free_parameters(template, fit_options)
    cases = []
    for key, rows in zip(point_keys, point_rows):
        train = known.get(key_tuple(key) if by else (None,))
        if train is None:
            raise ValueError(f"at: its rows of group {key!r} (by={list(by)}) have no rows in data to fit; data has groups {keys[:10]}.")
        if len(train) < size:
            raise ValueError(
                f"data: group {key!r} has {len(train)} rows, fewer than the {size} free parameters of {type(template).__name__}: "
                "add rows or fix parameters."
            )
        cases.append({"train": train[np.argsort(axis_values[train], kind="stable")], "targets": rows})
    found = extrapolate(
        template, frame, cases, axis_values, methods, level, n_resamples, seed, target, inputs, fit_options, points=(points, point_axis)
    )
    table = _wide(found, points, cases, methods)
    for method in methods:
        bad = int((~np.isfinite(table[f"lo_{method.name}"]) | ~np.isfinite(table[f"hi_{method.name}"])).sum())
        if bad:
            warn(
                f"predict_interval: {method.name} has non-finite bounds at {bad} of {len(table)} point(s): too few rows to "
                f"calibrate it (rolling-origin methods need at least {size + 2} rows per group, bootstrap refits that converge)."
            )
    return table


def _points(at, axis, by, template, inputs) -> pd.DataFrame:
    """`at` as a DataFrame of the law's inputs, the axis and the `by` columns, else a ValueError naming `at`."""
    if isinstance(at, AbstractAllocation):
        allocated = at.to_frame()
        columns = {name: allocated[name] for name in ("N", "D") if name in allocated.columns}
        if axis in allocated.columns:
            columns[axis] = allocated[axis]
        elif axis == "C" and ("training_flops" in allocated.columns or "flops" in allocated.columns):
            columns["C"] = allocated["training_flops" if "training_flops" in allocated.columns else "flops"]
        points = pd.DataFrame(columns)
    elif isinstance(at, (pd.DataFrame, dict)):
        try:
            points = pd.DataFrame(at).reset_index(drop=True)
        except ValueError as error:
            raise ValueError(f"at: cannot be read as a table of points ({error}); pass a DataFrame or a dict of equal-length columns.") from None
    else:
        raise TypeError(f"at must be a DataFrame, a dict of columns or an Allocation from js.allocate, got {type(at).__name__}.")
    if len(points) == 0:
        raise ValueError("at has no rows: pass at least one point to predict.")
    needed = [(inputs or {}).get(name, name) for name in type(template).inputs] + [axis] + list(by)
    missing = [column for column in dict.fromkeys(needed) if column not in points.columns]
    if missing:
        raise ValueError(
            f"at is missing column(s) {missing} (the law's inputs, the axis '{axis}' and the by columns); it has "
            f"{list(points.columns)}. Add them to the points to predict."
        )
    try:
        by_columns(points, by)  # a by value missing in `at` would drop its row from every group
        read_inputs(type(template), points, inputs)
    except ValueError as error:
        raise ValueError(f"at: {error}") from None
    return points


def _wide(found: pd.DataFrame, points: pd.DataFrame, cases, methods) -> pd.DataFrame:
    """One row per point of `at`, in its order, with prediction, distance and lo_/hi_ per method."""
    order = np.concatenate([case["targets"] for case in cases])
    first = found[found["method"] == methods[0].name]
    prediction, distance = np.empty(len(points)), np.empty(len(points))
    prediction[order], distance[order] = first["prediction"].to_numpy(), first["distance"].to_numpy()
    table = points.assign(prediction=prediction, distance=distance)
    for method in methods:
        chosen = found[found["method"] == method.name]
        lo, hi = np.empty(len(points)), np.empty(len(points))
        lo[order], hi[order] = chosen["lo"].to_numpy(), chosen["hi"].to_numpy()
        table[f"lo_{method.name}"], table[f"hi_{method.name}"] = lo, hi
    return table
