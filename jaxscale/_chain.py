"""`chain`: a two-step prediction (N, D or C -> an intermediate such as a task loss -> an accuracy), both
steps fitted, and their uncertainty carried jointly into the final prediction by a bootstrap over runs."""

import dataclasses
import functools
import time
from collections.abc import Mapping
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._chain_result import ChainResult
from ._compile_timer import compile_timer
from ._dataset import check_seed
from ._fit import fit
from ._infer import infer
from ._multistart import MultiStart
from ._results import RESULTS
from ._sharding import padded_size
from ._threads import map_on_cores
from .laws import AbstractBoundedLaw, resolve
from .likelihoods import AbstractLikelihood
from .losses import AbstractLoss, AbstractResidualLoss
from .solvers import AbstractSolver, DampedNewton, GaussNewton


@dataclasses.dataclass(frozen=True)
class ChainStep:
    """One step of a `chain`: a law fitted to `data`'s column `target`, as `js.fit(law, data, target=...,
    inputs=..., loss=..., **fit_options)` would fit it.

    Args:
        law: a law class, instance or registered name (as for `fit`).
        data: a DataFrame of the step's measurements, with a run column (see `chain`'s `run`).
        target: the column the law predicts.
        inputs: law input name -> column, where they differ. In step 2, one input must read the column that
            step 1 predicts (its `target`): that is how the steps are chained.
        loss: the objective (default: `fit`'s, `LogHuber(1e-3)`); a likelihood such as
            `js.Binomial(trials=..., fractions=True)` for accuracies.
        fit_options: further keywords of `fit` (`bounds`, `fixed`, `starts`, `n_refine`, ...).

    >>> import jaxscale as js
    >>> js.ChainStep(js.laws.SigmoidTaskLoss, {"bpb": [1.0], "acc": [0.5]}, target="acc", inputs={"L": "bpb"}).target
    'acc'
    """

    law: Any
    data: Any
    target: str
    inputs: Mapping[str, str] | None = None
    loss: AbstractLoss | None = None
    fit_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        # Checked when the step is made, so a typo in a task name points at this line, not at chain().
        if not isinstance(self.target, str):
            raise TypeError(f"ChainStep's target must be a column name, got {self.target!r} ({type(self.target).__name__}).")
        columns = list(self.data.columns) if isinstance(self.data, pd.DataFrame) else list(self.data) if isinstance(self.data, Mapping) else None
        if columns is not None and self.target not in columns:
            raise ValueError(f"ChainStep: the target column {self.target!r} is not in its data (columns: {columns}); "
                             f"check the task name or add the column.")


