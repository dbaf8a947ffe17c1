"""Student-t noise, robust to outliers, on the log target (`LogStudentT`) or on the raw target (`StudentT`)."""

from typing import ClassVar

import jax
import jax.numpy as jnp

from .._constraints import Positive, Real
from ._abstract import check_positive
from ._scale import AbstractScaleLikelihood


class _AbstractStudentT(AbstractScaleLikelihood):
    sigma: float | None = None
    nu: float | None = None
    sigma_scale: float = 1.0

    def __check_init__(self):
        check_positive("sigma_scale", self.sigma_scale)
        check_positive("sigma", self.sigma)
        check_positive("nu", self.nu)

    def noise_priors(self):
        import numpyro.distributions as dist

        # Gamma(2, 0.1) on the degrees of freedom (Juarez & Steel 2010): mean 20, most mass on 2-50.
        priors = {"sigma": dist.HalfNormal(self.sigma_scale), "nu": dist.Gamma(2.0, 0.1)}
        return {name: prior for name, prior in priors.items() if getattr(self, name) is None}

    def log_prob(self, location, y, noise, extra):
        import numpyro.distributions as dist

        return dist.StudentT(noise["nu"], location, noise["sigma"]).log_prob(self.observed(y))

    def sample(self, key, location, noise, extra):
        return self.to_target(location + noise["sigma"] * jax.random.t(key, noise["nu"], jnp.shape(location)))

    def initial_noise(self, location, y, weights, extra=None):
        # nu starts at moderately heavy tails; the least-squares residuals say nothing about it.
        return {**super().initial_noise(location, y, weights, extra), **({"nu": jnp.asarray(10.0)} if self.nu is None else {})}

    def extra_noise_starts(self):
        return {"nu": 10.0}


class LogStudentT(_AbstractStudentT):
    """log y ~ StudentT(nu, log prediction, sigma): `infer(likelihood="student_t")`, robust to outliers (the
    Bayesian counterpart of the Huber fit). sigma ~ HalfNormal(sigma_scale) (0.1 by default) and
    nu ~ Gamma(2, 0.1) when free; `LogStudentT(nu=4.0)` holds nu.

    >>> import jaxscale as js
    >>> js.LogStudentT(sigma_scale=0.05)
    LogStudentT(sigma_scale=0.05)
    """

    sigma_scale: float = 0.1
    target_support: ClassVar = Positive()
    noise_constraints: ClassVar = {"sigma": Positive(), "nu": Positive()}
    log_scale: ClassVar[bool] = True


class StudentT(_AbstractStudentT):
    """y ~ StudentT(nu, prediction, sigma) on the raw scale: targets of any sign, with outliers.

    sigma ~ HalfNormal(sigma_scale) in the target's units (default 1.0) and nu ~ Gamma(2, 0.1) when free.

    >>> import jaxscale as js
    >>> js.StudentT(nu=4.0).noise_parameters()
    {'sigma': Positive()}
    """

    target_support: ClassVar = Real()
    noise_constraints: ClassVar = {"sigma": Positive(), "nu": Positive()}
    log_scale: ClassVar[bool] = False
