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
import numpy as np
from jaxtyping import Array

from ._constraints import AbstractConstraint, Positive, Real
from ._dataset import Dataset, numeric_column, require_support
from ._law import AbstractLaw


class AbstractLoss(eqx.Module):
    """A fitting objective: a scalar function of a law and the data, minimised by `fit`.

    `target_support` says where the target may lie (a constraint: `Positive()` for a loss that takes its log,
    `Real()` for raw values); `fit` checks the target column against it before compiling (`read_target`). A
    loss without residual structure (a negative log-likelihood, say) subclasses this directly; `fit` then
    picks `DampedNewton` for it, and refuses `GaussNewton`, which needs residuals.

    A loss may have parameters of its own, fitted alongside the law's (a likelihood's noise scale):
    `noise_parameters()` names the free ones and their constraints, and `with_noise(values)` is the loss with
    those values in place. Plain losses have none.
    """

    target_support: ClassVar[AbstractConstraint]
    # The `Dataset.extra` entries the loss reads (a Binomial's "trials"); `read_target` fills them.
    extra_names: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    def __call__(self, law: AbstractLaw, data: Dataset) -> Array:
        """The objective value (a scalar) of `law` on `data`."""

    def read_target(self, frame, target: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The target column of a DataFrame, checked against `target_support`, and the extra columns the
        loss reads (none here; a Binomial's trials): a ValueError naming the column and the fix otherwise."""
        y = numeric_column(frame, target, role="target")
        require_support(y, target, self.target_support)
        return y, {}

    def predicted_target(self, data: Dataset) -> np.ndarray:
        """The target on the scale of the law's prediction, for data-aware default starts (a Binomial's counts
        divided by their trials); the target itself by default."""
        return np.asarray(data.target)

    def point_loss(self) -> "AbstractLoss":
        """A loss with the same optimum over the law that a faster solver reaches (Normal noise: least squares);
        `fit` starts from its optimum, and `infer` starts its chains there. The loss itself by default."""
        return self

    def noise_starts(self, target: np.ndarray, extra: dict[str, np.ndarray], weights: np.ndarray) -> dict[str, float]:
        """Starting values of the free parameters of `noise_parameters()`, from the data; none for plain losses."""
        return {}

    def noise_parameters(self) -> dict[str, AbstractConstraint]:
        """The loss's own free parameters (name -> constraint), fitted with the law's; none for plain losses."""
        return {}

    def with_noise(self, values) -> "AbstractLoss":
        """The loss with its own parameters set to `values` (name -> value)."""
        return self


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
