"""`backtest`: rolling-origin (expanding-window) extrapolation tests with interval coverage.

Every group's rows are ordered along an axis (x, N, D, C, step); for each cutoff the law is fitted to the
rows before it and predicts the rows after. All cases of a law (group x cutoff, and the prefixes of their
training rows that rolling-origin intervals calibrate on) are one grouped fit, and all their bootstrap refits
one batched program, so a study of many curves costs a few compiled calls.
"""

import time
import warnings
from collections.abc import Sequence

import equinox as eqx
import jax
import numpy as np
import pandas as pd

from ._backtest_result import BacktestResult
from ._bootstrap import refit_groups
from ._dataset import check_seed, is_count, numeric_column
from ._fit import fit
from ._groups import by_columns, groups_of
from ._parameterization import Parameterization
from ._results import FitWarning, warn
from .intervals import IntervalInputs, check_level, resolve_methods
from .laws import resolve
from .losses import AbstractResidualLoss, LogHuber
from .solvers import DampedNewton, GaussNewton

# Bootstrap refits start at their case's optimum. On a Huber loss with a small delta most residuals sit on the
# linear tails, where DampedNewton's exact Hessian sees no curvature: a fifth of its refits were still creeping
# at 200 steps. Gauss-Newton (with its longer trial steps) converges in about a third of the steps; tolerances
# looser than a fit's are enough for the percentiles of predictions (bounds within 0.005 of fully converged
# refits on the Revisiting study), and 100 steps bound the slowest lane.
REFIT_SOLVER = GaussNewton(ftol=1e-8, xtol=1e-5, max_steps=100)

DEFAULT_INTERVALS = ("bootstrap", "rolling_origin", "plateau_envelope", "plateau_band", "plateau_intersection")


