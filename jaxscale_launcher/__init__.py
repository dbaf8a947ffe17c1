"""The `jaxscale` command's entry point: it hands each call to a resident jaxscale process when one is
running, and otherwise runs the call itself and then starts one in the background.

A new process pays about 1.5 s to import JAX, pandas and jaxscale and about 1.5 s more to trace and lower
its programs (JAX's persistent cache skips only XLA's compile), for a fit that takes 0.1 s. The resident keeps
all of that in memory: a repeated `jaxscale fit chinchilla` answers in a fraction of a second. It runs each
call in the caller's terminal, working directory and environment, one call at a time (a second concurrent
call runs in its own process), and stops after `JAXSCALE_RESIDENT_IDLE` seconds without a call (default
600), after 200 calls, or as soon as any file of the code it loaded changes (an upgrade, an edit). Its
socket lives in a directory only the user can enter (`$XDG_RUNTIME_DIR/jaxscale`, else
`~/.cache/jaxscale/resident`; `JAXSCALE_RESIDENT_DIR` moves it).

`JAXSCALE_RESIDENT=0` turns it off (every call then runs in its own process, as `python -m jaxscale.cli`
always does); `jaxscale resident` says whether one is running and `jaxscale resident stop` stops it. Where
Unix sockets are missing (Windows), calls run in their own process.

This package imports neither JAX nor jaxscale until a call runs here: that is what makes handing over cheap.
"""

import sys
import time

from . import _address, _client, _resident

RESIDENT_USAGE = "usage: jaxscale resident [status | stop]"


def _run_here(argv: list[str]) -> int:
    from jaxscale.cli import main

    try:
        return main(argv)
    except KeyboardInterrupt:
        print("jaxscale: interrupted", file=sys.stderr)
        return _client.INTERRUPTED


def _resident_command(argv: list[str]) -> int:
    if argv not in ([], ["status"], ["stop"]):
        print(RESIDENT_USAGE, file=sys.stderr)
        return 2
    address = _address.find()
    if address is None:
        print("no resident jaxscale process: turned off (JAXSCALE_RESIDENT=0), or no private directory or Unix sockets here")
        return 0
    if argv == ["stop"]:
        pid = _client.stop(address)
        print("no resident jaxscale process was running" if pid is None else f"stopped the resident jaxscale process (pid {pid})")
        return 0
    state = _client.status(address)
    if state is None:
        print(f"no resident jaxscale process is running (the next call starts one; socket {address.socket})")
    elif state.get("busy"):
        print(f"the resident jaxscale process is answering a call (socket {address.socket})")
    else:
        up = time.time() - state["started"]
        print(f"resident jaxscale process: pid {state['pid']}, up {up:.0f} s, {state['calls']} calls answered, "
              f"stops after {state['idle_seconds']:g} s idle (socket {address.socket})")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["resident"]:
        return _resident_command(argv[1:])
    address = _address.find()
    why = "off"
    if address is not None:
        code, why = _client.call(address, argv)
        if code is not None:
            return code
    code = _run_here(argv)
    if why != "busy" and address is not None:  # none running, or a stale one that has stopped
        _resident.start(address, sys.path[1:])
    return code


__all__ = ["main"]
