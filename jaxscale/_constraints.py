"""Parameter constraints: each maps a parameter to an unconstrained real and back.

Solvers and samplers only ever see the unconstrained value, so bounds never leak into them.
"""

import abc
import math

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike


class AbstractConstraint(eqx.Module):
    """Maps a constrained parameter to the real line (`unconstrain`) and back (`constrain`)."""

    @abc.abstractmethod
    def constrain(self, z: ArrayLike) -> Array:
        """Unconstrained real -> parameter value."""

    @abc.abstractmethod
    def unconstrain(self, value: ArrayLike) -> Array:
        """Parameter value -> unconstrained real."""

    def neutral(self) -> float:
        """The value at z = 0 (a template's parameter), as a plain float. The shipped constraints give it in closed
        form, so building a template compiles nothing; this default evaluates `constrain(0.0)`."""
        return float(np.asarray(self.constrain(0.0)))

    @abc.abstractmethod
    def clip(self, value: ArrayLike) -> Array:
        """Moves a value that lies on or past the boundary just inside it (for starting points)."""

    @abc.abstractmethod
    def on_boundary(self, value: ArrayLike) -> Array:
        """True where a fitted value has run into the boundary of the constraint."""

    @abc.abstractmethod
    def bounds(self) -> tuple[float | None, float | None]:
        """(low, high) of the constrained values; None where unbounded."""

    def outside(self, value) -> np.ndarray:
        """True where a concrete value lies beyond `bounds()` (a value on a bound passes), with NumPy: nothing
        compiles. What a law's, a start's or a `fixed=` value may not be."""
        lo, hi = self.bounds()
        value = np.asarray(value, dtype=float)
        out = np.zeros(value.shape, bool)
        if lo is not None:
            out |= value < lo
        if hi is not None:
            out |= value > hi
        return out

    def violated(self, value) -> np.ndarray:
        """True where a concrete value lies outside the constraint (checked with NumPy: nothing compiles)."""
        return self.outside(value)

    @abc.abstractmethod
    def default_prior(self):
        """A weakly informative NumPyro distribution with this constraint's support."""


class Real(AbstractConstraint):
    """No constraint: the parameter is its own unconstrained value."""

    def constrain(self, z):
        return jnp.asarray(z)

    def neutral(self) -> float:
        return 0.0

    def unconstrain(self, value):
        return jnp.asarray(value)

    def clip(self, value):
        return jnp.asarray(value)

    def on_boundary(self, value):
        return jnp.zeros(jnp.shape(value), bool)

    def bounds(self):
        return None, None

    def default_prior(self):
        import numpyro.distributions as dist

        return dist.Normal(0.0, 10.0)

    def __str__(self):
        return "real"


class Positive(AbstractConstraint):
    """value > 0, through value = exp(z).

    A fitted value below `floor` counts as having collapsed onto the boundary at zero.
    """

    floor: float = 1e-12

    def constrain(self, z):
        return jnp.exp(z)

    def neutral(self) -> float:
        return 1.0

    def unconstrain(self, value):
        return jnp.log(value)

    def clip(self, value):
        return jnp.maximum(jnp.asarray(value), self.floor)

    def on_boundary(self, value):
        return jnp.asarray(value) <= self.floor * 10

    def bounds(self):
        return 0.0, None

    def violated(self, value) -> np.ndarray:
        return np.asarray(value) <= 0

    def default_prior(self):
        import numpyro.distributions as dist

        return dist.LogNormal(0.0, 5.0)

    def __str__(self):
        return "positive"


class Interval(AbstractConstraint):
    """lo < value < hi, through value = lo + (hi - lo) * sigmoid(z)."""

    lo: float
    hi: float

    def __check_init__(self):
        lo, hi = float(self.lo), float(self.hi)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"Interval bounds must be finite, got ({lo}, {hi}); use Positive() or Real() for open ranges.")
        if lo >= hi:
            raise ValueError(f"Interval bounds need lo < hi, got lo={lo} >= hi={hi}; swap or widen them.")

    def constrain(self, z):
        return self.lo + (self.hi - self.lo) * jnp.reciprocal(1 + jnp.exp(-jnp.asarray(z)))

    def neutral(self) -> float:
        return 0.5 * (float(self.lo) + float(self.hi))

    def unconstrain(self, value):
        u = (jnp.asarray(value) - self.lo) / (self.hi - self.lo)
        return jnp.log(u) - jnp.log1p(-u)

    def clip(self, value):
        margin = 1e-6 * (self.hi - self.lo)
        return jnp.clip(jnp.asarray(value), self.lo + margin, self.hi - margin)

    def on_boundary(self, value):
        margin = 1e-4 * (self.hi - self.lo)
        value = jnp.asarray(value)
        return (value <= self.lo + margin) | (value >= self.hi - margin)

    def bounds(self):
        return self.lo, self.hi

    def default_prior(self):
        import numpyro.distributions as dist

        return dist.Uniform(self.lo, self.hi)

    def __str__(self):
        return f"in ({self.lo:g}, {self.hi:g})"
