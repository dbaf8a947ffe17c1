"""The resident process: jaxscale imported once and its compiled programs kept in memory, answering the
`jaxscale` calls of one environment one at a time, each in the caller's own terminal, directory and
environment (`_call_context`), until it has been idle for `Address.idle_seconds`, has answered `MAX_CALLS`
calls, is asked to stop, is interrupted, or finds the code it loaded changed on disk (`_freshness`)."""

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings

from . import _address, _call_context, _freshness, _messages

MAX_CALLS = 200  # then a fresh process: what a long run of different calls compiled is not held forever
INTERRUPTED = 130


class Stopped(BaseException):
    """Raised by SIGTERM (`jaxscale resident stop`), past every handler a command has, to end the resident."""


def _stopped(*_):
    raise Stopped


def start(address: _address.Address, path: list[str]) -> None:
    """Starts a resident for `address` in the background, detached from this process's terminal and pipes."""
    arguments = json.dumps([address.directory, address.key, address.idle_seconds, path])
    command = [sys.executable, "-c", "import sys, json; from jaxscale_launcher._resident import serve; serve(*json.loads(sys.argv[1]))", arguments]
    with contextlib.suppress(OSError):
        subprocess.Popen(command, cwd=address.directory, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)


def _preload():
    """What the commands use, imported and initialised before the first call rather than during it; returns
    the command line's `main`."""
    import numpy as np

    import jaxscale as js
    import jaxscale.cli
    from jaxscale.cli import _common

    _common.parents()
    for name in ("fit", "bootstrap", "allocate", "problems", "isoflop", "evaluate", "backtest", "datasets", "plot"):
        getattr(js, name)
    # One small fit sets up, once, what every fit shares: the backend, JAX's tracing and lowering machinery,
    # and the solver code traced along the way. It saves about 0.6 s of the first call the resident answers.
    x = np.geomspace(1e3, 1e7, 12)
    with warnings.catch_warnings(), contextlib.suppress(Exception):
        warnings.simplefilter("ignore")
        js.fit(js.PowerLaw, {"x": x, "loss": 1.0 + 20.0 * x**-0.4})
    return jaxscale.cli.main


def _exit_code(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message"), as Python itself reports it
    return 1


def _run(main, argv: list[str]) -> tuple[int, bool]:
    """(exit code, interrupted) of one call, made as the console script would make it."""
    try:
        return _exit_code(main(argv)), False
    except SystemExit as stop:  # argparse's usage errors and --help
        return _exit_code(stop.code), False
    except KeyboardInterrupt:
        print("jaxscale: interrupted", file=sys.stderr)
        return INTERRUPTED, True
    except Exception as error:  # noqa: BLE001 - the command line reports, it does not crash
        print(f"jaxscale: error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1, False


def _answer(connection: socket.socket, main, recorded: dict, state: dict) -> bool:
    """Answers one connection; False when the resident should stop after it."""
    request, fds = _messages.receive(connection, max_fds=len(_call_context.STREAMS))
    if request is None or request.get("kind") == "status":
        for fd in fds:
            os.close(fd)
        if request is not None:
            _messages.send(connection, {"pid": os.getpid(), "started": state["started"], "calls": state["calls"], "idle_seconds": state["idle_seconds"]})
        return True
    if request.get("kind") == "stop":
        _messages.send(connection, {"pid": os.getpid(), "stopping": True})
        return False
    stale = _freshness.changed(recorded)
    if stale is not None or len(fds) != len(_call_context.STREAMS):
        for fd in fds:
            os.close(fd)
        _messages.send(connection, {"accepted": False, "why": f"stale: {stale} changed" if stale else "no standard streams"})
        return stale is None
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(_call_context.borrowed(request, fds))
        except OSError as error:  # e.g. the client's directory has gone: it runs the call and reports that itself
            _messages.send(connection, {"accepted": False, "why": str(error)})
            return True
        _messages.send(connection, {"accepted": True, "pid": os.getpid()})
        code, interrupted = _run(main, request["argv"])
    state["calls"] += 1
    recorded.update({path: stamp for path, stamp in _freshness.loaded_files().items() if path not in recorded})
    _messages.send(connection, {"code": code})
    return not interrupted and state["calls"] < MAX_CALLS


def serve(directory: str, key: str, idle_seconds: float, path: list[str]) -> None:
    """Runs the resident for the address (`directory`, `key`) until it stops; returns at once if another
    resident already holds the address."""
    address = _address.Address(directory, key, idle_seconds)
    sys.path[:] = path
    signal.signal(signal.SIGTERM, _stopped)  # a terminated resident still removes its socket
    with open(address.resident_lock, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        main = _preload()
        recorded = _freshness.loaded_files()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address.socket)  # left by a resident that was killed; the lock says none is running
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(address.socket)
            os.chmod(address.socket, 0o600)
            listener.listen(16)
            listener.settimeout(idle_seconds)
            with open(address.pid_file, "w") as file:
                file.write(str(os.getpid()))
            state = {"started": time.time(), "calls": 0, "idle_seconds": idle_seconds}
            going = True
            while going:
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    break
                with connection:
                    connection.settimeout(None)
                    try:
                        going = _answer(connection, main, recorded, state)
                    except OSError:  # the client went away (killed, its socket closed): the next one is served
                        going = True
                    except Exception:  # noqa: BLE001 - a malformed request: stop rather than serve in doubt
                        going = False
        except Stopped:
            pass
        finally:
            for path in (address.socket, address.pid_file):
                with contextlib.suppress(OSError):
                    os.unlink(path)
            listener.close()
