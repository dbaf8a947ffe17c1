"""The `jaxscale` command's entry point: it hands each call to a resident jaxscale process when one is
running, and otherwise runs the call itself and then starts one in the background.

A new process pays about 1.5 s to import JAX, pandas and jaxscale and about 1.5 s more to trace and lower
its programs (JAX's persistent cache skips only XLA's compile), for a fit that takes 0.1 s. The resident keeps
all of that in memory: a repeated `jaxscale fit chinchilla` answers in a fraction of a second. It runs each
call in the caller's terminal, working directory and environment, one call at a time (a second concurrent
call runs in its own process), and stops after `JAXSCALE_RESIDENT_IDLE` seconds without a call (default
600), after 200 calls, when its caller goes away mid-call, or as soon as any file of the code it loaded
changes (an upgrade, an edit). Its socket lives in a directory on this host that only the user can enter
(`$XDG_RUNTIME_DIR/jaxscale`, else `<tmp>/jaxscale-<uid>`; `JAXSCALE_RESIDENT_DIR` moves it). It serves
only where JAX runs on CPU (an idle process must not hold an accelerator's memory), unless
`JAXSCALE_RESIDENT=1`, and never on CI services (`CI` set) unless `JAXSCALE_RESIDENT=1`.

`JAXSCALE_RESIDENT=0` turns it off (every call then runs in its own process, as `python -m jaxscale.cli`
always does); `jaxscale resident` says whether one is running and `jaxscale resident stop` stops it. Where
Unix sockets are missing (Windows), calls run in their own process.

This package imports neither JAX nor jaxscale until a call runs here: that is what makes handing over cheap.
"""

import os
import sys
import time

from . import _address, _messages

RESIDENT_USAGE = "usage: jaxscale resident [status | stop]"


def _run_here(argv: list[str]) -> int:
    from jaxscale.cli import main

    return main(argv)


def _resident_command(argv: list[str]) -> int:
    if argv not in ([], ["status"], ["stop"]):
        print(RESIDENT_USAGE, file=sys.stderr)
        return 2
    address = _address.find()
    if address is None:
        print("no resident jaxscale process: turned off (JAXSCALE_RESIDENT=0, or CI set), or no private directory or Unix sockets here")
        return 0
    from . import _client, _resident

    if argv == ["stop"]:
        pid = _client.stop(address)
        print("no resident jaxscale process was running" if pid is None else f"stopped the resident jaxscale process (pid {pid})")
        return 0
    state = _client.status(address)
    if state is None:
        starting = _client.resident_pid(address)
        why = _resident.declined(address)
        if starting is not None:
            print(f"the resident jaxscale process is starting (pid {starting}; socket {address.socket})")
        elif why is not None:
            print(f"no resident jaxscale process: the last one declined to serve ({why}); calls run in their own process")
        else:
            print(f"no resident jaxscale process is running (the next call starts one; socket {address.socket})")
    elif state.get("busy"):
        print(f"the resident jaxscale process is answering a call (socket {address.socket})")
    else:
        up = time.time() - state["started"]
        print(f"resident jaxscale process: pid {state['pid']}, up {up:.0f} s, {state['calls']} calls answered, "
              f"stops after {state['idle_seconds']:g} s idle (socket {address.socket})")
    return 0


def _call(argv: list[str]) -> int:
    address = _address.find()
    if address is None:
        return _run_here(argv)
    from . import _client, _resident

    code, why = _client.call(address, argv)
    if code is not None:
        return code
    code = _run_here(argv)
    # none running, or a stale one that has stopped; not again soon after one declined, unless asked for
    if why != "busy" and (_address.asked_for(os.environ) or _resident.declined(address) is None):
        _resident.start(address, sys.path[1:])
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return _resident_command(argv[1:]) if argv[:1] == ["resident"] else _call(argv)
    except KeyboardInterrupt:
        print("jaxscale: interrupted", file=sys.stderr)
        return _messages.INTERRUPTED


__all__ = ["main"]
