"""Checking the runs table, splitting it into groups, and stacking each group's budgets as padded arrays."""

import numpy as np
import pandas as pd

from .._dataset import numeric_column, require_positive
from .._groups import by_columns, group_key


def validate(data, columns, by, n_bootstrap, level, positive):
    """The data as a frame and `by` as a tuple, after checking columns, counts and the level (ValueError if not)."""
    frame = pd.DataFrame(data)
    if len(frame) == 0:
        raise ValueError("the data is empty (0 rows).")
    by = by_columns(frame, by)
    for column in columns:
        values = numeric_column(frame, column, role=column)
        if column in positive:
            require_positive(values, column, "its logarithm is taken")
    if isinstance(n_bootstrap, (bool, np.bool_)) or not (isinstance(n_bootstrap, (int, np.integer)) and n_bootstrap >= 1):
        raise ValueError(f"n_bootstrap must be a positive integer, got {n_bootstrap!r}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}.")
    return frame, by


def groups(frame, by):
    """(key, rows) per group; one group keyed () when there is no `by`."""
    if not by:
        return [((), frame)]
    return [(group_key(k, by), g) for k, g in frame.groupby(list(by), sort=True)]


def stack_by_budget(group, budget, budgets, columns) -> dict:
    """Columns as (budgets, runs) arrays padded with the budget's last run (mask False there)."""
    parts = [group[group[budget] == c] for c in budgets]
    width = max(len(p) for p in parts)
    out = {"mask": np.stack([np.arange(width) < len(p) for p in parts])}
    for column in columns:
        out[column] = np.stack([np.pad(p[column].to_numpy(float), (0, width - len(p)), mode="edge") for p in parts])
    return out


def counts_within_budgets(rng, n_resamples, mask):
    """Bootstrap counts: each budget's runs drawn with replacement, as many as it has. (resamples, budgets, runs)."""
    counts = np.zeros((n_resamples,) + mask.shape)
    for b, n_runs in enumerate(mask.sum(axis=1)):
        counts[:, b, :n_runs] = rng.multinomial(n_runs, np.full(n_runs, 1.0 / n_runs), size=n_resamples)
    return counts


def group_name(key, by) -> str:
    """The group as the user would write it ("config='rw/...'"), or "" without groups."""
    if key == ():
        return ""
    values = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{column}={value!r}" for column, value in zip(by, values))
