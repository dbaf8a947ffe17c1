"""The abstract law: an Equinox module whose fields are its parameters."""

import abc
import dataclasses
import math
import threading
from collections.abc import Mapping
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._constraints import AbstractConstraint, Interval, Positive
from ._dataset import read_inputs
from ._starts import sobol


class AbstractLaw(eqx.Module):
    """A scaling law: parameters are the module's fields, `__call__` predicts.

    A subclass declares `inputs` (the names of the columns it reads), one constraint per parameter in
    `constraints`, the parameter fields themselves, and `__call__(x)`, where `x` maps each input name to an
    array. Everything else (fitting, batching, inference, allocation) works from those declarations.

    Example, a complete user-defined law:

    >>> import jax.numpy as jnp, jaxscale as js
    >>> class Exponential(js.AbstractLaw):
    ...     inputs = ("t",)
    ...     constraints = {"c": js.Positive(), "k": js.Positive(), "rate": js.Positive()}
    ...     c: jnp.ndarray
    ...     k: jnp.ndarray
    ...     rate: jnp.ndarray
    ...     def __call__(self, x):
    ...         return self.c + self.k * jnp.exp(-self.rate * x["t"])
    >>> float(Exponential(c=1.0, k=2.0, rate=0.0)({"t": jnp.ones(3)})[0])
    3.0

    A law whose parameters each have a leading batch axis is a *batch of laws* (restarts, bootstrap refits,
    posterior draws); `jax.vmap` over it evaluates every member.
    """

    inputs: eqx.AbstractClassVar[tuple[str, ...]]
    constraints: eqx.AbstractClassVar[Mapping[str, AbstractConstraint]]
    # Inputs whose logarithm the law takes; `None` means all of them. Validation rejects values <= 0 there.
    positive_inputs: ClassVar[tuple[str, ...] | None] = None
    # Inputs that hold, per row, a fixed-length array (rows, length) instead of one number: a curve's
    # learning-rate drops before the row's step, read from a column of arrays (`js.schedules.curve_inputs`).
    sequence_inputs: ClassVar[tuple[str, ...]] = ()
    # How many Sobol starting points `fit` screens by default.
    default_n_starts: ClassVar[int] = 2048

    def __check_init__(self):
        check_parameter_values(self)

    @abc.abstractmethod
    def __call__(self, x: Mapping[str, Array]) -> Array:
        """Predicted target for inputs `x` (input name -> array of shape (n,))."""

    def log_predict(self, x: Mapping[str, Array]) -> Array:
        """log of the prediction; laws override it with a numerically stable form where they have one."""
        return jnp.log(self(x))

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """The names of the parameters, in the order of `constraints`."""
        fields = {f.name for f in dataclasses.fields(cls) if not f.metadata.get("static", False)}
        names = tuple(cls.constraints)
        if set(names) != fields:
            raise TypeError(
                f"{cls.__name__} declares constraints for {sorted(names)} but its parameter fields are "
                f"{sorted(fields)}: give every field exactly one constraint."
            )
        return names

    @classmethod
    def check_inputs(cls, columns: Mapping[str, np.ndarray]) -> None:
        """Raises a ValueError naming the problem if the input columns are invalid for this law (beyond being
        finite, and positive where the law takes their log, which are always checked); laws with constrained
        inputs (mixture weights) override it."""

    @classmethod
    def input_names_needing_positive(cls) -> tuple[str, ...]:
        return tuple(cls.inputs) if cls.positive_inputs is None else tuple(cls.positive_inputs)

    @classmethod
    def template(cls) -> "AbstractLaw":
        """An instance with scalar parameters at neutral values; it fixes the structure a fit searches over.

        Laws whose parameters are vectors (e.g. one per break) override this with a sized version.
        """
        return cls(**{n: jax.device_put(np.float64(cls.constraints[n].neutral())) for n in cls.parameter_names()})

    def start_ranges(self, target: np.ndarray, inputs: Mapping[str, np.ndarray]) -> dict[str, tuple[float, float]]:
        """Ranges (natural units) that default starting points are drawn from; data-aware laws override this.

        By default: an interval parameter over its whole interval, a positive one over (1e-3, 1e3) (sampled
        log-uniformly), and a real one over (-s, s), where s is twice the largest magnitude in the data, the
        target or an input as the law reads it (its log where the law takes one), and at least 10. A real
        parameter is most often an offset or a location on one of those scales (a midpoint in log C near 50),
        which a fixed (-10, 10) would miss.
        """
        ranges = {}
        for name, constraint in self.constraints.items():
            if isinstance(constraint, Interval):
                ranges[name] = (constraint.lo, constraint.hi)
            elif isinstance(constraint, Positive):
                ranges[name] = (1e-3, 1e3)
            else:
                scale = _data_scale(type(self), target, inputs)
                ranges[name] = (-scale, scale)
        return ranges

    def default_starts(self, target: np.ndarray, inputs: Mapping[str, np.ndarray]) -> "AbstractLaw":
        """Starting points `fit` uses when given none: a Sobol sample over `start_ranges`."""
        return sobol(self, self.default_n_starts, self.start_ranges(target, inputs))

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Leading batch shape shared by all parameters: () for a single law."""
        template_ndim = _template_ndims(type(self))
        if template_ndim is None:  # asked while the class's template itself is being built: it is one law
            return ()
        shapes = [jnp.shape(getattr(self, n))[: jnp.ndim(getattr(self, n)) - template_ndim[n]] for n in template_ndim]
        return tuple(shapes[0]) if shapes else ()

    def __repr__(self) -> str:
        """The parameters' values (a batch of laws: each parameter's shape and median), not just their dtypes."""
        if any(isinstance(getattr(self, name), jax.core.Tracer) for name in self.parameter_names()):
            return super().__repr__()  # inside jit or vmap there are no values to show
        parts = []
        for name in self.parameter_names():
            value = np.asarray(getattr(self, name))
            if value.size <= 8:
                shown = f"{value.item():.6g}" if value.ndim == 0 else "[" + ", ".join(f"{v:.6g}" for v in value.ravel()) + "]"
            else:
                shown = f"{value.dtype.name}{list(value.shape)} (median {np.median(value):.6g})"
            parts.append(f"{name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def predict(self, data, inputs: Mapping[str, str] | None = None) -> np.ndarray:
        """Predictions at the rows of a DataFrame (or a dict of columns), as a NumPy array.

        `inputs` maps the law's input names to column names where they differ. A batch of laws gives one
        row of predictions per member.
        """
        x = read_inputs(type(self), data, inputs)
        law = jax.tree_util.tree_map(jnp.asarray, self)
        if law.batch_shape:
            return np.asarray(jax.vmap(lambda member: member(x))(law))
        return np.asarray(law(x))


def predict_columns(law: AbstractLaw, x: Mapping) -> np.ndarray:
    """`law` at the input columns `x` (a batch of laws: one row per member), compiled once per shape."""
    columns = {k: jnp.asarray(v) for k, v in x.items()}
    return np.asarray(_batch_predict(law, columns) if law.batch_shape else _point_predict(law, columns))


@eqx.filter_jit
def _point_predict(law, x):
    return law(x)


@eqx.filter_jit
def _batch_predict(laws, x):
    return jax.vmap(lambda member: member(x))(laws)


def _data_scale(law_type: type[AbstractLaw], target: np.ndarray, inputs: Mapping[str, np.ndarray]) -> float:
    """Twice the largest magnitude of the target and the inputs (logged where the law logs them), at least 10."""
    logged = set(law_type.input_names_needing_positive())
    columns = [np.asarray(target, float)]
    with np.errstate(divide="ignore", invalid="ignore"):  # a value <= 0 where a log is taken is dropped below
        columns += [np.log(np.asarray(inputs[n], float)) if n in logged else np.asarray(inputs[n], float) for n in law_type.inputs if n in inputs]
    return max([10.0] + [2.0 * float(np.max(np.abs(c[np.isfinite(c)]), initial=0.0)) for c in columns])


# Law class -> the number of dimensions of each parameter in its template: more means a batch of laws.
# None while the template is being built (its own check then leaves arrays of unknown kind alone).
_TEMPLATE_NDIMS: dict[type, dict[str, int] | None] = {}


_TEMPLATE_LOCK = threading.RLock()  # grouped fits build laws on two threads; the template's own check re-enters


def _template_ndims(law_type: type[AbstractLaw]) -> dict[str, int] | None:
    with _TEMPLATE_LOCK:
        if law_type not in _TEMPLATE_NDIMS:
            _TEMPLATE_NDIMS[law_type] = None
            try:
                template = law_type.template()
            except BaseException:
                del _TEMPLATE_NDIMS[law_type]
                raise
            _TEMPLATE_NDIMS[law_type] = {n: int(np.ndim(getattr(template, n))) for n in law_type.parameter_names()}
        return _TEMPLATE_NDIMS[law_type]


def check_parameter_values(law: AbstractLaw) -> None:
    """A TypeError for a parameter that is not a real number, a ValueError for one that is NaN/inf or outside
    its constraint, naming the parameter, at construction and with NumPy only (nothing compiles).

    Only real numbers and arrays are looked at: tracers (inside jit, vmap, grad) and the placeholders that
    JAX and Equinox put in a module's fields (None, object(), ShapeDtypeStruct) pass untouched. A batch of
    laws (more dimensions than the template's) is checked for its dtype only: a failed restart, refit or draw
    is data (NaN members), reported by the verbs that meet it. Values on a constraint's boundary (A = 0 for a
    positive A) pass, as they do for `fit(..., fixed=...)`.
    """
    law_type = type(law)
    names, bounds = _names_and_bounds(law_type)
    values = [getattr(law, name) for name in names]
    if any(isinstance(value, jax.core.Tracer) for value in values):
        return
    arrays = {}
    for name, value in zip(names, values):
        if type(value) is float or type(value) is int:  # the common case, without NumPy
            _require_valid(law_type, name, value, value if math.isfinite(value) else None, bounds[name])
        else:
            array = _numeric_or_none(law_type, name, value)
            if array is not None:
                arrays[name] = array
    # A 0-d value is one law's value; an array is one law's vector parameter or a batch, which the template tells.
    template_ndims = None
    if any(np.ndim(a) for a in arrays.values()):
        try:
            template_ndims = _template_ndims(law_type)
        except (TypeError, ValueError):  # a class that cannot build its template (an abstract mixture, say)
            template_ndims = None
    for name, array in arrays.items():
        if np.ndim(array) and (template_ndims is None or np.ndim(array) > template_ndims.get(name, 0)):
            continue
        array = np.asarray(array, dtype=float)
        shown = array.item() if array.ndim == 0 else f"{int((~np.isfinite(array)).sum())} of its {array.size} entries"
        _require_valid(law_type, name, shown, array if np.isfinite(array).all() else None, bounds[name])


def _names_and_bounds(law_type) -> tuple[tuple[str, ...], dict]:
    """The parameter names and each one's (lo, hi) bounds (None where open), once per law class."""
    facts = _FACTS.get(law_type)
    if facts is None:
        names = law_type.parameter_names()
        facts = _FACTS[law_type] = (names, {n: law_type.constraints[n].bounds() for n in names})
    return facts


