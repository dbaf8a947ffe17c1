"""The bounded sigmoid link for targets that live between a floor and a ceiling (accuracies, error rates), and
the abstract law built on it."""

import abc
from collections.abc import Mapping
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike

from .._law import AbstractLaw


def bounded_sigmoid(eta: ArrayLike, floor: ArrayLike, ceiling: ArrayLike) -> Array:
    """floor + (ceiling - floor) * sigmoid(eta): rises from `floor` (eta -> -inf) to `ceiling` (eta -> +inf).

    >>> import jaxscale as js
    >>> float(js.laws.bounded_sigmoid(0.0, 0.25, 0.75))
    0.5
    """
    return floor + (ceiling - floor) * jax.nn.sigmoid(eta)


def bounded_logit(p: ArrayLike, floor: ArrayLike, ceiling: ArrayLike) -> Array:
    """The inverse of `bounded_sigmoid`: log(p - floor) - log(ceiling - p), the eta at which it reaches `p`.

    Finite only for floor < p < ceiling (NaN or inf outside: no eta reaches such a p).

    >>> import jaxscale as js
    >>> float(js.laws.bounded_logit(0.5, 0.25, 0.75))
    0.0
    """
    p = jnp.asarray(p)
    return jnp.log(p - floor) - jnp.log(ceiling - p)


def log_bounded_sigmoid(eta: ArrayLike, floor: ArrayLike, ceiling: ArrayLike) -> Array:
    """log bounded_sigmoid(eta, floor, ceiling), stable for every eta and for floors near 0.

    floor + (ceiling - floor) sigmoid(eta) = floor * sigmoid(-eta) + ceiling * sigmoid(eta), so its log is a
    log-sum-exp of log floor + log_sigmoid(-eta) and log ceiling + log_sigmoid(eta): no 1 - sigmoid underflows
    to 0 for a large eta, and a floor of 0 gives exactly log ceiling + log_sigmoid(eta).
    """
    return jnp.logaddexp(jnp.log(floor) + jax.nn.log_sigmoid(-eta), jnp.log(ceiling) + jax.nn.log_sigmoid(eta))


class AbstractBoundedLaw(AbstractLaw):
    """A law for a target bounded by a floor and a ceiling (an accuracy, a pass rate):
    bounded_sigmoid(linear_predictor(x), floor, ceiling), a prediction in (floor, ceiling).

    A subclass declares `inputs`, the parameter fields (`floor` and `ceiling` among them), their `constraints`
    (`floor` and `ceiling` as `Interval(0.0, 1.0)`), and writes `linear_predictor(x)`, the eta of the sigmoid;
    it rises from the floor at eta -> -inf to the ceiling at eta -> +inf. A complete custom one, accuracy as a
    sigmoid of log parameters:

    >>> import jax.numpy as jnp, jaxscale as js
    >>> class SigmoidParams(js.laws.AbstractBoundedLaw):
    ...     inputs = ("N",)
    ...     constraints = {"floor": js.Interval(0.0, 1.0), "ceiling": js.Interval(0.0, 1.0),
    ...                    "slope": js.Positive(), "log_n50": js.Real()}
    ...     floor: jnp.ndarray
    ...     ceiling: jnp.ndarray
    ...     slope: jnp.ndarray
    ...     log_n50: jnp.ndarray
    ...     def linear_predictor(self, x):
    ...         return self.slope * (jnp.log(x["N"]) - self.log_n50)
    >>> law = SigmoidParams(floor=0.25, ceiling=0.75, slope=1.0, log_n50=jnp.log(1e9))
    >>> round(float(law.predict({"N": [1e9]})[0]), 6)
    0.5

    Multiple-choice accuracy usually starts at chance: hold the floor there with
    `js.fit(law, df, target="acc", loss=js.Squared(), fixed={"floor": 0.25})` (four choices), so only the
    ceiling and the shape are searched. `log_predict`, which log losses read, is the stable log of the
    bounded sigmoid: a log-sum-exp of log floor + log_sigmoid(-eta) and log ceiling + log_sigmoid(eta).
    """

    floor: eqx.AbstractVar[Array]
    ceiling: eqx.AbstractVar[Array]
    # A few parameters with data-aware start ranges: 512 Sobol points cover them (the default 2048 would make
    # screening most of the cost of a batch of curves).
    default_n_starts: ClassVar[int] = 512

    @abc.abstractmethod
    def linear_predictor(self, x: Mapping[str, Array]) -> Array:
        """eta at inputs `x`: the prediction is bounded_sigmoid(eta, floor, ceiling)."""

    def __call__(self, x: Mapping[str, Array]) -> Array:
        return bounded_sigmoid(self.linear_predictor(x), self.floor, self.ceiling)

    def log_predict(self, x: Mapping[str, Array]) -> Array:
        return log_bounded_sigmoid(self.linear_predictor(x), self.floor, self.ceiling)


def sigmoid_start_ranges(target, z, slope: str, midpoint: str) -> dict[str, tuple[float, float]]:
    """Start ranges of a bounded sigmoid in one variable z (log C, a loss): the floor below the lowest target,
    the ceiling between the highest and 1, the midpoint over the observed z widened by half its span on each
    side (a curve seen only on one side of its midpoint), and the slope from a tenth to a hundred times the
    one whose sigmoid climbs from 10% to 90% of the way (a width of 4.4 / slope in z) across the data."""
    y = np.clip(np.asarray(target, float), 0.0, 1.0)
    span = float(np.ptp(z)) or 1.0  # one distinct z: no scale from the data
    return {
        "floor": (0.0, float(y.min())),
        "ceiling": (float(y.max()), 1.0),
        slope: (0.1 * 4.4 / span, 100 * 4.4 / span),
        midpoint: (float(z.min()) - span / 2, float(z.max()) + span / 2),
    }
