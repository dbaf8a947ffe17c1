"""The compute efficiency of model families: each capability factor as a line in log compute with one slope
for all families and an offset per family, factor_k = slope_k log C + offset_{family, k} (Ruan et al. 2024: within a
family, capability is log-linear in compute; families differ in how much capability a FLOP buys).

Weighted least squares in pure JAX (weight 0: not fitted on). A family's offset is shrunk towards the mean
offset by a small ridge penalty, so a family with no fitted member gets the mean offset rather than no answer.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike


class ComputeEfficiency(eqx.Module):
    """`slope` (k): change of each factor per unit of log compute; `intercept` (k): the mean family's offset;
    `family_offsets` (families x k): each family's departure from it. A family's gain on the first factor in
    compute units is `family_offsets[:, 0] / slope[0]` (log compute): exp of it is the compute multiplier
    at which an average family would match it."""

    slope: Array
    intercept: Array
    family_offsets: Array

    def __call__(self, log_compute: ArrayLike, family_onehot: ArrayLike) -> Array:
        """The factors (models x k) predicted from log compute and family."""
        return self.intercept + jnp.asarray(log_compute)[:, None] * self.slope + jnp.asarray(family_onehot) @ self.family_offsets


def fit_compute_efficiency(factors: ArrayLike, log_compute: ArrayLike, family_onehot: ArrayLike, weights: ArrayLike, ridge: float = 1e-3) -> ComputeEfficiency:
    """Fit `ComputeEfficiency` to `factors` (models x k) by weighted least squares, the family offsets penalised
    by `ridge` times the total weight (small: it only pins offsets the data do not determine).

    >>> import numpy as np
    >>> log_c = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0])
    >>> family = np.repeat(np.eye(2), 3, axis=0)
    >>> factors = (2.0 * log_c + np.array([0, 0, 0, 1.0, 1, 1]))[:, None]
    >>> fitted = fit_compute_efficiency(factors, log_c, family, np.ones(6))
    >>> round(float(fitted.slope[0]), 3), np.round(np.asarray(fitted.family_offsets[:, 0]), 2).tolist()
    (2.0, [-0.5, 0.5])
    """
    y = jnp.asarray(factors)
    onehot = jnp.asarray(family_onehot, y.dtype)
    w = jnp.asarray(weights, y.dtype)
    design = jnp.concatenate([jnp.ones((y.shape[0], 1), y.dtype), jnp.asarray(log_compute, y.dtype)[:, None], onehot], axis=1)
    penalty = jnp.concatenate([jnp.full(2, 1e-10), jnp.full(onehot.shape[1], ridge)]) * jnp.sum(w)
    beta = jnp.linalg.solve(design.T @ (w[:, None] * design) + jnp.diag(penalty), design.T @ (w[:, None] * y))
    return ComputeEfficiency(slope=beta[1], intercept=beta[0], family_offsets=beta[2:])
