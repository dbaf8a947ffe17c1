"""The contracts every allocation problem and every allocation result meet."""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .._law import AbstractLaw
from ._search import Search


class AbstractAllocation(eqx.Module):
    """What `allocate` returns: arrays for every problem value and law of a batch, `to_frame()` and `summary()`.

    A subclass says what its table holds in `columns()`.

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> best = js.allocate(law, js.problems.ComputeOptimal([1e22, 1e24]))
    >>> list(best.summary().columns), len(best.to_frame())
    (['median', 'lo', 'hi'], 2)
    """

    @abc.abstractmethod
    def columns(self) -> dict[str, jax.Array]:
        """Column name -> array; the arrays broadcast together, one element per row of `to_frame()`."""

    def to_frame(self) -> pd.DataFrame:
        """One row per (law, problem value) of `columns()`."""
        columns = self.columns()
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
    and D that reduce to one variable log N subclass `AbstractNDProblem` instead, which implements `solve`.

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


def require_one_law(law) -> None:
    """A TypeError unless `law` is one fitted law (possibly a batch of them)."""
    if not isinstance(law, AbstractLaw):
        raise TypeError(f"law must be a fitted law (e.g. result.law), got {type(law).__name__}.")
