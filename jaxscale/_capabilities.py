"""Low-rank capability factors of a model x benchmark table with missing entries: iterative low-rank (PCA)
imputation, then principal components, both fitted on weighted rows only (weight 0: a held-out model, or one
left out of a bootstrap resample), so a resample refits the whole thing with no change of shape.

This is the capability measure of Ruan, Maddison and Hashimoto 2024 ("Observational Scaling Laws and the
Predictability of Language Model Performance"): each benchmark z-scored on the fitted models, missing entries
started at the mean and replaced, again and again, by their rank-r PCA reconstruction; then PCA of the filled,
unstandardised scores. Pure JAX: it runs under `jit` and `vmap` (over row weights).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike


class CapabilityFactors(eqx.Module):
    """The factors of every row and what produced them (arrays; a leading batch axis under `vmap`).

    `factors` (models x k): the principal-component scores of each model's filled scores; `loadings`
    (benchmarks x k): the components, each signed so that its loadings sum to >= 0 (a higher first factor is a
    more capable model); `explained` (k): the share of the fitted rows' variance each component explains;
    `filled` (models x benchmarks): the scores with missing entries imputed (in [0, 1]); `center`: the fitted
    rows' mean of `filled`.
    """

    factors: Array
    loadings: Array
    explained: Array
    filled: Array
    center: Array


def _weighted_mean(x: Array, weights: Array) -> Array:
    return jnp.sum(weights[:, None] * x, axis=0) / jnp.sum(weights)


def _top_components(centered: Array, weights: Array, rank: int) -> tuple[Array, Array]:
    """The top `rank` right singular vectors (benchmarks x rank) of the weighted rows, and all squared
    singular values (for the explained share)."""
    _, singular, vt = jnp.linalg.svd(jnp.sqrt(weights)[:, None] * centered, full_matrices=False)
    return vt[:rank].T, singular**2


def impute_low_rank(scores: ArrayLike, observed: ArrayLike, weights: ArrayLike, rank: int = 1, iterations: int = 100, bounds=(0.0, 1.0)) -> Array:
    """`scores` with the entries where `observed` is False filled by iterative rank-`rank` PCA, fitted on the
    rows with weight > 0 (rows of weight 0 are filled with the fitted components, as held-out models are).

    Each column is z-scored with the weighted mean and standard deviation of its observed entries; missing
    entries start at the mean (0) and are replaced `iterations` times by their reconstruction from the top
    `rank` components of the weighted rows; the result is un-standardised and clipped to `bounds`.

    >>> import numpy as np
    >>> scores = np.array([[0.2, 0.3], [0.4, 0.5], [0.6, np.nan], [0.8, 0.9]])
    >>> filled = impute_low_rank(np.nan_to_num(scores), ~np.isnan(scores), np.ones(4))
    >>> round(float(filled[2, 1]), 3)  # the two columns move together: 0.6 goes with 0.7
    0.7
    """
    scores, observed, weights = jnp.asarray(scores), jnp.asarray(observed, bool), jnp.asarray(weights, scores.dtype)
    counted = weights[:, None] * observed.astype(scores.dtype)
    mean = jnp.sum(counted * scores, axis=0) / jnp.sum(counted, axis=0)
    std = jnp.sqrt(jnp.sum(counted * (scores - mean) ** 2, axis=0) / jnp.sum(counted, axis=0))
    z = jnp.where(observed, (scores - mean) / std, 0.0)

    def refill(_, filled):
        center = _weighted_mean(filled, weights)
        components, _ = _top_components(filled - center, weights, rank)
        reconstruction = center + (filled - center) @ components @ components.T
        return jnp.where(observed, z, reconstruction)

    filled = jax.lax.fori_loop(0, iterations, refill, z)
    return jnp.clip(filled * std + mean, *bounds)


def capability_factors(scores: ArrayLike, observed: ArrayLike, weights: ArrayLike, n_factors: int = 3, impute_rank: int = 1, iterations: int = 100) -> CapabilityFactors:
    """Impute (`impute_low_rank`), then PCA of the filled scores on the weighted rows: the top `n_factors`
    principal-component scores of every row.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> skill = rng.normal(size=(30, 1))
    >>> scores = 0.5 + 0.1 * skill @ np.ones((1, 4)) + 0.01 * rng.normal(size=(30, 4))
    >>> result = capability_factors(scores, np.ones_like(scores, bool), np.ones(30), n_factors=2)
    >>> bool(result.explained[0] > 0.95), bool(np.corrcoef(result.factors[:, 0], skill[:, 0])[0, 1] > 0.99)
    (True, True)
    """
    weights = jnp.asarray(weights, jnp.asarray(scores).dtype)
    filled = impute_low_rank(scores, observed, weights, impute_rank, iterations)
    center = _weighted_mean(filled, weights)
    loadings, power = _top_components(filled - center, weights, n_factors)
    # An SVD's sign is arbitrary; fix it so that resamples agree and the first factor grows with capability.
    loadings = loadings * jnp.where(jnp.sum(loadings, axis=0) < 0, -1.0, 1.0)
    return CapabilityFactors(factors=(filled - center) @ loadings, loadings=loadings, explained=power[:n_factors] / jnp.sum(power), filled=filled, center=center)