def chain(
    step1: ChainStep, step2: ChainStep, *, run: str = "run", n_bootstrap: int | None = 1000, seed: int = 0, n_starts: int = 1,
    chunk_size: int = 250, solver: AbstractSolver | None = None, method: str = "bootstrap", infer_options: Mapping | None = None,
) -> ChainResult:
    """Fits a two-step prediction and bootstraps it jointly over runs.

    Step 1 predicts an intermediate (step 1's `target`, e.g. a task's bits per byte) from N and D or C;
    step 2 predicts the final target (e.g. the task's accuracy) from that intermediate, read by the step-2
    input whose column is step 1's target. `ChainResult.predict(targets)` evaluates step 2 at step 1's
    prediction, with a percentile interval.

    The bootstrap resamples whole runs: each resample draws the runs (values of `run`, in either step's
    data) with replacement and reweights every row of both steps by how often its run was drawn, then refits
    both steps (from their full-data optimum, `n_starts` distinct ends of each full fit, with `solver`;
    by default `GaussNewton()` for a residual loss such as `Squared` or `LogHuber`, `DampedNewton()` for any
    other, a likelihood such as `Binomial`). Rows whose run is missing (NaN; e.g. an anchor point) keep weight 1 in every
    resample. `n_bootstrap=None` fits without a bootstrap (its intervals are then NaN); 0 is refused, so that
    no interval goes missing by accident.

    `method="posterior"` carries the steps' Bayesian posteriors instead: each step is sampled by `js.infer`
    (its likelihood is the step's `loss` where that is a likelihood, else infer's default; `infer_options` such
    as `n_samples`, `n_chains`, `priors` go to both), and draw i of step 1 is chained with draw i of step 2 (the
    steps' posteriors are independent, their data being separate measurements).

    Everything is checked before anything compiles: columns present (a task missing from the data names
    its column), step 2 reading step 1's output, and the target of a bounded law (an accuracy) in [0, 1].

    >>> import jaxscale as js, numpy as np, pandas as pd
    >>> N = np.repeat([1e8, 2e8, 4e8, 8e8], 2); D = N * np.tile([20.0, 40.0], 4)
    >>> runs = pd.DataFrame({"run": np.arange(8), "N": N, "D": D, "bpb": (0.6 + 400 / N**0.3 + 900 / D**0.3) * (1 + 0.003 * np.sin(np.arange(8)))})
    >>> runs["acc"] = 0.25 + 0.6 / (1 + np.exp(6 * (runs["bpb"] - 1.2)))
    >>> result = js.chain(js.ChainStep(js.Chinchilla, runs, target="bpb"),
    ...                   js.ChainStep(js.laws.SigmoidTaskLoss, runs, target="acc", inputs={"L": "bpb"}, loss=js.Squared()),
    ...                   n_bootstrap=50)
    >>> out = result.predict(pd.DataFrame({"N": [3.2e9], "D": [6.4e10]}))
    >>> bool(out["lo"].iloc[0] <= out["prediction"].iloc[0] <= out["hi"].iloc[0]), round(float(out["extrapolation_N"].iloc[0]), 1)
    (True, 4.0)
    """
    return chain_tasks({"": (step1, step2)}, run=run, n_bootstrap=n_bootstrap, seed=seed, n_starts=n_starts,
                       chunk_size=chunk_size, solver=solver, method=method, infer_options=infer_options)[""]


