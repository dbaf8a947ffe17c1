"""Spreads a batch axis (restarts, resamples, groups) over all local devices with `jax.sharding`.

On one device this is a no-op. On several, the leading axis of every batched array is split across a
one-axis mesh, and the fit runs under `shard_map`: each device fits its own slice of the batch, so the
refine loop re-packs the restarts each device still has, and the answers are the same as on one device.
Across hosts, call `jax.distributed.initialize()` first: `jax.devices()` then lists every host's devices
and the same code runs as one SPMD program.
"""

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def device_count() -> int:
    return jax.device_count()


def padded_size(n: int) -> int:
    """The smallest multiple of the device count that holds `n` batch entries."""
    d = device_count()
    return -(-n // d) * d


def to_host(array) -> np.ndarray:
    """A batched result as one NumPy array on this host; across processes (`jax.distributed`), every
    process's slices gathered, so each process holds the whole batch."""
    if getattr(array, "is_fully_addressable", True):
        return np.asarray(array)
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(array, tiled=True))


def shard_batch(tree):
    """Places every array leaf of `tree` with its leading axis split over the devices (whose count must divide it)."""
    if device_count() == 1:
        return tree
    sharding = NamedSharding(Mesh(np.array(jax.devices()), ("batch",)), PartitionSpec("batch"))
    return jax.device_put(tree, sharding)


def on_each_device(fn, in_axes: tuple):
    """`fn` with each device running it on its own slice of the batch (`shard_map`); `in_axes` says, per
    argument, which leaves are batched (0) and which are shared (None), as for `jax.vmap`. Every output is
    batched. On one device, `fn` itself."""
    if device_count() == 1:
        return fn
    spec = lambda axis: PartitionSpec("batch") if axis == 0 else PartitionSpec()
    in_specs = tuple(jax.tree_util.tree_map(spec, axes, is_leaf=lambda x: x is None) for axes in in_axes)
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    # check_vma=False: the loops carry counters that start replicated and become per-device.
    return jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=PartitionSpec("batch"), check_vma=False)
