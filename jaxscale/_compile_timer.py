"""Measures how much of a call JAX spends tracing and compiling, from JAX's own monitoring events."""

import contextlib
import threading
from collections import defaultdict

import jax.monitoring

_EVENTS = ("jaxpr_trace_duration", "jaxpr_to_mlir_module_duration", "backend_compile_duration")


class CompileTimer:
    """`seconds`: the compile time of the thread that compiled longest (threads that compile side by side,
    such as grouped fits' buckets, overlap in wall time); `compiles`: the number of XLA compilations."""

    def __init__(self):
        self.per_thread: dict[int, float] = defaultdict(float)
        self.compiles = 0

    @property
    def seconds(self) -> float:
        return max(self.per_thread.values(), default=0.0)


@contextlib.contextmanager
def compile_timer():
    """Yields a `CompileTimer` that adds up the tracing and compiling that happen inside, in any thread."""
    timer = CompileTimer()

    def listen(event: str, duration: float, **kwargs) -> None:
        name = event.rsplit("/", 1)[-1]
        if name in _EVENTS:
            timer.per_thread[threading.get_ident()] += duration
            timer.compiles += name == "backend_compile_duration"

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        yield timer
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
