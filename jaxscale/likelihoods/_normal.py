"""Normal noise, on the log target (`LogNormal`, infer's default) or on the raw target (`Normal`)."""

from typing import ClassVar

import jax
import jax.numpy as jnp

from .._constraints import Positive, Real
from ._abstract import check_positive
from ._scale import AbstractScaleLikelihood


class _AbstractNormal(AbstractScaleLikelihood):
    sigma: float | None = None
    sigma_scale: float = 1.0

    def __check_init__(self):
        check_positive("sigma_scale", self.sigma_scale)
        check_positive("sigma", self.sigma)

    def noise_priors(self):
        import numpyro.distributions as dist

        return {"sigma": dist.HalfNormal(self.sigma_scale)} if self.sigma is None else {}

    def log_prob(self, location, y, noise, extra):
        import numpyro.distributions as dist

        return dist.Normal(location, noise["sigma"]).log_prob(self.observed(y))

    def sample(self, key, location, noise, extra):
        return self.to_target(location + noise["sigma"] * jax.random.normal(key, jnp.shape(location)))

    def deviance(self, location, y, noise, extra):
        return self.pearson(location, y, noise, extra)


class LogNormal(_AbstractNormal):
    """log y ~ Normal(log prediction, sigma): `infer`'s default ("normal"); as a fit loss, log least squares
    with sigma fitted too (the law's optimum is `LogSquared`'s, sigma the weighted rms log residual).

    sigma is free (fitted; for `infer` HalfNormal(sigma_scale), 0.1 by default: log-scale noise of a few
    percent) unless given. Targets must be > 0.

    >>> import jaxscale as js
    >>> js.LogNormal()
    LogNormal()
    """

    sigma_scale: float = 0.1
    target_support: ClassVar = Positive()
    noise_constraints: ClassVar = {"sigma": Positive()}
    log_scale: ClassVar[bool] = True


class Normal(_AbstractNormal):
    """y ~ Normal(prediction, sigma) on the raw scale: targets of any sign (scores, differences, log losses).

    As a fit loss: least squares with sigma fitted too. For `infer`, sigma ~ HalfNormal(sigma_scale), in the
    target's units (default 1.0: set it to the scale of your target's noise).

    >>> import jaxscale as js
    >>> js.Normal(sigma_scale=0.05)
    Normal(sigma_scale=0.05)
    """

    target_support: ClassVar = Real()
    noise_constraints: ClassVar = {"sigma": Positive()}
    log_scale: ClassVar[bool] = False
