"""Fitting objectives.

Each loss sums over points by default (`reduction="sum"`), as Hoffmann et al. 2022 and Epoch AI
(Besiroglu et al. 2024) did; with a Huber delta as small as 1e-3 the choice of sum or mean changes the
published Chinchilla answer, so it is explicit here. `reduction="mean"` divides by the total weight.
"""

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array

from ._constraints import AbstractConstraint, Positive, Real
from ._dataset import Dataset
from ._law import AbstractLaw


class AbstractLoss(eqx.Module):
    """A fitting objective: a scalar function of a law and the data, minimised by `fit`.

    `target_support` says where the target may lie (a constraint: `Positive()` for a loss that takes its log,
    `Real()` for raw values); `fit` checks the target column against it before compiling. A loss without
    residual structure (a negative log-likelihood, say) subclasses this directly and needs a solver that
    works on any scalar function (`DampedNewton`, `OptaxSolver`); `fit` refuses `GaussNewton` for it.
    """

    target_support: ClassVar[AbstractConstraint]

    @abc.abstractmethod
    def __call__(self, law: AbstractLaw, data: Dataset) -> Array:
        """The objective value (a scalar) of `law` on `data`."""


class AbstractResidualLoss(AbstractLoss):
    """Weighted sum (or mean) over points of a pointwise penalty on residuals: what `GaussNewton` needs."""

    reduction: eqx.AbstractVar[str]

    def __check_init__(self):
        if self.reduction not in ("sum", "mean"):
            raise ValueError(f"reduction must be 'sum' or 'mean', got {self.reduction!r}.")

    @abc.abstractmethod
    def residuals(self, law: AbstractLaw, data: Dataset) -> Array:
        """One residual per point."""

    @abc.abstractmethod
    def penalty(self, r: Array) -> Array:
        """Pointwise penalty of the residuals."""

    def __call__(self, law: AbstractLaw, data: Dataset) -> Array:
        return self.reduce(data.weights, self.penalty(self.residuals(law, data)))

    def reduce(self, weights: Array, pointwise: Array, per_point: bool = False) -> Array:
        """The weighted sum (or mean) of `pointwise`; with `per_point`, each point's weighted term unsummed."""
        terms = weights * pointwise
        if self.reduction == "mean":
            terms = terms / jnp.sum(weights)
        return terms if per_point else jnp.sum(terms)

    def slope(self, r: Array) -> Array:
        """d penalty / d r, pointwise."""
        return jax.grad(lambda r: jnp.sum(self.penalty(r)))(r)

    def majorizer_curvature(self, r: Array) -> Array:
        """slope(r) / r (the penalty's own curvature at r = 0): the curvature of the quadratic in r that
        touches the penalty at r from above for penalties concave in r^2 (Huber, squares). Gauss-Newton
        solvers weight each point's Jacobian row by it."""
        at_zero = jax.grad(lambda r: jnp.sum(self.slope(r)))(jnp.zeros_like(r))
        safe_r = jnp.where(r == 0, 1.0, r)
        return jnp.where(r == 0, at_zero, self.slope(r) / safe_r)


class AbstractLogLoss(AbstractResidualLoss):
    """A loss on log residuals, log prediction - log target (so targets must be > 0)."""

    target_support: ClassVar[AbstractConstraint] = Positive()

    def residuals(self, law, data):
        return law.log_predict(data.inputs) - jnp.log(data.target)


class LogHuber(AbstractLogLoss):
    """sum_i w_i * Huber_delta(log prediction_i - log target_i), the Chinchilla / Epoch AI objective.

    Huber_delta(r) = r^2 / 2 for |r| <= delta, delta * (|r| - delta / 2) otherwise (scipy.special.huber).
    Hoffmann et al. 2022 and Besiroglu et al. 2024 use delta = 1e-3.

    >>> import jaxscale as js
    >>> js.LogHuber(1e-3)
    LogHuber(delta=0.001)
    """

    delta: float = 1e-3
    reduction: str = "sum"

    def __check_init__(self):
        if not self.delta > 0:
            raise ValueError(f"LogHuber needs delta > 0, got {self.delta}.")

    def penalty(self, r):
        a = jnp.abs(r)
        return jnp.where(a <= self.delta, 0.5 * r**2, self.delta * (a - 0.5 * self.delta))


class LogSquared(AbstractLogLoss):
    """sum_i w_i * (log prediction_i - log target_i)^2."""

    reduction: str = "sum"

    def penalty(self, r):
        return r**2


class Squared(AbstractResidualLoss):
    """sum_i w_i * (prediction_i - target_i)^2; the only loss here that accepts targets <= 0."""

    reduction: str = "sum"
    target_support: ClassVar[AbstractConstraint] = Real()

    def residuals(self, law, data):
        return law(data.inputs) - data.target

    def penalty(self, r):
        return r**2


__all__ = ["AbstractLogLoss", "AbstractLoss", "AbstractResidualLoss", "LogHuber", "LogSquared", "Squared"]
