"""Chinchilla Approach 2 (`profiles`): the optimum of each isoFLOP profile, then power laws in compute."""

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .._dataset import check_seed, is_count, numeric_column
from .._results import warn
from ._frames import counts_within_budgets, group_name, groups, stack_by_budget, validate
from ._interpolate import seed_noise_optima
from ._parabola import parabola_vertices
from ._power_laws import fit_exponents
from ._reasons import KEPT, reasons
from ._result import IsoFlopResult
from ._window import window_weights

ESTIMATORS = ("parabola", "window", "interpolate")
DEFAULT_WINDOW = 5  # the best run and two sizes either side: local enough to ignore the profile's skew
METHODS = {
    "parabola": "approach 2 (isoFLOP parabolas)",
    "window": "approach 2 (isoFLOP parabolas on {window} sizes around each best run)",
    "interpolate": "approach 2 (interpolated isoFLOP profiles, seed-noise bootstrap)",
}


def profiles(
    data,
    *,
    compute: str = "C",
    size: str = "N",
    tokens: str = "D",
    target: str = "loss",
    by: str | Sequence[str] | None = None,
    estimator: str = "parabola",
    window: int | None = None,
    seed_noise: float | str | Callable | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    budget: str | None = None,
) -> IsoFlopResult:
    """Approach 2: the optimal size (and tokens) of each compute budget's isoFLOP profile, then power laws in C.

    Three estimators of a profile's optimum:
    - "parabola" (Hoffmann et al. 2022): a parabola in log N (and one in log D) over all the budget's runs; its
      vertex. The bootstrap resamples runs within each budget.
    - "window": the same parabola fitted only to the `window` consecutive sizes around the budget's best run
      (default 5), so that a skewed profile far from its minimum does not pull the vertex. Bootstrap as above
      (each resample's window centred on its own best run).
    - "interpolate" (Porian et al. 2024): the minimum of an Akima interpolant of log loss against log N on a
      fine log grid; the bootstrap adds Gaussian seed noise of standard deviation `seed_noise` to every loss,
      and each budget's optimum is the median over resamples. A budget is kept only where the noise-free
      minimum lies inside the sizes run and so do at least half of the resamples' minima (for N and D alike).
    N_opt = k C^a and D_opt = k_D C^b are then least-squares lines in log-log space through the kept budgets,
    and once per resample for the percentile intervals.

    A budget whose optimum lies outside the sizes run there (or that has no minimum) is left out of the power
    laws with a FitWarning that names it; `result.optima` lists every budget with `used` and the `reason`.

    Args:
        data: a tidy frame with one row per training run: its compute budget, model size, tokens and loss.
        compute, size, tokens, target: the column names (`compute` holds each run's budget, as in `envelope`).
        by: fit each group (e.g. a configuration column) separately.
        estimator: "parabola", "window" or "interpolate" (above).
        window: sizes per window (an integer >= 3) for estimator="window".
        seed_noise: for estimator="interpolate", the standard deviation of the loss between runs that differ
            only in their seed: a number, a column name (per run, e.g. per dataset), or a function of the loss
            array. Porian et al. use 0.002 for RefinedWeb and 0.01 for OpenWebText2. Runs of equal size in a
            budget are averaged first (their noise divided by sqrt(count)).
        n_bootstrap: resamples for the intervals.
        seed: seeds the resampling.
        level: the interval's coverage.
        budget: deprecated spelling of `compute`.

    >>> import jaxscale as js
    >>> df = js.datasets.load("porian_isoflop")
    >>> runs = df[df["config"] == "rw/tuned/short/const/standard/val"]
    >>> result = js.isoflop.profiles(runs, estimator="interpolate", seed_noise=0.002, n_bootstrap=200)
    >>> round(float(result.to_frame()["a"].iloc[0]), 2)  # Porian et al. report 0.497
    0.5
    """
    if budget is not None:
        warn("isoflop.profiles(budget=...) is deprecated: pass compute=... (as envelope does).", DeprecationWarning)
        compute = budget
    budget = compute
    check_seed(seed)
    window = _check_estimator(estimator, window, seed_noise)
    positive = [budget, size, tokens] + ([target] if estimator == "interpolate" else [])
    frame, by = validate(data, [budget, size, tokens, target], by, n_bootstrap, level, positive=positive)
    if estimator == "interpolate":
        frame = frame.assign(_seed_noise=_noise_per_run(frame, seed_noise, target))
    rows, optima, dropped = [], [], []
    rng = np.random.default_rng(seed)
    for key, group in groups(frame, by):
        budgets = _budgets(group, key, budget, size)
        if estimator == "interpolate":
            log_opt, why = _interpolated(group, budget, budgets, size, tokens, target, n_bootstrap, rng)
        else:
            log_opt, why = _parabolas(group, budget, budgets, size, tokens, target, n_bootstrap, rng, window)
        row, optimum = fit_exponents(key, by, budget, np.log(budgets), size, tokens, log_opt, level, why, budgets)
        rows.append(row)
        optima.append(optimum)
        name = group_name(key, by)
        dropped += [f"{name + ', ' if name else ''}{budget}={c:.3g} ({text})" for c, text in zip(budgets, why) if text]
    if optima and not any(bool(np.any(o["used"])) for o in optima if "used" in o):
        raise ValueError(
            f"isoflop.profiles(estimator={estimator!r}): no budget has its optimum inside the sizes run ("
            + "; ".join(dropped) + "), so no minimum to fit N_opt = k C^a to; run sizes on both sides of each "
            "budget's best loss, or use isoflop.envelope (approach 1)."
        )
    if dropped:
        warn(
            f"isoflop.profiles(estimator={estimator!r}): {len(dropped)} budget(s) left out of the power-law fits, "
            f"their optimum not inside the sizes run (result.optima has `used` and `reason`): " + "; ".join(dropped) + "."
        )
    method = METHODS[estimator].format(window=window)
    return IsoFlopResult(method, by, pd.DataFrame(rows), pd.concat(optima, ignore_index=True), level)


