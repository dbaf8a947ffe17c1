"""`compare`: is variant B better than baseline A at the compute I care about, and by what compute multiplier?

Every variant's runs are fitted at once, some parameters shared (one joint fit, `fit(..., by=..., shared=...)`),
then refitted to resamples of the runs in one compiled program. Runs with the same N and D in every variant
(the same compute, for a law of compute alone) form a pair, drawn together, so that what they have in common
(the same model shape, the same budget) cancels from the comparison; the other runs are resampled within their
variant, and each variant keeps its number of runs.

The effective compute multiplier of a variant at compute C is C' / C, where C' is the compute at which the
baseline reaches the variant's loss at C: both losses are compute-optimal (a `problems.ComputeOptimal` solve)
for a law of N and D, the law's prediction for a law of compute alone. Above 1 the variant is worth that much
more compute; below 1 it is worse.
"""

import time
from collections.abc import Callable, Mapping, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._compare_result import Comparison
from ._compile_timer import compile_timer
from ._dataset import check_seed, read_inputs
from ._effective_compute import Frontier, compute_to_reach, first_crossing, frontier_table, interpolate
from ._fit import fit
from ._groups import groups_of
from ._multistart import MultiStart
from ._results import RESULTS, FitError, warn
from ._sharding import padded_size
from ._shared_fit_result import SharedFitResult
from ._threads import map_on_cores
from .laws import resolve
from .problems import ComputeOptimal, Search, six_nd
from .solvers import DampedNewton

# The frontiers are tabulated this far (in log C, e^14 ~ 1.2e6) beyond every compute asked about, at nodes at
# most one e-fold apart, so multipliers up to ~1e6 (and down to ~1e-6) are read from the table.
LOG_MARGIN = 14.0
NODE_SPACING = 1.0
# Laws per compiled call of the frontier table (fixed, so every number of resamples reuses one program).
TABLE_CHUNK = 256
CURVE_POINTS = 48


