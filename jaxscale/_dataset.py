"""Measurements in: validated float columns, one weight per row.

Every structural problem of the columns (missing, non-numeric, NaN/inf, outside the target's support, too few
rows) is a `ValueError` raised here, before anything is compiled, naming the column, the number of bad rows and
the fix; group-level checks (`by=`) live with the verbs that group.
"""

from collections.abc import Mapping, Sequence

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jaxtyping import Array, Float

from ._constraints import AbstractConstraint, Interval, Positive


class Dataset(eqx.Module):
    """Validated measurements: `inputs` (name -> (n,) array), `target` (n,), `weights` (n,), and `extra`
    (name -> (n,) array): the further columns an observation model reads, such as a Binomial's trials.

    Build one with `Dataset.from_frame`; `fit` does this for you when given a DataFrame. Bootstrap resamples
    are reweightings of the same rows, so they never change a shape and never recompile.
    """

    inputs: dict[str, Float[Array, " n"]]
    target: Float[Array, " n"]
    weights: Float[Array, " n"]
    extra: dict[str, Float[Array, " n"]] = eqx.field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return int(self.target.shape[0])

    @classmethod
    def from_frame(
        cls,
        data,
        law,
        target: str = "loss",
        inputs: Mapping[str, str] | None = None,
        weights: str | Sequence[float] | np.ndarray | None = None,
        positive_target: bool = True,
        dtype=jnp.float64,
        target_support: AbstractConstraint | None = None,
        observation=None,
    ) -> "Dataset":
        """Reads and validates the law's inputs, the target and the weights from a DataFrame or dict of columns.

        Args:
            data: a `pandas.DataFrame` or a mapping of column name -> 1-d array.
            law: the law (class or instance); its `inputs` name the columns to read.
            target: the column to fit.
            inputs: law input name -> column name, where the two differ.
            weights: a column name, an array of per-row weights (matched to rows by position) or a
                `pandas.Series` (matched to rows by index label); default: 1 for every row.
            positive_target: reject targets <= 0 (needed when the loss takes their logarithm).
            dtype: float dtype of the arrays.
            target_support: where the target may lie, as a constraint (`Positive()`, `Interval(0, 1)`,
                `Real()`), as the loss or likelihood declares it; replaces `positive_target` when given.
            observation: a loss or likelihood whose `read_target(frame, target)` reads and checks the target
                and any `extra` columns it needs (a Binomial's trials); replaces the two options above.
        """
        frame = as_frame(data)
        law_type = law if isinstance(law, type) else type(law)
        x = read_inputs(law_type, frame, inputs)
        extra = {}
        if observation is not None:
            y, extra = observation.read_target(frame, target)
        else:
            y = numeric_column(frame, target, role="target")
            if target_support is not None:
                require_support(y, target, target_support)
            elif positive_target:
                require_positive(y, target, "the loss takes its logarithm (use loss=js.Squared() to fit raw values)")
        if weights is None:
            w = np.ones(len(frame))
        elif isinstance(weights, str):
            w = numeric_column(frame, weights, role="weights")
        else:
            w = np.asarray(aligned_by_index(weights, frame, "weights"), dtype=float)
            if w.shape != (len(frame),):
                raise ValueError(f"weights has shape {w.shape} but the data has {len(frame)} rows: pass one weight per row.")
            require_finite(w, "weights")
        n_negative = int(np.sum(w < 0))
        if n_negative:
            raise ValueError(f"weights has {n_negative} negative rows: weights must be >= 0.")
        if not np.any(w > 0):
            raise ValueError("every weight is zero: at least one row must carry weight.")
        n_params = _n_parameters(law)
        n_used = int(np.sum(w > 0))
        if n_used < n_params:
            raise ValueError(
                f"only {n_used} rows (with weight > 0) but {law_type.__name__} has {n_params} parameters: "
                f"a fit needs at least as many rows as parameters. Add measurements or fit a smaller law."
            )
        columns = {(inputs or {}).get(k, k): v for k, v in x.items()} | {target: y, weights if isinstance(weights, str) else "weights": w} | extra
        require_representable(columns, dtype)
        return cls(
            inputs={k: jnp.asarray(v, dtype) for k, v in x.items()},
            target=jnp.asarray(y, dtype),
            weights=jnp.asarray(w, dtype),
            extra={k: jnp.asarray(v, dtype) for k, v in extra.items()},
        )


