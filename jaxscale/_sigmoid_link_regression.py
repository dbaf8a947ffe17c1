"""Weighted least squares of a bounded sigmoid link, accuracy = floor + (ceiling - floor) sigmoid(b + w . x),
by Levenberg-Marquardt from a linearised start: pure JAX, so one compile serves every bootstrap resample under
`vmap`.

The link of Ruan et al. 2024's observational laws (their "sigmoid-parametric": the ceiling held at 1, the floor
fitted in [0, 0.2], least squares); here the floor can also be held, at a benchmark's chance accuracy.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike


class SigmoidLink(eqx.Module):
    """A fitted link: `intercept` b, `weights` w (one per feature), `floor`, `ceiling`, and `rmse`, the weighted
    root-mean-square residual of the fit (in accuracy)."""

    intercept: Array
    weights: Array
    floor: Array
    ceiling: Array
    rmse: Array

    def __call__(self, features: ArrayLike) -> Array:
        eta = self.intercept + jnp.asarray(features) @ self.weights
        return self.floor + (self.ceiling - self.floor) * jax.nn.sigmoid(eta)


def fit_sigmoid_link(features: ArrayLike, target: ArrayLike, weights: ArrayLike, floor: ArrayLike, ceiling: ArrayLike = 1.0,
                     fit_floor: bool = False, floor_max: float = 0.2, steps: int = 60) -> SigmoidLink:
    """Least squares of `target` on bounded_sigmoid(b + features @ w, floor, ceiling), each row weighted by
    `weights` (0: left out). With `fit_floor`, the floor is fitted in (0, floor_max) and `floor` is its start.

    The start is the weighted linear regression of the target's bounded logit on the features; then `steps`
    damped Gauss-Newton (Levenberg-Marquardt) steps, a step kept only where it lowers the objective.

    >>> import numpy as np
    >>> x = np.linspace(-3, 3, 40)[:, None]
    >>> y = 0.25 + 0.75 / (1 + np.exp(-(0.5 + 2.0 * x[:, 0])))
    >>> link = fit_sigmoid_link(x, y, np.ones(40), floor=0.25)
    >>> round(float(link.intercept), 4), round(float(link.weights[0]), 4)
    (0.5, 2.0)
    """
    x, y = jnp.asarray(features), jnp.asarray(target)
    w = jnp.asarray(weights, x.dtype)
    floor0, ceiling = jnp.asarray(floor, x.dtype), jnp.asarray(ceiling, x.dtype)
    design = jnp.concatenate([jnp.ones((x.shape[0], 1), x.dtype), x], axis=1)
    # Start: regress the bounded logit of the target (kept 2% inside the band) on the features.
    band = ceiling - floor0
    p = jnp.clip((y - floor0) / band, 0.02, 0.98)
    gram = design.T @ (w[:, None] * design) + 1e-8 * jnp.eye(design.shape[1])
    beta0 = jnp.linalg.solve(gram, design.T @ (w * jnp.log(p / (1 - p))))
    floor_logit0 = jnp.log(floor0 / floor_max) - jnp.log1p(-floor0 / floor_max)
    theta0 = jnp.concatenate([beta0, jnp.atleast_1d(jnp.clip(floor_logit0, -6.0, 6.0))]) if fit_floor else beta0

    def unpack(theta):
        beta = theta[: design.shape[1]]
        low = floor_max * jax.nn.sigmoid(theta[-1]) if fit_floor else floor0
        return beta, low

    def residuals(theta):
        beta, low = unpack(theta)
        return jnp.sqrt(w) * (low + (ceiling - low) * jax.nn.sigmoid(design @ beta) - y)

    def objective(theta):
        return jnp.sum(residuals(theta) ** 2)

    def step(_, carry):
        theta, damping = carry
        r, jac = residuals(theta), jax.jacfwd(residuals)(theta)
        normal = jac.T @ jac
        delta = -jnp.linalg.solve(normal + damping * (jnp.diag(jnp.diag(normal)) + 1e-9 * jnp.eye(theta.size)), jac.T @ r)
        better = objective(theta + delta) < objective(theta)
        return jnp.where(better, theta + delta, theta), jnp.where(better, damping / 3, damping * 4)

    theta, _ = jax.lax.fori_loop(0, steps, step, (theta0, jnp.asarray(1e-3, x.dtype)))
    beta, low = unpack(theta)
    rmse = jnp.sqrt(objective(theta) / jnp.sum(w))
    return SigmoidLink(intercept=beta[0], weights=beta[1:], floor=low, ceiling=ceiling, rmse=rmse)
