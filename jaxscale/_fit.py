"""`fit`: screen many starting points, refine the most promising ones in one vectorized solve.

With `by`, one fit per group of rows: the data are read and validated once for all rows, the default starts
are drawn for every group at once, groups are padded into a few size buckets that run side by side, and the
results stay stacked (a `GroupedFitResult`), so a thousand groups cost no more Python than ten.
"""

import time
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._compile_timer import compile_timer
from ._dataset import Dataset, require_representable
from ._fit_result import AbstractFitResult, FitResult, GroupedFitResult
from ._groups import bucket_rows, buckets, by_columns, groups_of, pad_and_stack
from ._law import AbstractLaw, check_parameter_values
from ._multistart import MultiStart
from ._parameterization import Parameterization
from ._progress import progress_bar, report_progress
from ._results import RESULTS, FitError, warn
from ._sharding import padded_size
from ._shared_fit import fit_shared
from ._shared_fit_result import SharedFitResult
from ._starts import as_batch, sobol_per_group
from ._threads import map_on_cores
from .laws import resolve
from .losses import AbstractLoss, LogHuber
from .solvers import AbstractSolver

_MULTISTART_DEFAULTS = MultiStart()


def fit(
    law,
    data,
    *,
    target: str = "loss",
    inputs: Mapping[str, str] | None = None,
    weights=None,
    loss: AbstractLoss = LogHuber(1e-3),
    starts=None,
    solver: AbstractSolver | None = None,
    n_refine: int | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Mapping[str, str] | None = None,
    dtype=jnp.float64,
    agree_rtol: float | None = None,
    stop_when_agreed: int | None = _MULTISTART_DEFAULTS.stop_when_agreed,
    progress: bool = False,
    by: str | Sequence[str] | None = None,
    multistart: MultiStart | None = None,
    shared: str | Sequence[str] | None = None,
) -> FitResult | GroupedFitResult | SharedFitResult:
    """Fits `law` to `data` from many starting points at once.

    Every start is screened with one evaluation of the objective; the `n_refine` best are refined together by
    `solver` in one compiled loop, each stopping when it converges. The best refined restart is the answer.

    Args:
        law: a law class (`js.Chinchilla`), an unfitted instance fixing its structure
            (`js.BrokenPowerLaw.template(n_breaks=2)`), or a registered name (`"chinchilla"`).
        data: a DataFrame (or dict of columns) with the law's inputs and `target`, or a `js.Dataset`.
        target: the column to fit.
        inputs: law input name -> column name, where they differ (e.g. `{"N": "params"}`).
        weights: a column name or array of per-row weights (default 1).
        loss: the objective (default `LogHuber(1e-3)`, summed over points as in Hoffmann et al. and Epoch AI).
        starts: a batch of laws (e.g. `js.starts.hoffmann_grid()`, `js.starts.sobol(law, 4096)`), a dict of
            parameter arrays, or None for the law's default starts.
        solver: the local solver; by default `GaussNewton()` for a loss with residuals and `DampedNewton()` for a
            likelihood (see `js.MultiStart`); or `OptaxSolver(optax.lbfgs())`, ...
        n_refine: how many of the best-screened starts to refine (default 16).
        bounds: per-parameter `(lo, hi)` that replace the parameter's constraint for this fit.
        fixed: parameter -> value held during the fit (e.g. `{"E": 1.69}` from a larger study); it is not
            searched, and is reported with its value (`summary()` says "fixed").
        tied: parameter -> the free parameter whose value it takes (e.g. `{"beta": "alpha"}`, one exponent for
            N and D): one free parameter for the two. Both must have the same shape and constraint.
        dtype: `jnp.float64` (default) or `jnp.float32`.
        agree_rtol: restarts within this relative distance of the best objective count as reaching it (1e-6).
        stop_when_agreed: once this many converged restarts agree on the lowest objective and none still
            running is below it, stop the rest (status "stopped_early"); None runs every restart to its end.
        progress: show a progress bar while refining (one fit; grouped fits run their buckets side by side).
        by: a column (or list of columns) of `data`: fit every group of rows separately, all groups in one
            compiled program (groups of different sizes are padded with zero-weight rows).
        multistart: a `js.MultiStart` holding solver, n_refine, stop_when_agreed and agree_rtol at once; the
            four keywords are shorthand for it (give one or the other).
        shared: with `by`, parameters (e.g. `["E"]`) that take one value for all groups while every other
            parameter has one per group: one joint fit of all groups' rows (their objectives summed), one
            compiled program, not one fit per group. A shared parameter may not also be fixed or tied.

    Returns:
        A `FitResult` (`result.law` is the fitted law), or with `by` a `GroupedFitResult` (one fit per group;
        `to_frame()` has one row per group, `result[key]` is a group's `FitResult`), or with `by` and `shared`
        a `SharedFitResult` (one joint fit: `result[key]` is a group's law, `to_frame()` one row per group,
        `objective` the joint objective).

    >>> import jaxscale as js
    >>> df = js.datasets.load("chinchilla", subset="epoch")
    >>> res = js.fit(js.Chinchilla, df)
    >>> round(float(res.law.alpha), 4), round(float(res.law.beta), 4)
    (0.3473, 0.3672)
    """
    template = resolve(law)
    # An instance made by a tree operation (never through its constructor's check) may still hold NaN.
    check_parameter_values(template)
    multistart = _multistart(multistart, solver, n_refine, stop_when_agreed, agree_rtol)
    multistart.check(loss)
    parameterization = Parameterization(template, bounds, fixed, tied, noise=loss.noise_parameters())
    dtype = _check_dtype(dtype)
    if shared is not None:  # one joint fit of all groups; it warns about its own problems
        return fit_shared(
            template, parameterization, data, by, shared, target=target, inputs=inputs, weights=weights, loss=loss,
            starts=starts, bounds=bounds, fixed=fixed, tied=tied, multistart=multistart, dtype=dtype, progress=progress,
        )
    if starts is None and by is None and loss.point_loss() is not loss:
        # Its law's optimum is the point loss's: refine the likelihood from there (exact-Hessian Newton from
        # scattered starts stalls on plateaus that Gauss-Newton crosses).
        point = _fit_one(
            template, Parameterization(template, bounds, fixed, tied), data, target, inputs, weights, loss.point_loss(),
            None, MultiStart(n_refine=multistart.n_refine), dtype, False,
        )
        starts = jax.vmap(point.parameterization.to_law)(point.end_z[jnp.isfinite(point.end_objective)])
    if by is not None:
        if progress:
            raise ValueError("progress=True shows one fit's refinement; with by=, the groups' buckets run side by side: drop progress.")
        result = _fit_groups(template, parameterization, data, by, target, inputs, weights, loss, starts, multistart, dtype)
    else:
        result = _fit_one(template, parameterization, data, target, inputs, weights, loss, starts, multistart, dtype, progress)
    _warn(result)
    return result


