"""The compiled core of every fit: screen all starts with one objective evaluation, refine the best ones.

`fit_program` runs one dataset; `fit_batch_program` runs a batch of datasets (bootstrap reweightings, groups)
as one more vmapped axis of the same program, never a Python loop of fits.
"""

import equinox as eqx
import jax
import jax.numpy as jnp

from ._objective import Objective
from .solvers import minimize_batch


def screen_and_refine(objective, solver, z_starts, n_refine, on_progress, stop_when_agreed, agree_rtol):
    screened = jax.lax.map(objective, z_starts, batch_size=1024)
    screened = jnp.where(jnp.isfinite(screened), screened, jnp.inf)
    _, chosen = jax.lax.top_k(-screened, n_refine)
    minimum = minimize_batch(solver, objective, z_starts[chosen], on_progress, stop_when_agreed, agree_rtol)
    return screened, chosen, minimum


@eqx.filter_jit
def fit_program(parameterization, loss, solver, dataset, z_starts, n_refine, stop_when_agreed, agree_rtol, on_progress=None):
    """One dataset, `z_starts` of shape (starts, p): one compiled program per shape."""
    objective = Objective(parameterization, loss, dataset)
    return screen_and_refine(objective, solver, z_starts, n_refine, on_progress, stop_when_agreed, agree_rtol)


@eqx.filter_jit
def fit_batch_program(parameterization, loss, solver, datasets, data_axes, z_starts, n_refine, stop_when_agreed, agree_rtol):
    """A batch of datasets (their arrays batched where `data_axes` says 0) and starts of shape (batch, starts, p)."""

    def one(dataset, z):
        objective = Objective(parameterization, loss, dataset)
        return screen_and_refine(objective, solver, z, n_refine, None, stop_when_agreed, agree_rtol)

    return jax.vmap(one, in_axes=(data_axes, 0))(datasets, z_starts)