def backtest(
    law,
    data,
    *,
    axis: str = "x",
    cutoffs: Sequence[float] = (0.5, 0.7, 0.85),
    by: str | Sequence[str] | None = None,
    horizon: str = "all",
    intervals=DEFAULT_INTERVALS,
    level: float = 0.9,
    n_resamples: int = 1000,
    seed: int = 0,
    target: str = "loss",
    inputs=None,
    **fit_options,
) -> BacktestResult:
    """Rolling-origin extrapolation tests: fit on the first part of each curve, predict the rest, score intervals.

    Each group's rows (all rows without `by`) are put in order of `axis`; cutoff c trains on the first
    floor(c n) of its n rows and holds out the others (`horizon="last"`: only its last row). For every
    held-out row: the prediction, its error, its extrapolation distance (axis value over the last training
    value) and, per interval method, the interval and whether it covers the observation.

    Args:
        law: a law as for `fit`, or a list of them (compared side by side).
        data: a DataFrame with the laws' inputs, `target`, `axis` and the `by` columns.
        axis: the column that orders the rows (x, N, D, C or step); positive, as distances are its ratios.
        cutoffs: fractions of each group's rows to train on, strictly between 0 and 1 and increasing.
        by: a column (or columns) whose groups are separate curves.
        horizon: "all" held-out rows, or only the "last" (the far end of each curve).
        intervals: names or instances of `js.intervals` methods: "bootstrap" (percentile of refits),
            "rolling_origin" (calibrated on the fit's own extrapolation errors inside the training rows),
            "plateau_envelope" (the same, with the curve allowed to stop improving), "plateau_band" (between the
            law's extrapolation and no further improvement, widened by the late training noise), "plateau_intersection"
            (the last two intersected, each at half the miss rate). All five by default.
        level: the nominal coverage of the intervals, strictly between 0 and 1.
        n_resamples: bootstrap refits per case (for "bootstrap").
        seed: seeds the resampling (a non-negative integer).
        target, inputs, **fit_options: as for `fit` (`loss`, `n_refine`, `bounds`, `fixed`, ...).

    Returns:
        A `BacktestResult`: `to_frame()` (one row per case x held-out row x law x method), `summary()`
        (coverage and median width per law and method, and per any column, e.g. `summary(by="domain")`).

    >>> import jaxscale as js
    >>> df = js.datasets.load("revisiting")
    >>> nmt = df[df["domain"] == "NMT"]
    >>> import warnings
    >>> with warnings.catch_warnings():  # the shortest training prefixes do not pin E down, and say so
    ...     warnings.simplefilter("ignore", js.FitWarning)
    ...     result = js.backtest(js.PowerLaw, nmt, by="curve", cutoffs=[0.7], horizon="last", intervals="plateau_envelope")
    >>> len(result.to_frame()), bool(result.to_frame()["covered"].mean() >= 0.8)  # 5 curves x 1 cutoff x 1 row x 1 method
    (5, True)
    """
    templates = [resolve(one) for one in (law if isinstance(law, (list, tuple)) else [law])]
    if not templates:
        raise ValueError("law is an empty list: pass at least one law.")
    for bad in ("weights", "shared", "by_case"):
        if bad in fit_options:
            raise ValueError(f"backtest does not take {bad}=: every case is a fit of its own training rows.")
    cutoffs = check_cutoffs(cutoffs)
    if horizon not in ("all", "last"):
        raise ValueError(f"horizon must be 'all' (every held-out row) or 'last' (each group's last row), got {horizon!r}.")
    frame, axis_values, by, level, methods, seed = read_request(data, axis, by, intervals, level, n_resamples, seed)
    keys, group_rows = groups_of(frame, by) if by else ([None], [np.arange(len(frame))])
    cases = []
    for key, rows in zip(keys, group_rows):
        rows = rows[np.argsort(axis_values[rows], kind="stable")]
        for cutoff in cutoffs:
            k = int(np.floor(cutoff * len(rows)))
            held = rows[k:] if horizon == "all" else rows[-1:]
            cases.append({"key": key, "cutoff": cutoff, "train": rows[:k], "targets": held})
    for template in templates:
        size = free_parameters(template, fit_options)
        for case in cases:
            if len(case["train"]) < size:
                where = f"group {case['key']!r} of by={list(by)}" if by else "the data"
                raise ValueError(
                    f"cutoffs: cutoff {case['cutoff']} leaves {len(case['train'])} training rows in {where}, fewer than the "
                    f"{size} free parameters of {type(template).__name__}: raise the cutoff, drop the group or fix parameters."
                )
    points, seconds = [], {}
    for template in templates:
        began = time.perf_counter()
        found = extrapolate(template, frame, cases, axis_values, methods, level, n_resamples, seed, target, inputs, fit_options)
        name = type(template).__name__
        seconds[name] = time.perf_counter() - began
        points.append(found.assign(law=name))
    table = pd.concat(points, ignore_index=True)
    return BacktestResult(table, tuple(by), axis, level, tuple(m.name for m in methods), tuple(cutoffs), seconds)


def read_request(data, axis, by, intervals, level, n_resamples, seed):
    """The arguments `backtest` and `predict_interval` share, checked before anything is fitted: (the rows as a
    frame, their `axis` values, the `by` columns, the level, the interval methods, the seed)."""
    frame = pd.DataFrame(data).reset_index(drop=True)
    axis_values = read_axis(frame, axis)
    by = by_columns(frame, by)
    level = check_level(level)
    methods = resolve_methods(intervals)
    if any(m.needs_resamples for m in methods) and not is_count(n_resamples):
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}.")
    return frame, axis_values, by, level, methods, check_seed(seed)


def read_axis(frame: pd.DataFrame, axis: str) -> np.ndarray:
    """The axis column as positive floats, else a ValueError naming it."""
    if not isinstance(axis, str):
        raise TypeError(f"axis must be a column name such as 'x', 'N', 'D', 'C' or 'step', got {type(axis).__name__}.")
    if axis not in frame.columns:
        raise ValueError(f"axis column '{axis}' is missing; the data has columns {list(frame.columns)}. Pass axis=<column>.")
    values = numeric_column(frame, axis, role="axis")
    bad = np.flatnonzero(values <= 0)
    if len(bad):
        raise ValueError(
            f"axis column '{axis}' has {len(bad)} rows <= 0 (e.g. row {bad[0]}): extrapolation distances are ratios of "
            f"axis values, so it must be positive. Drop those rows or use another axis."
        )
    return values


