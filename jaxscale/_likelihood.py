"""Observation models for `infer`: how a measured target scatters around a law's prediction.

`infer` builds its NumPyro model from a law, its priors and one of these; a posterior's `predict` draws new
measurements from it. `LIKELIHOODS` maps the names `infer(likelihood=...)` accepts to instances.
"""

import abc
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike

from ._constraints import AbstractConstraint, Positive
from ._law import AbstractLaw
from .losses import AbstractLoss, LogSquared


class AbstractLikelihood(eqx.Module):
    """The observation model of a law: the distribution of a measured target y around the law's prediction.

    `infer` evaluates `location(law, x)` for each row (what the noise is around), samples the noise sites
    from `noise_priors()` and adds each row's `log_prob(location, y, noise)`, times its weight, to the
    potential. It checks y against `target_support` before anything compiles, starts the chains at a point
    fit with `point_loss`, and starts the noise sites at `initial_noise` of that fit's residuals. A
    posterior's `predict` gives `to_target(location)` (the law's prediction) or, with noise, `sample`.

    Subclass it (every member below) for a new observation model and pass an instance to `infer`. The
    location and the noise are kept apart so that a law's negative log-likelihood, for `fit`, is their
    composition.

    >>> import jaxscale as js
    >>> sorted(js.LogStudentT().noise_priors())
    ['nu', 'sigma']
    """

    target_support: eqx.AbstractClassVar[AbstractConstraint]
    # The fit loss whose optimum starts the chains.
    point_loss: eqx.AbstractClassVar[AbstractLoss]

    @abc.abstractmethod
    def noise_priors(self) -> dict:
        """Noise site name -> NumPyro distribution; `infer` samples them after the law's parameters."""

    @abc.abstractmethod
    def location(self, law: AbstractLaw, x: Mapping[str, Array]) -> Array:
        """What the noise is around, one value per row of `x`, from the law's prediction."""

    @abc.abstractmethod
    def log_prob(self, location: Array, y: Array, noise: Mapping[str, Array]) -> Array:
        """The per-row log-likelihood of the raw targets `y`, up to terms constant in the parameters."""

    @abc.abstractmethod
    def sample(self, key: Array, location: Array, noise: Mapping[str, Array]) -> Array:
        """New targets drawn around `location` (shape of `location`; the noise values broadcast against it)."""

    @abc.abstractmethod
    def to_target(self, location: Array) -> Array:
        """The prediction without noise, in the target's units."""

    @abc.abstractmethod
    def initial_noise(self, location: Array, y: Array, weights: Array) -> dict:
        """Starting values of the noise sites, from a point fit's `location` at the targets `y`."""


class AbstractLogLikelihood(AbstractLikelihood):
    """Noise on the log target: positive targets, location `law.log_predict(x)`, prediction exp(location).

    `log_prob` is the density of log y, so the -log y Jacobian (constant in the parameters) is left out; it
    matters only when comparing with a likelihood on another scale.
    """

    target_support = Positive()
    point_loss = LogSquared()

    def location(self, law, x):
        return law.log_predict(x)

    def to_target(self, location):
        return jnp.exp(location)


def log_residual_sd(location: ArrayLike, y: ArrayLike, weights: ArrayLike) -> Array:
    """sqrt(sum w r^2 / sum w) of the log residuals r = location - log y (the noise sd a point fit implies),
    floored at 1e-6 so that a perfect fit still starts a positive scale."""
    r = jnp.asarray(location) - jnp.log(jnp.asarray(y))
    w = jnp.asarray(weights)
    return jnp.maximum(jnp.sqrt(jnp.sum(w * r**2) / jnp.sum(w)), 1e-6)


def _check_scale(name: str, value) -> None:
    if not float(value) > 0:
        raise ValueError(f"{name} must be > 0 (the HalfNormal scale of the noise sd), got {value!r}.")


class LogNormal(AbstractLogLikelihood):
    """log y ~ Normal(log prediction, sigma), sigma ~ HalfNormal(sigma_scale): `infer(likelihood="normal")`.

    >>> import jaxscale as js
    >>> js.LogNormal()
    LogNormal()
    """

    sigma_scale: float = 0.1

    def __check_init__(self):
        _check_scale("sigma_scale", self.sigma_scale)

    def noise_priors(self):
        import numpyro.distributions as dist

        return {"sigma": dist.HalfNormal(self.sigma_scale)}

    def log_prob(self, location, y, noise):
        import numpyro.distributions as dist

        return dist.Normal(location, noise["sigma"]).log_prob(jnp.log(y))

    def sample(self, key, location, noise):
        return jnp.exp(location + noise["sigma"] * jax.random.normal(key, jnp.shape(location)))

    def initial_noise(self, location, y, weights):
        return {"sigma": log_residual_sd(location, y, weights)}


class LogStudentT(AbstractLogLikelihood):
    """log y ~ StudentT(nu, log prediction, sigma), sigma ~ HalfNormal(sigma_scale), nu ~ Gamma(2, 0.1):
    `infer(likelihood="student_t")`, robust to outliers (the Bayesian counterpart of the Huber fit).

    >>> import jaxscale as js
    >>> js.LogStudentT(sigma_scale=0.05)
    LogStudentT(sigma_scale=0.05)
    """

    sigma_scale: float = 0.1

    def __check_init__(self):
        _check_scale("sigma_scale", self.sigma_scale)

    def noise_priors(self):
        import numpyro.distributions as dist

        # Gamma(2, 0.1) on the degrees of freedom (Juarez & Steel 2010): mean 20, most mass on 2-50.
        return {"sigma": dist.HalfNormal(self.sigma_scale), "nu": dist.Gamma(2.0, 0.1)}

    def log_prob(self, location, y, noise):
        import numpyro.distributions as dist

        return dist.StudentT(noise["nu"], location, noise["sigma"]).log_prob(jnp.log(y))

    def sample(self, key, location, noise):
        eps = jax.random.t(key, noise["nu"], jnp.shape(location))
        return jnp.exp(location + noise["sigma"] * eps)

    def initial_noise(self, location, y, weights):
        # nu starts at moderately heavy tails; the least-squares residuals say nothing about it.
        return {"sigma": log_residual_sd(location, y, weights), "nu": jnp.asarray(10.0)}


LIKELIHOODS: dict[str, AbstractLikelihood] = {"normal": LogNormal(), "student_t": LogStudentT()}


def resolve_likelihood(likelihood) -> AbstractLikelihood:
    """`infer`'s `likelihood` argument as an observation model: a name of `LIKELIHOODS` or an instance.

    >>> resolve_likelihood("student_t")
    LogStudentT()
    """
    if isinstance(likelihood, AbstractLikelihood):
        return likelihood
    if isinstance(likelihood, type) and issubclass(likelihood, AbstractLikelihood):
        raise TypeError(f"likelihood must be an instance: pass {likelihood.__name__}(), not the class.")
    if isinstance(likelihood, str):
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {list(LIKELIHOODS)} or an AbstractLikelihood such as js.LogStudentT(), "
                f"got {likelihood!r}."
            )
        return LIKELIHOODS[likelihood]
    raise TypeError(
        f"likelihood must be one of {list(LIKELIHOODS)} or an AbstractLikelihood such as js.LogStudentT(), "
        f"got a {type(likelihood).__name__}."
    )
