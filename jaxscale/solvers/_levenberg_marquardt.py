import abc

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array

from ._abstract import AbstractSolver, SolverState


class AbstractLevenbergMarquardt(AbstractSolver):
    """A damped second-order step with Marquardt's scaling, shared by `DampedNewton` and `GaussNewton`.

    Each step solves (H + lambda * S) delta = -g, with S = |diag H| (so the step does not depend on the scale
    of any one coordinate: a positive parameter started near zero moves as readily as one near one), then
    tries the points z + t * delta for t in `trial_steps` in one batch and keeps the best. A step that
    lowers the objective is taken and lambda shrinks; one that does not is refused and lambda grows.

    Converged when an accepted step changes the objective by at most `ftol` relative and moves at most
    `xtol` (relative to |z|; both floored at the dtype's precision); when `flat_steps` accepted steps in a
    row change the objective by at most `ftol` (a parameter running off to a boundary, such as E -> 0 in
    log space, never takes a small step, but the objective stops changing); or when no damping gives a lower
    objective at machine precision.
    """

    max_steps: eqx.AbstractVar[int]
    ftol: eqx.AbstractVar[float]
    xtol: eqx.AbstractVar[float]
    initial_damping: eqx.AbstractVar[float]
    max_damping: eqx.AbstractVar[float]
    trial_steps: eqx.AbstractVar[tuple[float, ...]]
    flat_steps: eqx.AbstractVar[int]

    @abc.abstractmethod
    def derivatives(self, objective, z: Array) -> tuple[Array, Array, Array]:
        """Objective, gradient and curvature matrix at `z`."""

    def init(self, objective, z):
        # Derivatives are first evaluated by the first `step` (a zero step), so that the curvature code is
        # traced, and compiled, once.
        p = z.shape[0]
        grad, curvature = jnp.zeros(p, z.dtype), jnp.eye(p, dtype=z.dtype)
        damping = jnp.asarray(self.initial_damping, z.dtype)
        extra = (grad, curvature, damping, jnp.asarray(True), jnp.asarray(0))
        return SolverState(value=objective(z), converged=jnp.asarray(False), extra=extra)

    def step(self, objective, z, state):
        grad, curvature, damping, fresh, n_flat = state.extra
        scale = jnp.abs(jnp.diag(curvature))
        scale = jnp.maximum(scale, 1e-12 * jnp.max(scale) + jnp.finfo(z.dtype).tiny)
        delta = jnp.linalg.solve(curvature + damping * jnp.diag(scale), -grad)
        delta = jnp.where(fresh, 0.0, delta)
        if len(self.trial_steps) > 1:
            lengths = jnp.asarray(self.trial_steps, z.dtype)
            trials = jax.vmap(lambda t: objective(z + t * delta))(lengths)
            delta = lengths[jnp.argmin(jnp.where(jnp.isfinite(trials), trials, jnp.inf))] * delta
        candidate = z + delta
        value, new_grad, new_curvature = self.derivatives(objective, candidate)
        descent = (value < state.value) & (jnp.dot(grad, delta) < 0)
        accept = jnp.isfinite(value) & (descent | fresh)
        # Tolerances never go below what the dtype can resolve (float32 would otherwise never converge).
        eps = jnp.finfo(z.dtype).eps
        small_change = state.value - value <= jnp.maximum(self.ftol, 10 * eps) * jnp.abs(state.value)
        small_step = jnp.max(jnp.abs(delta)) <= jnp.maximum(self.xtol, jnp.sqrt(eps)) * (1 + jnp.max(jnp.abs(z)))
        stalled = damping >= self.max_damping
        n_flat = jnp.where(fresh | ~accept, n_flat, jnp.where(small_change, n_flat + 1, 0))
        converged = ~fresh & ((accept & small_change & small_step) | (n_flat >= self.flat_steps) | stalled)
        new_damping = jnp.where(fresh, damping, jnp.where(accept, jnp.maximum(damping * 0.3, 1e-15), damping * 10))
        z = jnp.where(accept, candidate, z)
        pick = lambda new, old: jnp.where(accept, new, old)
        state = SolverState(
            value=pick(value, state.value),
            converged=converged,
            extra=(pick(new_grad, grad), pick(new_curvature, curvature), new_damping, jnp.asarray(False), n_flat),
        )
        return z, state