def _multistart(multistart, solver, n_refine, stop_when_agreed, agree_rtol) -> MultiStart:
    """`multistart`, or one made from fit's shorthand keywords (not both)."""
    given = {"solver": solver, "n_refine": n_refine, "agree_rtol": agree_rtol}
    given = {k: v for k, v in given.items() if v is not None}
    if stop_when_agreed != _MULTISTART_DEFAULTS.stop_when_agreed:
        given["stop_when_agreed"] = stop_when_agreed
    if multistart is None:
        return MultiStart(**given)
    if not isinstance(multistart, MultiStart):
        raise TypeError(f"multistart must be a js.MultiStart, got {type(multistart).__name__}.")
    if given:
        raise ValueError(f"pass either multistart= or its shorthand keywords {sorted(given)}, not both.")
    return multistart


def _check_dtype(dtype):
    dtype = jnp.dtype(dtype)
    if dtype not in (jnp.float32, jnp.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    return dtype


def _fit_one(template, parameterization, data, target, inputs, weights, loss, starts, multistart, dtype, progress) -> FitResult:
    dataset = _resolve_data(data, template, target, inputs, weights, loss, dtype, parameterization.size)
    z_starts = starting_points(starts, template, parameterization, dataset, dtype, loss)
    n_refine = min(multistart.n_refine, z_starts.shape[0])
    began = time.perf_counter()
    max_steps = multistart.solver_for(loss).max_steps
    with compile_timer() as compiling, progress_bar(progress, max_steps, f"refining {n_refine} restarts"):
        screened, chosen, minimum = multistart.run(parameterization, loss, dataset, z_starts, report_progress if progress else None)
        jax.block_until_ready(minimum)
    seconds = time.perf_counter() - began - compiling.seconds
    if not bool(jnp.any(minimum.status != RESULTS.non_finite)):
        raise FitError(
            f"all {n_refine} refined restarts of {type(template).__name__} ended with a non-finite objective "
            f"(best screened objective {float(jnp.min(screened)):.4g}). Check that the law can produce the data "
            f"(e.g. positive predictions for a log loss), try other `starts` or `bounds`, or use float64."
        )
    return FitResult(
        parameterization, loss, dataset, z_starts, screened, chosen, minimum.z, minimum.value, minimum.status, minimum.steps,
        agree_rtol=multistart.agree_rtol, seconds=seconds, compile_seconds=compiling.seconds,
    )


def _fit_groups(template, parameterization, data, by, target, inputs, weights, loss, starts, multistart, dtype) -> GroupedFitResult:
    if not isinstance(data, (pd.DataFrame, dict)):
        raise TypeError(f"fit(..., by=...) needs a DataFrame or dict of columns, got {type(data).__name__}.")
    frame = pd.DataFrame(data)
    by = by_columns(frame, by)
    if isinstance(weights, (np.ndarray, Sequence)) and not isinstance(weights, str):
        frame = frame.assign(_weight=np.asarray(weights, dtype=float))
        weights = "_weight"
    keys, group_rows = groups_of(frame, by)
    dataset = Dataset.from_frame(frame, template, target=target, inputs=inputs, weights=weights, observation=loss, dtype=dtype)
    _check_group_sizes(np.asarray(dataset.weights), keys, group_rows, by, parameterization, template)
    z_starts = _group_starts(starts, template, parameterization, dataset, group_rows, dtype, loss)

    def run(members):
        n_batch = padded_size(len(members))
        members_padded = members + [members[-1]] * (n_batch - len(members))
        batch = pad_and_stack(dataset, [group_rows[g] for g in members_padded], bucket_rows(len(group_rows[members[-1]])))
        outcome = multistart.run_batch(parameterization, loss, batch, 0, jnp.asarray(z_starts[members_padded]))
        return members, jax.tree_util.tree_map(np.asarray, outcome)

    found = [None] * len(keys)
    began = time.perf_counter()
    with compile_timer() as compiling:
        for members, outcome in map_on_cores(run, sorted(buckets([len(rows) for rows in group_rows]), key=len, reverse=True)):
            for i, g in enumerate(members):
                found[g] = jax.tree_util.tree_map(lambda a: a[i], outcome)
    seconds = time.perf_counter() - began - compiling.seconds

    screened, chosen, minimum = jax.tree_util.tree_map(lambda *a: np.stack(a), *found)
    return GroupedFitResult(
        parameterization, loss, dataset, z_starts, screened, chosen, minimum.z, minimum.value, minimum.status, minimum.steps,
        agree_rtol=multistart.agree_rtol, seconds=seconds, compile_seconds=compiling.seconds,
        by=by, keys=tuple(keys), group_rows=tuple(group_rows),
    )


def starting_points(starts, template, parameterization, dataset, dtype, loss) -> jax.Array:
    """The starts as unconstrained rows (starts, p), refusing a set with no usable start; the loss's own
    parameters, if any, start where `loss.noise_starts` puts them."""
    start_laws = _resolve_starts(starts, template, dataset, loss)
    _require_a_finite_start(start_laws, parameterization)
    noise = _noise_starts(loss, dataset)
    z_starts = parameterization.batch_to_unconstrained(start_laws, clip=True, noise=noise).astype(dtype)
    n_bad = int(jnp.sum(~jnp.all(jnp.isfinite(z_starts), axis=1)))
    if n_bad == z_starts.shape[0]:
        raise ValueError(f"all {n_bad} starting points are NaN/inf or outside the parameters' constraints: check `starts`.")
    return z_starts


def _require_a_finite_start(start_laws, parameterization) -> None:
    """The check below, with NumPy before anything compiles, on the free parameters' natural values."""
    free = [n for n, role in zip(parameterization.law_names, parameterization.roles) if role == "free"]
    values = [getattr(start_laws, n) for n in free]
    if any(isinstance(v, jax.core.Tracer) for v in values):
        return
    n = int(np.shape(values[0])[0])
    finite = np.ones(n, bool)
    for value in values:
        finite &= np.isfinite(np.asarray(value, dtype=float).reshape(n, -1)).all(axis=1)
    if not finite.any():
        raise ValueError(f"all {n} starting points are NaN/inf: check `starts` (each needs finite values of {free}).")


def _noise_starts(loss, dataset) -> dict:
    return loss.noise_starts(np.asarray(dataset.target), {k: np.asarray(v) for k, v in dataset.extra.items()}, np.asarray(dataset.weights))


def _resolve_data(data, template, target, inputs, weights, loss, dtype, n_params) -> Dataset:
    if not isinstance(data, Dataset):
        return Dataset.from_frame(data, template, target=target, inputs=inputs, weights=weights, observation=loss, dtype=dtype)
    missing = sorted(set(template.inputs) - set(data.inputs))
    if missing:
        raise ValueError(f"the Dataset lacks inputs {missing} that {type(template).__name__} needs.")
    missing = sorted(set(loss.extra_names) - set(data.extra))
    if missing:
        raise ValueError(f"the Dataset lacks the extra columns {missing} that {type(loss).__name__} reads: build it with Dataset.from_frame(..., observation=loss).")
    if data.n_rows < n_params:
        raise ValueError(f"only {data.n_rows} rows but {type(template).__name__} has {n_params} parameters.")
    require_representable({"target": data.target, "weights": data.weights} | dict(data.inputs) | dict(data.extra), dtype)
    return jax.tree_util.tree_map(lambda a: a.astype(dtype), data)


def _resolve_starts(starts, template: AbstractLaw, dataset: Dataset, loss: AbstractLoss) -> AbstractLaw:
    if starts is None:
        x = {k: np.asarray(v) for k, v in dataset.inputs.items()}
        return template.default_starts(loss.predicted_target(dataset), x)
    return as_batch(starts, template)


def _check_group_sizes(w, keys, group_rows, by, parameterization, template) -> None:
    """Every group needs at least as many rows carrying weight as the law has parameters."""
    for key, rows in zip(keys, group_rows):
        n_used = int(np.sum(w[rows] > 0))
        if n_used < parameterization.size:
            raise ValueError(
                f"group {key!r} of by={list(by)}: only {n_used} rows (with weight > 0) but {type(template).__name__} "
                f"has {parameterization.size} parameters. Drop the group or add measurements to it."
            )


def _group_starts(starts, template, parameterization, dataset, group_rows, dtype, loss) -> np.ndarray:
    """Unconstrained starts per group, (groups, starts, p): the user's starts for every group, else each
    group's default starts (one Sobol sample, scaled to each group's data, for laws that draw them so)."""
    if starts is not None:
        z = np.asarray(starting_points(starts, template, parameterization, dataset, dtype, loss))
        return np.broadcast_to(z, (len(group_rows),) + z.shape)
    x, y = {k: np.asarray(v) for k, v in dataset.inputs.items()}, loss.predicted_target(dataset)
    data_of = lambda rows: (y[rows], {k: v[rows] for k, v in x.items()})
    if type(template).default_starts is AbstractLaw.default_starts:  # the Sobol default: one draw for all groups
        laws = sobol_per_group(template, template.default_n_starts, [template.start_ranges(*data_of(rows)) for rows in group_rows])
    else:  # a law with its own way of choosing starts
        per_group = [template.default_starts(*data_of(rows)) for rows in group_rows]
        laws = jax.tree_util.tree_map(lambda *a: jnp.concatenate(a), *per_group)
    z = np.asarray(parameterization.batch_to_unconstrained(laws, clip=True, noise=_noise_starts(loss, dataset)).astype(dtype))
    z = z.reshape(len(group_rows), -1, parameterization.size)
    usable = np.any(np.all(np.isfinite(z), axis=2), axis=1)
    if not usable.all():
        raise ValueError(f"{int(np.sum(~usable))} group(s) have no finite starting point inside the parameters' constraints: pass `starts`.")
    return z


def _warn(result: AbstractFitResult) -> None:
    """The soft problems of a finished fit as `FitWarning`s (for groups: one warning naming how many groups
    have problems and the first of them; `result.problems()` lists all)."""
    if isinstance(result, FitResult):
        for problem in result.problems()["problem"]:
            warn(problem)
        return
    keys = result.keys
    failed = ~np.isfinite(result.objective) | (result.best_status == RESULTS.non_finite.name)
    if failed.all():
        raise FitError(f"every group's fit ended with a non-finite objective (by={list(result.by)}); check the law and the data.")
    if failed.any():
        names = [k for k, bad in zip(keys, failed) if bad]
        warn(f"{len(names)} of {len(keys)} groups ended non-finite: {names[:10]}.")
    texts = result.problem_texts()
    flagged = [(key, problems[0]) for key, problems, bad in zip(keys, texts, failed) if problems and not bad]
    if flagged:
        first_key, first = flagged[0]
        warn(
            f"{len(flagged)} of {len(keys)} groups have something to check (result.problems() lists them); "
            f"e.g. group {first_key!r}: {first}"
        )
