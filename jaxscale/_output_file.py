"""Files jaxscale writes (figures, CSV tables): the path checked before any work, the file written whole or
not at all."""

import os
import pathlib
import tempfile
from collections.abc import Callable


def check_writable(path, name: str = "path") -> pathlib.Path:
    """`path` as a `pathlib.Path` a file can be written to, or an error naming `name` (the argument or flag) and
    the fix: it is a file name (not a directory) in a directory that exists and is writable.

    >>> check_writable("fit.csv").name
    'fit.csv'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file name (a str or pathlib.Path) such as 'out.csv', got {type(path).__name__}.")
    target = pathlib.Path(path).expanduser()
    if target.is_dir():
        raise ValueError(f"{name} {str(path)!r} is a directory: give a file name inside it, such as {str(target / 'out.csv')!r}.")
    folder = target.absolute().parent
    if not folder.is_dir():
        raise ValueError(f"{name} {str(path)!r}: its directory {str(folder)!r} does not exist; create it first (mkdir -p {folder}) or choose another path.")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"{name} {str(path)!r}: its directory {str(folder)!r} is not writable; choose another path.")
    return target


def write_atomically(path, write: Callable[[str], None]) -> None:
    """`write(temporary)` into a new file beside `path`, then `os.replace` onto it: `path` holds the old file or
    the whole new one, never a partial one, and the temporary file is gone whatever happens."""
    target = pathlib.Path(path).expanduser()
    handle, temporary = tempfile.mkstemp(dir=target.absolute().parent, prefix=f".{target.name}.", suffix=target.suffix)
    os.close(handle)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # mkstemp makes it private; the written file gets the usual permissions
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
