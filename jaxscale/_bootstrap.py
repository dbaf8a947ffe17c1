"""`bootstrap`: refit a law to thousands of resamples of the rows, as reweightings in one compiled program."""

import functools
import math
import os
import time
from collections.abc import Callable, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._bootstrap_result import BootstrapResult
from ._compile_timer import compile_timer
from ._dataset import Dataset, check_seed
from ._fit import fit
from ._fit_result import FitResult, GroupedFitResult
from ._groups import bucket_rows, pad_and_stack
from ._law import AbstractLaw
from ._multistart import MultiStart
from ._progress import progress_bar
from ._results import RESULTS, FitError, warn
from ._sharding import padded_size, to_host
from ._shared_fit_result import SharedFitResult
from ._threads import map_on_cores, workers
from .laws import resolve
from .solvers import AbstractSolver, DampedNewton


def bootstrap(
    law,
    data=None,
    *,
    n: int = 1000,
    seed: int = 0,
    n_starts: int = 2,
    chunk_size: int = 250,
    solver: AbstractSolver | None = None,
    derived: Mapping[str, Callable[[AbstractLaw], jax.Array]] | None = None,
    progress: bool = False,
    **fit_options,
) -> BootstrapResult:
    """Refits `law` to `n` bootstrap resamples of the rows of `data`.

    A resample draws the rows with replacement; here it is the same rows with integer weights (how often each
    was drawn, times any weights the data carries), so every resample has the same shapes and the whole batch
    runs as one compiled program, `chunk_size` resamples at a time (memory stays bounded as `n` grows).
    Each resample is refitted from `n_starts` points: the full-data optimum and the other distinct local
    minima the full fit reached, best first (then the best screened starts, if there are too few).

    Args:
        law: a `FitResult` of the full data (its data, loss and parameterization are reused; the refits run
            `solver`, below), or a law as for `fit`, which is then first fitted to `data` with `fit_options`.
        data: the measurements, as for `fit` (not needed when `law` is a `FitResult`).
        n: number of resamples.
        seed: seeds the resampling; the same seed gives the same resamples and the same answer.
        n_starts: restarts per resample.
        chunk_size: resamples per compiled call (each call runs until its slowest refit is done, so moderate
            chunks are faster than one huge one).
        solver: the refits' solver; default `DampedNewton()`, whose exact Newton steps converge in a few
            steps from starts that are already minima of nearly the same objective.
        derived: name -> function of a law returning a scalar (e.g. the compute-optimal exponent
            `lambda law: law.beta / (law.alpha + law.beta)`), computed for every resample.
        progress: show a progress bar over chunks.
        **fit_options: `target`, `inputs`, `weights`, `loss`, `bounds`, `dtype`, `n_refine`, `multistart`, ...
            as for `fit` (only when `law` is not a `FitResult`); `solver` here is the refits', not the full fit's.

    Returns:
        A `BootstrapResult`: the batch of fitted laws, standard errors, percentile intervals and `to_frame()`.

    >>> import jaxscale as js
    >>> df = js.datasets.load("chinchilla", subset="epoch")
    >>> boot = js.bootstrap(js.Chinchilla, df, n=200, seed=1)
    >>> boot.n_resamples, 0.005 < float(boot.standard_errors()["alpha"]) < 0.05
    (200, True)
    """
    for name, value in (("n", n), ("n_starts", n_starts), ("chunk_size", chunk_size)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
            what = "n (the number of resamples)" if name == "n" else name
            raise ValueError(f"{what} must be a positive integer, got {value!r} ({type(value).__name__}).")
    check_seed(seed)
    derived = dict(derived or {})
    for name, function in derived.items():
        if not callable(function):
            raise TypeError(f"derived[{name!r}] must be a function of a law, got {type(function).__name__}.")
    if isinstance(law, (FitResult, SharedFitResult)):
        if data is not None or fit_options:
            raise ValueError("bootstrap(fit_result) reuses the fit's data and options; pass neither data nor fit options.")
        _check_memory(int(n), law.dataset.n_rows, int(np.shape(law.end_z)[-1]), int(n_starts), int(chunk_size), len(derived))
        full_fit = law
    else:
        if data is None:
            raise ValueError("bootstrap needs the data: bootstrap(law, data, ...) or bootstrap(fit_result).")
        if fit_options.get("by") is not None and fit_options.get("shared") is None:
            raise ValueError("bootstrap refits one fit; for one per group, bootstrap each group's data (or pass shared= for a joint fit).")
        # Before the full fit, with every parameter of one law counted (fixed ones too), and no compile; a shared=
        # fit has more (per-group copies), which the full fit's own count would add.
        template = resolve(law)
        n_parameters = sum(math.prod(np.shape(getattr(template, name))) for name in template.parameter_names())
        n_rows = _row_count(data)
        if n_rows is not None:  # otherwise fit refuses the data, with its own message
            _check_memory(int(n), n_rows, n_parameters, int(n_starts), int(chunk_size), len(derived))
        full_fit = fit(law, data, **fit_options)
    # A joint fit of groups resamples within each group, so every resample keeps every group's size.
    strata = full_fit.group_of_row() if isinstance(full_fit, SharedFitResult) else None
    if strata is not None and derived:
        raise ValueError("derived= needs one law per resample; a shared= fit has one per group: compute it from to_frame() instead.")
    dataset = full_fit.dataset
    # Every start is already a minimum of nearly the same objective: refine them all, to their end.
    multistart = MultiStart(DampedNewton() if solver is None else solver, n_refine=n_starts, stop_when_agreed=None, agree_rtol=0.0)
    multistart.check(full_fit.loss)
    z_starts = _resample_starts(full_fit, n_starts)
    chunk = padded_size(min(int(chunk_size), int(n)))
    strata_slots = None if strata is None else _strata_slots(strata)
    key = jax.random.key(seed)
    data_axes = jax.tree_util.tree_map(lambda _: None, dataset)
    data_axes = eqx.tree_at(lambda d: d.weights, data_axes, 0, is_leaf=lambda x: x is None)

    def refit(first):
        indices = jnp.arange(first, first + chunk)
        counts = _resample_counts(key, indices, dataset.n_rows) if strata is None else _stratified_counts(key, indices, *strata_slots)
        datasets = eqx.tree_at(lambda d: d.weights, dataset, counts.astype(dataset.weights.dtype) * dataset.weights)
        starts = jnp.broadcast_to(z_starts, (chunk,) + z_starts.shape)
        _, _, minimum = multistart.run_batch(full_fit.parameterization, full_fit.loss, datasets, data_axes, starts)
        best = jnp.argmin(minimum.value, axis=1)[:, None]
        take = min(chunk, n - first)
        pick = lambda a: to_host(jnp.take_along_axis(a, best.reshape(best.shape + (1,) * (a.ndim - 2)), axis=1))[:take, 0]
        return pick(minimum.z), pick(minimum.value), pick(minimum.status)

    z_ends, objectives, statuses = [], [], []
    began = time.perf_counter()
    with compile_timer() as compiling, progress_bar(progress, n, "bootstrap refits", unit="refit") as bar:
        for z_end, objective, status in map_on_cores(refit, range(0, n, chunk), first_alone=True):
            z_ends.append(z_end)
            objectives.append(objective)
            statuses.append(status)
            if bar is not None:
                bar.update(len(objective))
    seconds = time.perf_counter() - began - compiling.seconds

    result = BootstrapResult.from_ends(
        full_fit, np.concatenate(z_ends), np.concatenate(objectives), np.concatenate(statuses), derived, seed,
        seconds=seconds, compile_seconds=compiling.seconds,
    )
    n_failed = int(np.sum(result.status == RESULTS.non_finite))
    if n_failed == n:
        raise FitError(f"every one of the {n} bootstrap refits ended with a non-finite objective; check the full fit first.")
    if n_failed:
        warn(f"{n_failed} of {n} bootstrap refits ended non-finite and are left out of the statistics.")
    return result


# However large the machine: 32 GiB of kept refits is some 2.5e8 resamples of a 5-parameter law, far more than
# any interval needs, and the same call is then refused on every machine with 64 GiB or more.
MEMORY_CAP = 32 * 2**30


def _memory_limit() -> int:
    """The most bytes one `bootstrap` may plan to hold: half this machine's memory, at most `MEMORY_CAP` (8 GiB
    where the memory is unknown), so that a call that would exhaust it is refused at once, not killed later."""
    try:
        return min(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2, MEMORY_CAP)
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def _row_count(data) -> int | None:
    """The rows of `data` (a Dataset, DataFrame or dict of columns), or None when it is none of these."""
    if isinstance(data, Dataset):
        return data.n_rows
    if isinstance(data, pd.DataFrame):
        return len(data)
    if isinstance(data, Mapping) and data:
        return max(int(np.size(column)) for column in data.values())
    return None


def _check_memory(n: int, n_rows: int, n_parameters: int, n_starts: int, chunk_size: int, n_derived: int) -> None:
    """A ValueError, before anything is allocated, when `n` resamples would not fit in `_memory_limit()`.

    Kept for every resample: the end point, the law and the values table (p numbers each), the objective,
    the status and each derived quantity. Held per chunk in flight (one per worker): every refit's weights,
    counts and rows (3 x rows) and, per start, the solver's state (p x p curvature and a few p-vectors).
    """
    kept = n * (3 * n_parameters + 2 + n_derived) * 8
    chunk = min(chunk_size, n)
    in_flight = min(workers(), -(-n // chunk))
    working = in_flight * chunk * (3 * n_rows + n_starts * (n_parameters**2 + 8 * n_parameters)) * 8
    limit = _memory_limit()
    if kept + working > limit:
        per_resample = kept / n
        largest = max(1, int((limit - working) // per_resample)) if limit > working else 0
        gib = lambda b: f"{b / 2**30:,.3g} GiB"
        raise ValueError(
            f"n={n} resamples would need about {gib(kept + working)} of memory ({gib(kept)} kept for the refits' "
            f"{n_parameters} parameters, objectives and statuses, {gib(working)} for the chunks of {chunk} refits of "
            f"{n_rows} rows in flight), more than the {gib(limit)} allowed (half this machine's memory, at most {gib(MEMORY_CAP)}). Use a smaller n"
            + (f" (at most about {largest:,})" if largest else ", a smaller chunk_size")
            + ", or run it in chunks: several bootstrap calls with different seeds, their to_frame() concatenated."
        )


def _resample_starts(full_fit: FitResult, n_starts: int) -> jax.Array:
    """The full-data optimum, then other distinct local minima of the full fit, then the best screened starts."""
    chosen = list(full_fit.distinct_ends(n_starts))
    if len(chosen) < n_starts:
        screened_order = np.argsort(np.asarray(full_fit.screened))
        unrefined = [i for i in screened_order if i not in set(np.asarray(full_fit.refined).tolist())]
        chosen += [np.asarray(full_fit.start_z)[i] for i in unrefined[: n_starts - len(chosen)]]
    return jnp.asarray(np.stack(chosen), dtype=full_fit.end_z.dtype)


@functools.partial(jax.jit, static_argnums=2)
def _resample_counts(key, indices: jax.Array, n_rows: int) -> jax.Array:
    """How often each row is drawn in resamples `indices` (each `n_rows` draws with replacement): (resamples, rows).

    Resample i depends only on (key, i), so the chunk size and the device count never change the answer.
    """

    def counts(i):
        rows = jax.random.randint(jax.random.fold_in(key, i), (n_rows,), 0, n_rows)
        return jnp.zeros(n_rows).at[rows].add(1.0)

    return jax.vmap(counts)(indices)


def _strata_slots(strata: np.ndarray) -> tuple[jax.Array, jax.Array, jax.Array]:
    """For resampling within strata: the rows in stratum order, and for each draw (one per row, in that order)
    the first position and the size of its stratum."""
    order = np.argsort(strata, kind="stable")
    sorted_strata = strata[order]
    _, first, sizes = np.unique(sorted_strata, return_index=True, return_counts=True)
    slot = np.searchsorted(np.unique(sorted_strata), sorted_strata)
    return jnp.asarray(order), jnp.asarray(first[slot]), jnp.asarray(sizes[slot])


@jax.jit
def _stratified_counts(key, indices: jax.Array, order: jax.Array, first: jax.Array, size: jax.Array) -> jax.Array:
    """`_resample_counts` within strata: each stratum's rows are drawn as often as it has rows."""

    def counts(i):
        u = jax.random.uniform(jax.random.fold_in(key, i), (order.shape[0],))
        drawn = first + jnp.minimum(jnp.floor(u * size.astype(u.dtype)).astype(first.dtype), size - 1)
        return jnp.zeros(order.shape[0]).at[order[drawn]].add(1.0)

    return jax.vmap(counts)(indices)


def refit_groups(
    grouped_fit: GroupedFitResult, n: int = 1000, *, seed: int = 0, chunk_size: int = 250, solver: AbstractSolver | None = None,
    groups=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap refits of every group of a `fit(..., by=...)` result at once, resampling within each group.

    Every group x resample is one lane of one compiled program (`chunk_size` resamples of all groups per
    call); each refit starts from its group's full-data optimum and runs `solver` (default `DampedNewton()`).

    `groups` (indices into `grouped_fit.keys`) refits only those groups, in that order.

    Returns:
        `z` (n, groups, p), the unconstrained end points (map them with `grouped_fit.parameterization`), and
        `objective` (n, groups), inf where a refit ended non-finite.

    >>> import jaxscale as js, pandas as pd, numpy as np
    >>> x = np.tile(np.geomspace(1, 1e3, 8), 2)
    >>> df = pd.DataFrame({"x": x, "g": np.repeat([0, 1], 8), "loss": 1 + 3 * x ** -0.5 * (1 + 0.01 * np.sin(x))})
    >>> z, objective = refit_groups(js.fit(js.PowerLaw, df, by="g"), n=20)
    >>> z.shape, bool(np.isfinite(objective).all())
    ((20, 2, 3), True)
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (the number of resamples) must be a positive integer, got {n!r} ({type(n).__name__}).")
    check_seed(seed)
    if not isinstance(grouped_fit, GroupedFitResult):
        raise TypeError(f"refit_groups needs the GroupedFitResult of fit(..., by=...), got {type(grouped_fit).__name__}.")
    chosen = np.arange(len(grouped_fit.keys)) if groups is None else np.asarray(groups, dtype=int)
    group_rows = [grouped_fit.group_rows[g] for g in chosen]
    n_groups = len(group_rows)
    sizes = jnp.asarray([len(r) for r in group_rows])
    stacked = pad_and_stack(grouped_fit.dataset, group_rows, bucket_rows(max(len(r) for r in group_rows)))
    z_best = np.take_along_axis(np.asarray(grouped_fit.end_z), np.asarray(grouped_fit.best)[:, None, None], axis=1)[chosen]
    multistart = MultiStart(DampedNewton() if solver is None else solver, n_refine=1, stop_when_agreed=None, agree_rtol=0.0)
    multistart.check(grouped_fit.loss)
    chunk = min(int(chunk_size), int(n))
    n_lanes = chunk * n_groups
    n_padded = padded_size(n_lanes)
    key = jax.random.key(seed)

    def refit(first):
        counts = _within_group_counts(key, jnp.arange(first, first + chunk), sizes, stacked.weights.shape[1])
        weights = (counts * stacked.weights[None]).reshape(n_lanes, -1)
        datasets = jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a[None], (chunk,) + a.shape).reshape((n_lanes,) + a.shape[1:]), stacked)
        datasets = eqx.tree_at(lambda d: d.weights, datasets, weights.astype(stacked.weights.dtype))
        starts = jnp.broadcast_to(jnp.asarray(z_best)[None], (chunk,) + z_best.shape).reshape(n_lanes, 1, -1)
        pad = lambda a: jnp.concatenate([a, jnp.repeat(a[-1:], n_padded - n_lanes, axis=0)]) if n_padded > n_lanes else a
        _, _, minimum = multistart.run_batch(grouped_fit.parameterization, grouped_fit.loss, jax.tree_util.tree_map(pad, datasets), 0, pad(starts))
        take = min(chunk, n - first)
        shape = lambda a: np.asarray(a[:n_lanes, 0]).reshape((chunk, n_groups) + a.shape[2:])[:take]
        return shape(minimum.z), np.where(shape(minimum.status) == RESULTS.non_finite, np.inf, shape(minimum.value))

    found = list(map_on_cores(refit, range(0, n, chunk), first_alone=True))
    return np.concatenate([z for z, _ in found]), np.concatenate([v for _, v in found])


@functools.partial(jax.jit, static_argnums=3)
def _within_group_counts(key, indices: jax.Array, sizes: jax.Array, n_rows: int) -> jax.Array:
    """How often each row of each padded group is drawn in resamples `indices`: (resamples, groups, rows);
    group g draws sizes[g] times among its first sizes[g] rows. Resample i depends only on (key, i)."""

    def counts(i):
        u = jax.random.uniform(jax.random.fold_in(key, i), (sizes.shape[0], n_rows))
        drawn = jnp.minimum(jnp.floor(u * sizes[:, None].astype(u.dtype)).astype(sizes.dtype), sizes[:, None] - 1)
        real = jnp.arange(n_rows)[None, :] < sizes[:, None]
        one_hot = (drawn[:, :, None] == jnp.arange(n_rows)[None, None, :]) & real[:, :, None]
        return jnp.sum(one_hot, axis=1).astype(jnp.float64 if jax.config.jax_enable_x64 else jnp.float32)

    return jax.vmap(counts)(indices)
