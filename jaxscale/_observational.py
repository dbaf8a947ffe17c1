"""`observational_scaling`: Ruan, Maddison and Hashimoto 2024's observational scaling law ("Observational
Scaling Laws and the Predictability of Language Model Performance") fitted to a model x benchmark table, its
largest models held out and predicted, with bootstrap intervals over models that refit every step.
"""

import functools
import time
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._capabilities import capability_factors
from ._compute_efficiency import fit_compute_efficiency
from ._dataset import check_seed
from ._observational_result import METHODS, ObservationalResult
from ._results import warn
from ._sigmoid_link_regression import fit_sigmoid_link

_FLOOR_MAX = 0.2  # the paper's bound on a fitted floor


def observational_scaling(
    frame: pd.DataFrame,
    target: str,
    benchmarks: Sequence[str],
    cutoff: float,
    *,
    model: str = "model",
    family: str = "family",
    compute: str = "C",
    n_factors: int = 3,
    floor: float | None = None,
    ceiling: float = 1.0,
    impute_rank: int = 1,
    impute_iterations: int = 100,
    n_bootstrap: int = 1000,
    level: float = 0.9,
    seed: int = 0,
) -> ObservationalResult:
    """Fit an observational scaling law to the models with `compute` <= `cutoff` and predict `target` for the
    rest, three ways, each with a `level` bootstrap interval.

    1. Capability factors: the `benchmarks` columns (scores in [0, 1], NaN where missing) are imputed by
       iterative rank-`impute_rank` PCA and reduced to `n_factors` principal components, both fitted on the
       training models only (`CapabilityFactors`); held-out models are projected on them.
    2. "factors" (the observational law): target = floor + (ceiling - floor) sigmoid(b + w . factors), least
       squares on the training models that have the target. `floor=None` fits it in [0, 0.2] with the ceiling at 1
       as the paper does; a number holds it (a benchmark's chance accuracy).
    3. "log_compute" (the baseline): the same link with log compute as its only input.
    4. "family_compute": each factor fitted as slope * log C + a per-family offset (the family's compute
       efficiency, `result.efficiency`), and the factors it predicts from compute and family fed to the link of
       2; a family with no training model gets the mean offset.

    The bootstrap draws `n_bootstrap` resamples of the training models (with replacement) and refits everything
    (imputation, PCA, links, efficiencies) on each, under one compiled `vmap`. The interval adds to each
    resample's prediction a residual drawn from its training fit, so it is for a model's score, not the curve's
    (`mean_lo`, `mean_hi` are the curve's).

    >>> import jaxscale as js
    >>> from jaxscale.datasets._obsscaling import OBSSCALING_BENCHMARKS, OBSSCALING_CUTOFF, obsscaling
    >>> table = obsscaling()
    >>> table = table[table["evaluated_family"] & table["C"].notna()]
    >>> others = [b for b in OBSSCALING_BENCHMARKS if b != "MMLU"]
    >>> result = js.observational_scaling(table, "MMLU", others, OBSSCALING_CUTOFF, floor=0.25, n_bootstrap=20)
    >>> summary = result.summary()
    >>> bool(summary.loc["factors", "mae"] < summary.loc["log_compute", "mae"])
    True
    """
    check_seed(seed)
    if isinstance(n_bootstrap, (bool, np.bool_)) or not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be an integer >= 1 (the resamples for the intervals, e.g. 1000), got {n_bootstrap!r}.")
    started = time.perf_counter()
    arrays = _validate(frame, target, benchmarks, cutoff, model, family, compute, n_factors, floor, ceiling, impute_rank, impute_iterations, n_bootstrap, level)
    scores, observed, log_c, onehot, y, y_observed, train, families = arrays
    n_train = int(train.sum())
    rng = np.random.default_rng(seed)
    counts = np.ones((n_bootstrap + 1, len(train)))
    counts[1:] = 0.0
    train_index = np.flatnonzero(train)
    for b in range(1, n_bootstrap + 1):
        counts[b, train_index] = rng.multinomial(n_train, np.full(n_train, 1.0 / n_train))
    keys = jax.random.split(jax.random.PRNGKey(seed), n_bootstrap + 1)
    fit_floor = floor is None
    out = _fit_resamples(jnp.asarray(scores), jnp.asarray(observed), jnp.asarray(log_c), jnp.asarray(onehot), jnp.asarray(y), jnp.asarray(y_observed),
                         jnp.asarray(train, float), jnp.asarray(counts), keys, jnp.asarray(0.5 * _FLOOR_MAX if fit_floor else floor, float),
                         jnp.asarray(ceiling, float), n_factors=n_factors, impute_rank=impute_rank, iterations=impute_iterations, fit_floor=fit_floor)
    out = jax.tree.map(np.asarray, out)
    if not all(np.isfinite(v[0]).all() for v in (out["prediction"], out["loadings"])):
        raise ValueError(f"observational_scaling: the fit on all training models for {target!r} is not finite; check that every benchmark varies across the training models.")
    finite = np.isfinite(out["prediction"][1:]).all(axis=(1, 2)) & np.isfinite(out["noisy"][1:]).all(axis=(1, 2))
    n_failed = int((~finite).sum())
    if n_failed:
        warn(f"observational_scaling: {n_failed} of {n_bootstrap} bootstrap resamples gave a non-finite fit for {target!r} and were left out of the intervals.")
    predictions = _prediction_frame(frame, model, family, compute, target, train, y, y_observed, out, finite, level)
    benchmark_names = list(benchmarks)
    factor_names = [f"PC-{k + 1}" for k in range(n_factors)]
    loadings = pd.DataFrame(out["loadings"][0], index=pd.Index(benchmark_names, name="benchmark"), columns=factor_names)
    link = pd.DataFrame(out["link"][0], index=pd.Index(["factors", "log_compute"], name="link"),
                        columns=["intercept", *[f"w_{f}" for f in factor_names], "floor", "ceiling", "train_rmse"])
    link.loc["log_compute", [f"w_{f}" for f in factor_names[1:]]] = np.nan
    link = link.rename(columns={"w_PC-1": "w_PC-1 (w_logC for log_compute)"})
    offsets = out["offsets"][0]
    slope = out["slope"][0]
    efficiency = pd.DataFrame(offsets, index=pd.Index(families, name="family"), columns=[f"offset_{f}" for f in factor_names])
    efficiency.insert(0, "n_train", onehot[train].sum(axis=0).astype(int))
    efficiency["log_compute_gain"] = offsets[:, 0] / slope[0]
    return ObservationalResult(target=target, cutoff=float(cutoff), level=level, n_factors=n_factors, predictions=predictions, loadings=loadings,
                               explained=out["explained"][0], link=link, efficiency=efficiency, n_bootstrap=n_bootstrap, n_failed=n_failed,
                               seconds=time.perf_counter() - started)


