"""The loop that drives a batch of restarts: every restart of every group in one compiled program.

A vmapped loop runs until its slowest member is done, so one restart creeping along a valley for 400 steps
would make every finished restart ride along. The loop here re-packs instead: it runs the restarts still
going in blocks, `CHUNK_STEPS` steps at a time, and between chunks sorts the unfinished ones to the front,
so the work done follows the steps each restart really takes, not the batch's slowest.
"""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._results import RESULTS
from ._abstract import AbstractSolver

# Steps between re-packs: each re-pack costs a sort and a gather; a restart that finishes mid-chunk idles
# for the rest of it.
CHUNK_STEPS = 8
# Blocks per batch at the start: more blocks follow the finishing restarts more closely, fewer keep each
# block big enough to fill the machine (and never below MIN_BLOCK restarts, whose fixed cost per step
# would dominate).
BLOCKS = 8
MIN_BLOCK = 32


class BatchMinimum(eqx.Module):
    """Where each restart ended: point, objective, status code and the number of steps it took."""

    z: Float[Array, "*batch p"]
    value: Float[Array, " *batch"]
    status: Int[Array, " *batch"]
    steps: Int[Array, " *batch"]


def minimize_batch(
    solver: AbstractSolver,
    objective: Callable[[Array], Array],
    z0: Float[Array, "restarts p"],
    on_progress: Callable | None = None,
    stop_when_agreed: int | None = None,
    agree_rtol: float = 1e-6,
) -> BatchMinimum:
    """Runs `solver` from every row of `z0` on one `objective`; pure, so it can be jitted and vmapped.

    A restart stops (is frozen) as soon as it converges, its objective becomes non-finite or it has taken
    `solver.max_steps` steps. `on_progress(step, n_running)` is called from the compiled loop between chunks
    of steps when given.

    With `stop_when_agreed=k`, the restarts still running are stopped (status "stopped_early") once k
    converged restarts agree on the lowest objective found (within `agree_rtol`) and no running restart is
    below it: the answer is then settled, and what is left is usually a restart creeping along a valley
    towards a bound, which would hold the whole batch for hundreds of steps.
    """
    minimum = minimize_groups(solver, lambda _: objective, None, None, z0[None], on_progress, stop_when_agreed, agree_rtol)
    return jax.tree_util.tree_map(lambda a: a[0], minimum)