def chain_tasks(
    steps: Mapping[str, tuple[ChainStep, ChainStep]], *, run: str = "run", n_bootstrap: int | None = 1000, seed: int = 0,
    n_starts: int = 1, chunk_size: int = 250, solver: AbstractSolver | None = None, method: str = "bootstrap",
    infer_options: Mapping | None = None,
) -> dict[str, ChainResult]:
    """`chain` for many tasks at once: task name -> (step 1, step 2), one `ChainResult` per task.

    Every task is fitted on its own; the bootstrap draws the same runs for every task in a resample, and,
    where all tasks' steps have the same law, loss and row count (as the tasks of one model ladder do), refits
    all of them in one compiled program per step, which is several times faster than one task at a time.

    >>> import jaxscale as js, numpy as np, pandas as pd
    >>> N = np.repeat([1e8, 2e8, 4e8, 8e8], 2); D = N * np.tile([20.0, 40.0], 4)
    >>> runs = pd.DataFrame({"run": np.arange(8), "N": N, "D": D, "bpb_a": (0.6 + 400 / N**0.3 + 900 / D**0.3) * (1 + 0.003 * np.sin(np.arange(8)))})
    >>> runs["bpb_b"] = runs["bpb_a"] + 0.01
    >>> for t in "ab": runs[f"acc_{t}"] = 0.25 + 0.6 / (1 + np.exp(6 * (runs[f"bpb_{t}"] - 1.2)))
    >>> steps = {t: (js.ChainStep(js.Chinchilla, runs, target=f"bpb_{t}"),
    ...              js.ChainStep(js.laws.SigmoidTaskLoss, runs, target=f"acc_{t}", inputs={"L": f"bpb_{t}"}, loss=js.Squared()))
    ...          for t in "ab"}
    >>> results = js.chain_tasks(steps, n_bootstrap=20)
    >>> sorted(results), results["a"].n_resamples
    (['a', 'b'], 20)
    """
    for name, value in (("n_bootstrap", n_bootstrap), ("n_starts", n_starts), ("chunk_size", chunk_size)):
        if name == "n_bootstrap" and value is None:
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < (0 if name == "n_bootstrap" else 1):
            hint = " (or None, for no bootstrap)" if name == "n_bootstrap" else ""
            raise ValueError(f"{name} must be a whole number >= 1{hint}, got {value!r}.")
    check_seed(seed)
    if method not in ("bootstrap", "posterior"):
        raise ValueError(f"method must be 'bootstrap' (joint over runs) or 'posterior' (each step's NUTS posterior), got {method!r}.")
    if infer_options is not None and (method != "posterior" or not isinstance(infer_options, Mapping)):
        raise ValueError("infer_options (a dict of js.infer keywords) goes with method='posterior'.")
    if not isinstance(steps, Mapping) or not steps:
        raise TypeError("steps must be a non-empty mapping: task name -> (step1, step2), each a js.ChainStep.")
    checked = {}
    for task, pair in steps.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"steps[{task!r}] must be a pair (step1, step2) of js.ChainStep, got {type(pair).__name__}.")
        label = f"{task}: " if task else ""
        checked[task] = _check_chain(*pair, run, label)
    # After the steps' own checks (which name a missing column first), before any fit runs.
    if n_bootstrap == 0 and method == "bootstrap":
        raise ValueError("n_bootstrap=0 would leave every interval NaN: give a number of resamples >= 1 (e.g. 1000), "
                         "or n_bootstrap=None to fit without a bootstrap.")
    fits = {}
    for task, (step1, step2, law1, frame1, inputs1, law2, frame2, inputs2, feed) in checked.items():
        fits[task] = (fit(law1, frame1, **_fit_keywords(step1, inputs1)), fit(law2, frame2, **_fit_keywords(step2, inputs2)))
    commons, row_runs = {}, {}
    for task, (step1, step2, law1, frame1, inputs1, law2, frame2, inputs2, feed) in checked.items():
        runs = pd.unique(pd.concat([frame1[run], frame2[run]]).dropna())
        index = {name: i for i, name in enumerate(runs)}
        row_runs[task] = [np.asarray(frame[run].map(index).fillna(-1).to_numpy(int)) for frame in (frame1, frame2)]
        commons[task] = dict(
            feed=feed, intermediate=step1.target, inputs1=inputs1, inputs2=inputs2, n_runs=len(runs), seed=int(seed),
            fitted_max={name: float(frame1[column].max()) for name, column in inputs1.items()},
            fitted_intermediate=(float(frame2[step1.target].min()), float(frame2[step1.target].max())),
        )
    if method == "posterior":
        return {task: _posterior_chain(checked[task], fits[task], commons[task], seed, dict(infer_options or {})) for task in steps}
    if n_bootstrap is None:
        return {task: ChainResult(*fits[task], None, None, np.zeros(0, bool), seconds=0.0, compile_seconds=0.0, **commons[task])
                for task in steps}
    n_runs = {c["n_runs"] for c in commons.values()}
    if len(n_runs) != 1:
        raise ValueError(f"every task must have the same runs for a joint bootstrap; their run counts differ: {sorted(n_runs)}.")
    n_runs = n_runs.pop()
    groups = _same_program(fits)
    ends = {task: [None, None] for task in steps}
    began = time.perf_counter()
    with compile_timer() as compiling:
        for s in (0, 1):
            for tasks in groups[s]:
                z, ok = _refit_step([fits[t][s] for t in tasks], [row_runs[t][s] for t in tasks], n_runs, n_bootstrap, seed,
                                    n_starts, chunk_size, _solver(solver, fits[tasks[0]][s].loss))
                for i, t in enumerate(tasks):
                    ends[t][s] = (z[i], ok[i])
    seconds = time.perf_counter() - began - compiling.seconds
    results = {}
    for task in steps:
        (z1, ok1), (z2, ok2) = ends[task]
        fit1, fit2 = fits[task]
        laws1 = jax.vmap(fit1.parameterization.to_law)(jnp.asarray(z1))
        laws2 = jax.vmap(fit2.parameterization.to_law)(jnp.asarray(z2))
        results[task] = ChainResult(fit1, fit2, laws1, laws2, ok1 & ok2, seconds=seconds, compile_seconds=compiling.seconds, **commons[task])
    return results


