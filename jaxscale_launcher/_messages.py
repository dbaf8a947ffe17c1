"""Messages between a client and the resident: JSON objects, each behind a 4-byte length, the first of a call
carrying the client's standard input, output and error as file descriptors (SCM_RIGHTS)."""

import json
import os
import socket
import struct

HEADER = struct.Struct(">I")
LARGEST = 1 << 24


def send(connection: socket.socket, message: dict, fds: tuple[int, ...] = ()) -> None:
    body = json.dumps(message).encode()
    frame = HEADER.pack(len(body)) + body
    if fds:
        sent = socket.send_fds(connection, [frame], list(fds))
        frame = frame[sent:]
    if frame:
        connection.sendall(frame)


def _exactly(connection: socket.socket, size: int, start: bytes = b"") -> bytes | None:
    data = bytearray(start)
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def receive(connection: socket.socket, max_fds: int = 0) -> tuple[dict | None, list[int]]:
    """The next message and the descriptors sent with it; (None, []) when the other side has gone or sent
    something that is not a message; the descriptors that came with anything but a message are closed."""
    fds: list[int] = []
    try:
        if max_fds:
            start, fds, _, _ = socket.recv_fds(connection, HEADER.size, max_fds)
            header = _exactly(connection, HEADER.size, start) if start else None
        else:
            header = _exactly(connection, HEADER.size)
        size = HEADER.unpack(header)[0] if header is not None else LARGEST + 1
        body = _exactly(connection, size) if size <= LARGEST else None
        message = json.loads(body) if body is not None else None
        if isinstance(message, dict):
            return message, fds
    except OSError:
        for fd in fds:
            os.close(fd)
        raise
    except ValueError:  # not JSON: no message
        pass
    for fd in fds:
        os.close(fd)
    return None, []


INTERRUPTED = 130  # the exit status of a call stopped by Ctrl-C, as a shell reports one ended by SIGINT
