"""Akima's (1970) piecewise-cubic interpolation, for many rows of different lengths at once (NumPy).

Each row holds `n_points[b]` increasing abscissae, then padding. The slope at each point is Akima's weighted
mean of the neighbouring secants (the weights are the changes of slope on the far side, so a lone outlier moves
the curve only nearby), with two secants extrapolated linearly past each end; the curve is the cubic Hermite
spline through the points with those slopes. It matches scipy.interpolate.Akima1DInterpolator (tested).
"""

import numpy as np


def akima_slopes(x, y, n_points):
    """Akima's slope at every point. x: (rows, width); y: (..., rows, width); n_points: (rows,), each >= 3."""
    x, y, n_points = np.asarray(x, float), np.asarray(y, float), np.asarray(n_points)
    width = x.shape[-1]
    step = np.diff(x, axis=-1)
    real = np.arange(width - 1) < (n_points[:, None] - 1)
    secant = np.diff(y, axis=-1) / np.where(real, step, 1.0)
    # m[j + 2] is secant j; two extrapolated secants on each side.
    m = np.zeros(y.shape[:-1] + (width + 3,))
    m[..., 2 : width + 1] = secant
    m[..., 1] = 2 * m[..., 2] - m[..., 3]
    m[..., 0] = 2 * m[..., 1] - m[..., 2]
    last = np.broadcast_to(n_points[:, None], y.shape[:-1] + (1,))  # m[last] is the last real secant
    after = 2 * np.take_along_axis(m, last, -1) - np.take_along_axis(m, last - 1, -1)
    np.put_along_axis(m, last + 1, after, -1)
    np.put_along_axis(m, last + 2, 2 * after - np.take_along_axis(m, last, -1), -1)
    far_right = np.abs(m[..., 3:] - m[..., 2:-1])  # |m[i+3] - m[i+2]| for point i
    far_left = np.abs(m[..., 1:-2] - m[..., :-3])  # |m[i+1] - m[i]|
    total = far_right + far_left
    points = np.arange(width) < n_points[:, None]
    defined = total > 1e-9 * np.where(points, total, 0.0).max(-1, keepdims=True)
    with np.errstate(all="ignore"):
        weighted = (far_right * m[..., 1:-2] + far_left * m[..., 2:-1]) / total
    return np.where(defined, weighted, 0.5 * (m[..., 1:-2] + m[..., 2:-1]))


def akima_evaluate(x, y, slopes, grid, n_points):
    """The interpolant at `grid` (rows, n_grid), each grid value inside its row's [x_0, x_{n-1}]."""
    x, grid = np.asarray(x, float), np.asarray(grid, float)
    n_points = np.asarray(n_points)
    real = np.arange(x.shape[-1]) < n_points[:, None]
    interval = ((x[:, None, :] <= grid[:, :, None]) & real[:, None, :]).sum(-1) - 1
    interval = np.clip(interval, 0, n_points[:, None] - 2)  # the last point belongs to the last interval
    x0, x1 = np.take_along_axis(x, interval, -1), np.take_along_axis(x, interval + 1, -1)
    index = np.broadcast_to(interval, y.shape[:-1] + interval.shape[-1:])
    y0, y1 = np.take_along_axis(y, index, -1), np.take_along_axis(y, index + 1, -1)
    t0, t1 = np.take_along_axis(slopes, index, -1), np.take_along_axis(slopes, index + 1, -1)
    h = x1 - x0
    s = (grid - x0) / h
    s2, s3 = s * s, s * s * s
    return (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * h * t0 + (3 * s2 - 2 * s3) * y1 + (s3 - s2) * h * t1
