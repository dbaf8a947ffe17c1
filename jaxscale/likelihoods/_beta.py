"""Scores strictly between 0 and 1 around a predicted mean: Beta regression."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._constraints import Interval, Positive
from .._dataset import numeric_column
from ._abstract import AbstractLikelihood, check_positive


class Beta(AbstractLikelihood):
    """y ~ Beta(mu * precision, (1 - mu) * precision), mu the law's prediction: the mean-precision Beta
    regression of Ferrari & Cribari-Neto 2004, for scores in (0, 1) that are not counts (a calibrated score, a
    win rate averaged over judges).

    A Beta density is 0 or infinite at exactly 0 and 1, so such targets are refused unless asked for:
    `boundary="squeeze"` maps every target to (y * (n - 1) + 0.5) / n, n the number of rows (Smithson &
    Verkuilen 2006), which moves exact 0s and 1s just inside and the others by under 1/n. When the scores
    are successes out of a known number of trials, `Binomial(trials=..., fractions=True)` is the better model.

    Args:
        precision: mu's precision, held at this value; None (default) fits it (prior for `infer`:
            LogNormal(log 10, 2)).
        boundary: "error" (default) refuses targets at exactly 0 or 1; "squeeze" transforms them as above.

    >>> import jaxscale as js
    >>> js.Beta(boundary="squeeze")
    Beta(boundary='squeeze')
    """

    precision: float | None = None
    boundary: str = eqx.field(static=True, default="error")
    target_support: ClassVar = Interval(0.0, 1.0)
    noise_constraints: ClassVar = {"precision": Positive()}

    def __check_init__(self):
        if self.boundary not in ("error", "squeeze"):
            raise ValueError(f"boundary must be 'error' or 'squeeze', got {self.boundary!r}.")
        check_positive("precision", self.precision)

    def read_target(self, frame, target):
        y = numeric_column(frame, target, role="target")
        outside = np.flatnonzero((y < 0) | (y > 1))
        if len(outside):
            raise ValueError(f"column '{target}' has {len(outside)} rows outside [0, 1] (rows {_rows(outside)}): Beta models scores in (0, 1).")
        on_edge = np.flatnonzero((y == 0) | (y == 1))
        if len(on_edge) and self.boundary == "error":
            raise ValueError(
                f"column '{target}' has {len(on_edge)} rows at exactly 0 or 1 (rows {_rows(on_edge)}), where a Beta density "
                f"is 0 or infinite: pass js.Beta(boundary='squeeze') to move them just inside (Smithson & Verkuilen 2006), "
                f"or, for successes out of known trials, use js.Binomial(trials=..., fractions=True)."
            )
        if self.boundary == "squeeze":
            y = (y * (len(y) - 1) + 0.5) / len(y)
        return y, {}

    def location(self, law, x):
        return law(x)

    def log_prob(self, location, y, noise, extra):
        import numpyro.distributions as dist

        phi = noise["precision"]
        return dist.Beta(location * phi, (1 - location) * phi).log_prob(y)

    def sample(self, key, location, noise, extra):
        phi = noise["precision"]
        return jax.random.beta(key, location * phi, (1 - location) * phi, jnp.shape(location))

    def to_target(self, location, extra=None):
        return location

    def noise_priors(self):
        import numpyro.distributions as dist

        return {"precision": dist.LogNormal(jnp.log(10.0), 2.0)} if self.precision is None else {}

    def noise_starts(self, target, extra, weights):
        if self.precision is not None:
            return {}
        # Method of moments, as if every row shared one mean: var = mu (1 - mu) / (1 + precision).
        w = weights / np.sum(weights)
        mu = float(np.sum(w * target))
        variance = max(float(np.sum(w * (target - mu) ** 2)), 1e-12)
        return {"precision": float(np.clip(mu * (1 - mu) / variance - 1, 1.0, 1e6))}

    def pearson(self, location, y, noise, extra):
        return (y - location) / jnp.sqrt(location * (1 - location) / (1 + noise["precision"]))


def _rows(rows):
    return ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
