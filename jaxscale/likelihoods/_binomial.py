"""Successes out of trials: `Binomial` (and `Bernoulli`, one trial per row) around a predicted probability."""


import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import xlog1py, xlogy

from .._dataset import numeric_column
from ._counts import AbstractCountLikelihood, count_extra


class Binomial(AbstractCountLikelihood):
    """k ~ Binomial(n, p): k successes in n trials, p the law's prediction (a probability in (0, 1)).

    For accuracies on a benchmark of n items, or pass rates of n attempts: the noise is what n trials imply,
    so there is no noise parameter, and rows with more trials weigh more, as they should.

    Args:
        trials: the column holding each row's number of trials, or one whole number for every row.
        fractions: the target column holds fractions of successes (accuracies in [0, 1]) rather than counts;
            each row then counts fraction * trials successes, which need not be a whole number (a
            quasi-binomial likelihood, the same as for counts when it is).

    The target is checked before compiling: counts must be whole numbers in [0, trials] (fractions in
    [0, 1]); trials whole numbers >= 1. `to_target` and `sample` are in the target's units (counts, or
    fractions with `fractions=True`).

    >>> import jaxscale as js
    >>> js.Binomial(trials="n_items", fractions=True)
    Binomial(trials='n_items', fractions=True)
    """

    trials: str | int = eqx.field(static=True)
    fractions: bool = eqx.field(static=True, default=False)

    def log_prob(self, location, y, noise, extra):
        n, k = extra["trials"], self.successes(y, extra)
        return self.log_choose(y, extra) + xlogy(k, location) + xlog1py(n - k, -location)

    def sample(self, key, location, noise, extra):
        return self.draw(key, location, extra)

    def noise_priors(self):
        return {}

    def pearson(self, location, y, noise, extra):
        n, k = extra["trials"], self.successes(y, extra)
        return (k - n * location) / jnp.sqrt(n * location * (1 - location))

    def deviance(self, location, y, noise, extra):
        n, k = extra["trials"], self.successes(y, extra)
        saturated = xlogy(k, k / n) + xlogy(n - k, (n - k) / n)
        fitted = xlogy(k, location) + xlog1py(n - k, -location)
        return jnp.sign(k - n * location) * jnp.sqrt(jnp.maximum(2 * (saturated - fitted), 0.0))


class Bernoulli(Binomial):
    """y ~ Bernoulli(p): one trial per row, the target 0 or 1 (a solved / failed problem, a correct answer).

    >>> import jaxscale as js
    >>> js.Bernoulli()
    Bernoulli()
    """

    trials: int = eqx.field(static=True, default=1)
    fractions: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        if self.trials != 1 or self.fractions:
            raise ValueError("Bernoulli is one trial per row: for more, use js.Binomial(trials=...).")

    def read_target(self, frame, target):
        y = numeric_column(frame, target, role="target")
        bad = np.flatnonzero((y != 0) & (y != 1))
        if len(bad):
            raise ValueError(
                f"column '{target}' has {len(bad)} rows that are neither 0 nor 1 (rows {', '.join(map(str, bad[:5]))}"
                f"{', ...' if len(bad) > 5 else ''}): Bernoulli reads one outcome per row; for counts use js.Binomial(trials=...)."
            )
        return y, count_extra(y, np.ones(len(y)), False)