def aligned_by_index(values, frame: pd.DataFrame, role: str):
    """`values` matched to the rows of `frame`: a `pandas.Series` by its index labels (a shuffled or filtered
    frame keeps each row's value), anything else as given (by position)."""
    if not isinstance(values, pd.Series) or values.index.equals(frame.index):
        return values.to_numpy() if isinstance(values, pd.Series) else values
    missing = frame.index.difference(values.index) if values.index.is_unique else None
    if missing is None or len(missing):
        why = (
            "its index has repeated labels" if missing is None
            else f"{len(missing)} of the data's {len(frame)} row labels are not in its index (e.g. {list(missing[:3])})"
        )
        raise ValueError(
            f"{role} is a Series, matched to the data's rows by index, but {why}. Give it the data's index "
            f"({role}.set_axis(df.index) if it is already in row order) or pass {role}.to_numpy() (by position)."
        )
    return values.reindex(frame.index).to_numpy()


def require_representable(columns: Mapping[str, np.ndarray], dtype) -> None:
    """A ValueError naming the first column whose values overflow `dtype` (float32 ends at 3.4e38) or, being
    nonzero, round to zero in it (where a logarithm would then be -inf)."""
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating) or dtype.itemsize >= 8:
        return
    info = np.finfo(dtype)
    for column, values in columns.items():
        magnitude = np.abs(np.asarray(values, dtype=float))
        bad = np.flatnonzero((magnitude > info.max) | ((magnitude > 0) & (magnitude < info.smallest_subnormal)))
        if len(bad):
            raise ValueError(
                f"column '{column}' has {len(bad)} rows outside the range of {dtype.name} (|x| up to {info.max:.3g}, "
                f"nonzero |x| from {info.smallest_subnormal:.3g}; rows {_first(bad)}): fit with dtype=jnp.float64, "
                f"or rescale the column (e.g. in units of 1e9)."
            )