def _posterior_chain(checked, fits, common: dict, seed: int, options: dict) -> ChainResult:
    """Both steps sampled by NUTS; draw i of one chained with draw i of the other."""
    step1, step2, law1, frame1, inputs1, law2, frame2, inputs2, _ = checked
    posteriors = []
    with compile_timer() as compiling:
        began = time.perf_counter()
        for offset, (step, law, frame, inputs) in enumerate(((step1, law1, frame1, inputs1), (step2, law2, frame2, inputs2))):
            held = {k: v for k, v in dict(step.fit_options).items() if k in ("fixed", "tied")}
            likelihood = {"likelihood": step.loss} if isinstance(step.loss, AbstractLikelihood) else {}
            posteriors.append(infer(law, frame, target=step.target, inputs=inputs, seed=seed + offset, **held, **likelihood, **options))
        seconds = time.perf_counter() - began - compiling.seconds
    first, second = (p.laws for p in posteriors)
    count = min(int(np.shape(getattr(first, type(first).parameter_names()[0]))[0]), int(np.shape(getattr(second, type(second).parameter_names()[0]))[0]))
    take = lambda laws: jax.tree_util.tree_map(lambda a: a[:count], laws)
    return ChainResult(*fits, take(first), take(second), np.ones(count, bool), seconds=seconds, compile_seconds=compiling.seconds, **common)


def _check_chain(step1: ChainStep, step2: ChainStep, run: str, label: str):
    law1, frame1, inputs1 = _check_step(step1, f"{label}step1", run)
    law2, frame2, inputs2 = _check_step(step2, f"{label}step2", run)
    feeds = [name for name, column in inputs2.items() if column == step1.target]
    if not feeds:
        raise ValueError(
            f"{label}step 2 does not read step 1's output: step 1 predicts column {step1.target!r}, but step 2's law "
            f"{type(law2).__name__} reads {inputs2}. Map the step-2 input that takes the intermediate to it, e.g. "
            f"inputs={{{law2.inputs[0]!r}: {step1.target!r}}}."
        )
    if step2.target == step1.target:
        raise ValueError(f"{label}step 2's target {step2.target!r} is step 1's output; step 2 must predict another column (the accuracy).")
    return step1, step2, law1, frame1, inputs1, law2, frame2, inputs2, feeds[0]


def _solver(solver, loss) -> AbstractSolver:
    """The refits' solver: the one given, else Gauss-Newton for a residual loss (least squares, LogHuber: on
    Huber's flat tails exact Newton steps crawl) and exact damped Newton steps for any other loss."""
    if solver is not None:
        return solver
    return GaussNewton() if isinstance(loss, AbstractResidualLoss) else DampedNewton()


def _same_program(fits) -> tuple[list[list[str]], list[list[str]]]:
    """Per step, the tasks grouped so that each group's refits can share one compiled program: the same
    parameterization (law, constraints, fixed values), loss and data shapes."""
    out = ([], [])
    for s in (0, 1):
        for task, pair in fits.items():
            fitted = pair[s]
            for group in out[s]:
                other = fits[group[0]][s]
                same_shapes = jax.tree_util.tree_map(jnp.shape, fitted.dataset) == jax.tree_util.tree_map(jnp.shape, other.dataset)
                if same_shapes and bool(eqx.tree_equal(fitted.parameterization, other.parameterization)) and fitted.loss == other.loss:
                    group.append(task)
                    break
            else:
                out[s].append([task])
    return out


