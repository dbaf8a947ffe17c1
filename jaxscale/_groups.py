"""Rows in groups (`by=`): the keys, each group's rows, each row's group, and the padded size buckets that
let groups of different sizes run as one batch.

Used by every verb that takes `by` (fit, evaluate, infer, a posterior's predict, isoflop), so a group means
the same thing everywhere: the sorted distinct values of the `by` columns.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd


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


def key_tuple(key) -> tuple:
    """A group key as a tuple of its `by` values."""
    return key if isinstance(key, tuple) else (key,)


def groups_of(frame: pd.DataFrame, by) -> tuple[list, list[np.ndarray]]:
    """The group keys, sorted, and each group's row positions."""
    indices = frame.groupby(list(by), sort=True).indices
    return [group_key(key, by) for key in indices], [np.asarray(rows) for rows in indices.values()]


def row_groups(frame: pd.DataFrame, by, keys) -> np.ndarray:
    """Each row's index into `keys`, read from the `by` columns; a KeyError naming the groups for a row whose
    group is not among them."""
    index = {key: g for g, key in enumerate(keys)}
    rows_group = np.empty(len(frame), dtype=np.int32)
    for key, rows in frame.groupby(list(by), sort=False).indices.items():
        key = group_key(key, by)
        if key not in index:
            shown = f"{list(keys)[:10]}{' ...' if len(keys) > 10 else ''}"
            raise KeyError(f"no group {key!r}; groups are {shown}")
        rows_group[rows] = index[key]
    return rows_group


def bucket_rows(n_rows: int) -> int:
    """Rows a group is padded to: at least 32, rounded up to a quarter of a power of two (32, 40, 48, 56, 64,
    80, ...), so padding wastes at most a quarter and few shapes (few compilations) occur."""
    n_rows = max(32, n_rows)
    step = 1 << max(0, (n_rows - 1).bit_length() - 3)
    return -(-n_rows // step) * step


def buckets(n_rows: list[int], slack: float = 1.5) -> list[list[int]]:
    """Group indices, sorted by size, in buckets padded to their largest group's `bucket_rows`.

    Each bucket is one compiled program (a new shape), and compiling costs far more than running a few
    padded rows, so neighbouring size classes are merged, cheapest merge first, while the padded rows of all
    buckets stay within `slack` times those of one bucket per size class: a group of 10 rows is still never
    padded to 700, and a study of many curves of similar lengths compiles once or twice, not once per size.

    >>> buckets([10, 70, 12, 66])
    [[0, 2, 3, 1]]
    >>> [len(b) for b in buckets([10] * 8 + [700])]
    [8, 1]
    """
    order = sorted(range(len(n_rows)), key=lambda g: n_rows[g])
    classes: dict[int, list[int]] = {}
    for g in order:
        classes.setdefault(bucket_rows(n_rows[g]), []).append(g)
    found = [(rows, members) for rows, members in classes.items()]
    work = lambda bucket: bucket[0] * len(bucket[1])
    budget = slack * sum(work(b) for b in found)
    while len(found) > 1:
        # Merging bucket i into i + 1 pads bucket i's groups to the larger size.
        extra = [len(found[i][1]) * (found[i + 1][0] - found[i][0]) for i in range(len(found) - 1)]
        i = int(np.argmin(extra))
        if sum(work(b) for b in found) + extra[i] > budget:
            break
        found[i : i + 2] = [(found[i + 1][0], found[i][1] + found[i + 1][1])]
    return [members for _, members in found]


def pad_and_stack(dataset, rows: list[np.ndarray], n_rows: int):
    """The groups' rows of `dataset` stacked into (groups, n_rows) arrays: each group padded with copies of its
    first row at weight 0."""
    index = np.stack([np.concatenate([r, np.full(n_rows - len(r), r[0])]) for r in rows])
    real = np.arange(n_rows)[None, :] < np.array([len(r) for r in rows])[:, None]
    batch = jax.tree_util.tree_map(lambda a: np.asarray(a)[index], dataset)
    return jax.tree_util.tree_map(jnp.asarray, eqx.tree_at(lambda d: d.weights, batch, np.where(real, batch.weights, 0.0)))
