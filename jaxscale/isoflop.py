"""Chinchilla Approaches 1 and 2: compute-optimal model size and data from isoFLOP profiles or training curves.

Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models", section 3):
- Approach 1 (`envelope`): take, at each compute, the lowest loss over all training curves; the run that
  achieves it gives N_opt(C) and D_opt(C).
- Approach 2 (`profiles`): for each compute budget C, fit a parabola to loss against log N; its vertex is
  N_opt(C) (and likewise in log D for D_opt(C)).
Both then fit N_opt = k * C^a and D_opt = k' * C^b by least squares in log-log space. Bootstrap intervals
resample the rows (within each budget for Approach 2), all resamples solved at once in closed form (a few
thousand 3x3 systems: plain NumPy, nothing to compile).

>>> import jaxscale as js
>>> df = js.datasets.load("porian_isoflop")
>>> result = js.isoflop.profiles(df[df["config"] == "rw/base/short/chinchilla/standard/val"], n_bootstrap=200)
>>> 0.4 < float(result.to_frame()["a"].iloc[0]) < 0.6
True
"""

from collections.abc import Sequence

import equinox as eqx
import numpy as np
import pandas as pd

from ._dataset import numeric_column, require_positive
from ._groups import by_columns, group_key
from ._results import warn


class IsoFlopResult(eqx.Module):
    """Fitted exponents per group: N_opt = k * C^a, D_opt = k' * C^b, with bootstrap percentile intervals.

    `to_frame()`: one row per group with `a`, `a_lo`, `a_hi`, `k`, `b`, `b_lo`, `b_hi`, `k_D`, the number of
    budgets (or envelope points) used by the full-data fit and of usable resamples. `optima`: the per-budget optima that were fitted.
    """

    method: str
    by: tuple[str, ...]
    frame: pd.DataFrame
    optima: pd.DataFrame
    level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the exponents, their intervals and standard errors, the coefficients and counts."""
        return self.frame.copy()

    def summary(self) -> pd.DataFrame:
        """One row per group and exponent (a: N_opt ~ C^a, b: D_opt ~ C^b): estimate, standard error, interval."""
        rows = []
        for _, row in self.frame.iterrows():
            for exponent in ("a", "b"):
                keys = {column: row[column] for column in self.by}
                rows.append({**keys, "exponent": exponent, "estimate": row[exponent], "se": row[f"{exponent}_se"],
                             "lo": row[f"{exponent}_lo"], "hi": row[f"{exponent}_hi"]})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        rows = [
            f"  {'/'.join(map(str, r[list(self.by)])) + ': ' if self.by else ''}a = {r['a']:.4f} "
            f"[{r['a_lo']:.4f}, {r['a_hi']:.4f}], b = {r['b']:.4f} [{r['b_lo']:.4f}, {r['b_hi']:.4f}]"
            for _, r in self.frame.iterrows()
        ]
        return f"IsoFlopResult({self.method}, {self.level:.0%} intervals; N_opt ~ C^a, D_opt ~ C^b\n" + "\n".join(rows) + ")"


def profiles(
    data,
    *,
    compute: str = "C",
    size: str = "N",
    tokens: str = "D",
    target: str = "loss",
    by: str | Sequence[str] | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    budget: str | None = None,
) -> IsoFlopResult:
    """Approach 2: a parabola in log N (and one in log D) per compute budget, then power laws in C.

    Args:
        data: a tidy frame with one row per training run: its compute budget, model size, tokens and loss.
        compute, size, tokens, target: the column names (`compute` holds each run's budget, as in `envelope`).
        by: fit each group (e.g. a configuration column) separately.
        n_bootstrap: resamples (rows drawn with replacement within each budget) for the intervals.
        seed: seeds the resampling.
        level: the interval's coverage.
        budget: deprecated spelling of `compute`.
    """
    if budget is not None:
        warn("isoflop.profiles(budget=...) is deprecated: pass compute=... (as envelope does).", DeprecationWarning)
        compute = budget
    budget = compute
    frame, by = _validate(data, [budget, size, tokens, target], by, n_bootstrap, level, positive=[budget, size, tokens])
    rows, optima = [], []
    for key, group in _groups(frame, by):
        sizes = group.groupby(budget)[size].nunique()
        few = sizes[sizes < 3]
        if len(few):
            raise ValueError(
                f"{_name(key)}budget {budget}={few.index[0]:g} has only {few.iloc[0]} distinct {size} values; a parabola "
                f"needs at least 3 per budget. Drop that budget or add runs."
            )
        if len(sizes) < 2:
            raise ValueError(f"{_name(key)}only {len(sizes)} compute budget(s); fitting N_opt = k C^a needs at least 2.")
        budgets = sizes.index.to_numpy(dtype=float)
        stacked = _stack_by_budget(group, budget, budgets, [size, tokens, target])
        counts = _counts_within_budgets(np.random.default_rng(seed), n_bootstrap, stacked["mask"])
        weights = np.concatenate([stacked["mask"][None].astype(float), counts])  # resample 0 is the data itself
        log_opt = {column: _parabola_vertices(np.log(stacked[column]), stacked[target], weights) for column in (size, tokens)}
        row, optimum = _fit_exponents(key, by, budget, np.log(budgets), size, tokens, log_opt, level)
        rows.append(row)
        optima.append(optimum)
    return IsoFlopResult("approach 2 (isoFLOP parabolas)", by, pd.DataFrame(rows), pd.concat(optima, ignore_index=True), level)


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
    """
    frame, by = _validate(data, [compute, size, tokens, target], by, n_bootstrap, level, positive=[compute, size, tokens])
    if not (isinstance(n_bins, (int, np.integer)) and n_bins >= 3):
        raise ValueError(f"n_bins must be an integer >= 3, got {n_bins!r}.")
    rows, optima = [], []
    for key, group in _groups(frame, by):
        log_c = np.log(group[compute].to_numpy(float))
        edges = np.linspace(log_c.min(), log_c.max(), n_bins + 1)
        bins = np.clip(np.searchsorted(edges, log_c, side="right") - 1, 0, n_bins - 1)
        occupied = np.unique(bins)
        if len(occupied) < 3:
            raise ValueError(f"{_name(key)}the runs span fewer than 3 compute bins; give more compute range or fewer bins.")
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
        row, optimum = _fit_exponents(key, by, compute, centre, size, tokens, log_opt, level)
        rows.append(row)
        optima.append(optimum)
    return IsoFlopResult("approach 1 (training-curve envelope)", by, pd.DataFrame(rows), pd.concat(optima, ignore_index=True), level)


def _parabola_vertices(log_x, loss, weights):
    """Weighted least-squares parabola loss ~ c0 + c1 u + c2 u^2 per (resample, budget); its vertex u = -c1 / (2 c2).

    log_x, loss: (budgets, runs); weights: (resamples, budgets, runs). Closed form on a few 3x3 systems, so
    plain NumPy: nothing to compile. A parabola that opens downwards, is singular, or has its vertex outside
    the sizes run at that budget has no trustworthy minimum and gives NaN (that budget is left out).
    """
    log_x, loss, weights = np.asarray(log_x), np.asarray(loss), np.asarray(weights)
    present = weights[0] > 0
    lo = np.where(present, log_x, np.inf).min(axis=1)
    hi = np.where(present, log_x, -np.inf).max(axis=1)
    centre = 0.5 * (lo + hi)[:, None]  # centred for conditioning
    u = log_x - centre
    design = np.stack([np.ones_like(u), u, u**2], axis=-1)  # (budgets, runs, 3)
    gram = np.einsum("bri,sbr,brj->sbij", design, weights, design)
    rhs = np.einsum("bri,sbr,br->sbi", design, weights, loss)
    with np.errstate(all="ignore"):
        usable = np.abs(np.linalg.det(gram)) > 1e-12 * np.abs(gram).max(axis=(-1, -2)) ** 3
        coef = np.linalg.solve(np.where(usable[..., None, None], gram, np.eye(3)), rhs[..., None])[..., 0]
        vertex = -coef[..., 1] / (2 * coef[..., 2]) + centre[:, 0]
    inside = (vertex >= lo) & (vertex <= hi)
    return np.where(usable & (coef[..., 2] > 0) & inside, vertex, np.nan)


def _power_laws(log_c, log_opt, min_points=2):
    """log_opt = log k + a log C by least squares over the finite points of each resample (row of log_opt)."""
    log_c, log_opt = np.asarray(log_c), np.asarray(log_opt)
    ok = np.isfinite(log_opt)
    w = ok.astype(float)
    y = np.where(ok, log_opt, 0.0)
    n, sx, sy = w.sum(1), (w * log_c).sum(1), (w * y).sum(1)
    sxx, sxy = (w * log_c**2).sum(1), (w * log_c * y).sum(1)
    with np.errstate(all="ignore"):
        a = (n * sxy - sx * sy) / (n * sxx - sx**2)
        log_k = (sy - a * sx) / n
    enough = n >= min_points
    return {"a": np.where(enough, a, np.nan), "log_k": np.where(enough, log_k, np.nan), "vertex": log_opt, "n_used": n}


def _fit_exponents(key, by, compute, log_c, size, tokens, log_opt, level):
    """Power laws N_opt = k C^a and D_opt = k_D C^b through the optima of every resample (row 0: the data).

    Returns the group's summary row and the frame of its full-data optima per compute value.
    """
    fits = {"N": _power_laws(log_c, log_opt[size]), "D": _power_laws(log_c, log_opt[tokens])}
    row = _summarize(key, by, fits, level, n_points=int(fits["N"]["n_used"][0]))
    optimum = pd.DataFrame({compute: np.exp(log_c), f"{size}_opt": np.exp(log_opt[size][0]), f"{tokens}_opt": np.exp(log_opt[tokens][0])})
    return row, _with_key(optimum, key, by)


def _summarize(key, by, fits, level, n_points) -> dict:
    row = dict(zip(by, key if isinstance(key, tuple) else (key,))) if by else {}
    for name, exponent, coefficient in (("N", "a", "k"), ("D", "b", "k_D")):
        a, log_k = fits[name]["a"], fits[name]["log_k"]
        boot = a[1:][np.isfinite(a[1:])]
        row[exponent] = a[0]
        row[f"{exponent}_lo"], row[f"{exponent}_hi"] = (np.quantile(boot, [(1 - level) / 2, (1 + level) / 2]) if len(boot) else (np.nan, np.nan))
        row[f"{exponent}_se"] = np.std(boot, ddof=1) if len(boot) > 1 else np.nan
        row[coefficient] = np.exp(log_k[0])
    row["n_points"] = n_points
    row["n_resamples_used"] = int(np.sum(np.isfinite(fits["N"]["a"][1:]) & np.isfinite(fits["D"]["a"][1:])))
    return row


def _validate(data, columns, by, n_bootstrap, level, positive):
    frame = pd.DataFrame(data)
    if len(frame) == 0:
        raise ValueError("the data is empty (0 rows).")
    by = by_columns(frame, by)
    for column in columns:
        values = numeric_column(frame, column, role=column)
        if column in positive:
            require_positive(values, column, "its logarithm is taken")
    if not (isinstance(n_bootstrap, (int, np.integer)) and n_bootstrap >= 1):
        raise ValueError(f"n_bootstrap must be a positive integer, got {n_bootstrap!r}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}.")
    return frame, by


def _groups(frame, by):
    if not by:
        return [((), frame)]
    return [(group_key(k, by), g) for k, g in frame.groupby(list(by), sort=True)]


def _stack_by_budget(group, budget, budgets, columns) -> dict:
    """Columns as (budgets, runs) arrays padded with the budget's last run (mask False there)."""
    parts = [group[group[budget] == c] for c in budgets]
    width = max(len(p) for p in parts)
    out = {"mask": np.stack([np.arange(width) < len(p) for p in parts])}
    for column in columns:
        out[column] = np.stack([np.pad(p[column].to_numpy(float), (0, width - len(p)), mode="edge") for p in parts])
    return out


def _counts_within_budgets(rng, n_resamples, mask):
    """Bootstrap counts: each budget's runs drawn with replacement, as many as it has. (resamples, budgets, runs)."""
    counts = np.zeros((n_resamples,) + mask.shape)
    for b, n_runs in enumerate(mask.sum(axis=1)):
        counts[:, b, :n_runs] = rng.multinomial(n_runs, np.full(n_runs, 1.0 / n_runs), size=n_resamples)
    return counts


def _with_key(frame, key, by):
    for column, value in zip(by, key if isinstance(key, tuple) else (key,)):
        frame.insert(list(by).index(column), column, value)
    return frame


def _name(key) -> str:
    return f"group {key!r}: " if key != () else ""
