"""NUTS chains: NumPyro's kernel in one compiled scan per chain, spread over CPU cores or devices."""

import os
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.numpy as jnp
import numpy as np

from ._progress import advance_progress, progress_bar

_PROGRESS_EVERY = 50


def run_nuts(
    potential, z0, args=(), *, n_warmup, n_samples, n_chains, seed, inverse_mass_matrix=None, target_accept_prob=0.8, progress=False
) -> dict:
    """Draws from exp(-potential(z, *args)) over flat vectors z, as {"z": (chains, draws, dim), "diverging":
    (chains, draws), "num_steps": (chains, draws)}; warm-up draws are dropped.

    Each chain is NumPyro's NUTS (dense mass matrix, its windowed warm-up adaptation) scanned in one compiled
    call. Chains run one per device when there are enough devices; on CPU, one per thread (the compiled call
    releases the GIL, so cores run chains side by side: vectorizing chains on one core waits at every step
    for the chain with the longest trajectory); elsewhere vectorized. The data (`args`), start and mass
    matrix are arguments of the compiled call, not constants in it, so JAX's persistent compilation cache
    can reuse it for new data of the same shape. The same seed gives the same draws.
    """
    from numpyro.infer.hmc import hmc

    total = n_warmup + n_samples
    if inverse_mass_matrix is None:
        inverse_mass_matrix = jnp.eye(z0.shape[0], dtype=z0.dtype)

    def chain(key, z0, inverse_mass_matrix, args):
        # NumPyro's kernel divides float sums by integer counts: trace it under standard dtype promotion, so
        # that a caller's strict promotion (the test suite's) applies to the caller's code, not NumPyro's.
        with jax.numpy_dtype_promotion("standard"):
            return sample_chain(key, z0, inverse_mass_matrix, args)

    def sample_chain(key, z0, inverse_mass_matrix, args):
        init_kernel, sample_kernel = hmc(potential_fn=lambda z: potential(z, *args), algo="NUTS")
        state = init_kernel(
            z0, n_warmup, inverse_mass_matrix=inverse_mass_matrix, dense_mass=True, target_accept_prob=target_accept_prob, rng_key=key
        )

        def step(state, i):
            state = sample_kernel(state)
            if progress:
                jax.lax.cond(i % _PROGRESS_EVERY == 0, lambda: jax.debug.callback(advance_progress, _PROGRESS_EVERY), lambda: None)
            return state, (state.z, state.diverging, state.num_steps)

        _, (z, diverging, num_steps) = jax.lax.scan(step, state, jnp.arange(1, total + 1))
        return z[n_warmup:], diverging[n_warmup:], num_steps[n_warmup:]

    keys = jax.random.split(jax.random.key(seed), n_chains)
    devices = jax.local_devices()
    with progress_bar(progress, total * n_chains, "NUTS", unit="draw"):
        shared = (z0, inverse_mass_matrix, args)
        if n_chains > 1 and len(devices) >= n_chains:
            out = jax.pmap(chain, in_axes=(0, None, None, None), devices=devices[:n_chains])(keys, *shared)
        elif devices[0].platform == "cpu":
            compiled = jax.jit(chain).lower(keys[0], *shared).compile()
            with ThreadPoolExecutor(min(n_chains, os.cpu_count() or 1)) as pool:
                chains = list(pool.map(lambda key: jax.block_until_ready(compiled(key, *shared)), keys))
            out = [np.stack(parts) for parts in zip(*chains)]
        else:
            out = jax.jit(jax.vmap(chain, in_axes=(0, None, None, None)))(keys, *shared)
    z, diverging, num_steps = (np.asarray(a) for a in out)
    return {"z": z, "diverging": diverging, "num_steps": num_steps}


def inverse_hessian(potential, z, args=()) -> jax.Array | None:
    """The inverse Hessian of `potential(z, *args)` in z (a warm start for the mass matrix), or None where it
    is not positive definite there."""
    hessian = np.asarray(jax.jit(jax.hessian(potential))(z, *args))
    if not np.all(np.isfinite(hessian)) or not np.linalg.eigvalsh(hessian).min() > 0:
        return None
    return jnp.asarray(np.linalg.inv(hessian))
