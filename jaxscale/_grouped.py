"""`fit(..., by=...)`: one fit per group of rows, every group in one compiled program."""

import time
import warnings
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._compile_timer import compile_timer
from ._dataset import Dataset
from ._fit import FitError, soft_problems, starting_points
from ._fit_result import FitResult, FitWarning
from ._law import AbstractLaw
from ._refine import fit_batch_program
from ._sharding import padded_size, shard_batch


class GroupedFitResult(eqx.Module):
    """One `FitResult` per group: `result[key]`, `result.keys`, `to_frame()` (one row per group).

    `law` is the batch of fitted laws, one per group in the order of `keys`; `predict(data)` predicts each row
    with its own group's law.
    """

    by: tuple[str, ...]
    keys: tuple
    results: tuple[FitResult, ...]
    seconds: float
    compile_seconds: float

    def __getitem__(self, key) -> FitResult:
        try:
            return self.results[self.keys.index(key)]
        except ValueError:
            raise KeyError(f"no group {key!r}; groups are {list(self.keys)[:10]}{' ...' if len(self.keys) > 10 else ''}") from None

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def law(self) -> AbstractLaw:
        return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *[r.law for r in self.results])

    @property
    def objective(self) -> np.ndarray:
        return np.array([r.objective for r in self.results])

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the `by` columns, the fitted parameters, objective, restart agreement and status."""
        rows = []
        for key, result in zip(self.keys, self.results):
            row = result.to_frame()
            row["status"] = result.best_status
            for column, value in zip(self.by, _as_tuple(key)):
                row.insert(list(self.by).index(column), column, value)
            rows.append(row)
        return pd.concat(rows, ignore_index=True)

    def predict(self, data, inputs=None) -> np.ndarray:
        """Each row of `data` (which must have the `by` columns) predicted by its group's fitted law."""
        frame = pd.DataFrame(data)
        out = np.full(len(frame), np.nan)
        for key, rows in frame.groupby(list(self.by), sort=False).indices.items():
            out[rows] = self[group_key(key, self.by)].predict(frame.iloc[rows], inputs)
        return out

    def __repr__(self) -> str:
        statuses = pd.Series([r.best_status for r in self.results]).value_counts().to_dict()
        return (
            f"GroupedFitResult({type(self.results[0].law).__name__} by {list(self.by)}: {len(self)} groups, "
            f"best restarts {statuses}; {self.seconds:.3f} s, plus {self.compile_seconds:.2f} s compiling)"
        )


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

    keys, datasets, z_starts = [], [], []
    for key, rows in frame.groupby(list(by), sort=True).indices.items():
        key = group_key(key, by)
        group = frame.iloc[rows]
        try:
            dataset = Dataset.from_frame(
                group, template, target=target, inputs=inputs, weights=weights, positive_target=loss.takes_log, dtype=dtype
            )
            z = starting_points(starts, template, parameterization, dataset, dtype)
        except ValueError as error:
            raise ValueError(f"group {key!r} of by={list(by)}: {error}") from None
        keys.append(key)
        datasets.append(dataset)
        z_starts.append(z)
    if len({z.shape[0] for z in z_starts}) > 1:
        raise ValueError("every group needs the same number of starting points; pass `starts` of one size.")
    n_refine = min(int(n_refine), z_starts[0].shape[0])

    began = time.perf_counter()
    outcome = [None] * len(datasets)
    with compile_timer() as compiling:
        for members in _buckets([d.n_rows for d in datasets]):
            n_batch = padded_size(len(members))
            batch = _pad_and_stack([datasets[g] for g in members], n_batch, _bucket_rows(datasets[members[-1]].n_rows))
            starts_batch = np.stack([z_starts[g] for g in members] + [z_starts[members[-1]]] * (n_batch - len(members)))
            batch, starts_batch = shard_batch((batch, jnp.asarray(starts_batch)))
            found = fit_batch_program(
                parameterization, loss, solver, batch, 0, starts_batch, n_refine, stop_when_agreed, agree_rtol
            )
            found = jax.tree_util.tree_map(np.asarray, found)
            for i, g in enumerate(members):
                outcome[g] = jax.tree_util.tree_map(lambda a: a[i], found)
    seconds = time.perf_counter() - began - compiling.seconds

    results = [
        FitResult.from_minimum(
            parameterization, loss, solver, dataset, z, screened, chosen, minimum,
            agree_rtol=agree_rtol, seconds=seconds / len(datasets), compile_seconds=compiling.seconds / len(datasets),
        )
        for dataset, z, (screened, chosen, minimum) in zip(datasets, z_starts, outcome)
    ]
    _report(keys, results, by)
    return GroupedFitResult(by, tuple(keys), tuple(results), seconds, compiling.seconds)


