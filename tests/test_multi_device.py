"""Batched axes shard over all local devices and give the same answers as one device.

Each run is a fresh process, because the device count is fixed when JAX starts:
XLA_FLAGS=--xla_force_host_platform_device_count=2 gives two CPU devices.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # two fresh JAX processes

PROGRAM = """
import json, warnings
import numpy as np, pandas as pd, jax
import jaxscale as js
warnings.simplefilter("ignore")
df = js.datasets.load("chinchilla", subset="epoch")
boot = js.bootstrap(js.Chinchilla, df, n=30, seed=2, chunk_size=15)
rng = np.random.default_rng(0)
frames = [pd.DataFrame({"g": g, "x": np.geomspace(1e3, 1e8, n), "loss": (1 + g) + 100 * np.geomspace(1e3, 1e8, n) ** -0.3})
          for g, n in ((0, 10), (1, 20), (2, 30))]
grouped = js.fit(js.PowerLaw, pd.concat(frames), by="g", loss=js.LogSquared())
post = js.infer(js.Chinchilla, df, n_warmup=100, n_samples=100, n_chains=2, seed=4)  # 2 devices: a chain on each
print(json.dumps({"devices": jax.device_count(), "alpha": boot.to_frame()["alpha"].tolist(),
                  "groups": grouped.to_frame()["alpha"].tolist(), "posterior_alpha": post.samples["alpha"].tolist()}))
"""


def run(n_devices: int) -> dict:
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n_devices}", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def one_and_two():
    return run(1), run(2)


def test_two_devices_are_used(one_and_two):
    one, two = one_and_two
    assert one["devices"] == 1 and two["devices"] == 2


def test_bootstrap_is_the_same_on_two_devices(one_and_two):
    one, two = one_and_two
    np.testing.assert_allclose(two["alpha"], one["alpha"], rtol=1e-7)


def test_grouped_fit_is_the_same_on_two_devices(one_and_two):
    one, two = one_and_two
    np.testing.assert_allclose(two["groups"], one["groups"], rtol=1e-7)


def test_nuts_chains_on_two_devices_sample_the_same_posterior(one_and_two):
    # One chain per device (pmap) against one per thread: rounding differs (the point fit is sharded too), and
    # NUTS trajectories amplify it, so the draws agree in distribution, not bit for bit.
    one, two = one_and_two
    threads, devices = np.asarray(one["posterior_alpha"]), np.asarray(two["posterior_alpha"])
    assert devices.shape == threads.shape == (2, 100)
    assert abs(devices.mean() - threads.mean()) < 0.6 * threads.std()
    assert devices.std() == pytest.approx(threads.std(), rel=0.5)
