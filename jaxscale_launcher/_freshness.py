"""Whether the code a resident process has loaded is still the code on disk.

Every loaded module's file is recorded with its modification and change times, size and inode; an upgrade, a
reinstall, an edit or a copy over it (even one that keeps the modification time) of any of them (jaxscale, jax, numpy, ...) makes the resident stale, and a stale resident answers no
call: it stops, and the call runs in a new process.
"""

import os
import sys


def _stamp(path: str) -> tuple[int, ...] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_ctime_ns, status.st_size, status.st_ino


def _module_files() -> set[str]:
    return {path for path in (getattr(module, "__file__", None) for module in list(sys.modules.values())) if isinstance(path, str)}


def loaded_files() -> dict[str, tuple[int, ...] | None]:
    """The file of every loaded module with its stamp (modification and change times, size, inode)."""
    return {path: _stamp(path) for path in _module_files()}


def record_new(recorded: dict[str, tuple[int, ...] | None]) -> None:
    """Adds the files of modules loaded since `recorded` was made (a call imports what it needs) to it."""
    for path in _module_files() - recorded.keys():
        recorded[path] = _stamp(path)


def changed(recorded: dict[str, tuple[int, ...] | None]) -> str | None:
    """The first recorded file that is no longer as recorded (edited, replaced, removed); None if none."""
    for path, stamp in recorded.items():
        if _stamp(path) != stamp:
            return path
    return None
