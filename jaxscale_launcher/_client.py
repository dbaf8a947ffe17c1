"""The client's side: hand one call to the resident and wait for its exit status, ask it how it is, or stop it.

A call is handed over only when nothing can go wrong before the resident starts on it; in every other case
(no resident, one busy with another call or slow to say it is ready, a stale one, a closed standard stream,
a resident that is not this user's) `call` returns None and the call runs in the client's own process, as it
would without a resident.
"""

import fcntl
import os
import signal
import socket
import struct
import sys

from . import _address, _messages

READY_SECONDS = 5.0  # a resident says "ready" within milliseconds; past this, the call runs here instead
STATUS_SECONDS = 2.0


def _connect(address: _address.Address, timeout: float) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(timeout)
    try:
        connection.connect(address.socket)
    except OSError:  # no socket (none running), or one left by a resident that was killed
        connection.close()
        return None
    if not _peer_is_this_user(connection):
        connection.close()
        return None
    return connection


def _peer_is_this_user(connection: socket.socket) -> bool:
    """Where the system says who is at the other end (Linux), that it is this user; the private directory
    is the guard elsewhere."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", credentials)[1] == os.getuid()


def _request(argv: list[str]) -> dict:
    umask = os.umask(0)
    os.umask(umask)
    streams = (sys.stdin, sys.stdout, sys.stderr)
    encodings = [[getattr(s, "encoding", None) or "utf-8", getattr(s, "errors", None) or "strict"] for s in streams]
    encodings[2][1] = "backslashreplace"  # as Python's own stderr
    unbuffered = bool(getattr(sys.stdout, "write_through", False) or os.environ.get("PYTHONUNBUFFERED"))  # python -u, or the variable
    return {"kind": "call", "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask, "encodings": encodings, "unbuffered": unbuffered}


def _suspend_with(pid: int):
    """A SIGTSTP handler: Ctrl-Z stops the resident with this client, and `fg` (SIGCONT) resumes both."""

    def suspend(signum, frame):
        os.kill(pid, signal.SIGSTOP)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # this process stops here, until it is continued
        signal.signal(signal.SIGTSTP, suspend)
        os.kill(pid, signal.SIGCONT)

    return suspend


def _wait(connection: socket.socket, pid: int) -> int:
    """The resident's exit status for the call. Ctrl-C is passed on to it (a second one stops it and returns
    at once; the resident, seeing this client gone, lets go of its streams), and Ctrl-Z suspends it too."""
    previous = signal.signal(signal.SIGTSTP, _suspend_with(pid)) if hasattr(signal, "SIGTSTP") else None
    try:
        return _exit_status(connection, pid)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTSTP, previous)


def _exit_status(connection: socket.socket, pid: int) -> int:
    try:
        try:
            reply, _ = _messages.receive(connection)
        except KeyboardInterrupt:
            os.kill(pid, signal.SIGINT)
            reply, _ = _messages.receive(connection)
    except KeyboardInterrupt:
        os.kill(pid, signal.SIGTERM)
        print("jaxscale: interrupted", file=sys.stderr)
        return _messages.INTERRUPTED
    if reply is None or "code" not in reply:
        print(f"jaxscale: error: the resident jaxscale process (pid {pid}) stopped before finishing; run the command again "
              "(JAXSCALE_RESIDENT=0 runs it in this process)", file=sys.stderr)
        return 1
    return int(reply["code"])


def call(address: _address.Address, argv: list[str]) -> tuple[int | None, str]:
    """(exit status, "answered") when the resident ran the call; (None, why) when it did not: "none" (no
    resident), "busy" (answering another call, or slow to answer) or what the resident said."""
    with open(address.call_lock, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None, "busy"
        connection = _connect(address, READY_SECONDS)
        if connection is None:
            return None, "none"
        with connection:
            try:
                _messages.send(connection, _request(argv), fds=(0, 1, 2))
                reply, _ = _messages.receive(connection)
            except TimeoutError:
                return None, "busy"
            except OSError:  # a closed standard stream, a deleted working directory, a resident just stopping
                return None, "none"
            if reply is None:  # it stopped (idle) as we connected
                return None, "none"
            if not reply.get("ready"):
                return None, str(reply.get("why", "refused"))
            connection.settimeout(None)
            try:
                _messages.send(connection, {"go": True})  # from here the call is the resident's
            except OSError:
                return None, "none"
            return _wait(connection, int(reply["pid"])), "answered"


def status(address: _address.Address) -> dict | None:
    """What the resident says of itself (pid, started, calls, idle_seconds); None when none is running;
    {"busy": True} when it does not answer at once (it is answering a call)."""
    connection = _connect(address, STATUS_SECONDS)
    if connection is None:
        return None
    with connection:
        try:
            _messages.send(connection, {"kind": "status"})
            return _messages.receive(connection)[0]
        except TimeoutError:
            return {"busy": True}
        except OSError:
            return None


def resident_pid(address: _address.Address) -> int | None:
    """The pid of the process holding the address (a resident, starting or serving), or None."""
    with open(address.resident_lock, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return None  # nobody holds the address
        except BlockingIOError:
            pass
        lock.seek(0)
        text = lock.read().strip()
    return int(text) if text.isdigit() else None


def stop(address: _address.Address) -> int | None:
    """Stops the resident at once, even while it starts (a call it is answering ends with a message); its
    pid, or None when none was running."""
    pid = resident_pid(address)
    if pid is None:
        return None
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return None
    return pid
