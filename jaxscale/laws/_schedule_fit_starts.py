"""Starts for the schedule-aware laws: a grid over their nonlinear parameters, the linear ones (L0, A and the
annealing coefficient) solved by least squares at each grid point, the best grid points kept."""

import itertools

import numpy as np


def linear_starts(target, columns_at, grid: dict[str, np.ndarray], n_keep: int) -> list[dict[str, float]]:
    """For each combination of `grid` values, least squares of target on [1, *columns_at(values)]; the
    `n_keep` combinations with the smallest residual whose coefficients are all > 0, best first, as dicts of
    the grid values and the coefficients ("c0" the intercept, "c1", ... the columns')."""
    y = np.asarray(target, float)
    found = []
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values))
        design = np.column_stack([np.ones_like(y)] + list(columns_at(point)))
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        if not np.all(np.isfinite(coef)):
            continue
        residual = float(np.sum((design @ coef - y) ** 2))
        # A negative coefficient cannot start a positive parameter: keep its magnitude, rank it last.
        found.append((residual + (1e9 if np.any(coef <= 0) else 0.0), point | {f"c{i}": max(abs(c), 1e-8) for i, c in enumerate(coef)}))
    found.sort(key=lambda item: item[0])
    return [point for _, point in found[:n_keep]]