def _standardise(x, weights):
    mean = jnp.sum(weights[:, None] * x, axis=0) / jnp.sum(weights)
    std = jnp.sqrt(jnp.sum(weights[:, None] * (x - mean) ** 2, axis=0) / jnp.sum(weights))
    return lambda z: (z - mean) / std


@functools.partial(jax.jit, static_argnames=("n_factors", "impute_rank", "iterations", "fit_floor"))
def _fit_resamples(scores, observed, log_c, onehot, y, y_observed, train, counts, keys, floor, ceiling, *, n_factors, impute_rank, iterations, fit_floor):
    """Every step for each row of `counts` (row 0: all ones, the point fit): predictions (3 methods x models),
    the same with a resampled training residual added, and the fitted pieces."""
    y0 = jnp.where(y_observed, y, 0.0)

    def one(count, key):
        fitted = count * train
        capability = capability_factors(scores, observed, fitted, n_factors, impute_rank, iterations)
        on_target = fitted * y_observed.astype(fitted.dtype)
        scale_factors = _standardise(capability.factors, on_target)
        scale_compute = _standardise(log_c[:, None], on_target)
        # Both links in one vmapped fit (one compile): log compute padded with zero columns to the factors' width.
        compute_features = jnp.pad(scale_compute(log_c[:, None]), ((0, 0), (0, n_factors - 1)))
        links = jax.vmap(lambda x: fit_sigmoid_link(x, y0, on_target, floor, ceiling, fit_floor, _FLOOR_MAX))(
            jnp.stack([scale_factors(capability.factors), compute_features]))
        by_factors, by_compute = (jax.tree.map(lambda leaf, i=i: leaf[i], links) for i in range(2))
        efficiency = fit_compute_efficiency(capability.factors, log_c, onehot, fitted)
        prediction = jnp.stack([by_factors(scale_factors(capability.factors)), by_compute(compute_features),
                                by_factors(scale_factors(efficiency(log_c, onehot)))])
        # A model's score misses the curve by about what a training model's does: add one such residual.
        drawn = jax.random.choice(key, y.shape[0], shape=prediction.shape, p=on_target / jnp.sum(on_target))
        residual = jnp.take_along_axis(y0[None, :] - prediction, drawn, axis=1)
        noisy = jnp.clip(prediction + residual, 0.0, 1.0)
        # The link's parameters in the factors' own units (the fit saw them standardised).
        factor_mean = jnp.sum(on_target[:, None] * capability.factors, axis=0) / jnp.sum(on_target)
        factor_std = jnp.sqrt(jnp.sum(on_target[:, None] * (capability.factors - factor_mean) ** 2, axis=0) / jnp.sum(on_target))
        w_factors = by_factors.weights / factor_std
        c_mean = jnp.sum(on_target * log_c) / jnp.sum(on_target)
        c_std = jnp.sqrt(jnp.sum(on_target * (log_c - c_mean) ** 2) / jnp.sum(on_target))
        w_compute = jnp.zeros(n_factors).at[0].set(by_compute.weights[0] / c_std)
        link = jnp.stack([
            jnp.concatenate([jnp.atleast_1d(by_factors.intercept - jnp.sum(w_factors * factor_mean)), w_factors,
                             jnp.stack([by_factors.floor, by_factors.ceiling, by_factors.rmse])]),
            jnp.concatenate([jnp.atleast_1d(by_compute.intercept - w_compute[0] * c_mean), w_compute,
                             jnp.stack([by_compute.floor, by_compute.ceiling, by_compute.rmse])]),
        ])
        return {"prediction": prediction, "noisy": noisy, "loadings": capability.loadings, "explained": capability.explained,
                "link": link, "slope": efficiency.slope, "offsets": efficiency.family_offsets}

    return jax.vmap(one)(counts, keys)


