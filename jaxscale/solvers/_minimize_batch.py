from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from ._abstract import AbstractSolver

# Per-restart status codes, also used by FitResult.
CONVERGED, MAX_STEPS, NON_FINITE, NOT_REFINED, STOPPED = 0, 1, 2, 3, 4
STATUS_NAMES = {
    CONVERGED: "converged",
    MAX_STEPS: "max_steps",
    NON_FINITE: "non_finite",
    NOT_REFINED: "not_refined",
    STOPPED: "stopped_early",
}


class BatchMinimum(eqx.Module):
    """Where each restart ended: point, objective, status code and the number of steps it took."""

    z: Float[Array, "restarts p"]
    value: Float[Array, " restarts"]
    status: Int[Array, " restarts"]
    steps: Int[Array, " restarts"]


def minimize_batch(
    solver: AbstractSolver,
    objective: Callable[[Array], Array],
    z0: Float[Array, "restarts p"],
    on_progress: Callable | None = None,
    stop_when_agreed: int | None = None,
    agree_rtol: float = 1e-6,
) -> BatchMinimum:
    """Runs `solver` from every row of `z0` in one loop; pure, so it can be jitted and vmapped.

    A restart stops (is frozen) as soon as it converges or its objective becomes non-finite; the loop ends
    when none is left running or after `solver.max_steps`. `on_progress(step, n_running)` is called from the
    compiled loop every 10 steps when given.

    With `stop_when_agreed=k`, the restarts still running are stopped (status "stopped_early") once k
    converged restarts agree on the lowest objective found (within `agree_rtol`) and no running restart is
    below it: the answer is then settled, and what is left is usually a restart creeping along a valley
    towards a bound, which would hold the whole batch for hundreds of steps.
    """
    init = jax.vmap(lambda z: solver.init(objective, z))
    step = jax.vmap(lambda z, s: solver.step(objective, z, s))
    state = init(z0)
    running = jnp.isfinite(state.value) & ~state.converged
    steps = jnp.zeros(z0.shape[0], jnp.int32)

    def keep_going(carry):
        i, _, _, running, _ = carry
        return (i < solver.max_steps) & jnp.any(running)

    def one_step(carry):
        i, z, state, running, steps = carry
        z_new, state_new = step(z, state)
        freeze = lambda new, old: jnp.where(running.reshape(running.shape + (1,) * (new.ndim - 1)), new, old)
        z = freeze(z_new, z)
        state = jax.tree_util.tree_map(freeze, state_new, state)
        steps = steps + running
        running = running & ~state.converged & jnp.isfinite(state.value) & jnp.all(jnp.isfinite(z), axis=-1)
        if stop_when_agreed is not None:
            running = running & ~_settled(state, running, stop_when_agreed, agree_rtol)
        if on_progress is not None:
            jax.lax.cond(i % 10 == 0, lambda: jax.debug.callback(on_progress, i, running.sum()), lambda: None)
        return i + 1, z, state, running, steps

    _, z, state, running, steps = jax.lax.while_loop(keep_going, one_step, (0, z0, state, running, steps))
    finite = jnp.isfinite(state.value) & jnp.all(jnp.isfinite(z), axis=-1)
    unfinished = jnp.where(running, MAX_STEPS, STOPPED) if stop_when_agreed is not None else MAX_STEPS
    status = jnp.where(~finite, NON_FINITE, jnp.where(state.converged, CONVERGED, unfinished))
    return BatchMinimum(z=z, value=jnp.where(finite, state.value, jnp.inf), status=status, steps=steps)


def _settled(state, running, k, rtol):
    """Whether k converged restarts agree on the lowest converged objective and no running one is below it."""
    done = state.converged & jnp.isfinite(state.value)
    best = jnp.min(jnp.where(done, state.value, jnp.inf))
    agree = jnp.sum(done & (state.value <= best + rtol * jnp.abs(best)))
    lowest_running = jnp.min(jnp.where(running, state.value, jnp.inf))
    return (agree >= k) & (lowest_running >= best)
