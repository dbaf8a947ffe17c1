"""The compiled core of every fit: screen all starts with one objective evaluation, refine the best ones.

`fit_program` runs one dataset; `fit_batch_program` runs a batch of datasets (bootstrap reweightings, groups)
as one more batch axis of the same program, never a Python loop of fits.
"""

import equinox as eqx
import jax
import jax.numpy as jnp

from ._objective import Objective
from ._sharding import on_each_device
from .solvers import minimize_groups


def _screen(objective, z_starts, n_refine):
    screened = jax.lax.map(objective, z_starts, batch_size=1024)
    screened = jnp.where(jnp.isfinite(screened), screened, jnp.inf)
    _, chosen = jax.lax.top_k(-screened, n_refine)
    return screened, chosen


@eqx.filter_jit
def fit_program(parameterization, loss, solver, dataset, z_starts, n_refine, stop_when_agreed, agree_rtol, on_progress=None):
    """One dataset, `z_starts` of shape (starts, p): one compiled program per shape."""
    found = _fit_batch(parameterization, loss, solver, dataset, None, z_starts[None], n_refine, stop_when_agreed, agree_rtol, on_progress)
    return jax.tree_util.tree_map(lambda a: a[0], found)


@eqx.filter_jit
def fit_batch_program(parameterization, loss, solver, datasets, data_axes, z_starts, n_refine, stop_when_agreed, agree_rtol):
    """A batch of datasets (their arrays batched where `data_axes` says 0) and starts of shape (batch, starts, p),
    the batch split over the devices (each fits its own slice)."""
    run = lambda d, z: _fit_batch(parameterization, loss, solver, d, data_axes, z, n_refine, stop_when_agreed, agree_rtol, None)
    return on_each_device(run, (data_axes, 0))(datasets, z_starts)


def _fit_batch(parameterization, loss, solver, datasets, data_axes, z_starts, n_refine, stop_when_agreed, agree_rtol, on_progress):
    objective_of = lambda dataset: Objective(parameterization, loss, dataset)
    if data_axes is None:  # one dataset shared by the whole batch
        datasets, data_axes = jax.tree_util.tree_map(lambda a: a[None], datasets), 0
    screen = lambda dataset, z: _screen(objective_of(dataset), z, n_refine)
    screened, chosen = jax.vmap(screen, in_axes=(data_axes, 0))(datasets, z_starts)
    z_chosen = jnp.take_along_axis(z_starts, chosen[..., None], axis=1)
    minimum = minimize_groups(solver, objective_of, datasets, data_axes, z_chosen, on_progress, stop_when_agreed, agree_rtol)
    return screened, chosen, minimum
