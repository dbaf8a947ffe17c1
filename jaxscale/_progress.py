"""A progress bar that the compiled refinement loop can update through `jax.debug.callback`."""

import contextlib

_bar = None


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int, desc: str, unit: str = "step"):
    """Yields the bar (None when not `enabled`); `report_progress` updates it from compiled code."""
    global _bar
    if not enabled:
        yield None
        return
    from tqdm.auto import tqdm

    _bar = tqdm(total=total, desc=desc, unit=unit, leave=False)
    try:
        yield _bar
    finally:
        _bar.close()
        _bar = None


def report_progress(step, n_running) -> None:
    """Callback from the refinement loop: `step` steps done, `n_running` restarts still running."""
    if _bar is not None:
        _bar.n = int(step)
        _bar.set_postfix(running=int(n_running), refresh=False)
        _bar.refresh()


def advance_progress(n) -> None:
    """Callback from a sampling loop: `n` more draws done."""
    if _bar is not None:
        _bar.update(int(n))