def compare(
    law,
    data,
    *,
    variant: str,
    baseline,
    at,
    shared: str | Sequence[str] = ("E",),
    n_resamples: int = 1000,
    level: float = 0.9,
    seed: int = 0,
    paired: bool = True,
    crossover_range: tuple[float, float] | None = None,
    cost: Callable = six_nd,
    n_range: tuple[float, float] | None = None,
    d_range: tuple[float, float] | None = None,
    grid: int = 24,
    steps: int = 8,
    target: str = "loss",
    inputs: Mapping[str, str] | None = None,
    chunk_size: int = 250,
    n_starts: int = 2,
    **fit_options,
) -> Comparison:
    """How much compute each variant is worth against `baseline`, at the computes `at`, with bootstrap intervals.

    The variants (the groups of `data[variant]`) are fitted jointly with `shared` parameters (default the
    irreducible loss E) taking one value for all and the rest one per variant; `n_resamples` bootstrap refits
    of that joint fit give the intervals. For each variant other than the baseline:

    - the **effective compute multiplier** at each C of `at`: the compute the baseline needs to reach the
      variant's loss at C, divided by C (2.0: the variant at C is as good as the baseline at 2C; below 1 the
      variant is worse). Losses are compute-optimal (`problems.ComputeOptimal(C, cost)`) for a law of N and D,
      and the law's prediction at C for a law of one input (compute, e.g. `PowerLaw` with `inputs={"x": "C"}`);
    - the **crossover compute** where the two loss-vs-compute curves cross inside `crossover_range` (or "none
      in range", saying which is lower throughout);
    - **P(better)**: the share of bootstrap refits in which the variant's loss at C is below the baseline's.

    A lower target is better (a loss). Resamples pair runs across variants where they pair up (the same N and D
    in every variant, or the same compute for a law of compute alone; `paired=False` resamples every variant on
    its own).

    Args:
        law: a law of N and D (e.g. `js.Chinchilla`, `js.laws.Overtraining`) or of one input, as for `fit`.
        data: a DataFrame with the law's inputs, `target` and the `variant` column.
        variant: the column naming each run's variant (e.g. "corpus").
        baseline: the variant the others are measured against (a value of `data[variant]`).
        at: a compute (FLOPs) or array of them.
        shared: parameters with one value for every variant (the rest are per variant).
        n_resamples: bootstrap refits.
        level: the intervals' nominal coverage, in (0, 1).
        seed: seeds the resampling (same seed, same answer).
        paired: pair runs across variants where they pair up.
        crossover_range: (lo, hi) FLOPs searched for a crossover; default from the smallest run's compute to
            100 x the largest of the runs' and `at`.
        cost: training FLOPs cost(N, D) for a law of N and D (default 6 N D).
        n_range, d_range, grid, steps: the compute-optimal search, as for `allocate` (default grid 24 and 8
            Newton steps, exact to ~1e-12 for smooth laws).
        target, inputs: as for `fit`.
        chunk_size: refits per compiled call.
        n_starts: starts per refit: the joint fit's optimum and its next distinct local minima (as `bootstrap`).
        **fit_options: passed to `fit` (`loss`, `bounds`, `fixed`, `tied`, `starts`, ...).

    Returns:
        A `Comparison`: `to_frame()` (one row per variant and compute), `summary()`, `crossovers()`, `plot()`.

    >>> import numpy as np, pandas as pd, jaxscale as js
    >>> C = np.geomspace(1e15, 1e19, 12)
    >>> rows = [pd.DataFrame({"recipe": r, "C": C, "loss": 2 + 60 * (k * C) ** -0.1}) for r, k in (("a", 1), ("b", 2))]
    >>> result = js.compare(js.PowerLaw, pd.concat(rows), variant="recipe", baseline="a", at=1e18,
    ...                     inputs={"x": "C"}, n_resamples=50)
    >>> round(float(result.to_frame()["multiplier"].iloc[0]), 3)
    2.0
    """
    check_seed(seed)
    template = resolve(law)
    frame = _frame(data, variant)
    compute_input = _compute_input(template, inputs)
    shared = _check_shared(shared, template)
    at = _computes(at)
    log_at = np.log(at)
    level = _check_level(level)
    for name, value, minimum in (("n_resamples", n_resamples, 1), ("chunk_size", chunk_size, 1), ("grid", grid, 2), ("steps", steps, 0), ("n_starts", n_starts, 1)):
        if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum):
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    for name in ("by", "shared"):
        if name in fit_options:
            raise ValueError(f"compare fits by the variant column itself: drop {name}= (use variant= and shared=).")
    keys, group_rows = groups_of(frame, (variant,))
    _check_variants(keys, baseline, variant)
    computes = _run_computes(template, frame, inputs, compute_input, cost)
    _check_overlap(keys, group_rows, computes, keys.index(baseline), variant)
    lo, hi = _crossover_range(crossover_range, computes, log_at)
    if compute_input is None:
        frontier = Frontier(ComputeOptimal(1.0, cost=cost), Search(**_given(n_range=n_range, d_range=d_range), grid=grid, steps=steps), None)
    else:
        if any(v is not None for v in (n_range, d_range)) or cost is not six_nd:
            raise ValueError(
                f"{type(template).__name__} is a law of {compute_input} alone, so its loss at C is read directly: "
                "drop cost=, n_range= and d_range= (they set the compute-optimal search of a law of N and D)."
            )
        frontier = Frontier(None, None, compute_input)

    full = fit(template, frame, by=variant, shared=shared, target=target, inputs=inputs, **fit_options)
    b = full.keys.index(baseline)
    units = _pair_units(frame, template, inputs, compute_input, full.group_of_row()) if paired else None
    counts = _resample_counts(full.group_of_row(), units, n_resamples, seed) * np.asarray(full.dataset.weights)[None]

    began = time.perf_counter()
    with compile_timer() as compiling:
        z, _, status = _refit(full, counts, chunk_size, n_starts)
        ok = status != RESULTS.non_finite
        if not ok.any():
            raise FitError(f"every one of the {n_resamples} bootstrap refits of the joint fit ended non-finite; check the fit (result.fit) first.")
        n_groups = len(full)
        resampled = jax.vmap(lambda one: full.parameterization.to_law(one).group_laws(n_groups))(jnp.asarray(z))
        laws = jax.tree_util.tree_map(lambda e, r: jnp.concatenate([e[None], r]), full.law, resampled)
        nodes = _nodes(min(lo, log_at.min()), max(hi, log_at.max()))
        values, slopes = _tables(frontier, laws, np.concatenate([nodes, log_at]))
    seconds = time.perf_counter() - began - compiling.seconds
    if not ok.all():
        warn(f"{int(np.sum(~ok))} of {n_resamples} bootstrap refits ended non-finite and are left out of the intervals.")

    return _assemble(
        full, variant, b, frontier, resampled, values, slopes, nodes, at, (lo, hi), level, ok, units,
        seed, seconds, compiling.seconds, computes,
    )


