"""Chinchilla Approach 1 (`envelope`): the lowest loss at each compute along training curves, then power laws."""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._dataset import check_seed
from ._frames import groups, validate
from ._power_laws import fit_exponents
from ._result import IsoFlopResult


def envelope(
    data,
    *,
    compute: str = "C",
    size: str = "N",
    tokens: str = "D",
    target: str = "loss",
    by: str | Sequence[str] | None = None,
    n_bins: int = 20,
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> IsoFlopResult:
    """Approach 1: in each of `n_bins` log-spaced compute bins, the run with the lowest loss; then power laws.

    `data` holds points along training curves (compute so far, model size, tokens so far, loss); bins where
    no run has a point are skipped. Bootstrap resamples the rows.

    >>> import jaxscale as js
    >>> import numpy as np, pandas as pd
    >>> n, d = np.meshgrid(np.geomspace(1e7, 1e9, 8), np.geomspace(1e8, 1e11, 40))
    >>> curves = pd.DataFrame({"N": n.ravel(), "D": d.ravel(), "C": 6 * n.ravel() * d.ravel()})
    >>> curves["loss"] = 1.7 + 400 / curves["N"] ** 0.34 + 400 / curves["D"] ** 0.28
    >>> result = js.isoflop.envelope(curves[(curves.C > 1e17) & (curves.C < 1e20)], n_bins=10, n_bootstrap=50)
    >>> bool(0.3 < result.to_frame()["a"].iloc[0] < 0.7)
    True
    """
    frame, by = validate(data, [compute, size, tokens, target], by, n_bootstrap, level, positive=[compute, size, tokens])
    check_seed(seed)
    if isinstance(n_bins, bool) or not (isinstance(n_bins, (int, np.integer)) and n_bins >= 3):
        raise ValueError(f"n_bins must be an integer >= 3, got {n_bins!r}.")
    rows, optima = [], []
    for key, group in groups(frame, by):
        log_c = np.log(group[compute].to_numpy(float))
        edges = np.linspace(log_c.min(), log_c.max(), n_bins + 1)
        bins = np.clip(np.searchsorted(edges, log_c, side="right") - 1, 0, n_bins - 1)
        occupied = np.unique(bins)
        if len(occupied) < 3:
            raise ValueError(f"{_group_label(key)}the runs span fewer than 3 compute bins; give more compute range or fewer bins.")
        n = len(group)
        counts = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=n_bootstrap)
        weights = np.concatenate([np.ones((1, n)), counts])
        in_bin = bins[None, :] == occupied[:, None]  # (bins, rows)
        loss = group[target].to_numpy(float)
        # For every resample and bin: the drawn row with the lowest loss (a bin with no drawn row is NaN).
        masked = np.where(in_bin[None] & (weights[:, None, :] > 0), loss, np.inf)
        best = np.argmin(masked, axis=-1)
        empty = ~np.isfinite(np.min(masked, axis=-1))
        centre = 0.5 * (edges[occupied] + edges[occupied + 1])
        log_opt = {column: np.where(empty, np.nan, np.log(group[column].to_numpy(float))[best]) for column in (size, tokens)}
        row, optimum = fit_exponents(key, by, compute, centre, size, tokens, log_opt, level)
        rows.append(row)
        optima.append(optimum)
    return IsoFlopResult("approach 1 (training-curve envelope)", by, pd.DataFrame(rows), pd.concat(optima, ignore_index=True), level)


def _group_label(key) -> str:
    return f"group {key!r}: " if key != () else ""