def _check_estimator(estimator, window, seed_noise):
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}.")
    if window is not None and estimator != "window":
        raise ValueError(f"window= applies only to estimator='window' (got estimator={estimator!r}); drop it or switch.")
    if seed_noise is not None and estimator != "interpolate":
        raise ValueError(f"seed_noise= applies only to estimator='interpolate' (got estimator={estimator!r}); drop it or switch.")
    if estimator == "window":
        window = DEFAULT_WINDOW if window is None else window
        if not is_count(window, minimum=3):
            raise ValueError(f"window must be an integer >= 3 (a parabola needs three sizes), got {window!r}.")
    if estimator == "interpolate" and seed_noise is None:
        raise ValueError(
            "estimator='interpolate' needs seed_noise=: the standard deviation of the loss between runs that differ "
            "only in seed (a number, a column name, or a function of the loss); Porian et al. use 0.002 on "
            "RefinedWeb and 0.01 on OpenWebText2."
        )
    return window


def _noise_per_run(frame, seed_noise, target) -> np.ndarray:
    """The seed noise of every run, checked: finite and >= 0."""
    if isinstance(seed_noise, str):
        noise = numeric_column(frame, seed_noise, role="seed_noise")
    elif callable(seed_noise):
        noise = np.broadcast_to(np.asarray(seed_noise(frame[target].to_numpy(float)), dtype=float), (len(frame),))
    elif isinstance(seed_noise, (int, float, np.number)) and not isinstance(seed_noise, bool):
        noise = np.full(len(frame), float(seed_noise))
    else:
        raise TypeError(f"seed_noise must be a number, a column name or a function of the loss, got {type(seed_noise).__name__}.")
    bad = np.flatnonzero(~np.isfinite(noise) | (noise < 0))
    if len(bad):
        raise ValueError(f"seed_noise must be finite and >= 0; {len(bad)} runs have {noise[bad[0]]!r} (e.g. row {bad[0]}).")
    return noise