def _assemble(full, variant, b, frontier, resampled, values, slopes, nodes, at, log_range, level, ok, units, seed, seconds, compile_seconds, computes):
    """The `Comparison` from the frontier tables: (1 + resamples, variants, nodes + at), the full fit first."""
    n_nodes, keys, log_at = len(nodes), full.keys, np.log(at)
    table, table_slope, log_loss = values[..., :n_nodes], slopes[..., :n_nodes], values[..., n_nodes:]
    others = [g for g in range(len(keys)) if g != b]
    # The compute at which the baseline reaches each variant's loss at each C of `at`, over C.
    log_multiplier = compute_to_reach(nodes, table[:, b], table_slope[:, b], log_loss[:, others]) - log_at
    gap, gap_slope = table[:, others] - table[:, b : b + 1], table_slope[:, others] - table_slope[:, b : b + 1]
    crossing, n_crossings, starts_below = first_crossing(nodes, gap, gap_slope, *log_range)
    curve = np.linspace(*log_range, CURVE_POINTS)
    curve_log_loss = interpolate(nodes, table, table_slope, np.broadcast_to(curve, table.shape[:2] + curve.shape))
    curve_log_multiplier = compute_to_reach(nodes, table[:, b], table_slope[:, b], curve_log_loss[:, others]) - curve
    _warn(keys, others, b, log_multiplier[0], at, n_crossings[0], np.exp(nodes[[0, -1]]))
    data_loss = np.asarray(full.dataset.target)
    return Comparison(
        fit=full, variant=variant, baseline=keys[b], variants=tuple(keys[g] for g in others),
        kind="direct" if frontier.problem is None else "compute-optimal", at=at, level=level,
        log_multiplier=log_multiplier[0], resampled_log_multiplier=log_multiplier[1:], loss=np.exp(log_loss[0]),
        resampled_loss=np.exp(log_loss[1:]), crossover=np.exp(crossing[0]), n_crossings=n_crossings[0],
        lower_at_start=starts_below[0], resampled_crossover=np.exp(crossing[1:]), crossover_range=tuple(np.exp(log_range)),
        curve_compute=np.exp(curve), curve_loss=np.exp(curve_log_loss[0]), curve_log_multiplier=curve_log_multiplier[0],
        resampled_curve_log_multiplier=curve_log_multiplier[1:], resampled_laws=resampled, ok=ok,
        n_paired_runs=0 if units is None else int(np.sum(units >= 0)), run_compute=computes, run_loss=data_loss,
        run_variant=full.group_of_row(), seed=seed, seconds=seconds, compile_seconds=compile_seconds,
    )


def _warn(keys, others, b, log_multiplier, at, n_crossings, table_range) -> None:
    """What the estimate cannot say: a multiplier beyond the tabulated computes; several crossings."""
    for i, g in enumerate(others):
        for j, c in enumerate(at):
            if np.isinf(log_multiplier[i, j]):
                side = "does not come down to" if log_multiplier[i, j] > 0 else "is already below"
                warn(
                    f"variant {keys[g]!r} at C = {c:.3g} FLOPs: the baseline {keys[b]!r} {side} its loss anywhere in the "
                    f"computes tabulated ({table_range[0]:.3g} to {table_range[1]:.3g} FLOPs), so its multiplier is reported "
                    f"as {'inf' if log_multiplier[i, j] > 0 else '0'}."
                )
        if n_crossings[i] > 1:
            warn(f"variant {keys[g]!r} crosses the baseline {keys[b]!r} {int(n_crossings[i])} times in the crossover range; the first is reported.")


def _given(**options) -> dict:
    return {name: value for name, value in options.items() if value is not None}


def _frame(data, variant) -> pd.DataFrame:
    if not isinstance(data, (pd.DataFrame, dict)):
        raise TypeError(f"compare needs a DataFrame or dict of columns, got {type(data).__name__}.")
    frame = pd.DataFrame(data).reset_index(drop=True)
    if not isinstance(variant, str):
        raise TypeError(f"variant must be the name of the column that says each run's variant (e.g. variant='corpus'), got {variant!r}.")
    if variant not in frame.columns:
        raise ValueError(f"variant column '{variant}' is not in the data; its columns are {list(frame.columns)}.")
    n_missing = int(frame[variant].isna().sum())
    if n_missing:
        raise ValueError(f"variant column '{variant}' has {n_missing} rows with no value (NaN/None): fill or drop them.")
    return frame