_FACTS: dict[type, tuple[tuple[str, ...], dict]] = {}


def _require_valid(law_type, name: str, shown, finite_value, bounds) -> None:
    """Raises for a parameter whose value is not finite (`finite_value` None) or lies outside `bounds`."""
    if finite_value is None:
        raise ValueError(
            f"parameter {name} of {law_type.__name__} is NaN or inf ({shown}): a law's parameters must be finite "
            f"numbers. Build it with finite values (a failed fit's law is not usable)."
        )
    lo, hi = bounds
    if lo is None and hi is None:
        return
    if type(finite_value) is float or type(finite_value) is int:
        if (lo is None or finite_value >= lo) and (hi is None or finite_value <= hi):
            return
    value = np.asarray(finite_value)
    outside = law_type.constraints[name].outside(value)
    if outside.any():
        shown = value.item() if value.ndim == 0 else f"{value[outside].ravel()[0].item()} in {int(outside.sum())} of its {value.size} entries"
        raise ValueError(
            f"parameter {name} of {law_type.__name__} must be {law_type.constraints[name]}, got {shown}: choose a "
            f"value inside its constraint (the law is not defined outside it)."
        )


def is_real_dtype(dtype) -> bool:
    """Whether `dtype` holds real numbers: bool, integer or floating, bfloat16 and the other ML floats included
    (NumPy files those as kind 'V')."""
    return bool(np.dtype(dtype) == np.bool_ or jnp.issubdtype(dtype, jnp.integer) or jnp.issubdtype(dtype, jnp.floating))