# Steps a refit takes per round: the refits still unfinished after a round are packed together and run
# again, so that a few slow resamples never hold a whole batch (a batched loop runs until its slowest lane).
ROUND_STEPS = 32


def _refit_step(fits, row_runs, n_runs: int, n: int, seed: int, n_starts: int, chunk_size: int, solver):
    """Bootstrap refits of one step of several tasks (same program), resample i drawing the same runs in
    every task: per task, end points (n, p) and whether each ended finite (n,).

    Every refit (task, resample, start) is a lane. Lanes run in batches of one shape (one compiled program),
    `ROUND_STEPS` solver steps at a time; the lanes still unfinished after a round are packed into fresh
    batches for the next, until each has converged or used the solver's `max_steps`."""
    first_fit = fits[0]
    multistart = MultiStart(solver, n_refine=1, stop_when_agreed=None, agree_rtol=0.0)
    multistart.check(first_fit.loss)
    per_round = eqx.tree_at(lambda s: s.max_steps, solver, min(ROUND_STEPS, solver.max_steps))
    rounds = -(-solver.max_steps // per_round.max_steps)
    runner = MultiStart(per_round, n_refine=1, stop_when_agreed=None, agree_rtol=0.0)
    n_tasks = len(fits)
    stacked = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *[f.dataset for f in fits])
    z_starts = np.stack([np.asarray(_distinct_ends(f, n_starts)) for f in fits])  # (tasks, starts, p)
    rows = jnp.asarray(np.stack(row_runs))  # (tasks, rows)
    key = jax.random.key(seed)
    lanes_of = np.stack(np.meshgrid(np.arange(n_tasks), np.arange(n), np.arange(n_starts), indexing="ij"), -1).reshape(-1, 3)
    batch = padded_size(min(int(chunk_size), int(n)) * n_tasks * n_starts)
    z = z_starts[lanes_of[:, 0], lanes_of[:, 2]]
    value = np.full(len(lanes_of), np.inf)
    signature = repr((jax.tree_util.tree_structure(first_fit.parameterization), first_fit.loss, per_round, batch,
                      jax.tree_util.tree_map(jnp.shape, first_fit.dataset)))

    def run(lanes):
        """One batch of lanes (indices into lanes_of), padded with lanes that start at NaN (never stepped)."""
        padded = np.concatenate([lanes, np.full(batch - len(lanes), lanes[0])])
        tasks, resamples, _ = (jnp.asarray(a) for a in lanes_of[padded].T)
        datasets = _lane_datasets(stacked, rows, key, tasks, resamples, n_runs)
        starts = np.where((np.arange(batch) < len(lanes))[:, None], z[padded], np.nan)[:, None]
        _, _, minimum = runner.run_batch(first_fit.parameterization, first_fit.loss, datasets, 0, jnp.asarray(starts, z.dtype))
        status = np.asarray(minimum.status[: len(lanes), 0])
        return lanes, np.asarray(minimum.z[: len(lanes), 0]), np.asarray(minimum.value[: len(lanes), 0]), status

    todo = np.arange(len(lanes_of))
    for _ in range(rounds):
        if not len(todo):
            break
        batches = [todo[i : i + batch] for i in range(0, len(todo), batch)]
        unfinished = []
        for lanes, z_end, v_end, status in map_on_cores(run, batches, first_alone=signature not in _COMPILED):
            _COMPILED.add(signature)
            z[lanes], value[lanes] = z_end, v_end
            unfinished.append(lanes[status == RESULTS.max_steps])
        todo = np.concatenate(unfinished)
    value = value.reshape(n_tasks, n, n_starts)
    best = np.argmin(np.where(np.isfinite(value), value, np.inf), axis=2)
    z = np.take_along_axis(z.reshape(n_tasks, n, n_starts, -1), best[..., None, None], axis=2)[:, :, 0]
    ok = np.isfinite(np.take_along_axis(value, best[..., None], axis=2)[..., 0]) & np.all(np.isfinite(z), axis=-1)
    return z, ok