def _budgets(group, key, budget, size) -> np.ndarray:
    sizes = group.groupby(budget)[size].nunique()
    few = sizes[sizes < 3]
    name = "" if key == () else f"group {key!r}: "
    if len(few):
        raise ValueError(
            f"{name}budget {budget}={few.index[0]:g} has only {few.iloc[0]} distinct {size} values; an isoFLOP "
            f"optimum needs at least 3 per budget. Drop that budget or add runs."
        )
    if len(sizes) < 2:
        raise ValueError(f"{name}only {len(sizes)} compute budget(s); fitting N_opt = k C^a needs at least 2.")
    return sizes.index.to_numpy(dtype=float)


def _parabolas(group, budget, budgets, size, tokens, target, n_bootstrap, rng, window):
    """Parabola vertices in log N and log D for the data (row 0) and each resample of runs within budgets."""
    stacked = stack_by_budget(group, budget, budgets, [size, tokens, target])
    counts = counts_within_budgets(rng, n_bootstrap, stacked["mask"])
    weights = np.concatenate([stacked["mask"][None].astype(float), counts])  # resample 0 is the data itself
    log_opt, codes, spans = {}, {}, {}
    for column in (size, tokens):
        log_x = np.log(stacked[column])
        if window is None:
            kept = weights
            lo = np.where(stacked["mask"], log_x, np.inf).min(axis=1)
            hi = np.where(stacked["mask"], log_x, -np.inf).max(axis=1)
        else:
            kept, lo, hi = window_weights(log_x, stacked[target], weights, window)
        log_opt[column], code = parabola_vertices(log_x, stacked[target], kept, lo, hi)
        codes[column] = code[0]
        spans[column] = np.exp(np.stack(np.broadcast_arrays(lo, hi), -1).reshape(-1, len(budgets), 2)[0])
    return log_opt, reasons(codes, spans, scope="sampled" if window is None else "in its window")


def _interpolated(group, budget, budgets, size, tokens, target, n_bootstrap, rng):
    """Interpolated optima in log N and log D: row 0 the estimate, then one usable resample per budget per row."""
    # Runs of one size in a budget are seeds of one model: average them (and their noise shrinks by sqrt(k)).
    runs = group.groupby([budget, size], sort=True).agg(
        tokens=(tokens, "mean"), loss=(target, "mean"), noise=("_seed_noise", "mean"), count=(target, "size")
    ).reset_index()
    runs["noise"] = runs["noise"] / np.sqrt(runs["count"])
    stacked = stack_by_budget(runs, budget, budgets, [size, "tokens", "loss", "noise"])
    n_points = stacked["mask"].sum(axis=1)
    standard_normal = rng.standard_normal((n_bootstrap,) + stacked["loss"].shape)
    log_opt, codes, n_usable, spans = {}, {}, {}, {}
    for column, name in ((size, size), ("tokens", tokens)):
        # Sort each budget by this column (padding stays last); the noise draws follow their runs.
        order = np.argsort(np.where(stacked["mask"], stacked[column], np.inf), axis=1, kind="stable")
        sort = lambda a: np.take_along_axis(a, np.broadcast_to(order, a.shape), -1)  # noqa: E731
        log_x = np.log(sort(stacked[column]))
        log_opt[name], codes[name], n_usable[name] = seed_noise_optima(
            log_x, sort(stacked["loss"]), sort(stacked["noise"]), n_points, sort(standard_normal)
        )
        spans[name] = np.stack([np.exp(log_x[:, 0]), np.exp(np.take_along_axis(log_x, n_points[:, None] - 1, 1)[:, 0])], -1)
    # A budget counts only where both optima were found (as Porian et al. drop it from both fits).
    keep = (codes[size] == KEPT) & (codes[tokens] == KEPT)
    usable = min(int(n_usable[size][keep].min(initial=n_bootstrap)), int(n_usable[tokens][keep].min(initial=n_bootstrap)))
    for name in (size, tokens):
        log_opt[name][:, ~keep] = np.nan
        log_opt[name][1 + usable :] = np.nan  # as many bootstrap fits as the scarcest kept budget allows
    return log_opt, reasons(codes, spans)