def _prediction_frame(frame, model, family, compute, target, train, y, y_observed, out, finite, level) -> pd.DataFrame:
    tail = (1 - level) / 2
    point = out["prediction"][0]
    if finite.any():
        noisy, curves = out["noisy"][1:][finite], out["prediction"][1:][finite]
        lo, hi = np.quantile(noisy, [tail, 1 - tail], axis=0)
        mean_lo, mean_hi = np.quantile(curves, [tail, 1 - tail], axis=0)
    else:  # no bootstrap asked: no intervals
        lo = hi = mean_lo = mean_hi = np.full_like(point, np.nan)
    actual = np.where(y_observed, y, np.nan)
    frames = []
    for m, method in enumerate(METHODS):
        part = pd.DataFrame({"model": frame[model].to_numpy(), "family": frame[family].to_numpy(), "compute": frame[compute].to_numpy(dtype=float),
                             "split": np.where(train, "train", "heldout"), "method": method, "actual": actual, "prediction": point[m],
                             "lo": lo[m], "hi": hi[m], "mean_lo": mean_lo[m], "mean_hi": mean_hi[m]})
        frames.append(part)
    table = pd.concat(frames, ignore_index=True)
    table["abs_error"] = np.abs(table["prediction"] - table["actual"])
    table["width"] = table["hi"] - table["lo"]
    covered = ((table["lo"] <= table["actual"]) & (table["actual"] <= table["hi"])).astype(float)
    table["covered"] = covered.where(table["actual"].notna() & table["lo"].notna())  # NaN: no score or no interval
    return table


