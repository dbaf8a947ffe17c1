"""The resident process: jaxscale imported once and its compiled programs kept in memory, answering the
`jaxscale` calls of one environment one at a time, each in the caller's own terminal, directory and
environment (`_call_context`), until it has been idle for `Address.idle_seconds`, has answered `MAX_CALLS`
calls, is stopped (SIGTERM: `jaxscale resident stop`), is interrupted, loses its caller mid-call, or finds
the code it loaded changed on disk (`_freshness`).

A call goes: the client sends its request and descriptors; the resident checks its code and says "ready";
only on the client's "go" does it run the call (so a client that gave up waiting never has its call run
behind its back), and it answers with the exit status. While the call runs, a watcher thread notices the
client going away (EOF), interrupts the call and lets go of the client's streams.
"""

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings

from . import _address, _call_context, _freshness, _messages

MAX_CALLS = 200  # then a fresh process: what a long run of different calls compiled is not held forever
BROKEN_STDOUT = 120  # what Python exits with when it cannot flush stdout at exit (a closed pipe)


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


DECLINED_FOR = {"accelerator": 86400.0, "failed": 600.0}  # seconds a declined start keeps new ones from starting


def declined(address: _address.Address) -> str | None:
    """Why a resident for `address` recently declined to serve (JAX on an accelerator: for a day; a failed
    start: for 10 minutes), during which no new one is started; None if none did."""
    try:
        with open(address.declined) as file:
            kind, _, why = file.read().partition("\n")
        if time.time() - os.stat(address.declined).st_mtime < DECLINED_FOR.get(kind, 0.0):
            return why.strip() or kind
    except OSError:
        pass
    return None


class Declined(RuntimeError):
    """A resident that should not serve here."""


def _take(lock, tries: int = 10) -> bool:
    """The address's lock, or False when another resident holds it. Retried briefly: `jaxscale resident`
    probes it for a moment too."""
    for _ in range(tries):
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            time.sleep(0.05)
    return False


