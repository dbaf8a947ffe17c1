"""What Normal and Student-t noise share: a location-scale model of the target itself or of its logarithm."""

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from ..losses import LogSquared, Squared
from ._abstract import AbstractLikelihood


class AbstractScaleLikelihood(AbstractLikelihood):
    """Noise of scale `sigma` around the prediction: on the log target (`log_scale`, location
    `law.log_predict(x)`, prediction exp(location)) or on the raw target (location `law(x)`).

    On the log scale `log_prob` is the density of log y, so the -log y Jacobian (constant in the parameters)
    is left out; it matters only when comparing with a likelihood on another scale.
    """

    log_scale: ClassVar[bool]

    def location(self, law, x):
        return law.log_predict(x) if self.log_scale else law(x)

    def observed(self, y):
        """The target on the scale the noise is on."""
        return jnp.log(y) if self.log_scale else y

    def to_target(self, location, extra=None):
        return jnp.exp(location) if self.log_scale else location

    def point_loss(self):
        # The law that maximises a Normal likelihood is the least-squares one, which GaussNewton reaches fastest.
        return LogSquared() if self.log_scale else Squared()

    def initial_noise(self, location, y, weights, extra=None):
        return {"sigma": residual_sd(location, self.observed(y), weights)} if self.sigma is None else {}

    def noise_starts(self, target, extra, weights):
        y = np.log(target) if self.log_scale else np.asarray(target)
        mean = np.sum(weights * y) / np.sum(weights)
        spread = float(np.sqrt(np.sum(weights * (y - mean) ** 2) / np.sum(weights)))
        starts = {"sigma": max(spread, 1e-3 * (abs(float(mean)) + 1e-12), 1e-12)}
        return {name: value for name, value in {**starts, **self.extra_noise_starts()}.items() if name in self.noise_parameters()}

    def extra_noise_starts(self) -> dict:
        return {}

    def pearson(self, location, y, noise, extra):
        return (self.observed(y) - location) / noise["sigma"]


def residual_sd(location, observed, weights):
    """sqrt(sum w r^2 / sum w) of the residuals r = location - observed (the noise sd a point fit implies),
    floored at 1e-6 so that a perfect fit still starts a positive scale."""
    r = jnp.asarray(location) - jnp.asarray(observed)
    w = jnp.asarray(weights)
    return jnp.maximum(jnp.sqrt(jnp.sum(w * r**2) / jnp.sum(w)), 1e-6)
