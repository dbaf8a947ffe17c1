"""JAX's persistent compilation cache is on by default, in a directory that can be moved or switched off."""

import os
import subprocess
import sys

import pytest

PROBE = "import jax, jaxscale; print(jax.config.jax_compilation_cache_dir)"


def _probe(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JAXSCALE_")} | {"XDG_CACHE_HOME": str(tmp_path / "xdg")} | env
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=environment, check=True).stdout.strip()


def test_the_cache_is_on_by_default_in_the_user_cache_directory(tmp_path):
    assert _probe(tmp_path) == str(tmp_path / "xdg" / "jaxscale" / "jax")
    assert (tmp_path / "xdg" / "jaxscale" / "jax").is_dir()


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_the_cache_can_be_moved_or_turned_off(tmp_path):
    assert _probe(tmp_path, JAXSCALE_CACHE_DIR=str(tmp_path / "here")) == str(tmp_path / "here")
    assert _probe(tmp_path, JAXSCALE_COMPILATION_CACHE="0") == "None"


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_a_second_process_loads_what_the_first_compiled(tmp_path):
    script = (
        "import time, jax.numpy as jnp, numpy as np, jaxscale as js\n"
        "x = np.geomspace(1e3, 1e7, 30)\n"
        "data = {'x': x, 'loss': 1.0 + 20.0 * x ** -0.4}\n"
        "began = time.perf_counter(); res = js.fit(js.PowerLaw, data)\n"
        "print(res.compile_seconds)\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JAXSCALE_")} | {"JAXSCALE_CACHE_DIR": str(tmp_path / "cache")}
    first, second = (float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=True).stdout.split()[-1]) for _ in range(2))
    assert any((tmp_path / "cache").iterdir())
    assert second < 0.6 * first
