"""Standard errors and identifiability from the curvature of the objective at a fit's optimum.

For a residual loss (least squares, Huber, on the log or raw scale) the covariance of the unconstrained
parameters is the sandwich B^-1 M B^-1 * n / (n - p), with bread B = J^T W J and meat M = J^T W diag(r^2) J
(J the residuals' Jacobian, r the residuals, W the row weights as frequencies): the least-squares covariance
that stays honest when the noise is not the same everywhere, which is what a bootstrap over rows measures. For
a likelihood it is the inverse of the observed information (the Hessian of the negative log-likelihood). The
delta method carries it to natural units.

A direction along which the bread is singular (relative to its diagonal) is one the data do not determine:
moving along it leaves the objective flat, so the parameters with weight on it are reported as not identified,
and their standard errors are infinite (never silently finite).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._dataset import Dataset
from ._objective import Objective
from ._parameterization import Parameterization
from .losses import AbstractLoss, AbstractResidualLoss

# The smallest eigenvalue of the correlation-scaled curvature, relative to the largest, below which a direction
# counts as flat: a correlation of 1 - 1e-9 between two parameters' effects is no information about either.
FLAT = 1e-9
# A parameter is named when it carries at least this share of a flat direction.
SHARE = 0.1


class Curvature(eqx.Module):
    """Per fit in a batch: standard errors in natural units (flat order of the parameterization; 0 for fixed
    parameters, inf for unidentified ones) and which parameters the data do not determine."""

    standard_errors: np.ndarray  # (fits, q)
    unidentified: np.ndarray  # (fits, q) bool


def curvature(parameterization: Parameterization, loss: AbstractLoss, data: Dataset, z, weights) -> Curvature:
    """z (fits, p) best points; weights (fits, n) each fit's row weights over `data`'s rows."""
    z, weights = jnp.asarray(z), jnp.asarray(weights, dtype=jnp.asarray(z).dtype)
    bread, meat, to_natural = (None if a is None else np.asarray(a) for a in _pieces(parameterization, loss, data, z, weights))
    n_rows = np.asarray(jnp.sum(weights > 0, axis=-1))
    fits, p = z.shape
    q = to_natural.shape[1]
    se = np.zeros((fits, q))
    unidentified = np.zeros((fits, q), bool)
    roles = parameterization.flat_roles()
    for f in range(fits):
        flat = _flat_directions(bread[f])
        weak_free = np.zeros(p, bool)
        for direction in flat:
            weak_free |= direction**2 >= SHARE
        finite = np.all(np.isfinite(bread[f])) and (meat is None or np.all(np.isfinite(meat[f])))
        if not finite:
            weak_free[:] = True
        keep = ~weak_free
        cov_z = np.zeros((p, p))
        if keep.any():
            inverse = np.linalg.inv(bread[f][np.ix_(keep, keep)])
            if meat is None:
                block = inverse
            else:
                dof = max(n_rows[f] - p, 1)
                block = inverse @ meat[f][np.ix_(keep, keep)] @ inverse * n_rows[f] / dof
            cov_z[np.ix_(keep, keep)] = block
        jac = to_natural[f]
        variance = np.einsum("qi,ij,qj->q", jac, cov_z, jac)
        se[f] = np.sqrt(np.clip(variance, 0.0, None))
        # A natural parameter that moves with an unidentified coordinate is unidentified itself.
        touched = (np.abs(jac[:, weak_free]) > 0).any(axis=1)
        unidentified[f] = touched & np.array([r != "fixed" for r in roles])
        se[f][unidentified[f]] = np.inf
    return Curvature(se, unidentified)


def _flat_directions(bread: np.ndarray) -> list[np.ndarray]:
    """Unit eigenvectors of the correlation-scaled curvature whose eigenvalues are (relatively) zero; a
    coordinate the objective does not depend on at all is a flat direction of its own."""
    diagonal = np.diag(bread)
    if not np.all(np.isfinite(bread)):
        return []
    dead = ~(diagonal > 0)
    directions = [np.eye(len(diagonal))[i] for i in np.flatnonzero(dead)]
    live = ~dead
    if live.sum() >= 2:
        scale = 1.0 / np.sqrt(diagonal[live])
        scaled = bread[np.ix_(live, live)] * scale[:, None] * scale[None, :]
        values, vectors = np.linalg.eigh(0.5 * (scaled + scaled.T))
        for value, vector in zip(values, vectors.T):
            if value <= FLAT * max(values[-1], 1e-300):
                full = np.zeros(len(diagonal))
                full[live] = vector
                directions.append(full)
    return directions


@eqx.filter_jit
def _pieces(parameterization, loss, data, z, weights):
    """Per fit: the curvature (bread), the meat (residual losses only) and d natural / d z."""

    def one(z, w):
        weighted = eqx.tree_at(lambda d: d.weights, data, w)
        objective = Objective(parameterization, loss, weighted)
        if isinstance(loss, AbstractResidualLoss):
            jacobian = jax.jacfwd(objective.residuals)(z)
            r = objective.residuals(z)
            # Rows of zero weight may hold a padded or held-out point whose residual is not finite.
            jacobian = jnp.where(w[:, None] > 0, jacobian, 0.0)
            r = jnp.where(w > 0, r, 0.0)
            bread = jacobian.T @ (w[:, None] * jacobian)
            meat = (jacobian * (w * r**2)[:, None]).T @ jacobian
        else:
            bread = jax.hessian(objective)(z)
            meat = None
        to_natural = jax.jacfwd(lambda v: parameterization.natural_rows(v[None])[0])(z)
        return bread, meat, to_natural

    return jax.vmap(one)(z, weights)
