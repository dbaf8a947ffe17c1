"""The objective a solver minimises: a loss of a law on a dataset, as a function of the unconstrained vector."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._dataset import Dataset
from ._parameterization import Parameterization
from .losses import AbstractLoss


class Objective(eqx.Module):
    """loss(law(z), data) for a flat unconstrained parameter vector `z` (whose tail holds the loss's own
    parameters, if it has any).

    Callable like any scalar function (what gradient and Newton solvers need); it also exposes the residual
    structure, so `gauss_newton` can build a positive semi-definite curvature from first derivatives only.
    """

    parameterization: Parameterization
    loss: AbstractLoss
    data: Dataset

    def __call__(self, z: Float[Array, " p"]) -> Float[Array, ""]:
        loss = self.parameterization.to_loss(z, self.loss)
        return loss(self.parameterization.to_law(z), self.data)

    def residuals(self, z: Float[Array, " p"]) -> Float[Array, " n"]:
        return self.loss.residuals(self.parameterization.to_law(z), self.data)

    def gauss_newton(self, z: Float[Array, " p"]) -> tuple[Array, Array, Array]:
        """Objective, gradient and the iteratively-reweighted Gauss-Newton matrix J^T diag(w psi(r)/r) J.

        With psi the penalty's slope, psi(r)/r is the curvature of the quadratic that touches the penalty at
        r from above (exactly so for Huber and squares), so the matrix is positive semi-definite and a step
        on it lowers the objective: IRLS, which goes where Newton on Huber's flat tails would crawl.
        """
        basis = jnp.eye(z.shape[0], dtype=z.dtype)
        r, jacobian_t = jax.vmap(lambda v: jax.jvp(self.residuals, (z,), (v,)), out_axes=(None, 0))(basis)
        weights = self.data.weights
        value = self.loss.reduce(weights, self.loss.penalty(r))
        grad = jacobian_t @ self.loss.reduce(weights, self.loss.slope(r), per_point=True)
        curvature = self.loss.reduce(weights, self.loss.majorizer_curvature(r), per_point=True)
        return value, grad, (jacobian_t * curvature) @ jacobian_t.T
