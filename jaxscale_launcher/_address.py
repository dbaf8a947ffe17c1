"""Where the resident process of this environment listens, or None where there must be none.

One resident serves one environment: the same host, interpreter, import path and the variables read when
jaxscale, JAX, XLA, NumPy, matplotlib or Python start up. Any other combination gets its own address, so a call
is never answered by a process that imported different code or settings. The directory is private to the user
(a real directory, not a link, owned by them, mode 0700) and on this host (`$XDG_RUNTIME_DIR`, else the
temporary directory); anything else turns the resident off rather than trust it.
"""

import dataclasses
import hashlib
import json
import os
import socket
import sys
import tempfile

PROTOCOL = 2
OFF = ("0", "false", "off", "no")
ON = ("1", "true", "on", "yes")
IDLE_SECONDS = 600.0
# Read when jaxscale, jax, jaxlib, numpy, matplotlib or Python start up (the persistent cache's directory comes
# from HOME / XDG_CACHE_HOME, tempfile's from TMPDIR): a resident started under other values is another one.
IMPORT_TIME_PREFIXES = ("JAX", "XLA", "TF_", "CUDA", "NVIDIA", "TPU", "ROCM", "HIP", "MPL", "PYTHON", "NPY", "OMP_", "MKL", "OPENBLAS", "LD_", "DYLD_")
IMPORT_TIME_NAMES = ("HOME", "XDG_CACHE_HOME", "TMPDIR", "TZ")
SOCKET_PATH_LIMIT = 100  # sun_path holds 104 (macOS) to 108 (Linux) bytes


@dataclasses.dataclass(frozen=True)
class Address:
    directory: str
    key: str
    idle_seconds: float

    def _path(self, suffix: str) -> str:
        return os.path.join(self.directory, self.key + suffix)

    @property
    def socket(self) -> str:
        return self._path(".sock")

    @property
    def starting_socket(self) -> str:
        """Bound while the resident starts, renamed to `socket` once it can answer: the longest path here."""
        return self._path(".starting.sock")

    @property
    def resident_lock(self) -> str:
        """Held by the resident for its whole life (one resident per address); it holds the resident's pid."""
        return self._path(".resident.lock")

    @property
    def call_lock(self) -> str:
        """Held by a client for the length of its call: a second concurrent call runs in its own process."""
        return self._path(".call.lock")

    @property
    def declined(self) -> str:
        """Written by a resident that would not serve (an accelerator backend, a failed start), with why."""
        return self._path(".declined")


def supported() -> bool:
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return False
    return hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


def idle_seconds(environ) -> float:
    text = environ.get("JAXSCALE_RESIDENT_IDLE", "")
    try:
        value = float(text) if text.strip() else IDLE_SECONDS
    except ValueError:
        return IDLE_SECONDS
    return value if value > 0 else IDLE_SECONDS


def key(environ, path: list[str], directory: str) -> str:
    settings = sorted((k, v) for k, v in environ.items() if (k.startswith(IMPORT_TIME_PREFIXES) or k in IMPORT_TIME_NAMES) and not k.startswith("JAXSCALE_RESIDENT"))
    identity = [PROTOCOL, socket.gethostname(), sys.executable, sys.prefix, sys.version, path, settings, directory]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:20]


def private_directory(directory: str) -> bool:
    """Creates `directory` (mode 0700) if needed; True when it is a real directory only this user can enter."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        status = os.lstat(directory)
    except OSError:
        return False
    return not os.path.islink(directory) and os.path.isdir(directory) and status.st_uid == os.getuid() and status.st_mode & 0o077 == 0


def temporary_directory() -> str:
    return os.path.join(tempfile.gettempdir(), f"jaxscale-{os.getuid()}")


def default_directory(environ) -> str:
    if environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(environ["XDG_RUNTIME_DIR"], "jaxscale")
    return temporary_directory()


def asked_for(environ) -> bool:
    """`JAXSCALE_RESIDENT=1`: a resident even on CI services and accelerators."""
    return environ.get("JAXSCALE_RESIDENT", "").strip().lower() in ON


def switched_off(environ) -> bool:
    """`JAXSCALE_RESIDENT=0`; and on CI services (`CI` set), unless `JAXSCALE_RESIDENT=1` asks for it."""
    if environ.get("JAXSCALE_RESIDENT", "").strip().lower() in OFF:
        return True
    return not asked_for(environ) and environ.get("CI", "").strip().lower() not in ("", *OFF)


def find(environ=None, path: list[str] | None = None) -> Address | None:
    """The address for this environment; None when switched off, unsupported (no Unix sockets, e.g. Windows)
    or when no private directory with a short enough path can be had."""
    environ = os.environ if environ is None else environ
    if switched_off(environ) or not supported():
        return None
    requested = environ.get("JAXSCALE_RESIDENT_DIR") or default_directory(environ)
    # sys.path[0] is the running script's folder (or the working directory): not where jaxscale comes from
    address = Address(requested, key(environ, list(sys.path[1:] if path is None else path), requested), idle_seconds(environ))
    if len(address.starting_socket) > SOCKET_PATH_LIMIT:
        address = dataclasses.replace(address, directory=temporary_directory())
    if len(address.starting_socket) > SOCKET_PATH_LIMIT or not private_directory(address.directory):
        return None
    return address
