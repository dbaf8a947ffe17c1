"""The observation model: how a measured target scatters around a law's prediction, for `fit` and `infer`."""

import abc
from collections.abc import Mapping
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constraints import AbstractConstraint
from .._dataset import Dataset
from .._law import AbstractLaw
from ..losses import AbstractLoss


class AbstractLikelihood(AbstractLoss):
    """The distribution of a measured target y around a law's prediction: a fit loss and a NumPyro model.

    As `fit(..., loss=likelihood)` it is its negative log-likelihood, summed over rows times their weights and
    minimised over the law's parameters and the likelihood's free noise parameters together (`DampedNewton`
    by default: a negative log-likelihood has no residuals for `GaussNewton`). As `infer(..., likelihood=...)`
    each row adds `weight * log_prob` to the potential, and the free noise parameters are sampled from
    `noise_priors()`.

    The noise parameters are the fields named in `noise_constraints`: one left at None is free (fitted, or
    sampled), one given a value is held there (`js.StudentT(nu=4.0)`). The location (what the noise is around,
    from the law) and the noise are kept apart, so that one object serves both verbs.

    Subclass it for a new observation model: declare `target_support` (checked, with `read_target`, before
    anything compiles), `noise_constraints`, and implement `location`, `log_prob`, `sample`, `to_target`,
    `noise_priors` and (with noise parameters) `noise_starts`; `pearson` and `deviance` residuals are optional.

    >>> import jaxscale as js
    >>> sorted(js.LogStudentT().noise_parameters())
    ['nu', 'sigma']
    >>> sorted(js.LogStudentT(nu=4.0).noise_parameters())
    ['sigma']
    """

    target_support: eqx.AbstractClassVar[AbstractConstraint]
    # Noise field name -> its constraint; a field left at None is a free parameter.
    noise_constraints: ClassVar[Mapping[str, AbstractConstraint]] = {}

    @abc.abstractmethod
    def location(self, law: AbstractLaw, x: Mapping[str, Array]) -> Array:
        """What the noise is around, one value per row of `x`, from the law's prediction."""

    @abc.abstractmethod
    def log_prob(self, location: Array, y: Array, noise: Mapping[str, Array], extra: Mapping[str, Array]) -> Array:
        """The per-row log-likelihood of the targets `y` (with the `extra` columns, such as trials)."""

    @abc.abstractmethod
    def sample(self, key: Array, location: Array, noise: Mapping[str, Array], extra: Mapping[str, Array]) -> Array:
        """New targets drawn around `location` (its shape; noise values and extra columns broadcast against it)."""

    @abc.abstractmethod
    def to_target(self, location: Array, extra: Mapping[str, Array]) -> Array:
        """The prediction without noise, in the target's units."""

    @abc.abstractmethod
    def noise_priors(self) -> dict:
        """Free noise parameter name -> NumPyro distribution; `infer` samples them after the law's parameters."""

    def noise_starts(self, target: np.ndarray, extra: Mapping[str, np.ndarray], weights: np.ndarray) -> dict[str, float]:
        """Where `fit` starts the free noise parameters, from the data alone (every start shares them)."""
        if self.noise_parameters():
            raise NotImplementedError(f"{type(self).__name__} has free noise parameters but defines no noise_starts.")
        return {}

    def read_extra(self, frame) -> dict[str, np.ndarray]:
        """The further columns the likelihood reads at new rows (for predictions): none by default."""
        return {}

    def initial_noise(self, location: Array, y: Array, weights: Array, extra: Mapping[str, Array]) -> dict:
        """Starting values of the noise sites from a point fit's `location`, when `point_loss()` is not the
        likelihood itself (which fits them)."""
        return {}

    def pearson(self, location, y, noise, extra) -> Array:
        """(y - mean) / sd per row."""
        raise NotImplementedError(f"{type(self).__name__} defines no Pearson residuals.")

    def deviance(self, location, y, noise, extra) -> Array:
        """sign(y - mean) * sqrt(2 * (log-likelihood of the saturated model - log-likelihood)) per row."""
        raise NotImplementedError(f"{type(self).__name__} defines no deviance residuals: use kind='pearson'.")

    # The rest is shared by every likelihood.

    def noise(self) -> dict[str, Array]:
        """The noise parameters' values (all of them set: a fitted or held likelihood)."""
        unset = [name for name in self.noise_constraints if getattr(self, name) is None]
        if unset:
            raise ValueError(f"{type(self).__name__}'s noise parameters {unset} are not set: fit them, or give their values.")
        return {name: getattr(self, name) for name in self.noise_constraints}

    def held_noise(self) -> dict[str, Array]:
        """The noise parameters given a value (not fitted or sampled)."""
        return {name: jnp.asarray(getattr(self, name)) for name in self.noise_constraints if getattr(self, name) is not None}

    def noise_parameters(self) -> dict[str, AbstractConstraint]:
        return {name: c for name, c in self.noise_constraints.items() if getattr(self, name) is None}

    def with_noise(self, values) -> "AbstractLikelihood":
        names = list(values)
        return eqx.tree_at(lambda m: [getattr(m, n) for n in names], self, [values[n] for n in names], is_leaf=lambda x: x is None)

    def __call__(self, law: AbstractLaw, data: Dataset) -> Array:
        location = self.location(law, data.inputs)
        return -jnp.sum(data.weights * self.log_prob(location, data.target, self.noise(), data.extra))

    def residuals(self, law: AbstractLaw, data: Dataset, kind: str = "pearson") -> Array:
        """Per-row diagnostic residuals of a fitted likelihood: "pearson" or "deviance"."""
        if kind not in ("pearson", "deviance"):
            raise ValueError(f"kind must be 'pearson' or 'deviance', got {kind!r}.")
        location = self.location(law, data.inputs)
        method = self.pearson if kind == "pearson" else self.deviance
        return method(location, data.target, self.noise(), data.extra)


def check_positive(name: str, value) -> None:
    """A likelihood's scale setting (a prior's scale, a held noise value) must be a positive number."""
    if value is None:
        return
    try:
        ok = float(value) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a number > 0, got {value!r}.")
