"""Past one machine: two processes joined by `jax.distributed.initialize` (CPU collectives over gloo) run one
sharded bootstrap, each holding one device, and both get exactly one process's answer.

On a cluster the same program runs with the coordinator's address and each host's process id (README).
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # three fresh JAX processes

PROGRAM = """
import json, sys, warnings
import jax
if len(sys.argv) > 1:
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=f"localhost:{sys.argv[2]}", num_processes=2, process_id=int(sys.argv[1]))
import jaxscale as js
warnings.simplefilter("ignore")
df = js.datasets.load("chinchilla", subset="epoch")
boot = js.bootstrap(js.Chinchilla, df, n=12, seed=2, chunk_size=6)
print(json.dumps({"devices": jax.device_count(), "local": jax.local_device_count(), "alpha": boot.to_frame()["alpha"].tolist()}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _answer(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_a_bootstrap_sharded_over_two_processes_equals_one_process():
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"} | {"JAX_PLATFORMS": "cpu"}
    port = str(_free_port())
    workers = [subprocess.Popen([sys.executable, "-c", PROGRAM, str(i), port], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(2)]
    joined = [_answer(w) for w in workers]
    alone = _answer(subprocess.Popen([sys.executable, "-c", PROGRAM], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    assert [(a["devices"], a["local"]) for a in joined] == [(2, 1), (2, 1)] and alone["devices"] == 1
    for answer in joined:  # every process holds the whole batch of resamples
        np.testing.assert_allclose(answer["alpha"], alone["alpha"], rtol=1e-7)
