"""The contracts every allocation problem and every allocation result meet."""

import abc
import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .._law import AbstractLaw
from ._search import Search


class AbstractAllocation(eqx.Module):
    """What `allocate` returns: arrays for every problem value and law of a batch, `to_frame()` and `summary()`.

    A subclass says what its table holds in `columns()`. When `allocate` was given a fit (a `FitResult`,
    `BootstrapResult` or `Posterior`) rather than a bare law, `fitted` holds the largest fitted value of each
    input, and `to_frame()` adds `reach_N`, `reach_D` (N* and D* over the largest N and D fitted: past 10, an
    extrapolation of more than a decade, which `allocate` warns about).

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> best = js.allocate(law, js.problems.ComputeOptimal([1e22, 1e24]))
    >>> list(best.summary().columns), len(best.to_frame())
    (['median', 'lo', 'hi'], 2)
    """

    # Input name -> the largest value of it in the fitted data; None when allocate was given a bare law.
    fitted: dict[str, float] | None = eqx.field(default=None, kw_only=True)

    @abc.abstractmethod
    def columns(self) -> dict[str, jax.Array]:
        """Column name -> array; the arrays broadcast together, one element per row of `to_frame()`."""

    def chosen_inputs(self) -> dict[str, jax.Array]:
        """The law inputs the answer sets, to measure against the fitted data: N* and D* where it has them."""
        return {name: getattr(self, name) for name in ("N", "D") if isinstance(getattr(self, name, None), (jax.Array, np.ndarray))}

    def reach(self) -> dict[str, np.ndarray]:
        """`reach_<input>`: each chosen input (`chosen_inputs`) over its largest fitted value, shaped as the
        answer; empty when no fitted data are known (a bare law)."""
        if not self.fitted:
            return {}
        chosen = self.chosen_inputs()
        return {f"reach_{name}": np.asarray(chosen[name], dtype=float) / self.fitted[name] for name in chosen if name in self.fitted}

    def to_frame(self) -> pd.DataFrame:
        """One row per (law, problem value) of `columns()`, then the `reach` columns when the fitted data are known."""
        columns = {**self.columns(), **self.reach()}
        shape = jnp.broadcast_shapes(*(jnp.shape(v) for v in columns.values()))
        return pd.DataFrame({k: np.broadcast_to(np.asarray(v), shape).ravel() for k, v in columns.items()})

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Median and the `level` percentile interval of each column over the rows of `to_frame()` (a batch of
        laws: bootstrap refits or posterior draws)."""
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), e.g. 0.95, got {level!r}.")
        frame = self.to_frame()
        return pd.DataFrame({"median": frame.median(), "lo": frame.quantile((1 - level) / 2), "hi": frame.quantile((1 + level) / 2)})


class AbstractProblem(eqx.Module):
    """An allocation problem: what `allocate(law, problem)` solves.

    A subclass names the `Search` options it reads in `reads` (a subset of n_range, d_range, grid and steps;
    `allocate` refuses the others), raises a ValueError in `check(law)` when it cannot be posed for `law` (this
    runs before anything compiles), and returns an `AbstractAllocation` from `solve(law, search)`. Problems in N
    and D that reduce to one variable log N subclass `AbstractNDProblem` instead, which implements `solve`. A
    `solve` that hands the problem to a compiled function passes `with_traced_values(self)`, so that a new
    budget or target reuses the compilation (a count that sets a shape is declared `eqx.field(static=True)`).

    >>> import jaxscale as js
    >>> js.problems.OptimalMixture.reads, js.problems.PostTrainingPrecision.reads
    ((), ('grid', 'steps'))
    """

    reads: eqx.AbstractClassVar[tuple[str, ...]]

    @abc.abstractmethod
    def check(self, law) -> None:
        """Raises a ValueError (a TypeError for a wrong kind of law) if the problem cannot be posed for `law`."""

    @abc.abstractmethod
    def solve(self, law, search: Search) -> AbstractAllocation:
        """The answer for `law` (a law, a batch of laws, or what the problem takes), searched as `search` says."""


def with_traced_values(problem: "AbstractProblem") -> "AbstractProblem":
    """`problem` with every number in its fields (budgets, targets, token counts, bit widths, ranges ...) as a
    float64 JAX array, for a compiled solve to take as arguments.

    `eqx.filter_jit` holds Python numbers static, so a solve given a new budget as a float compiles again;
    as arrays, every value of the same shape reuses one compilation. Called at the solve boundary, after
    `check` has read the concrete values. `risk` stays as given (whether it is "mean" or a quantile chooses the
    computation), and so do fields declared `eqx.field(static=True)` (counts that set a shape) and booleans.

    >>> import jaxscale as js
    >>> traced = with_traced_values(js.problems.LossTarget(2.0))
    >>> type(traced.target).__name__, traced.target.dtype
    ('ArrayImpl', dtype('float64'))
    """
    names, values = [], []
    for field in dataclasses.fields(problem):
        if field.metadata.get("static", False) or field.name == "risk":
            continue
        value = getattr(problem, field.name)
        converted = jax.tree_util.tree_map(_as_array, value)
        if value is not None and jax.tree_util.tree_leaves(value) and converted is not value:
            names.append(field.name)
            values.append(converted)
    if not names:
        return problem
    return eqx.tree_at(lambda p: [getattr(p, name) for name in names], problem, values)


def _as_array(leaf):
    """A real number (or NumPy array of them) as a float64 JAX array; anything else (a cost function, a
    string, a bool, an array already) as it is."""
    if isinstance(leaf, (bool, np.bool_)):
        return leaf
    if isinstance(leaf, (int, float, np.integer, np.floating)) or (isinstance(leaf, np.ndarray) and leaf.dtype.kind in "fiu"):
        return jnp.asarray(np.asarray(leaf, dtype=np.float64))
    return leaf


def require_one_law(law) -> None:
    """A TypeError unless `law` is one fitted law (possibly a batch of them)."""
    if not isinstance(law, AbstractLaw):
        raise TypeError(f"law must be a fitted law (e.g. result.law), got {type(law).__name__}.")
