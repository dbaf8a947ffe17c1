"""The vertex of a weighted least-squares parabola of loss against log size, per (resample, budget)."""

import numpy as np

from ._reasons import ABOVE, BELOW, KEPT, NO_MINIMUM, SINGULAR


def parabola_vertices(log_x, loss, weights, lo, hi):
    """Parabola loss ~ c0 + c1 u + c2 u^2 per (resample, budget); its vertex u = -c1 / (2 c2), with a code.

    log_x, loss: (budgets, runs); weights: (resamples, budgets, runs); lo, hi: the sampled range of log_x that
    each fit may trust, broadcastable to (resamples, budgets). Closed form on a few 3x3 systems, so plain NumPy:
    nothing to compile. A parabola that opens downwards, is singular, or has its vertex outside [lo, hi] has no
    trustworthy minimum: NaN there, and the `reasons` code says which.
    """
    log_x, loss, weights = np.asarray(log_x), np.asarray(loss), np.asarray(weights)
    lo, hi = np.broadcast_to(lo, weights.shape[:2]), np.broadcast_to(hi, weights.shape[:2])
    centre = 0.5 * (lo + hi)  # centred for conditioning
    u = log_x[None] - centre[..., None]  # (resamples, budgets, runs)
    design = np.stack([np.ones_like(u), u, u**2], axis=-1)
    gram = np.einsum("sbri,sbr,sbrj->sbij", design, weights, design)
    rhs = np.einsum("sbri,sbr,br->sbi", design, weights, loss)
    with np.errstate(all="ignore"):
        usable = np.abs(np.linalg.det(gram)) > 1e-12 * np.abs(gram).max(axis=(-1, -2)) ** 3
        coef = np.linalg.solve(np.where(usable[..., None, None], gram, np.eye(3)), rhs[..., None])[..., 0]
        vertex = -coef[..., 1] / (2 * coef[..., 2]) + centre
    opens_up = coef[..., 2] > 0
    code = np.select(
        [~usable, ~opens_up, vertex < lo, vertex > hi], [SINGULAR, NO_MINIMUM, BELOW, ABOVE], default=KEPT
    )
    return np.where(code == KEPT, vertex, np.nan), code