def minimize_groups(
    solver: AbstractSolver,
    objective_of: Callable,
    data,
    data_axes,
    z0: Float[Array, "groups restarts p"],
    on_progress: Callable | None = None,
    stop_when_agreed: int | None = None,
    agree_rtol: float = 1e-6,
) -> BatchMinimum:
    """`minimize_batch` for a batch of groups, each with its own data: group g minimises `objective_of(data_g)`.

    `data` is a pytree whose leaves are batched over groups where `data_axes` (a matching pytree of 0 / None,
    as for `jax.vmap`) says 0, and shared otherwise. `stop_when_agreed` applies within each group. The result's
    arrays have leading axes (groups, restarts).
    """
    n_groups, n_restarts, p = z0.shape
    n_lanes = n_groups * n_restarts
    block = min(n_lanes, max(MIN_BLOCK, -(-n_lanes // BLOCKS)))
    lane_group = jnp.arange(n_lanes) // n_restarts
    z = z0.reshape(n_lanes, p)

    data_of = lambda lanes: take_groups(data, data_axes, lane_group[lanes])
    # Over lanes: the data's batched leaves are gathered per lane, its shared leaves stay shared.
    init = jax.vmap(lambda d, zz: solver.init(objective_of(d), zz), in_axes=(data_axes, 0))
    step = jax.vmap(lambda d, zz, ss: solver.step(objective_of(d), zz, ss), in_axes=(data_axes, 0, 0))

    state = init(data_of(jnp.arange(n_lanes)), z)
    running = jnp.isfinite(state.value) & ~state.converged & (solver.max_steps > 0)
    steps = jnp.zeros(n_lanes, jnp.int32)

    def run_block(b, carry):
        """CHUNK_STEPS steps for the lanes at positions [b * block, (b + 1) * block) of `order`."""
        order, n_running, z, state, running, steps = carry
        lanes = jax.lax.dynamic_slice(order, (b * block,), (block,))
        # Positions past the running lanes (the padded tail of the last block) stay frozen.
        live = running[lanes] & (b * block + jnp.arange(block) < n_running)
        block_data = data_of(lanes)
        take = lambda tree: jax.tree_util.tree_map(lambda a: a[lanes], tree)

        def one_step(_, inner):
            zb, sb, live, nb = inner
            zn, sn = step(block_data, zb, sb)
            freeze = lambda new, old: jnp.where(live.reshape(live.shape + (1,) * (new.ndim - 1)), new, old)
            zb = freeze(zn, zb)
            sb = jax.tree_util.tree_map(freeze, sn, sb)
            nb = nb + live.astype(nb.dtype)
            live = live & ~sb.converged & jnp.isfinite(sb.value) & jnp.all(jnp.isfinite(zb), axis=-1)
            live = live & (nb < solver.max_steps)
            return zb, sb, live, nb

        zb, sb, live_b, nb = jax.lax.fori_loop(0, CHUNK_STEPS, one_step, (z[lanes], take(state), live, steps[lanes]))
        put = lambda full, part: full.at[lanes].set(part)
        # Lanes in the padded tail were gathered frozen and are written back unchanged.
        in_block = b * block + jnp.arange(block) < n_running
        running = running.at[lanes].set(jnp.where(in_block, live_b, running[lanes]))
        return order, n_running, put(z, zb), jax.tree_util.tree_map(put, state, sb), running, put(steps, nb)

    def keep_going(carry):
        _, _, running, _, _ = carry
        return jnp.any(running)

    def one_chunk(carry):
        i, z, running, steps, state = carry
        order = jnp.argsort((~running).astype(jnp.int32), stable=True)  # running lanes first
        order = jnp.concatenate([order, order[: -n_lanes % block]]) if n_lanes % block else order
        n_running = jnp.sum(running)
        n_blocks = -(-n_running // block)
        _, _, z, state, running, steps = jax.lax.fori_loop(
            0, n_blocks, run_block, (order, n_running, z, state, running, steps)
        )
        if stop_when_agreed is not None:
            running = running & ~_settled(state, running, n_groups, stop_when_agreed, agree_rtol)[lane_group]
        if on_progress is not None:
            jax.debug.callback(on_progress, i + CHUNK_STEPS, running.sum())
        return i + CHUNK_STEPS, z, running, steps, state

    _, z, running, steps, state = jax.lax.while_loop(keep_going, one_chunk, (0, z, running, steps, state))
    finite = jnp.isfinite(state.value) & jnp.all(jnp.isfinite(z), axis=-1)
    stopped_early = ~state.converged & (steps < solver.max_steps)
    unfinished = jnp.where(stopped_early, RESULTS.stopped_early, RESULTS.max_steps) if stop_when_agreed is not None else RESULTS.max_steps
    status = jnp.where(~finite, RESULTS.non_finite, jnp.where(state.converged, RESULTS.converged, unfinished))
    minimum = BatchMinimum(z=z, value=jnp.where(finite, state.value, jnp.inf), status=status, steps=steps)
    return jax.tree_util.tree_map(lambda a: a.reshape((n_groups, n_restarts) + a.shape[1:]), minimum)


def take_groups(data, data_axes, groups):
    """The data of `groups` (an index array): batched leaves (`data_axes` 0) indexed, shared ones (None) kept."""
    if data is None:
        return None
    if isinstance(data_axes, int):
        return jax.tree_util.tree_map(lambda a: a[groups], data)
    return jax.tree_util.tree_map(lambda axis, a: a if axis is None else a[groups], data_axes, data, is_leaf=lambda x: x is None)


def _settled(state, running, n_groups, k, rtol):
    """Per group: whether k converged restarts agree on its lowest converged objective and no running one is below it."""
    per_group = lambda a: a.reshape(n_groups, -1)
    value, running = per_group(state.value), per_group(running)
    done = per_group(state.converged) & jnp.isfinite(value)
    best = jnp.min(jnp.where(done, value, jnp.inf), axis=1, keepdims=True)
    agree = jnp.sum(done & (value <= best + rtol * jnp.abs(best)), axis=1)
    lowest_running = jnp.min(jnp.where(running, value, jnp.inf), axis=1, keepdims=True)
    return (agree >= k) & (lowest_running >= best)[:, 0]
