"""`fit(..., by=...)`: one fit per group of rows, every group in one compiled program.

The data are read and validated once for all rows, the default starts are drawn for every group at once,
and the results stay stacked (one array per quantity, a leading group axis): a per-group `FitResult` is
built only when asked for, so a thousand groups cost no more Python than ten.
"""

import time
import warnings
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jaxtyping import Array, Float, Int

from ._compile_timer import compile_timer
from ._dataset import Dataset, read_inputs
from ._fit import FitError, fit_problems, starting_points
from ._fit_result import FitResult, FitWarning, count_agreeing
from ._law import AbstractLaw
from ._parameterization import Parameterization
from ._refine import fit_batch_program
from ._sharding import padded_size, shard_batch
from ._threads import map_on_cores
from .losses import AbstractLoss
from .solvers import AbstractSolver
from ._results import RESULTS
from .solvers import BatchMinimum
STATUS_NAMES = {int(r): r.name for r in RESULTS}
NON_FINITE = RESULTS.non_finite
from .starts import sobol_per_group


class GroupedFitResult(eqx.Module):
    """One fit per group: `result[key]` (a `FitResult`), `result.keys`, `to_frame()` (one row per group).

    `law` is the batch of fitted laws, one per group in the order of `keys`; `predict(data)` predicts each row
    with its own group's law. The restarts of every group are kept stacked: `end_z` (groups, refined, p),
    `end_objective`, `status` and `steps` (groups, refined), `start_z` (groups, starts, p) and `screened`.
    """

    by: tuple[str, ...]
    keys: tuple
    parameterization: Parameterization
    loss: AbstractLoss
    solver: AbstractSolver
    dataset: Dataset
    group_rows: tuple[np.ndarray, ...]
    start_z: Float[Array, "groups starts p"]
    screened: Float[Array, "groups starts"]
    refined: Int[Array, "groups refined"]
    end_z: Float[Array, "groups refined p"]
    end_objective: Float[Array, "groups refined"]
    status: Int[Array, "groups refined"]
    steps: Int[Array, "groups refined"]
    agree_rtol: float
    seconds: float
    compile_seconds: float

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, key) -> FitResult:
        try:
            g = self.keys.index(key)
        except ValueError:
            raise KeyError(f"no group {key!r}; groups are {list(self.keys)[:10]}{' ...' if len(self.keys) > 10 else ''}") from None
        rows = self.group_rows[g]
        minimum = BatchMinimum(z=self.end_z[g], value=self.end_objective[g], status=self.status[g], steps=self.steps[g])
        return FitResult.from_minimum(
            self.parameterization, self.loss, self.solver, jax.tree_util.tree_map(lambda a: a[rows], self.dataset),
            self.start_z[g], self.screened[g], self.refined[g], minimum, agree_rtol=self.agree_rtol,
            seconds=self.seconds / len(self), compile_seconds=self.compile_seconds / len(self),
        )

    @property
    def results(self) -> tuple[FitResult, ...]:
        """Every group's `FitResult`, in the order of `keys` (built on demand)."""
        return tuple(self[key] for key in self.keys)

    @property
    def best(self) -> np.ndarray:
        """Per group, the index of its best refined restart."""
        return np.argmin(np.asarray(self.end_objective), axis=1)

    @property
    def objective(self) -> np.ndarray:
        return np.min(np.asarray(self.end_objective), axis=1)

    @property
    def n_agree(self) -> np.ndarray:
        """Per group, how many refined restarts reached its best objective (within `agree_rtol`)."""
        return count_agreeing(np.asarray(self.end_objective), self.agree_rtol)

    @property
    def best_status(self) -> np.ndarray:
        """Per group, the status name of its best restart."""
        codes = np.take_along_axis(np.asarray(self.status), self.best[:, None], axis=1)[:, 0]
        return np.array([STATUS_NAMES[int(c)] for c in codes])

    @property
    def law(self) -> AbstractLaw:
        return _to_laws(self.parameterization, jnp.asarray(self._best_z()))

    def _best_z(self) -> np.ndarray:
        return np.take_along_axis(np.asarray(self.end_z), self.best[:, None, None], axis=1)[:, 0]

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the `by` columns, the fitted parameters, objective, restart agreement and status."""
        keys = [_as_tuple(k) for k in self.keys]
        frame = pd.DataFrame({column: [k[i] for k in keys] for i, column in enumerate(self.by)})
        natural = np.asarray(self.parameterization.natural_rows(jnp.asarray(self._best_z())))
        for i, label in enumerate(self.parameterization.flat_names()):
            frame[label] = natural[:, i]
        frame["objective"] = self.objective
        frame["n_agree"] = self.n_agree
        frame["n_refined"] = self.end_z.shape[1]
        frame["n_starts"] = self.start_z.shape[1]
        frame["status"] = self.best_status
        return frame

    def predict(self, data, inputs=None) -> np.ndarray:
        """Each row of `data` (which must have the `by` columns) predicted by its group's fitted law."""
        frame = pd.DataFrame(data)
        by_columns(frame, self.by)
        index = {key: g for g, key in enumerate(self.keys)}
        group_of_row = np.empty(len(frame), dtype=np.int64)
        for key, rows in frame.groupby(list(self.by), sort=False).indices.items():
            key = group_key(key, self.by)
            if key not in index:
                self[key]  # raises the KeyError that names the groups
            group_of_row[rows] = index[key]
        x = read_inputs(type(self.parameterization.template), frame, inputs)
        return np.asarray(_predict_rows(self.law, jnp.asarray(group_of_row), x))

    def __repr__(self) -> str:
        statuses = pd.Series(self.best_status).value_counts().to_dict()
        return (
            f"GroupedFitResult({type(self.parameterization.template).__name__} by {list(self.by)}: {len(self)} groups, "
            f"best restarts {statuses}; {self.seconds:.3f} s, plus {self.compile_seconds:.2f} s compiling)"
        )


