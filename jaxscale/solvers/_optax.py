from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from ._abstract import AbstractSolver, SolverState

if TYPE_CHECKING:  # optax itself is imported on first use: it costs 0.2 s at `import jaxscale`
    import optax


class OptaxSolver(AbstractSolver):
    """Any Optax gradient transformation as a multi-start solver, e.g. `OptaxSolver(optax.lbfgs())` or
    `OptaxSolver(optax.adam(1e-2), max_steps=5000)`.

    Transformations that take the objective (L-BFGS's line search) receive it through Optax's extra arguments.
    Converged when the largest gradient entry is at most `gtol`, or, if `ftol > 0`, when a step changes the
    objective by at most `ftol` relative.
    """

    optimizer: "optax.GradientTransformation"
    max_steps: int = 1000
    gtol: float = 1e-9
    ftol: float = 1e-12

    def init(self, objective, z):
        value, grad = jax.value_and_grad(objective)(z)
        opt_state = self._optimizer().init(z)
        return SolverState(value=value, converged=jnp.max(jnp.abs(grad)) <= self.gtol, extra=(grad, opt_state))

    def step(self, objective, z, state):
        grad, opt_state = state.extra
        # Optax's line searches mix int32 and int64 counters; keep JAX's standard promotion for them alone.
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = self._optimizer().update(grad, opt_state, z, value=state.value, grad=grad, value_fn=objective)
        import optax

        z_new = optax.apply_updates(z, updates)
        value, grad = jax.value_and_grad(objective)(z_new)
        small_change = jnp.abs(state.value - value) <= self.ftol * jnp.abs(state.value)
        converged = (jnp.max(jnp.abs(grad)) <= self.gtol) | small_change
        return z_new, SolverState(value=value, converged=converged, extra=(grad, opt_state))

    def _optimizer(self):
        import optax

        return optax.with_extra_args_support(self.optimizer)
