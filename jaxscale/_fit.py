"""`fit`: screen many starting points, refine the most promising ones in one vectorized solve."""

import time
import warnings
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._compile_timer import compile_timer
from ._dataset import Dataset
from ._fit_result import FitResult, FitWarning  # noqa: F401
from ._law import AbstractLaw
from ._tree import replace_parameters
from ._parameterization import Parameterization
from ._progress import progress_bar, report_progress
from ._refine import fit_program
from .laws import resolve
from .losses import AbstractLoss, LogHuber
from .solvers import AbstractSolver, GaussNewton
from ._results import RESULTS, FitError
NON_FINITE = RESULTS.non_finite


def fit(
    law,
    data,
    *,
    target: str = "loss",
    inputs: Mapping[str, str] | None = None,
    weights=None,
    loss: AbstractLoss = LogHuber(1e-3),
    starts=None,
    solver: AbstractSolver = GaussNewton(),
    n_refine: int = 16,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    dtype=jnp.float64,
    agree_rtol: float = 1e-6,
    stop_when_agreed: int | None = 3,
    progress: bool = False,
    by: str | Sequence[str] | None = None,
):
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
        solver: the local solver (default `GaussNewton()`; or `DampedNewton()`, `OptaxSolver(optax.lbfgs())`, ...).
        n_refine: how many of the best-screened starts to refine.
        bounds: per-parameter `(lo, hi)` that replace the parameter's constraint for this fit.
        dtype: `jnp.float64` (default) or `jnp.float32`.
        agree_rtol: restarts within this relative distance of the best objective count as reaching it.
        stop_when_agreed: once this many converged restarts agree on the lowest objective and none still
            running is below it, stop the rest (status "stopped_early"); None runs every restart to its end.
        progress: show a progress bar while refining.
        by: a column (or list of columns) of `data`: fit every group of rows separately, all groups in one
            compiled program (groups of different sizes are padded with zero-weight rows).

    Returns:
        A `FitResult` (`result.law` is the fitted law), or with `by` a `GroupedFitResult` (one `FitResult`
        per group; `to_frame()` has one row per group).

    >>> import jaxscale as js
    >>> df = js.datasets.load("chinchilla", subset="epoch")
    >>> res = js.fit(js.Chinchilla, df)
    >>> round(float(res.law.alpha), 4), round(float(res.law.beta), 4)
    (0.3473, 0.3672)
    """
    template = resolve(law)
    parameterization = Parameterization(template, bounds)
    dtype = _check_options(loss, solver, dtype, n_refine, agree_rtol, stop_when_agreed)
    if by is not None:
        from ._grouped import fit_groups

        return fit_groups(
            template, parameterization, data, by, target=target, inputs=inputs, weights=weights, loss=loss,
            starts=starts, solver=solver, n_refine=n_refine, dtype=dtype, agree_rtol=agree_rtol,
            stop_when_agreed=stop_when_agreed,
        )
    dataset = _resolve_data(data, template, target, inputs, weights, loss, dtype, parameterization.size)
    z_starts = starting_points(starts, template, parameterization, dataset, dtype)
    n_refine = min(int(n_refine), z_starts.shape[0])

    began = time.perf_counter()
    with compile_timer() as compiling, progress_bar(progress, solver.max_steps, f"refining {n_refine} restarts"):
        screened, chosen, minimum = fit_program(
            parameterization, loss, solver, dataset, z_starts, n_refine, stop_when_agreed, agree_rtol,
            report_progress if progress else None,
        )
        jax.block_until_ready(minimum)
    seconds = time.perf_counter() - began - compiling.seconds

    if not bool(jnp.any(minimum.status != NON_FINITE)):
        raise FitError(
            f"all {n_refine} refined restarts of {type(template).__name__} ended with a non-finite objective "
            f"(best screened objective {float(jnp.min(screened)):.4g}). Check that the law can produce the data "
            f"(e.g. positive predictions for a log loss), try other `starts` or `bounds`, or use float64."
        )
    result = FitResult.from_minimum(
        parameterization,
        loss,
        solver,
        dataset,
        z_starts,
        screened,
        chosen,
        minimum,
        agree_rtol=agree_rtol,
        seconds=seconds,
        compile_seconds=compiling.seconds,
    )
    for problem in soft_problems(result):
        warnings.warn(problem, FitWarning, stacklevel=2)
    return result


def _check_options(loss, solver, dtype, n_refine, agree_rtol, stop_when_agreed):
    if not isinstance(loss, AbstractLoss):
        raise TypeError(f"loss must be a jaxscale loss such as js.LogHuber(1e-3), got {type(loss).__name__}.")
    if not isinstance(solver, AbstractSolver):
        raise TypeError(f"solver must be a jaxscale solver such as js.solvers.GaussNewton(), got {type(solver).__name__}.")
    dtype = jnp.dtype(dtype)
    if dtype not in (jnp.float32, jnp.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    if not (isinstance(n_refine, (int, np.integer)) and n_refine >= 1):
        raise ValueError(f"n_refine must be a positive integer, got {n_refine!r}.")
    if not agree_rtol >= 0:
        raise ValueError(f"agree_rtol must be >= 0, got {agree_rtol}.")
    if not (stop_when_agreed is None or (isinstance(stop_when_agreed, (int, np.integer)) and stop_when_agreed >= 1)):
        raise ValueError(f"stop_when_agreed must be a positive integer or None, got {stop_when_agreed!r}.")
    return dtype


def starting_points(starts, template, parameterization, dataset, dtype) -> jax.Array:
    """The starts as unconstrained rows (starts, p), refusing a set with no usable start."""
    start_laws = _resolve_starts(starts, template, dataset)
    z_starts = parameterization.batch_to_unconstrained(start_laws, clip=True).astype(dtype)
    n_bad = int(jnp.sum(~jnp.all(jnp.isfinite(z_starts), axis=1)))
    if n_bad == z_starts.shape[0]:
        raise ValueError(f"all {n_bad} starting points are NaN/inf or outside the parameters' constraints: check `starts`.")
    return z_starts


def _unused_resolve_law(law) -> AbstractLaw:
    if isinstance(law, str):
        from .laws import get

        law = get(law)
    if isinstance(law, type) and issubclass(law, AbstractLaw):
        return law.template()
    if isinstance(law, AbstractLaw):
        if law.batch_shape:
            raise ValueError(f"fit takes one law, not a batch of shape {law.batch_shape}; pass a batch as `starts`.")
        return law
    raise TypeError(f"law must be a law class, instance or name, got {type(law).__name__}.")


def _resolve_data(data, template, target, inputs, weights, loss, dtype, n_params) -> Dataset:
    if not isinstance(data, Dataset):
        return Dataset.from_frame(
            data, template, target=target, inputs=inputs, weights=weights, positive_target=loss.takes_log, dtype=dtype
        )
    missing = sorted(set(template.inputs) - set(data.inputs))
    if missing:
        raise ValueError(f"the Dataset lacks inputs {missing} that {type(template).__name__} needs.")
    if data.n_rows < n_params:
        raise ValueError(f"only {data.n_rows} rows but {type(template).__name__} has {n_params} parameters.")
    return jax.tree_util.tree_map(lambda a: a.astype(dtype), data)


def _resolve_starts(starts, template: AbstractLaw, dataset: Dataset) -> AbstractLaw:
    if starts is None:
        x = {k: np.asarray(v) for k, v in dataset.inputs.items()}
        return template.default_starts(np.asarray(dataset.target), x)
    if isinstance(starts, Mapping):
        missing = sorted(set(template.parameter_names()) - set(starts))
        if missing:
            raise ValueError(f"starts lacks parameters {missing} of {type(template).__name__}.")
        starts = replace_parameters(template, {k: jnp.asarray(v) for k, v in starts.items()})
    if not isinstance(starts, type(template)):
        raise TypeError(f"starts must be a batch of {type(template).__name__}, got {type(starts).__name__}.")
    if not starts.batch_shape:  # a single law is one start
        starts = jax.tree_util.tree_map(lambda a: jnp.asarray(a)[None], starts)
    if len(starts.batch_shape) != 1:
        raise ValueError(f"starts must have one batch axis, got batch shape {starts.batch_shape}.")
    return starts


def soft_problems(result: FitResult) -> list[str]:
    """What deserves a `FitWarning` about a finished fit, in words (empty when nothing does)."""
    on_bound = {name: getattr(result.law, name) for name in result.parameterization.on_boundary(result.law)}
    return fit_problems(
        result.n_refined, result.n_agree, result.objective, result.agree_rtol, result.best_status, result.best_steps, on_bound
    )


def fit_problems(n_refined, n_agree, objective, agree_rtol, best_status, best_steps, on_bound: dict) -> list[str]:
    """`soft_problems` from the numbers it looks at (shared by single and grouped fits); `on_bound` maps the
    parameters on a boundary of their constraint to their values."""
    problems = []
    if n_refined >= 3 and n_agree < 3:
        problems.append(
            f"only {n_agree} of {n_refined} refined restarts reached the best objective "
            f"{objective:.6g} (within rtol {agree_rtol:g}): the optimum may not be the global one; "
            f"try more starts or a larger n_refine."
        )
    if best_status != "converged":
        problems.append(
            f"the best restart stopped ({best_status}) after {best_steps} steps without converging; "
            f"raise the solver's max_steps."
        )
    if on_bound:
        values = ", ".join(f"{n}={np.asarray(v).tolist()}" for n, v in on_bound.items())
        problems.append(
            f"parameters on the boundary of their constraint: {values}. The data may not determine them; "
            f"widen the bounds or fix the law."
        )
    return problems