@eqx.filter_jit
def _to_laws(parameterization, z):
    return jax.vmap(parameterization.to_law)(z)


@eqx.filter_jit
def _predict_rows(laws, group_of_row, x):
    """Row i predicted by law `group_of_row[i]` of the batch, one row at a time under vmap."""
    row_laws = jax.tree_util.tree_map(lambda a: a[group_of_row], laws)
    return jax.vmap(lambda law, row: law(row))(row_laws, x)


def fit_groups(
    template, parameterization, data, by, *, target, inputs, weights, loss, starts, solver, n_refine, dtype, agree_rtol, stop_when_agreed
):
    if not isinstance(data, (pd.DataFrame, dict)):
        raise TypeError(f"fit(..., by=...) needs a DataFrame or dict of columns, got {type(data).__name__}.")
    frame = pd.DataFrame(data)
    by = by_columns(frame, by)
    if isinstance(weights, (np.ndarray, Sequence)) and not isinstance(weights, str):
        frame = frame.assign(_weight=np.asarray(weights, dtype=float))
        weights = "_weight"
    keys, group_rows = _groups(frame, by)
    dataset = Dataset.from_frame(frame, template, target=target, inputs=inputs, weights=weights, positive_target=loss.takes_log, dtype=dtype)
    _check_group_sizes(np.asarray(dataset.weights), keys, group_rows, by, parameterization, template)
    z_starts = _group_starts(starts, template, parameterization, dataset, group_rows, dtype)
    n_refine = min(int(n_refine), z_starts.shape[1])

    def run(members):
        n_batch = padded_size(len(members))
        members_padded = members + [members[-1]] * (n_batch - len(members))
        batch = _pad_and_stack(dataset, [group_rows[g] for g in members_padded], _bucket_rows(len(group_rows[members[-1]])))
        batch, starts_batch = shard_batch((batch, jnp.asarray(z_starts[members_padded])))
        outcome = fit_batch_program(parameterization, loss, solver, batch, 0, starts_batch, n_refine, stop_when_agreed, agree_rtol)
        return members, jax.tree_util.tree_map(np.asarray, outcome)

    found = [None] * len(keys)
    buckets = _buckets([len(rows) for rows in group_rows])
    began = time.perf_counter()
    with compile_timer() as compiling:
        for members, outcome in map_on_cores(run, sorted(buckets, key=len, reverse=True)):
            for i, g in enumerate(members):
                found[g] = jax.tree_util.tree_map(lambda a: a[i], outcome)
    seconds = time.perf_counter() - began - compiling.seconds

    stack = lambda parts: jax.tree_util.tree_map(lambda *a: np.stack(a), *parts)
    screened, chosen, minimum = stack(found)
    result = GroupedFitResult(
        by=by, keys=tuple(keys), parameterization=parameterization, loss=loss, solver=solver, dataset=dataset,
        group_rows=tuple(group_rows), start_z=z_starts, screened=screened, refined=chosen, end_z=minimum.z,
        end_objective=minimum.value, status=minimum.status, steps=minimum.steps, agree_rtol=agree_rtol,
        seconds=seconds, compile_seconds=compiling.seconds,
    )
    _report(result)
    return result