def _compute_input(template, inputs) -> str | None:
    """None for a law of N and D (compared at compute-optimal losses); the input's name for a law of one input."""
    names = tuple(type(template).inputs)
    if set(names) == {"N", "D"}:
        return None
    if len(names) == 1:
        return names[0]
    raise ValueError(
        f"compare reads a loss at a compute C: from a law of N and D (compute-optimal, C = cost(N, D)) or of compute "
        f"alone; {type(template).__name__} takes {list(names)}. Fit a law of N and D or of one input."
    )


def _check_shared(shared, template) -> tuple[str, ...]:
    names = type(template).parameter_names()
    if isinstance(shared, str):
        shared = (shared,)
    if not isinstance(shared, (Sequence, set, frozenset)) or not all(isinstance(name, str) for name in shared):
        raise TypeError(f"shared must be a parameter name or a list of them (e.g. shared=['E']), got {shared!r}.")
    unknown = [name for name in shared if name not in names]
    if unknown:
        raise ValueError(f"shared names {unknown}, which are not parameters of {type(template).__name__}; they are {list(names)}.")
    return tuple(dict.fromkeys(shared))


def _computes(at) -> np.ndarray:
    try:
        values = np.atleast_1d(np.asarray(at, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"at must be a compute in FLOPs or an array of them (e.g. at=[1e21, 1e23]), got {at!r}.") from None
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"at must be a compute or a 1-d array of computes, got shape {values.shape}.")
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise ValueError(f"at must be positive, finite computes (FLOPs); {int(bad.sum())} of {values.size} are not: {values[bad][:5].tolist()}.")
    return values


def _check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
        raise ValueError(f"level (the intervals' nominal coverage) must be in (0, 1), e.g. 0.9, got {level!r}.")
    return float(level)


def _check_variants(keys, baseline, variant) -> None:
    if len(keys) < 2:
        raise ValueError(f"compare needs at least 2 variants in column '{variant}', got {len(keys)}: {list(keys)}.")
    if baseline not in keys:
        raise ValueError(f"baseline {baseline!r} is not a variant of column '{variant}'; the variants are {list(keys)}.")


def _run_computes(template, frame, inputs, compute_input, cost) -> np.ndarray:
    """Each run's compute: cost(N, D) for a law of N and D, the input itself for a law of compute alone."""
    columns = read_inputs(type(template), frame, inputs)
    if compute_input is not None:
        return np.asarray(columns[compute_input], float)
    computes = np.asarray(cost(columns["N"], columns["D"]), float)
    bad = ~(np.isfinite(computes) & (computes > 0))
    if bad.any():
        raise ValueError(f"cost(N, D) is not a positive, finite compute for {int(bad.sum())} runs: check the N and D columns and cost=.")
    return computes


def _check_overlap(keys, group_rows, computes, b, variant) -> None:
    """Every variant's runs must share some compute range with the baseline's: the multiplier compares them there."""
    base = computes[group_rows[b]]
    for g, rows in enumerate(group_rows):
        mine = computes[rows]
        if g != b and (mine.max() < base.min() or mine.min() > base.max()):
            raise ValueError(
                f"variant {keys[g]!r} of column '{variant}' has runs from {mine.min():.3g} to {mine.max():.3g} FLOPs and the "
                f"baseline {keys[b]!r} from {base.min():.3g} to {base.max():.3g}: no overlapping compute range, so any "
                f"multiplier would be an extrapolation of one curve against another. Add runs where both were measured."
            )


def _crossover_range(crossover_range, computes, log_at) -> tuple[float, float]:
    if crossover_range is None:
        return float(np.log(computes.min())), float(max(np.log(computes.max()), log_at.max()) + np.log(100.0))
    try:
        lo, hi = (float(v) for v in crossover_range)
    except (TypeError, ValueError):
        raise ValueError(f"crossover_range must be (lo, hi) FLOPs, got {crossover_range!r}.") from None
    if not (0 < lo < hi < np.inf):
        raise ValueError(f"crossover_range must be (lo, hi) with 0 < lo < hi, finite, got {crossover_range!r}.")
    return float(np.log(lo)), float(np.log(hi))


