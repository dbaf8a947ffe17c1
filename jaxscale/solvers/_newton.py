import jax
import jax.numpy as jnp

from ._abstract import AbstractSolver, SolverState


def value_grad_hessian(objective, z):
    """Objective, gradient and exact Hessian in one forward-over-reverse pass."""

    def grad_with_aux(z):
        value, grad = jax.value_and_grad(objective)(z)
        return grad, (value, grad)

    hessian, (value, grad) = jax.jacfwd(grad_with_aux, has_aux=True)(z)
    return value, grad, hessian


class DampedNewton(AbstractSolver):
    """Newton's method on the exact Hessian with Levenberg-Marquardt damping.

    Each step solves (H + lambda * S) delta = -g, with S = |diag H| (Marquardt's scaling, so the step does
    not depend on the scale of any one coordinate: a positive parameter started near zero moves as readily
    as one near one). A step that lowers the objective is taken and lambda shrinks; one that does not is
    refused and lambda grows. Far from a minimum this is a short scaled-gradient step, near one it converges
    quadratically, and with a handful of parameters the exact Hessian costs little more than a gradient.

    Converged when an accepted step changes the objective by at most `ftol` relative and moves at most
    `xtol` (relative to |z|; both floored at the dtype's precision), or when no damping gives a lower objective at machine precision.
    """

    max_steps: int = 200
    ftol: float = 1e-11
    xtol: float = 1e-8
    initial_damping: float = 1e-3
    max_damping: float = 1e12

    def init(self, objective, z):
        # Derivatives are first evaluated by the first `step` (a zero step), so that the Hessian code is
        # traced, and compiled, once.
        p = z.shape[0]
        grad, hessian = jnp.zeros(p, z.dtype), jnp.eye(p, dtype=z.dtype)
        damping = jnp.asarray(self.initial_damping, z.dtype)
        return SolverState(value=objective(z), converged=jnp.asarray(False), extra=(grad, hessian, damping, jnp.asarray(True)))

    def step(self, objective, z, state):
        grad, hessian, damping, fresh = state.extra
        scale = jnp.abs(jnp.diag(hessian))
        scale = jnp.maximum(scale, 1e-12 * jnp.max(scale) + jnp.finfo(z.dtype).tiny)
        delta = jnp.linalg.solve(hessian + damping * jnp.diag(scale), -grad)
        delta = jnp.where(fresh, 0.0, delta)
        candidate = z + delta
        value, new_grad, new_hessian = value_grad_hessian(objective, candidate)
        descent = (value < state.value) & (jnp.dot(grad, delta) < 0)
        accept = jnp.isfinite(value) & (descent | fresh)
        # Tolerances never go below what the dtype can resolve (float32 would otherwise never converge).
        eps = jnp.finfo(z.dtype).eps
        small_change = state.value - value <= jnp.maximum(self.ftol, 10 * eps) * jnp.abs(state.value)
        small_step = jnp.max(jnp.abs(delta)) <= jnp.maximum(self.xtol, jnp.sqrt(eps)) * (1 + jnp.max(jnp.abs(z)))
        stalled = damping >= self.max_damping
        converged = ~fresh & ((accept & small_change & small_step) | stalled)
        new_damping = jnp.where(fresh, damping, jnp.where(accept, jnp.maximum(damping * 0.3, 1e-15), damping * 10))
        z = jnp.where(accept, candidate, z)
        pick = lambda new, old: jnp.where(accept, new, old)
        state = SolverState(
            value=pick(value, state.value),
            converged=converged,
            extra=(pick(new_grad, grad), pick(new_hessian, hessian), new_damping, jnp.asarray(False)),
        )
        return z, state
