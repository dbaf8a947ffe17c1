"""Porian et al.'s (2024) isoFLOP optimum: the minimum of an Akima interpolant of log loss against log size,
bootstrapped over seed noise.

Per budget, log loss is interpolated against log size (Akima) and evaluated on a grid of `GRID_PER_INTERVAL`
points per interval between sampled sizes (log-spaced, ends included); the optimum is the grid point of lowest
loss, and a minimum at either end of the grid is not an optimum. The bootstrap adds Gaussian seed noise to every
loss, independently per resample and run; a budget is kept only if its noise-free optimum is inside the sizes
sampled and so are at least half of its resamples' optima. Its estimate is the median of those resamples' optima.
"""

import numpy as np

from ._akima import akima_evaluate, akima_slopes
from ._reasons import ABOVE, BELOW, KEPT, UNSTABLE

GRID_PER_INTERVAL = 25  # Porian et al. evaluate (sizes - 1) * 25 grid points per budget


def interpolated_minima(log_x, log_loss, n_points):
    """The grid point of lowest interpolated log loss per (resample, budget), and its code (KEPT, BELOW, ABOVE).

    log_x: (budgets, width) increasing over each budget's first n_points, then padding; log_loss: (resamples,
    budgets, width). A row with a non-finite loss gets NaN and code BELOW/ABOVE never: it is simply not KEPT.
    """
    n_points = np.asarray(n_points)
    n_grid = (n_points - 1) * GRID_PER_INTERVAL
    fraction = np.arange(n_grid.max()) / np.maximum(n_grid[:, None] - 1, 1)
    on_grid = fraction <= 1.0
    first, final = log_x[:, 0], np.take_along_axis(log_x, n_points[:, None] - 1, -1)[:, 0]
    grid = first[:, None] + np.minimum(fraction, 1.0) * (final - first)[:, None]
    curve = akima_evaluate(log_x, log_loss, akima_slopes(log_x, log_loss, n_points), grid, n_points)
    finite = np.all(np.isfinite(log_loss) | (np.arange(log_x.shape[-1]) >= n_points[:, None]), axis=-1)
    best = np.where(on_grid, np.where(np.isfinite(curve), curve, np.inf), np.inf).argmin(-1)
    code = np.select([~finite, best == 0, best == n_grid - 1], [UNSTABLE, BELOW, ABOVE], default=KEPT)
    optimum = np.take_along_axis(np.broadcast_to(grid, best.shape + grid.shape[-1:]), best[..., None], -1)[..., 0]
    return np.where(code == KEPT, optimum, np.nan), code


def seed_noise_optima(log_x, loss, noise, n_points, standard_normal):
    """The optimum of every budget from the data and from each seed-noise resample.

    loss, noise: (budgets, width) losses and their seed-noise standard deviations; standard_normal: (resamples,
    budgets, width) draws, aligned with them. Returns (optima, codes, n_usable): optima (1 + resamples, budgets),
    row 0 the estimate (the median of the usable resample optima; NaN where the budget is dropped), the other rows
    each budget's usable resample optima moved first, in drawn order (NaN after them and for dropped budgets), so
    that row i draws one usable optimum per budget; codes (budgets,) why row 0 is NaN; n_usable (budgets,).
    """
    draws = loss[None] + noise[None] * standard_normal
    with np.errstate(invalid="ignore", divide="ignore"):
        log_loss = np.log(np.concatenate([loss[None], draws]))  # a loss pushed to <= 0 is not usable (NaN)
    optima, codes = interpolated_minima(log_x, log_loss, n_points)
    resampled, usable = optima[1:], codes[1:] == KEPT
    code = np.where((codes[0] == KEPT) & (usable.mean(0) < 0.5), UNSTABLE, codes[0])
    some = usable | ~usable.any(0)  # a budget with no usable resample gets a placeholder median, dropped below
    median = np.nanmedian(np.where(some, np.where(usable, resampled, 0.0), np.nan), axis=0)
    order = np.argsort(~usable, axis=0, kind="stable")
    compacted = np.take_along_axis(np.where(usable, resampled, np.nan), order, 0)
    compacted[:, code != KEPT] = np.nan
    return np.concatenate([np.where(code == KEPT, median, np.nan)[None], compacted]), code, usable.sum(0)