def _nodes(log_lo: float, log_hi: float) -> np.ndarray:
    """Nodes over [lo - margin, hi + margin], at most NODE_SPACING apart, their count rounded up to 16."""
    a, b = log_lo - LOG_MARGIN, log_hi + LOG_MARGIN
    count = -(-(int(np.ceil((b - a) / NODE_SPACING)) + 1) // 16) * 16
    return np.linspace(a, b, count)


def _pair_units(frame, template, inputs, compute_input, group) -> np.ndarray:
    """Each run's pair: the index of its (N, D) (or compute) among those every variant has, -1 for a run
    without partners (resampled within its variant)."""
    columns = read_inputs(type(template), frame, inputs)
    names = ("N", "D") if compute_input is None else (compute_input,)
    keys = [tuple(float(f"{columns[name][i]:.9g}") for name in names) for i in range(len(frame))]
    n_groups = int(group.max()) + 1
    present = {}
    for key, g in zip(keys, group):
        present.setdefault(key, set()).add(int(g))
    common = sorted(key for key, groups in present.items() if len(groups) == n_groups)
    index = {key: u for u, key in enumerate(common)}
    return np.array([index.get(key, -1) for key in keys])


def _resample_counts(group: np.ndarray, units: np.ndarray | None, n: int, seed: int) -> np.ndarray:
    """How often each run is drawn in each of `n` resamples, (n, runs): the pairs drawn with replacement as
    many times as there are pairs (a drawn pair counts once for each of its runs), every other run within its
    variant, as many times as the variant has such runs."""
    rng = np.random.default_rng(seed)
    counts = np.zeros((n, len(group)))
    if units is None:
        units = np.full(len(group), -1)
    n_units = int(units.max()) + 1
    if n_units:
        drawn = np.zeros((n, n_units))
        np.add.at(drawn, (np.arange(n)[:, None], rng.integers(0, n_units, (n, n_units))), 1.0)
        paired = units >= 0
        counts[:, paired] = drawn[:, units[paired]]
    for g in np.unique(group):
        rows = np.flatnonzero((group == g) & (units < 0))
        if rows.size:
            picks = rows[rng.integers(0, rows.size, (n, rows.size))]
            np.add.at(counts, (np.arange(n)[:, None], picks), 1.0)
    return counts


def _refit(full: SharedFitResult, counts: np.ndarray, chunk_size: int, n_starts: int):
    """The joint fit refitted to every row of `counts` (weights per run), `chunk_size` at a time: the best
    end point, objective and status of each."""
    dataset = full.dataset
    starts = jnp.asarray(full.distinct_ends(n_starts), full.end_z.dtype)
    multistart = MultiStart(DampedNewton(), n_refine=starts.shape[0], stop_when_agreed=None, agree_rtol=0.0)
    multistart.check(full.loss)
    n = counts.shape[0]
    chunk = padded_size(min(chunk_size, n))
    # Only the weights differ between resamples.
    data_axes = eqx.tree_at(lambda d: d.weights, jax.tree_util.tree_map(lambda _: None, dataset), 0, is_leaf=lambda x: x is None)

    def run(first):
        block = counts[first : first + chunk]
        block = np.concatenate([block, np.repeat(block[-1:], chunk - len(block), axis=0)])
        batch = eqx.tree_at(lambda d: d.weights, dataset, jnp.asarray(block, dataset.weights.dtype))
        _, _, minimum = multistart.run_batch(full.parameterization, full.loss, batch, data_axes, jnp.broadcast_to(starts, (chunk,) + starts.shape))
        best = np.argmin(np.asarray(minimum.value), axis=1)
        take = min(chunk, n - first)
        pick = lambda a: np.asarray(a)[np.arange(chunk), best][:take]
        return pick(minimum.z), pick(minimum.value), pick(minimum.status)

    parts = list(map_on_cores(run, range(0, n, chunk), first_alone=True))
    return tuple(np.concatenate([part[i] for part in parts]) for i in range(3))


def _tables(frontier, laws, log_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The frontier of every law of a (batch, variants) batch at `log_points`: values and slopes, (batch,
    variants, points), computed TABLE_CHUNK laws per compiled call."""
    shape = laws.batch_shape
    flat = jax.tree_util.tree_map(lambda a: a.reshape((-1,) + a.shape[len(shape) :]), laws)
    n = int(np.prod(shape))
    chunk = padded_size(TABLE_CHUNK)
    points = jnp.asarray(log_points)

    def run(first):
        block = jax.tree_util.tree_map(lambda a: a[first : first + chunk], flat)
        missing = chunk - block.batch_shape[0]
        block = jax.tree_util.tree_map(lambda a: jnp.concatenate([a, jnp.repeat(a[-1:], missing, axis=0)]), block)
        values, slopes = frontier_table(frontier, block, points)
        return np.asarray(values)[: chunk - missing], np.asarray(slopes)[: chunk - missing]

    parts = list(map_on_cores(run, range(0, n, chunk), first_alone=True))
    values = np.concatenate([p[0] for p in parts]).reshape(shape + (len(log_points),))
    slopes = np.concatenate([p[1] for p in parts]).reshape(shape + (len(log_points),))
    return values, slopes
