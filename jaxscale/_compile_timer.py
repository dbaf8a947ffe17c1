"""Measures how much of a call JAX spends tracing and compiling, from JAX's own monitoring events."""

import contextlib

import jax.monitoring

_EVENTS = ("jaxpr_trace_duration", "jaxpr_to_mlir_module_duration", "backend_compile_duration")


class CompileTimer:
    seconds: float = 0.0
    compiles: int = 0


@contextlib.contextmanager
def compile_timer():
    """Yields a `CompileTimer` whose `seconds` and `compiles` (XLA compilations) add up what happened inside."""
    timer = CompileTimer()

    def listen(event: str, duration: float, **kwargs) -> None:
        name = event.rsplit("/", 1)[-1]
        if name in _EVENTS:
            timer.seconds += duration
            timer.compiles += name == "backend_compile_duration"

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        yield timer
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
