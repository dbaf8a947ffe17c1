"""A window of consecutive sizes around each profile's best run: the runs a local parabola is fitted to."""

import numpy as np


def window_weights(log_x, loss, weights, window):
    """Weights kept only inside each (resample, budget)'s window, and the window's log_x range (lo, hi).

    The window is the `window` consecutive distinct sizes centred on the size of the best drawn run (the
    lowest loss), shifted inwards at the ends of the profile; a profile with fewer sizes keeps them all.
    log_x, loss: (budgets, runs); weights: (resamples, budgets, runs), zero for runs not drawn (or padding).
    """
    log_x, loss, weights = np.asarray(log_x), np.asarray(loss), np.asarray(weights)
    present = weights[0] > 0
    # Rank of each run's size among its budget's distinct sizes (equal sizes share a rank).
    rank = np.empty(log_x.shape, dtype=int)
    n_sizes = np.empty(log_x.shape[0], dtype=int)
    for b in range(log_x.shape[0]):
        distinct, rank[b] = np.unique(np.where(present[b], log_x[b], np.inf), return_inverse=True)
        n_sizes[b] = np.isfinite(distinct).sum()
    drawn_loss = np.where(weights > 0, loss[None], np.inf)
    best = np.take_along_axis(np.broadcast_to(rank, weights.shape), drawn_loss.argmin(-1)[..., None], -1)[..., 0]
    first = np.clip(best - (window - 1) // 2, 0, np.maximum(n_sizes - window, 0))
    inside = (rank[None] >= first[..., None]) & (rank[None] < first[..., None] + window)
    kept = np.where(inside, weights, 0.0)
    lo = np.where(kept > 0, log_x[None], np.inf).min(-1)
    hi = np.where(kept > 0, log_x[None], -np.inf).max(-1)
    return kept, lo, hi
