"""For the length of one call, the resident process takes on the client's process context: its standard
input, output and error (the descriptors themselves, so a terminal stays a terminal and progress bars and
buffering behave as in the client), working directory, environment, umask and argv; all restored after."""

import contextlib
import io
import os
import sys

STREAMS = (0, 1, 2)


def _text_stream(fd: int, encoding: str, errors: str, unbuffered: bool) -> io.TextIOWrapper:
    """A text stream over `fd` buffered as Python buffers its own: stdout by line on a terminal, stderr by line."""
    binary = open(fd, "rb" if fd == 0 else "wb", buffering=0 if unbuffered and fd else -1, closefd=False)
    line_buffering = fd == 2 or (fd == 1 and os.isatty(fd))
    return io.TextIOWrapper(binary, encoding=encoding, errors=errors, line_buffering=line_buffering and not unbuffered, write_through=unbuffered)


def release_streams() -> None:
    """Points standard input, output and error at /dev/null, dropping the resident's only copies of the
    client's: a client that has gone (killed, timed out) must not have its pipes held open by a call."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in STREAMS:
        os.dup2(null, fd)
    os.close(null)


@contextlib.contextmanager
def borrowed(request: dict, fds: list[int]):
    """The client's context, as described by `request` and its three descriptors `fds` (closed here)."""
    saved_fds = [os.dup(fd) for fd in STREAMS]
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_argv, saved_cwd, saved_environ = sys.argv, os.getcwd(), dict(os.environ)
    saved_umask = os.umask(request["umask"])
    try:
        for fd, client in zip(STREAMS, fds):
            os.dup2(client, fd)
        for client in fds:  # from here on 0, 1 and 2 are the only copies (see release_streams)
            os.close(client)
        fds = []
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["jaxscale", *request["argv"]]
        unbuffered = bool(request["unbuffered"])
        (in_encoding, in_errors), (out_encoding, out_errors), (err_encoding, err_errors) = request["encodings"]
        sys.stdin = _text_stream(0, in_encoding, in_errors, unbuffered)
        sys.stdout = _text_stream(1, out_encoding, out_errors, unbuffered)
        sys.stderr = _text_stream(2, err_encoding, err_errors, unbuffered)
        yield
    finally:
        lent = (sys.stdin, sys.stdout, sys.stderr)
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        for stream in lent:
            if stream not in saved_streams:
                with contextlib.suppress(Exception):  # the caller's pipe closed: its output is lost, as it would be
                    stream.close()  # flushes; the descriptor itself stays open (closefd=False)
        for fd, saved in zip(STREAMS, saved_fds):
            os.dup2(saved, fd)
            os.close(saved)
        for client in fds:  # the setup failed before closing them
            with contextlib.suppress(OSError):
                os.close(client)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_environ)
        os.chdir(saved_cwd)
        os.umask(saved_umask)
