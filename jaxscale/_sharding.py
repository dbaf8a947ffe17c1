"""Spreads a batch axis (restarts, resamples, groups) over all local devices with `jax.sharding`.

On one device this is a no-op. On several, the leading axis of every batched array is split across a
one-axis mesh and XLA partitions the compiled fit accordingly (the loop's "anyone still running?" test
becomes an all-reduce), so the answers are the same as on one device. Across hosts, call
`jax.distributed.initialize()` first: `jax.devices()` then lists every host's devices and the same code runs
as one SPMD program.
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


def shard_batch(tree):
    """Places every array leaf of `tree` with its leading axis split over the devices (whose count must divide it)."""
    if device_count() == 1:
        return tree
    sharding = NamedSharding(Mesh(np.array(jax.devices()), ("batch",)), PartitionSpec("batch"))
    return jax.device_put(tree, sharding)