def _groups(frame: pd.DataFrame, by) -> tuple[list, list[np.ndarray]]:
    """The group keys, sorted, and each group's row positions."""
    indices = frame.groupby(list(by), sort=True).indices
    return [group_key(key, by) for key in indices], [np.asarray(rows) for rows in indices.values()]


def _check_group_sizes(w, keys, group_rows, by, parameterization, template) -> None:
    """Every group needs at least as many rows carrying weight as the law has parameters."""
    for key, rows in zip(keys, group_rows):
        n_used = int(np.sum(w[rows] > 0))
        if n_used < parameterization.size:
            raise ValueError(
                f"group {key!r} of by={list(by)}: only {n_used} rows (with weight > 0) but {type(template).__name__} "
                f"has {parameterization.size} parameters. Drop the group or add measurements to it."
            )


def _group_starts(starts, template, parameterization, dataset, group_rows, dtype) -> np.ndarray:
    """Unconstrained starts per group, (groups, starts, p): the user's starts for every group, else each
    group's default starts (one Sobol sample, scaled to each group's data, for laws that draw them so)."""
    if starts is not None:
        z = np.asarray(starting_points(starts, template, parameterization, dataset, dtype))
        return np.broadcast_to(z, (len(group_rows),) + z.shape)
    x, y = {k: np.asarray(v) for k, v in dataset.inputs.items()}, np.asarray(dataset.target)
    data_of = lambda rows: (y[rows], {k: v[rows] for k, v in x.items()})
    if type(template).default_starts is AbstractLaw.default_starts:
        laws = sobol_per_group(template, template.default_n_starts, [template.start_ranges(*data_of(rows)) for rows in group_rows])
    else:  # a law with its own way of choosing starts
        per_group = [template.default_starts(*data_of(rows)) for rows in group_rows]
        laws = jax.tree_util.tree_map(lambda *a: jnp.concatenate(a), *per_group)
    z = np.asarray(parameterization.batch_to_unconstrained(laws, clip=True).astype(dtype)).reshape(len(group_rows), -1, parameterization.size)
    usable = np.any(np.all(np.isfinite(z), axis=2), axis=1)
    if not usable.all():
        raise ValueError(f"{int(np.sum(~usable))} group(s) have no finite starting point inside the parameters' constraints: pass `starts`.")
    return z