def read_inputs(law_type, data, inputs: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
    """The law's input columns from `data` as validated float arrays (name -> (n,) array)."""
    frame = as_frame(data)
    inputs = dict(inputs or {})
    unknown = sorted(set(inputs) - set(law_type.inputs))
    if unknown:
        raise ValueError(
            f"inputs maps {unknown}, which {law_type.__name__} does not take; its inputs are {list(law_type.inputs)}."
        )
    positive = law_type.input_names_needing_positive()
    columns = {}
    for name in law_type.inputs:
        column = inputs.get(name, name)
        if column not in frame.columns:
            raise ValueError(
                f"column '{column}' is missing: {law_type.__name__} needs inputs {list(law_type.inputs)} and the data "
                f"has columns {list(frame.columns)}. Rename the column or pass inputs={{'{name}': '<your column>'}}."
            )
        if name in getattr(law_type, "sequence_inputs", ()):
            values = sequence_column(frame, column, role=f"input {name}")
        else:
            values = numeric_column(frame, column, role=f"input {name}")
        if name in positive:
            reason = f"{law_type.__name__} takes its logarithm"
            if law_type.positive_inputs is None:  # the default: every input is logged
                reason += (
                    f" (every input, by default: if it takes no log of '{name}', declare "
                    f"positive_inputs = () on the law, or list only the inputs it does log)"
                )
            require_positive(values, column, reason)
        columns[name] = values
    law_type.check_inputs(columns)
    return columns


def as_frame(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, Mapping):
        lengths = {k: np.shape(v)[0] if np.ndim(v) else 1 for k, v in data.items()}
        if len(set(lengths.values())) > 1:
            (k0, n0), *rest = lengths.items()
            k1, n1 = next((k, n) for k, n in rest if n != n0)
            raise ValueError(f"column '{k1}' has {n1} values but '{k0}' has {n0}: all columns must have the same length.")
        frame = pd.DataFrame({k: np.ravel(v) for k, v in data.items()})
    else:
        raise TypeError(f"expected a pandas DataFrame or a dict of columns, got {type(data).__name__}.")
    if len(frame) == 0:
        raise ValueError("the data is empty (0 rows): pass the measurements to fit.")
    return frame


def numeric_column(frame: pd.DataFrame, column: str, role: str) -> np.ndarray:
    if column not in frame.columns:
        raise ValueError(f"{role} column '{column}' is missing; the data has columns {list(frame.columns)}.")
    series = frame[column]
    if pd.api.types.is_complex_dtype(series):
        raise ValueError(
            f"column '{column}' is complex (dtype {series.dtype}), but measurements are real numbers: take its real "
            f"part or its magnitude first (df['{column}'] = np.real(df['{column}']) or np.abs(...))."
        )
    if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        coerced = pd.to_numeric(series, errors="coerce")
        bad = np.flatnonzero(coerced.isna() & series.notna())
        example = f" (e.g. {series.iloc[bad[0]]!r} in row {bad[0]})" if len(bad) else ""
        raise ValueError(
            f"column '{column}' is not numeric (dtype {series.dtype}); {len(bad)} rows do not parse as numbers"
            f"{example}. Convert it with pd.to_numeric or drop those rows."
        )
    values = series.to_numpy(dtype=float)
    require_finite(values, column)
    return values


def sequence_column(frame: pd.DataFrame, column: str, role: str) -> np.ndarray:
    """A column whose every cell is a 1-d array of the same length (a law's sequence input, such as the
    learning-rate drops before each row's step), as one (rows, length) float array."""
    cells = frame[column].to_numpy()
    lengths = {np.shape(cell) for cell in cells}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise ValueError(
            f"{role} column '{column}' must hold, in every row, a 1-d array of one common length (a sequence input); "
            f"it holds shapes {sorted(lengths, key=str)[:5]}. Build it with js.schedules.curve_inputs."
        )
    if any(np.iscomplexobj(cell) for cell in cells):
        raise ValueError(f"{role} column '{column}' holds complex arrays, but measurements are real numbers: take their real part first.")
    try:
        values = np.stack([np.asarray(cell, dtype=float) for cell in cells])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{role} column '{column}' holds arrays that are not numeric ({error}).") from None
    bad = np.flatnonzero(~np.all(np.isfinite(values), axis=1))
    if len(bad):
        raise ValueError(f"column '{column}' has {len(bad)} rows with NaN or inf in their sequence (rows {_first(bad)}).")
    return values


def require_finite(values: np.ndarray, column: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise ValueError(
            f"column '{column}' has {len(bad)} rows with NaN or inf (rows {_first(bad)}). Drop or fill them first, "
            f"e.g. df.dropna(subset=['{column}'])."
        )


def require_positive(values: np.ndarray, column: str, reason: str) -> None:
    bad = np.flatnonzero(values <= 0)
    if len(bad):
        raise ValueError(
            f"column '{column}' has {len(bad)} rows <= 0 (rows {_first(bad)}), but {reason}. Drop those rows or fix "
            f"their values."
        )


def is_count(value, minimum: int = 1) -> bool:
    """Whether `value` is an integer (not a bool) of at least `minimum`: a count such as n_refine or grid."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value >= minimum


def check_seed(seed) -> int:
    """`seed` as an int, or an error naming it (a TypeError for a string, float or bool, a ValueError for a
    negative integer): `jax.random.key` takes a non-negative integer, and a bad seed would otherwise fail deep
    inside JAX (or after the fits have run).

    >>> check_seed(3)
    3
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative integer such as 0, got {seed!r} ({type(seed).__name__}).")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer such as 0, got {seed}.")
    return int(seed)


def require_support(values: np.ndarray, column: str, support: AbstractConstraint) -> None:
    """A ValueError naming the column and the rows outside `support` (a constraint), if there are any."""
    if isinstance(support, Positive):
        require_positive(
            values, column, "the loss or likelihood takes its logarithm (for raw values, fit with loss=js.Squared() or js.Normal())"
        )
    elif isinstance(support, Interval):
        bad = np.flatnonzero(~((values > support.lo) & (values < support.hi)))
        if len(bad):
            raise ValueError(
                f"column '{column}' has {len(bad)} rows outside ({support.lo:g}, {support.hi:g}) (rows {_first(bad)}), "
                f"where the loss or likelihood is defined. Drop those rows or fix their values."
            )


def _first(rows: np.ndarray, k: int = 5) -> str:
    shown = ", ".join(str(r) for r in rows[:k])
    return shown + (", ..." if len(rows) > k else "")


def _n_parameters(law) -> int:
    template = law.template() if isinstance(law, type) else law
    return int(sum(np.size(getattr(template, n)) for n in template.parameter_names()))