def _validate(frame, target, benchmarks, cutoff, model, family, compute, n_factors, floor, ceiling, impute_rank, impute_iterations, n_bootstrap, level):
    """Every check, before anything compiles; returns the arrays the fit reads."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame (one row per model), got {type(frame).__name__}.")
    if isinstance(benchmarks, str) or not isinstance(benchmarks, Sequence) or not len(benchmarks):
        raise ValueError(f"benchmarks must be a non-empty list of score columns, got {benchmarks!r}.")
    benchmarks = list(benchmarks)
    if target not in frame.columns:
        raise ValueError(f"target benchmark {target!r} is not in the table; its columns are {list(frame.columns)}.")
    if target in benchmarks:
        raise ValueError(f"target {target!r} is also in benchmarks: the capability factors must not see the score they predict; remove it from benchmarks.")
    missing = [c for c in [model, family, compute, *benchmarks] if c not in frame.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the table (model={model!r}, family={family!r}, compute={compute!r}, benchmarks); its columns are {list(frame.columns)}.")
    if len(set(benchmarks)) != len(benchmarks):
        raise ValueError(f"benchmarks repeat a column: {benchmarks}.")
    if not isinstance(n_factors, (int, np.integer)) or n_factors < 1 or n_factors > len(benchmarks):
        raise ValueError(f"n_factors must be a whole number from 1 to the number of benchmarks ({len(benchmarks)}), got {n_factors!r}: there can be no more factors than benchmarks.")
    if not isinstance(impute_rank, (int, np.integer)) or impute_rank < 1 or impute_rank > len(benchmarks):
        raise ValueError(f"impute_rank must be a whole number from 1 to the number of benchmarks ({len(benchmarks)}), got {impute_rank!r}.")
    if not isinstance(impute_iterations, (int, np.integer)) or impute_iterations < 1:
        raise ValueError(f"impute_iterations must be a positive whole number, got {impute_iterations!r}.")
    if not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be a whole number >= 0, got {n_bootstrap!r}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be strictly between 0 and 1 (e.g. 0.9), got {level!r}.")
    if not 0 < ceiling <= 1:
        raise ValueError(f"ceiling must be in (0, 1], got {ceiling!r}.")
    if floor is not None and not 0 <= floor < ceiling:
        raise ValueError(f"floor must be in [0, ceiling) (a benchmark's chance accuracy), or None to fit it, got {floor!r}.")
    if frame[model].duplicated().any():
        raise ValueError(f"column {model!r} repeats models {frame.loc[frame[model].duplicated(), model].unique()[:5].tolist()}; give one row per model.")
    if frame[family].isna().any():
        raise ValueError(f"column {family!r} is missing for {int(frame[family].isna().sum())} model(s); give every model a family.")
    columns = {}
    for column in [*benchmarks, target]:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        if (frame[column].notna().to_numpy() & np.isnan(values)).any():
            raise ValueError(f"column {column!r} holds non-numeric entries; scores must be numbers (NaN where missing).")
        bad = np.isfinite(values) & ((values < 0) | (values > 1)) | np.isinf(values)
        if bad.any():
            raise ValueError(f"column {column!r} has {int(bad.sum())} score(s) outside [0, 1] (e.g. {values[bad][0]:g}); accuracies must be fractions: divide percentages by 100.")
        columns[column] = values
    scores = np.stack([columns[c] for c in benchmarks], axis=1)
    observed = np.isfinite(scores)
    empty = ~observed.any(axis=1)
    if empty.any():
        raise ValueError(f"{int(empty.sum())} model(s) have no score on any benchmark ({frame.loc[empty, model].tolist()[:5]}); drop them: nothing places them on the capability factors.")
    c = pd.to_numeric(frame[compute], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(c) | (c <= 0)
    if bad.any():
        raise ValueError(f"column {compute!r} is missing, non-finite or non-positive for {int(bad.sum())} model(s) ({frame.loc[bad, model].tolist()[:5]}); "
                         "compute must be > 0 (its log is taken): drop those models or fill their compute.")
    if not np.isfinite(cutoff) or cutoff <= 0:
        raise ValueError(f"cutoff must be a positive compute, got {cutoff!r}.")
    train = c <= cutoff
    y = columns[target]
    y_observed = np.isfinite(y)
    on_target = train & y_observed
    if on_target.sum() < n_factors + 3:
        raise ValueError(f"only {int(on_target.sum())} model(s) with {compute!r} <= {cutoff:g} have a {target!r} score; the link needs at least "
                         f"n_factors + 3 = {n_factors + 3}: raise the cutoff or use fewer factors.")
    if train.all():
        warn(f"observational_scaling: every model has {compute!r} <= {cutoff:g}; nothing is held out.")
    for j, column in enumerate(benchmarks):
        seen = scores[train & observed[:, j], j]
        if len(seen) < 2 or np.ptp(seen) == 0:
            flat = " that do not vary" if len(seen) >= 2 else ""
            raise ValueError(f"benchmark {column!r} has {len(seen)} score(s) among the training models{flat}; it cannot be standardised: drop it from benchmarks.")
    families = sorted(frame[family].astype(str).unique())
    onehot = (frame[family].astype(str).to_numpy()[:, None] == np.array(families)[None, :]).astype(float)
    return np.nan_to_num(scores), observed, np.log(c), onehot, np.nan_to_num(y), y_observed, train, families