def _bucket_rows(n_rows: int) -> int:
    """Rows a group is padded to: at least 32, rounded up to a quarter of a power of two (32, 40, 48, 56, 64,
    80, ...), so padding wastes at most a quarter and few shapes (few compilations) occur."""
    n_rows = max(32, n_rows)
    step = 1 << max(0, (n_rows - 1).bit_length() - 3)
    return -(-n_rows // step) * step


def _buckets(n_rows: list[int]) -> list[list[int]]:
    """Group indices, sorted by size and split where the padded size changes: a group of 10 rows is then
    never padded to 700, and each bucket's loop ends with its own slowest restart."""
    order = sorted(range(len(n_rows)), key=lambda g: n_rows[g])
    buckets: dict[int, list[int]] = {}
    for g in order:
        buckets.setdefault(_bucket_rows(n_rows[g]), []).append(g)
    return list(buckets.values())


def _pad_and_stack(dataset: Dataset, rows: list[np.ndarray], n_rows: int) -> Dataset:
    """The groups' rows stacked into (groups, n_rows) arrays: each group padded with copies of its first row
    at weight 0."""
    index = np.stack([np.concatenate([r, np.full(n_rows - len(r), r[0])]) for r in rows])
    real = np.arange(n_rows)[None, :] < np.array([len(r) for r in rows])[:, None]
    batch = jax.tree_util.tree_map(lambda a: np.asarray(a)[index], dataset)
    return jax.tree_util.tree_map(jnp.asarray, eqx.tree_at(lambda d: d.weights, batch, np.where(real, batch.weights, 0.0)))


def _report(result: GroupedFitResult) -> None:
    keys = result.keys
    failed = ~np.isfinite(result.objective) | (result.best_status == STATUS_NAMES[NON_FINITE])
    if failed.all():
        raise FitError(f"every group's fit ended with a non-finite objective (by={list(result.by)}); check the law and the data.")
    if failed.any():
        names = [k for k, bad in zip(keys, failed) if bad]
        warnings.warn(f"{len(names)} of {len(keys)} groups ended non-finite: {names[:10]}.", FitWarning, stacklevel=4)
    problems = _soft_problems(result)
    flagged = [(key, problem) for key, problem, bad in zip(keys, problems, failed) if problem and not bad]
    if flagged:
        first_key, first = flagged[0]
        warnings.warn(
            f"{len(flagged)} of {len(keys)} groups have something to check (see each group's FitResult); "
            f"e.g. group {first_key!r}: {first}",
            FitWarning,
            stacklevel=4,
        )


def _soft_problems(result: GroupedFitResult) -> list[str]:
    """Per group, the first thing `fit` would warn about (`fit_problems`), or ''."""
    best_steps = np.take_along_axis(np.asarray(result.steps), result.best[:, None], axis=1)[:, 0]
    law = result.law
    values = {name: np.asarray(getattr(law, name)) for name in result.parameterization.names}
    on_bound = {
        name: np.asarray(constraint.on_boundary(values[name])).reshape(len(result), -1).any(axis=1)
        for name, constraint in zip(result.parameterization.names, result.parameterization.constraints)
    }
    n_agree, best_status = result.n_agree, result.best_status
    problems = []
    for g in range(len(result)):
        bounded = {name: values[name][g] for name, flags in on_bound.items() if flags[g]}
        found = fit_problems(
            result.end_z.shape[1], n_agree[g], result.objective[g], result.agree_rtol, best_status[g], best_steps[g], bounded
        )
        problems.append(found[0] if found else "")
    return problems


def by_columns(frame: pd.DataFrame, by) -> tuple[str, ...]:
    """`by` (a column name, a list of them, or None) as a tuple of columns that `frame` has."""
    by = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    missing = [column for column in by if column not in frame.columns]
    if missing:
        raise ValueError(f"by column(s) {missing} not in the data; its columns are {list(frame.columns)}.")
    for column in by:
        n_missing = int(frame[column].isna().sum())
        if n_missing:  # pandas would leave these rows out of every group without a word
            raise ValueError(
                f"by column '{column}' has {n_missing} rows with no value (NaN/None): fill them "
                f"(e.g. df['{column}'].fillna('unknown')) or drop them."
            )
    return by


def group_key(key, by):
    """pandas gives 1-tuples for one `by` column in some versions and scalars in others: use the scalar."""
    return key[0] if len(by) == 1 and isinstance(key, tuple) else key


def _as_tuple(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)


__all__ = ["GroupedFitResult", "fit_groups"]