def check_cutoffs(cutoffs) -> tuple[float, ...]:
    """Cutoffs as floats strictly inside (0, 1) and strictly increasing, else a ValueError naming `cutoffs`."""
    values = [cutoffs] if isinstance(cutoffs, (int, float)) else list(cutoffs)
    if not values or not all(isinstance(c, (int, float, np.floating)) and not isinstance(c, bool) for c in values):
        raise ValueError(f"cutoffs must be a list of fractions of each group's rows, e.g. [0.5, 0.7, 0.85]; got {cutoffs!r}.")
    if not all(0 < c < 1 for c in values):
        raise ValueError(f"cutoffs must lie strictly between 0 and 1 (fractions of each group's rows to train on); got {values}.")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"cutoffs must be strictly increasing; got {values}: sort them and drop repeats.")
    return tuple(float(c) for c in values)


def free_parameters(template, fit_options) -> int:
    loss = fit_options.get("loss", LogHuber(1e-3))
    return Parameterization(
        template, fit_options.get("bounds"), fit_options.get("fixed"), fit_options.get("tied"), noise=loss.noise_parameters()
    ).size


def extrapolate(
    template, frame, cases, axis_values, methods, level, n_resamples, seed, target, inputs, fit_options, points=None
) -> pd.DataFrame:
    """Fits every case (and, for rolling-origin methods, every prefix of its training rows from one more row
    than parameters) in one grouped fit, bootstraps the cases in one batched program, and returns one row
    per case x target row x method.

    `cases` are dicts with `train` (row positions of `frame`, in order of the axis), `targets` (row
    positions) and any other entries (copied to the output, `key` and `train` excepted). Without `points` the
    targets are held-out rows of `frame` (with `axis_values`) and each output row has the error and coverage;
    with `points=(targets_frame, target_axis_values)` they are rows of that frame, which needs the law's inputs
    but no observed target, and the output has the predictions and intervals only."""
    observed_targets = points is None
    point_frame, point_axis = (frame, axis_values) if points is None else points
    size = free_parameters(template, fit_options)
    rolling = any(m.needs_rolling_origin for m in methods)
    prefix_ids: dict[tuple, int] = {}
    prefix_of = lambda rows: prefix_ids.setdefault(tuple(int(r) for r in rows), len(prefix_ids))
    outer = [prefix_of(case["train"]) for case in cases]
    inner = [[(prefix_of(case["train"][:k]), k) for k in range(size + 1, len(case["train"]))] if rolling else [] for case in cases]
    prefixes = list(prefix_ids)
    fit_frame = pd.concat([frame.iloc[list(rows)].assign(_case=i) for i, rows in enumerate(prefixes)], ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        fits = fit(template, fit_frame, by="_case", target=target, inputs=inputs, **fit_options)
    if caught:
        warn(f"{type(template).__name__}: the fits of the backtest raised {len(caught)} warning(s), e.g.: {caught[0].message}")
    # Every prediction asked for, once: (prefix fit, row of frame), or (prefix fit, -1 - row of point_frame).
    requests: dict[tuple[int, int], int] = {}
    ask = lambda fit_id, row: requests.setdefault((fit_id, int(row)), len(requests))
    point_key = (lambda row: int(row)) if observed_targets else (lambda row: -1 - int(row))
    for case, fit_id, inner_fits in zip(cases, outer, inner):
        for row in case["targets"]:
            ask(fit_id, point_key(row))
        for row in case["train"]:
            ask(fit_id, row)
        for inner_id, k in inner_fits:
            for row in case["train"][k - 1:]:
                ask(inner_id, row)
    asked = list(requests)
    in_frame = [(i, fit_id, row) for i, (fit_id, row) in enumerate(asked) if row >= 0]
    in_points = [(i, fit_id, -1 - row) for i, (fit_id, row) in enumerate(asked) if row < 0]
    predicted = np.empty(len(asked))
    for source, chosen in ((frame, in_frame), (point_frame, in_points)):
        if chosen:
            request_frame = source.iloc[[row for _, _, row in chosen]].assign(_case=[fit_id for _, fit_id, _ in chosen])
            # Reaching beyond the training rows is what a backtest measures (its `distance` column), not news.
            predicted[[i for i, _, _ in chosen]] = np.asarray(fits.predict(request_frame, inputs, announce_reach=False), dtype=float)
    prediction = lambda fit_id, rows: predicted[[requests[(fit_id, int(r))] for r in rows]]
    target_prediction = lambda fit_id, rows: predicted[[requests[(fit_id, point_key(r))] for r in rows]]

    needs_draws = any(m.needs_resamples for m in methods)
    draws = _bootstrap_draws(fits, outer, cases, point_frame, n_resamples, seed, inputs) if needs_draws else None
    observed = frame[target].to_numpy(dtype=float)
    found = []
    for c, (case, fit_id, inner_fits) in enumerate(zip(cases, outer, inner)):
        train, targets = case["train"], case["targets"]
        last = axis_values[train[-1]]
        errors, distances, plateaus, inner_predictions = [], [], [], []
        for inner_id, k in inner_fits:
            later = train[k:]
            inner_predictions.append(prediction(inner_id, later))
            errors.append(np.log(observed[later] / inner_predictions[-1]))
            distances.append(np.log(axis_values[later] / axis_values[train[k - 1]]))
            plateaus.append(np.full(len(later), prediction(inner_id, train[k - 1 : k])[0]))
        joined = lambda parts: np.concatenate(parts) if parts else np.zeros(0)
        guess = target_prediction(fit_id, targets)
        interval_inputs = IntervalInputs(
            prediction=guess,
            log_distance=np.log(point_axis[targets] / last),
            plateau=np.full(len(targets), prediction(fit_id, train[-1:])[0]),
            draws=None if draws is None else draws[c],
            inner_log_errors=joined(errors),
            inner_log_distances=joined(distances),
            inner_predictions=joined(inner_predictions),
            inner_plateaus=joined(plateaus),
            train_log_residuals=np.log(observed[train] / prediction(fit_id, train)),
        )
        base = point_frame.iloc[targets].reset_index(drop=True)
        extra = {k: v for k, v in case.items() if k not in ("key", "train", "targets")}
        scores = {}
        if observed_targets:
            scores = {"error": guess - observed[targets], "log_error": np.log(observed[targets] / guess)}
        base = base.assign(
            **extra, n_train=len(train), axis_last=last, prediction=guess, **scores, distance=point_axis[targets] / last,
            n_inner=len(interval_inputs.inner_log_errors),
        )
        for method in methods:
            lo, hi = method.bounds(interval_inputs, level)
            interval = {"method": method.name, "lo": lo, "hi": hi, "width": hi - lo}
            if observed_targets:
                y = observed[targets]
                interval["covered"] = (lo <= y) & (y <= hi)
            found.append(base.assign(**interval))
    return pd.concat(found, ignore_index=True)


def _bootstrap_draws(fits, outer, cases, frame, n_resamples, seed, inputs) -> list[np.ndarray]:
    """Per case, the bootstrap refits' predictions at its held-out rows, (resamples, targets); NaN where a
    refit ended non-finite."""
    unique = sorted(set(outer))
    solver = REFIT_SOLVER if isinstance(fits.loss, AbstractResidualLoss) else DampedNewton()
    z, objective = refit_groups(fits, n_resamples, seed=seed, groups=unique, solver=solver)
    laws = _to_laws(fits.parameterization, z.reshape(-1, z.shape[-1]))
    slot = {fit_id: i for i, fit_id in enumerate(unique)}
    found = []
    for case, fit_id in zip(cases, outer):
        from_case = jax.tree_util.tree_map(lambda a: a.reshape((z.shape[0], z.shape[1]) + a.shape[1:])[:, slot[fit_id]], laws)
        x = frame.iloc[case["targets"]]
        values = np.array(from_case.predict(x, inputs), dtype=float).reshape(z.shape[0], -1)
        values[~np.isfinite(objective[:, slot[fit_id]])] = np.nan
        found.append(values)
    return found


@eqx.filter_jit
def _to_laws(parameterization, z):
    return jax.vmap(parameterization.to_law)(z)
