"""JAX's persistent compilation cache, on by default, so a second process (a repeat `jaxscale fit`, a notebook
restarted) loads its compiled programs instead of compiling them again.

The cache lives in `$JAXSCALE_CACHE_DIR`, else `$XDG_CACHE_HOME/jaxscale/jax`, else `~/.cache/jaxscale/jax`,
holds at most 1 GiB (JAX evicts the least recently used entries) and keeps only programs that took over 0.1 s to
compile. `JAXSCALE_COMPILATION_CACHE=0` turns it off; a cache directory you set in JAX yourself is left alone.
An unwritable location turns it off silently: the cache only saves time, it never changes an answer.
"""

import os

MAX_BYTES = 1 << 30
MIN_COMPILE_SECONDS = 0.1


def cache_directory() -> str:
    if os.environ.get("JAXSCALE_CACHE_DIR"):
        return os.environ["JAXSCALE_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxscale", "jax")


def enable(config) -> str | None:
    """Turns the cache on in JAX's `config` (unless switched off or already set); returns the directory used."""
    if os.environ.get("JAXSCALE_COMPILATION_CACHE", "1").strip().lower() in ("0", "false", "off", "no"):
        return None
    if config.jax_compilation_cache_dir:
        return config.jax_compilation_cache_dir
    directory = cache_directory()
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    if not os.access(directory, os.W_OK):
        return None
    config.update("jax_compilation_cache_dir", directory)
    config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    try:  # JAX bounds the cache only with filelock (a dependency of jaxscale); without it, no bound
        import filelock  # noqa: F401

        config.update("jax_compilation_cache_max_size", MAX_BYTES)
    except ImportError:
        pass
    return directory
