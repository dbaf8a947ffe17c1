"""The abstract law: an Equinox module whose fields are its parameters."""

import abc
import dataclasses
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
        return cls(**{n: cls.constraints[n].constrain(jnp.zeros(())) for n in cls.parameter_names()})

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
        template_ndim = {n: np.ndim(v) for n, v in _scalar_view(type(self).template()).items()}
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


def _scalar_view(law: AbstractLaw) -> dict[str, Array]:
    return {name: getattr(law, name) for name in law.parameter_names()}


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