# Refit programs already compiled in this process: their batches can run side by side at once (the first
# batch of a new one runs alone, so that it compiles once, not once per thread).
_COMPILED: set = set()


@functools.partial(jax.jit, static_argnums=5)
def _lane_datasets(stacked, rows, key, tasks, resamples, n_runs: int):
    """The datasets of a batch of lanes: task `tasks[j]`'s data, its rows reweighted by resample `resamples[j]`."""
    counts = _run_counts(key, resamples, n_runs)  # (lanes, runs)
    lane_rows = rows[tasks]  # (lanes, rows)
    drawn = jnp.where(lane_rows >= 0, jnp.take_along_axis(counts, jnp.maximum(lane_rows, 0), axis=1), 1.0)
    datasets = jax.tree_util.tree_map(lambda a: a[tasks], stacked)
    return eqx.tree_at(lambda d: d.weights, datasets, (drawn * datasets.weights).astype(stacked.weights.dtype))


def _check_step(step: ChainStep, label: str, run: str):
    if not isinstance(step, ChainStep):
        raise TypeError(f"{label} must be a js.ChainStep(law, data, target=...), got {type(step).__name__}.")
    law = resolve(step.law)
    frame = step.data if isinstance(step.data, pd.DataFrame) else pd.DataFrame(step.data)
    inputs = {name: (step.inputs or {}).get(name, name) for name in law.inputs}
    unknown = set(step.inputs or {}) - set(law.inputs)
    if unknown:
        raise ValueError(f"{label}: inputs names {sorted(unknown)}, which {type(law).__name__} does not read (its inputs: {list(law.inputs)}).")
    for role, column in [("target", step.target), ("run", run)] + [(f"input {n!r}", c) for n, c in inputs.items()]:
        if column not in frame.columns:
            raise ValueError(f"{label}: the {role} column {column!r} is not in its data (columns: {list(frame.columns)}); "
                             f"check the task name or add the column.")
    if isinstance(law, AbstractBoundedLaw):
        y = pd.to_numeric(frame[step.target], errors="coerce").to_numpy(float)
        outside = int(np.sum(np.isfinite(y) & ((y < 0) | (y > 1))))
        if outside:
            raise ValueError(f"{label}: {outside} rows of {step.target!r} lie outside [0, 1], but {type(law).__name__} predicts a "
                             f"fraction (an accuracy); give accuracies as fractions, not percentages or counts.")
    return law, frame, inputs


def _fit_keywords(step: ChainStep, inputs: dict) -> dict:
    keywords = dict(step.fit_options)
    clash = {"target", "inputs", "loss", "by", "shared"} & set(keywords)
    if clash:
        raise ValueError(f"fit_options may not set {sorted(clash)}: give target, inputs and loss to ChainStep itself (a chain fits one law per step).")
    keywords |= {"target": step.target, "inputs": inputs}
    if step.loss is not None:
        keywords["loss"] = step.loss
    return keywords


def _distinct_ends(fitted, n_starts: int) -> jax.Array:
    """The full fit's best end, then its other distinct finite ends (best first): where each refit starts."""
    chosen = list(fitted.distinct_ends(n_starts))
    while len(chosen) < n_starts:
        chosen.append(chosen[0])
    return jnp.asarray(np.stack(chosen), dtype=fitted.end_z.dtype)


@functools.partial(jax.jit, static_argnums=2)
def _run_counts(key, indices: jax.Array, n_runs: int) -> jax.Array:
    """How often each run is drawn in resamples `indices` (n_runs draws with replacement each): (resamples,
    runs). Resample i depends only on (key, i), so chunking never changes the answer."""

    def counts(i):
        drawn = jax.random.randint(jax.random.fold_in(key, i), (n_runs,), 0, n_runs)
        return jnp.zeros(n_runs).at[drawn].add(1.0)

    return jax.vmap(counts)(indices)
