"""The client's side: hand one call to the resident and wait for its exit code, ask it how it is, or stop it.

A call is handed over only when nothing can go wrong before the resident starts on it; in every other case
(no resident, one busy with another call, a stale one, a closed standard stream) `call` returns None and the
call runs in the client's own process, as it would without a resident.
"""

import fcntl
import os
import signal
import socket
import sys

from . import _address, _messages

INTERRUPTED = 130
STATUS_TIMEOUT = 5.0


def _connect(address: _address.Address, timeout: float | None = None) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(timeout)
    try:
        connection.connect(address.socket)
    except OSError:  # no socket (none running), or one left by a resident that was killed
        connection.close()
        return None
    return connection


def _request(argv: list[str]) -> dict:
    umask = os.umask(0)
    os.umask(umask)
    streams = (sys.stdin, sys.stdout, sys.stderr)
    encodings = [[getattr(s, "encoding", None) or "utf-8", getattr(s, "errors", None) or "strict"] for s in streams]
    encodings[2][1] = "backslashreplace"  # as Python's own stderr
    return {"kind": "call", "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask, "encodings": encodings}


def _wait(connection: socket.socket, pid: int) -> int:
    """The resident's exit code for the call; Ctrl-C is passed on to it (a second Ctrl-C stops it outright)."""
    try:
        try:
            reply, _ = _messages.receive(connection)
        except KeyboardInterrupt:
            os.kill(pid, signal.SIGINT)
            reply, _ = _messages.receive(connection)
    except KeyboardInterrupt:
        os.kill(pid, signal.SIGKILL)
        print("jaxscale: interrupted", file=sys.stderr)
        return INTERRUPTED
    if reply is None or "code" not in reply:
        print(f"jaxscale: error: the resident jaxscale process (pid {pid}) stopped before finishing; run the command again "
              "(JAXSCALE_RESIDENT=0 runs it in this process)", file=sys.stderr)
        return 1
    return int(reply["code"])


def call(address: _address.Address, argv: list[str]) -> tuple[int | None, str]:
    """(exit code, "answered") when the resident ran the call; (None, why) when it did not: "none" (no
    resident), "busy" (answering another call) or what the resident said."""
    with open(address.call_lock, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None, "busy"
        connection = _connect(address)
        if connection is None:
            return None, "none"
        with connection:
            try:
                _messages.send(connection, _request(argv), fds=(0, 1, 2))
                reply, _ = _messages.receive(connection)
            except OSError:  # a closed standard stream, a deleted working directory, a resident just stopping
                return None, "none"
            if reply is None:  # it stopped (idle) as we connected
                return None, "none"
            if not reply.get("accepted"):
                return None, str(reply.get("why", "refused"))
            return _wait(connection, int(reply["pid"])), "answered"


def status(address: _address.Address) -> dict | None:
    """What the resident says of itself (pid, started, calls, idle_seconds); None when none is running;
    {"busy": True} while it answers a call."""
    with open(address.call_lock, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return {"busy": True}
        connection = _connect(address, STATUS_TIMEOUT)
        if connection is None:
            return None
        with connection:
            try:
                _messages.send(connection, {"kind": "status"})
                return _messages.receive(connection)[0]
            except OSError:
                return None


def stop(address: _address.Address) -> int | None:
    """Stops the resident, at once (a call it is answering ends with a message); its pid, or None when none
    was running."""
    with open(address.resident_lock, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return None  # nobody holds the address
        except BlockingIOError:
            pass
    try:
        with open(address.pid_file) as file:
            pid = int(file.read())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return None
    return pid