def _bucket_rows(n_rows: int) -> int:
    """Rows a group is padded to: the next power of two, at least 64 (few shapes, so few compilations)."""
    return max(64, 1 << (n_rows - 1).bit_length())


def _buckets(n_rows: list[int]) -> list[list[int]]:
    """Group indices, sorted by size and split where the padded size changes: a group of 10 rows is then
    never padded to 700, and each bucket's loop ends with its own slowest restart."""
    order = sorted(range(len(n_rows)), key=lambda g: n_rows[g])
    buckets: dict[int, list[int]] = {}
    for g in order:
        buckets.setdefault(_bucket_rows(n_rows[g]), []).append(g)
    return list(buckets.values())


def _pad_and_stack(datasets: list[Dataset], n_batch: int, n_rows: int) -> Dataset:
    """Stacks groups into one batch of `n_rows` rows each: shorter groups are padded with copies of their first
    row at weight 0, and the batch with copies of the last group (whose results are dropped) to `n_batch`."""

    def pad(a, fill=None):
        a = np.asarray(a)
        tail = np.full(n_rows - len(a), a[0] if fill is None else fill, dtype=a.dtype)
        return np.concatenate([a, tail])

    padded = [
        Dataset(inputs={k: pad(v) for k, v in d.inputs.items()}, target=pad(d.target), weights=pad(d.weights, 0.0))
        for d in datasets
    ]
    padded += [padded[-1]] * (n_batch - len(padded))
    return jax.tree_util.tree_map(lambda *leaves: jnp.asarray(np.stack(leaves)), *padded)


def _report(keys, results: list[FitResult], by) -> None:
    failed = [k for k, r in zip(keys, results) if r.best_status == "non_finite" or not np.isfinite(r.objective)]
    if len(failed) == len(results):
        raise FitError(f"every group's fit ended with a non-finite objective (by={list(by)}); check the law and the data.")
    if failed:
        warnings.warn(f"{len(failed)} of {len(results)} groups ended non-finite: {failed[:10]}.", FitWarning, stacklevel=4)
    flagged = {k: problems for k, r in zip(keys, results) if (problems := soft_problems(r)) and k not in failed}
    if flagged:
        first_key, first = next(iter(flagged.items()))
        warnings.warn(
            f"{len(flagged)} of {len(results)} groups have something to check (see each group's FitResult); "
            f"e.g. group {first_key!r}: {first[0]}",
            FitWarning,
            stacklevel=4,
        )


def by_columns(frame: pd.DataFrame, by) -> tuple[str, ...]:
    """`by` (a column name, a list of them, or None) as a tuple of columns that `frame` has."""
    by = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    missing = [column for column in by if column not in frame.columns]
    if missing:
        raise ValueError(f"by column(s) {missing} not in the data; its columns are {list(frame.columns)}.")
    return by


def group_key(key, by):
    """pandas gives 1-tuples for one `by` column in some versions and scalars in others: use the scalar."""
    return key[0] if len(by) == 1 and isinstance(key, tuple) else key


def _as_tuple(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)


__all__ = ["GroupedFitResult", "fit_groups"]