def _numeric_or_none(law_type, name: str, value):
    """`value` as a real NumPy or JAX array if it is a number or an array of numbers; None for what is not a
    value to check (placeholders); a TypeError for text, complex numbers and other non-real data."""
    if isinstance(value, (bool, int, float, np.integer, np.floating, np.bool_)):
        return np.asarray(value)
    if isinstance(value, (str, bytes, complex, np.complexfloating)):
        kind = type(value).__name__
    elif isinstance(value, (np.ndarray, jax.Array)):
        if isinstance(value, jax.Array) and not getattr(value, "is_fully_addressable", True):
            return None  # spread over hosts: its values are not all here
        dtype = np.dtype(value.dtype)
        if is_real_dtype(dtype):
            return value
        if dtype.kind == "O":
            return None
        kind = f"array of {dtype}"
    elif isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):
            return None
        if array.dtype.kind in "biuf":
            return array
        if array.dtype.kind not in "USc":
            return None
        kind = f"{type(value).__name__} of {array.dtype}"
    else:
        return None
    hint = f"convert it first, e.g. float({value!r})" if isinstance(value, str) else "pass a float or an array of floats"
    raise TypeError(f"parameter {name} of {law_type.__name__} must be a real number (or an array of them), got {value!r} ({kind}): {hint}.")


class AbstractLogLaw(AbstractLaw):
    """A law written in log space: subclasses implement `log_predict` (a numerically stable log of the
    prediction, e.g. a log-sum-exp of power-law terms) and the prediction is its exponential.

    Log losses (`LogHuber`, the log-normal likelihood) read `log_predict` directly, so a law that is a sum of
    terms spanning many orders of magnitude keeps its precision where `log(self(x))` would lose it.
    """

    @abc.abstractmethod
    def log_predict(self, x: Mapping[str, Array]) -> Array:
        """log of the predicted target for inputs `x`."""

    def __call__(self, x: Mapping[str, Array]) -> Array:
        return jnp.exp(self.log_predict(x))


__all__ = ["AbstractLaw", "AbstractLogLaw"]
