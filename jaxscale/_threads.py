"""Independent compiled calls side by side, one thread per CPU core.

XLA runs the small ops of a fitting loop mostly on one core, and a compiled call releases the GIL, so two
calls in two threads use two cores. On an accelerator the calls run one after another (the device is
already parallel), and so they do when several processes run one program (`jax.distributed`): each process
must launch the same collectives in the same order.
"""

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import jax


def workers() -> int:
    if jax.process_count() > 1:
        return 1
    return (os.cpu_count() or 1) if jax.default_backend() == "cpu" else 1


def map_on_cores(fn: Callable, items: Iterable, first_alone: bool = False) -> Iterator:
    """`fn` over `items`, results in order. With `first_alone`, the first item runs before the others start,
    so that calls of one shape compile once rather than once per thread."""
    items = list(items)
    if first_alone and items:
        yield fn(items[0])
        items = items[1:]
    if workers() == 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(min(workers(), len(items))) as pool:
        yield from pool.map(fn, items)