def _preload(environ) -> object:
    """What the commands use, imported and initialised before the first call rather than during it; returns
    the command line's `main`. Raises Declined where a resident should not serve."""
    import jax

    backend = jax.default_backend()
    if backend != "cpu" and not _address.asked_for(environ):
        # an idle process holding an accelerator would keep its memory from the user's next job
        raise Declined(f"JAX's backend here is {backend}: a resident is started on CPU only, unless JAXSCALE_RESIDENT=1")
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
    """(exit status, interrupted) of one call, made as the console script would make it."""
    try:
        code = _exit_code(main(argv))
    except SystemExit as stop:  # argparse's usage errors and --help
        code = _exit_code(stop.code)
    except KeyboardInterrupt:
        print("jaxscale: interrupted", file=sys.stderr)
        return _messages.INTERRUPTED, True
    except Exception as error:  # noqa: BLE001 - the command line reports, it does not crash
        print(f"jaxscale: error: {type(error).__name__}: {error}", file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
    except OSError:
        return BROKEN_STDOUT, False
    return code, False


class _Watcher:
    """Watches the client during its call: if it goes away (EOF) before the call has finished, lets go of its
    streams and interrupts the call. `finish()` ends the watch; after it nothing more happens to the resident,
    whatever the client does."""

    def __init__(self, connection: socket.socket):
        self._connection = connection
        self._lock = threading.Lock()
        self._finished = False
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        with contextlib.suppress(OSError):
            while self._connection.recv(1):  # a client sends nothing after "go"; only its going away (EOF) counts
                pass
        with self._lock:
            if not self._finished:
                self._finished = True
                _call_context.release_streams()
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    def finish(self) -> None:
        with self._lock:
            self._finished = True

    def join(self) -> None:
        """After the connection is shut down (which wakes the watch)."""
        self._thread.join()


def _close(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _answer(connection: socket.socket, main, recorded: dict, state: dict) -> bool:
    """Answers one connection; False when the resident should stop after it."""
    request, fds = _messages.receive(connection, max_fds=len(_call_context.STREAMS))
    if request is None or request.get("kind") != "call" or len(fds) != len(_call_context.STREAMS):
        _close(fds)
        if request is not None and request.get("kind") == "status":
            _messages.send(connection, {"pid": os.getpid(), "started": state["started"], "calls": state["calls"], "idle_seconds": state["idle_seconds"]})
        return True
    lent = fds
    try:
        stale = _freshness.changed(recorded)
        if stale is not None:
            _messages.send(connection, {"ready": False, "why": f"stale: {stale} changed"})
            return False  # a fresh resident, started by this client, imports the new code
        if not os.access(request.get("cwd", ""), os.X_OK):  # the caller's directory has gone: it reports that itself
            _messages.send(connection, {"ready": False, "why": "cannot enter the working directory"})
            return True
        _messages.send(connection, {"ready": True, "pid": os.getpid()})
        go, _ = _messages.receive(connection)
        if go is None or not go.get("go"):  # the client gave up waiting: its call is not run
            return True
        lent = []  # borrowed owns them from here: it closes them, whatever happens
        with _call_context.borrowed(request, fds):
            watcher = _Watcher(connection)
            try:
                code, interrupted = _run(main, request["argv"])
            finally:
                watcher.finish()
    finally:
        _close(lent)  # the caller's streams are never held past its call, whatever happened
    state["calls"] += 1
    _freshness.record_new(recorded)
    with contextlib.suppress(OSError):  # a client that went away mid-call hears nothing (and the call was interrupted)
        _messages.send(connection, {"code": code})
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)  # wakes the watcher, which has nothing more to do
    watcher.join()
    return not interrupted and state["calls"] < MAX_CALLS


def _serve_calls(listener: socket.socket, main, recorded: dict, state: dict) -> None:
    going = True
    while going:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            return
        with connection:
            connection.settimeout(None)
            try:
                going = _answer(connection, main, recorded, state)
            except OSError:  # the client went away before its call began: the next one is served
                going = True


def serve(directory: str, key: str, idle_seconds: float, path: list[str]) -> None:
    """Runs the resident for the address (`directory`, `key`) until it stops; returns at once if another
    resident already holds the address."""
    address = _address.Address(directory, key, idle_seconds)
    sys.path[:] = path
    # Checking the backend must not take an accelerator's memory (JAX reserves most of it by default).
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    signal.signal(signal.SIGTERM, _stopped)  # a stopped resident still removes its socket
    # Ctrl-C, passed on by a client, must interrupt a call even where this process was started with SIGINT
    # ignored (from `cmd &` in a script, under nohup), which Python would otherwise leave ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with open(address.resident_lock, "a+") as lock:
        if not _take(lock):
            return
        lock.truncate(0)
        lock.write(str(os.getpid()))  # for `jaxscale resident stop`, from the moment the address is ours
        lock.flush()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            for stale in (address.socket, address.starting_socket):  # left by a resident that was killed
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(stale)
            listener.bind(address.starting_socket)  # fails before the slow part, not after it
            os.chmod(address.starting_socket, 0o600)
            try:
                main = _preload(os.environ)
            except Exception as error:  # noqa: BLE001 - recorded, so that calls stop starting residents that fail
                kind = "accelerator" if isinstance(error, Declined) else "failed"
                with open(address.declined, "w") as file:
                    file.write(f"{kind}\n{error if kind == 'accelerator' else f'{type(error).__name__}: {error}'}")
                return
            recorded = _freshness.loaded_files()
            listener.listen(16)
            listener.settimeout(idle_seconds)
            os.rename(address.starting_socket, address.socket)  # from now on clients find it, ready
            with contextlib.suppress(FileNotFoundError):
                os.unlink(address.declined)
            _serve_calls(listener, main, recorded, {"started": time.time(), "calls": 0, "idle_seconds": idle_seconds})
        except (Stopped, KeyboardInterrupt):  # stopped, or a dead caller's interrupt landing just after its call
            pass
        finally:
            for path in (address.socket, address.starting_socket):
                with contextlib.suppress(OSError):
                    os.unlink(path)
            listener.close()
            lock.truncate(0)
