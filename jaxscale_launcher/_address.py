"""Where the resident process of this Python environment listens, or None where it must not be used.

One resident serves one environment: the same interpreter, import path and import-time settings (variables
JAX, XLA and the libraries below read when they are imported). Any other combination gets its own address, so
a call is never answered by a process that imported different code or settings. The directory is private to
the user (mode 0700, owned by them); anything else turns the resident off rather than trust it.
"""

import dataclasses
import hashlib
import json
import os
import socket
import sys
import tempfile

PROTOCOL = 1
OFF = ("0", "false", "off", "no")
IDLE_SECONDS = 600.0
# Read when jaxscale (JAXSCALE_*), jax, jaxlib, numpy, matplotlib or Python start up: a resident started
# under other values is another resident.
IMPORT_TIME_PREFIXES = ("JAX", "XLA", "TF_", "CUDA", "NVIDIA", "TPU", "ROCM", "HIP", "MPL", "PYTHON", "OMP_", "MKL", "OPENBLAS", "LD_")
SOCKET_PATH_LIMIT = 100  # sun_path holds 104-108 bytes, depending on the system; the lock is the longest name


@dataclasses.dataclass(frozen=True)
class Address:
    directory: str
    key: str
    idle_seconds: float

    @property
    def socket(self) -> str:
        return os.path.join(self.directory, f"{self.key}.sock")

    @property
    def resident_lock(self) -> str:
        """Held by the resident for its whole life: one resident per address."""
        return os.path.join(self.directory, f"{self.key}.resident.lock")

    @property
    def pid_file(self) -> str:
        return os.path.join(self.directory, f"{self.key}.pid")

    @property
    def call_lock(self) -> str:
        """Held by a client for the length of its call: a second concurrent call runs in its own process."""
        return os.path.join(self.directory, f"{self.key}.call.lock")


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
    settings = sorted((k, v) for k, v in environ.items() if k.startswith(IMPORT_TIME_PREFIXES))
    identity = [PROTOCOL, sys.executable, sys.prefix, sys.version, path, settings, directory]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:20]


def private_directory(directory: str) -> bool:
    """Creates `directory` (mode 0700) if needed; True when it is a directory only this user can enter."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        status = os.stat(directory)
    except OSError:
        return False
    return os.path.isdir(directory) and status.st_uid == os.getuid() and status.st_mode & 0o077 == 0


def default_directory(environ) -> str:
    if environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(environ["XDG_RUNTIME_DIR"], "jaxscale")
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxscale", "resident")


def find(environ=None, path: list[str] | None = None) -> Address | None:
    """The address for this environment; None when switched off (`JAXSCALE_RESIDENT=0`), unsupported (no Unix
    sockets, e.g. Windows) or when no private directory can be had."""
    environ = os.environ if environ is None else environ
    if environ.get("JAXSCALE_RESIDENT", "1").strip().lower() in OFF or not supported():
        return None
    requested = environ.get("JAXSCALE_RESIDENT_DIR") or default_directory(environ)
    # sys.path[0] is the running script's folder (or the working directory): not where jaxscale comes from
    identity = key(environ, list(sys.path[1:] if path is None else path), requested)
    directory = requested
    if len(os.path.join(directory, f"{identity}.resident.lock")) > SOCKET_PATH_LIMIT:
        directory = os.path.join(tempfile.gettempdir(), f"jaxscale-{os.getuid()}")
    if not private_directory(directory):
        return None
    return Address(directory, identity, idle_seconds(environ))
