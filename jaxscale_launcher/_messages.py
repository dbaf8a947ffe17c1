"""Messages between a client and the resident: JSON objects, each behind a 4-byte length, the first of a call
carrying the client's standard input, output and error as file descriptors (SCM_RIGHTS)."""

import json
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
    """The next message and the descriptors sent with it; (None, []) when the other side has gone."""
    fds: list[int] = []
    if max_fds:
        start, fds, _, _ = socket.recv_fds(connection, HEADER.size, max_fds)
        if not start:
            return None, fds
        header = _exactly(connection, HEADER.size, start)
    else:
        header = _exactly(connection, HEADER.size)
    if header is None:
        return None, fds
    (size,) = HEADER.unpack(header)
    if size > LARGEST:
        return None, fds
    body = _exactly(connection, size)
    if body is None:
        return None, fds
    return json.loads(body), fds


INTERRUPTED = 130  # the exit status of a call stopped by Ctrl-C, as a shell reports one ended by SIGINT
