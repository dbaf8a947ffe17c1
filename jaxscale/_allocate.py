"""`allocate` and `sensitivities`: the front door to `jaxscale.problems`, which checks a request before anything
compiles and hands it to the problem's own solve."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._bootstrap_result import BootstrapResult
from ._extrapolation import FAR
from ._fit_result import FitResult
from ._law import AbstractLaw
from ._posterior import Posterior
from ._results import warn
from .problems import AbstractAllocation, AbstractNDProblem, AbstractProblem, Allocation, Search

__all__ = ["Allocation", "allocate", "sensitivities"]


def allocate(
    law: AbstractLaw | FitResult | BootstrapResult | Posterior,
    problem: AbstractProblem,
    *,
    n_range: tuple[float, float] | None = None,
    d_range: tuple[float, float] | None = None,
    grid: int | None = None,
    steps: int | None = None,
) -> AbstractAllocation:
    """Solves `problem` (a `jaxscale.problems` problem) for a fitted `law`, a batch of laws, or a fit.

    For the problems in N and D (`ComputeOptimal`, `DataConstrained`, `LossTarget`, `InferenceAware`) the
    constraint fixes log D for each log N; the objective of log N is evaluated on a `grid` (default 64) over
    `n_range` (default (1e3, 1e16), which also bounds N: a deployment-size cap is `n_range=(1e3, cap)`;
    `d_range` likewise bounds D), and the best grid point is refined by `steps` (default 30) safeguarded Newton
    steps. A budget array (e.g. `ComputeOptimal(np.geomspace(1e20, 1e26, 1000))`) and a batch of laws are
    vmapped axes of one compiled solve. The answer is an `Allocation`: N, D, loss, `flops` (the cost the
    problem minimises or is constrained by) and `training_flops` (cost(N, D)).

    `ComputeOptimalPrecision` adds the training bits to N and D and reads every option; `PostTrainingPrecision`
    asks for D alone and reads `grid` and `steps`; `OptimalMixture` asks for mixture weights instead, takes a
    law or a list of laws (one per target domain), and reads none. An option the problem does not read is a
    ValueError, not silently ignored.

    Given a fit instead of a law (a `FitResult`: its law; a `BootstrapResult`: its refits; a `Posterior`: its
    draws), the answer also says how far it reaches beyond the data: `to_frame()` and `summary()` gain
    `reach_N` and `reach_D`, N* and D* over the largest N and D fitted, and an answer beyond 10x (for a batch,
    its median) is a `FitWarning` naming N or D.

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> best = js.allocate(law, js.problems.ComputeOptimal(1e24))
    >>> f"{float(best.N):.3g}", round(float(best.tokens_per_parameter), 1)
    ('9.72e+10', 17.7)
    >>> result = js.fit(js.Chinchilla, js.datasets.load("chinchilla", subset="epoch"))
    >>> near = js.allocate(result, js.problems.ComputeOptimal(1e21))
    >>> round(float(near.to_frame()["reach_N"].iloc[0]), 2)  # N* / the largest N fitted
    0.17
    """
    law, fitted = _law_and_fitted(law)
    search = _search(law, problem, n_range=n_range, d_range=d_range, grid=grid, steps=steps)
    problem.check(law)
    _check_law_values(law, problem)
    answer = _announce_unreachable(problem.solve(law, search), problem)
    if fitted is None:
        return answer
    answer = dataclasses.replace(answer, fitted=fitted)
    # Answers are (laws, values), except with a risk: one answer per value for the whole batch, (values, laws).
    law_axis = -1 if getattr(problem, "risk", None) is not None else 0
    _announce_far(answer, batched=isinstance(law, AbstractLaw) and bool(law.batch_shape), law_axis=law_axis)
    return answer


def _law_and_fitted(given):
    """The law (or batch of laws) to solve for, and the largest fitted value of each input when `given` is a
    fit that knows its data (None for a bare law)."""
    if isinstance(given, FitResult):
        return given.law, given.fitted_maxima()
    if isinstance(given, BootstrapResult):
        # A bootstrap of a joint fit of groups (shared=) has a batch per group, not one law per resample.
        if not isinstance(given.full_fit, FitResult):
            raise TypeError("allocate needs one law (or a batch of laws) of one fit; a bootstrap of a shared= fit has one per group: pick a group's laws.")
        return given.laws, given.full_fit.fitted_maxima()
    if isinstance(given, Posterior):
        return given.laws, given.point_fit.fitted_maxima()
    return given, None


# How each input of an answer is named in the warning.
_WHAT_FITTED = {"N": "the largest model fitted", "D": "the most tokens fitted"}


def _announce_far(answer, batched: bool, law_axis: int = 0) -> None:
    """One `FitWarning` naming each chosen input (N*, D*) that reaches beyond `FAR` times its largest fitted
    value: for a batch of laws (bootstrap refits, posterior draws), the median over the batch at each problem value."""
    chosen = answer.chosen_inputs()
    parts = []
    for column, ratio in answer.reach().items():
        name = column.removeprefix("reach_")
        value = np.asarray(chosen[name], dtype=float)
        if batched and ratio.ndim:
            ratio, value = np.nanmedian(ratio, axis=law_axis), np.nanmedian(value, axis=law_axis)
        ratio, value = np.atleast_1d(ratio).ravel(), np.atleast_1d(value).ravel()
        far = ratio > FAR
        if far.any():
            worst = int(np.nanargmax(np.where(far, ratio, -np.inf)))
            count = f", at {int(far.sum())} of {far.size} problem values" if far.size > 1 else ""
            what = _WHAT_FITTED.get(name, f"the largest {name} fitted")
            parts.append(f"{name}* = {value[worst]:.3g} is {ratio[worst]:.3g}x {what} ({answer.fitted[name]:.3g}){count}")
    if parts:
        median = " (the median over the batch of laws)" if batched else ""
        warn(
            f"allocate{median}: {' and '.join(parts)}. An allocation beyond {FAR:g}x the fitted data rests on the law's "
            f"form, not on data: check the law with js.backtest, or fit runs nearer this size."
        )


def _check_law_values(law, problem) -> None:
    """A ValueError naming the parameter when a law has NaN / inf parameters or values outside their constraint
    (a law built by hand with a negative A, say), checked with NumPy before anything compiles. In a batch of laws
    without `risk`, non-finite members are left to `_announce_unreachable` (each law is solved on its own)."""
    batch_alone = getattr(problem, "risk", None) is None
    for one in law if isinstance(law, (list, tuple)) else [law]:
        constraints = type(one).constraints
        for name in type(one).parameter_names():
            value = getattr(one, name)
            if isinstance(value, jax.core.Tracer):
                return
            value = np.asarray(value, dtype=float)
            finite = np.isfinite(value)
            if not finite.all() and (value.ndim == 0 or not batch_alone):
                count = f"{int((~finite).sum())} of {value.size} laws have" if value.ndim else "it is"
                why = " risk= aggregates over the whole batch, so one NaN member poisons it;" if value.ndim else ""
                raise ValueError(
                    f"parameter {name} of {type(one).__name__} is NaN or inf ({count} {value.tolist() if value.ndim == 0 else 'a non-finite value'}):"
                    f"{why} allocate needs finite parameters. Drop the failed refits or draws (or refit) first."
                )
            outside = constraints[name].violated(np.where(finite, value, np.nan)) & finite
            if outside.any():
                shown = value.tolist() if value.ndim == 0 else f"{int(outside.sum())} of {value.size} laws"
                raise ValueError(
                    f"parameter {name} of {type(one).__name__} must be {constraints[name]}, got {shown}: "
                    f"no fit gives such a law; check the value you built it with."
                )


def _announce_unreachable(answer, problem):
    """An answer with NaN or inf (no N and D inside the search ranges reach what the problem asks) is an error,
    or, for some members of a batch of laws, a warning that counts them: never a silent NaN."""
    leaves = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(answer) if isinstance(leaf, (jax.Array, np.ndarray))]
    if not leaves:
        return answer
    bad = np.zeros(np.shape(leaves[0]), bool)
    for leaf in leaves:
        if np.issubdtype(leaf.dtype, np.floating) and leaf.shape[: bad.ndim] == bad.shape:
            bad |= ~np.isfinite(leaf).reshape(bad.shape + (-1,)).all(axis=-1)
    hint = (
        f"no allocation inside the search ranges solves {type(problem).__name__}: widen n_range / d_range (defaults "
        f"(1e3, 1e16)) or ask for something reachable"
    )
    if bad.all():
        raise ValueError(f"{hint}.")
    if bad.any():
        warn(f"{int(bad.sum())} of {bad.size} laws have no answer ({hint}); their entries are NaN.")
    return answer


def _search(law, problem, **options) -> Search:
    """The `Search` for the options the caller gave (None: not given), after checking the types of law and
    problem and that the problem reads every option given."""
    if not isinstance(problem, AbstractProblem):
        raise TypeError(f"problem must be a jaxscale.problems problem such as ComputeOptimal(1e24), got {type(problem).__name__}.")
    laws = law if isinstance(law, (list, tuple)) else [law]
    if not laws or not all(isinstance(one, AbstractLaw) for one in laws):
        raise TypeError(f"law must be a fitted law (e.g. result.law), or for OptimalMixture a list of them, got {type(law).__name__}.")
    given = {name: value for name, value in options.items() if value is not None}
    for name in given:
        if name not in problem.reads:
            reads = f"only {' and '.join(problem.reads)}" if problem.reads else "none of n_range, d_range, grid and steps"
            raise ValueError(
                f"{type(problem).__name__} does not read {name}: it reads {reads}. Drop {name}=...; the problem's own "
                f"fields set the rest of its search (see help({type(problem).__name__}))."
            )
    return Search(**given)


def sensitivities(
    law: AbstractLaw,
    problem: AbstractNDProblem,
    *,
    n_range: tuple[float, float] | None = None,
    d_range: tuple[float, float] | None = None,
    grid: int | None = None,
    steps: int | None = None,
) -> pd.DataFrame:
    """Which fitted parameter drives the decision: d log N* / d log theta and d log D* / d log theta.

    Elasticities, by implicit differentiation through the optimum (exact at the solution, no finite
    differences): 0.5 means a 1% larger theta gives a 0.5% larger N*. One row per parameter of one law.
    The problem is one in N and D (an `AbstractNDProblem`, such as `ComputeOptimal`); the options are those of
    `allocate`.

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> s = js.sensitivities(law, js.problems.ComputeOptimal(1e24))
    >>> round(float(s.loc["A", "log_N"]), 4)  # N* ∝ A^(1 / (alpha + beta))
    1.3996
    """
    search = _search(law, problem, n_range=n_range, d_range=d_range, grid=grid, steps=steps)
    if not isinstance(problem, AbstractNDProblem):
        raise ValueError(
            f"sensitivities differentiates N* and D* through the optimum of a problem in N and D (an AbstractNDProblem "
            f"such as ComputeOptimal or LossTarget); {type(problem).__name__} is not one. Use allocate for it."
        )
    problem.check(law)
    _check_law_values(law, problem)
    if law.batch_shape:
        raise ValueError("sensitivities takes one law; vmap over a batch yourself or pick one (e.g. result.law).")

    def log_allocation(law):
        best = problem.solve(law, search)
        return jnp.stack([jnp.log(best.N), jnp.log(best.D)])

    derivative = jax.jacfwd(log_allocation)(law)
    rows = {name: np.asarray(getattr(derivative, name)) * float(getattr(law, name)) for name in type(law).parameter_names()}
    return pd.DataFrame(rows, index=["log_N", "log_D"]).T
