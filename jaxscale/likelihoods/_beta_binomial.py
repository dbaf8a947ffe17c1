"""Over-dispersed successes out of trials: each row's success probability varies around the law's."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import betaln, xlog1py, xlogy

from .._constraints import Positive
from ._abstract import check_positive
from ._counts import AbstractCountLikelihood

_BINOMIAL_LIMIT = 1e8


class BetaBinomial(AbstractCountLikelihood):
    """k ~ BetaBinomial(n, a, b) with a = p * concentration, b = (1 - p) * concentration, p the law's prediction:
    each row's success probability is itself drawn from Beta(a, b), so counts scatter more than a Binomial's.

    The model of per-problem pass@k (Schaeffer et al. 2025, "How Do Large Language Monkeys Get Their Power
    (Laws)?"): problem i is solved with probability p_i ~ Beta(a, b), and the expected pass@k over problems
    is 1 - B(a, b + k) / B(a, b) (`pass_at_k`). The mean success probability is p = a / (a + b) and the
    concentration a + b; a constant law (one `p`) fitted to per-problem counts recovers a and b.

    Args:
        trials: the trials column (or one whole number), as for `Binomial`.
        concentration: a + b, held at this value; None (default) fits it (prior for `infer`:
            LogNormal(log 10, 2), median 10).
        fractions: the target holds fractions of successes, as for `Binomial`.

    >>> import jaxscale as js
    >>> round(float(js.BetaBinomial.pass_at_k(1, a=0.5, b=1.5)), 12)  # pass@1 is the mean success probability
    0.25
    """

    trials: str | int = eqx.field(static=True)
    concentration: float | None = None
    fractions: bool = eqx.field(static=True, default=False)
    noise_constraints: ClassVar = {"concentration": Positive()}

    def __check_init__(self):
        check_positive("concentration", self.concentration)

    def _shapes(self, location, noise):
        return location * noise["concentration"], (1 - location) * noise["concentration"]

    def log_prob(self, location, y, noise, extra):
        n, k = extra["trials"], self.successes(y, extra)
        constant = self.log_choose(y, extra)
        # Past a concentration of 1e8 the two log-Beta terms cancel to rounding noise (each is ~ a log a), which a
        # fit would exploit; there the counts are Binomial to within ~n^2 / concentration, so use that limit.
        huge = noise["concentration"] > _BINOMIAL_LIMIT
        a, b = self._shapes(location, {"concentration": jnp.minimum(noise["concentration"], _BINOMIAL_LIMIT)})
        beta_binomial = betaln(k + a, n - k + b) - betaln(a, b)
        binomial = xlogy(k, location) + xlog1py(n - k, -location)
        return constant + jnp.where(huge, binomial, beta_binomial)

    def sample(self, key, location, noise, extra):
        a, b = self._shapes(location, noise)
        key_p, key_k = jax.random.split(key)
        return self.draw(key_k, jax.random.beta(key_p, a, b, jnp.shape(location)), extra)

    def noise_priors(self):
        import numpyro.distributions as dist

        return {"concentration": dist.LogNormal(jnp.log(10.0), 2.0)} if self.concentration is None else {}

    def noise_starts(self, target, extra, weights):
        if self.concentration is not None:
            return {}
        # Method of moments on the rows' success fractions, as if they shared one p.
        n = extra["trials"]
        f = target if self.fractions else target / n
        w = weights / np.sum(weights)
        p = float(np.clip(np.sum(w * f), 1e-3, 1 - 1e-3))
        spread = float(np.sum(w * (f - p) ** 2))
        binomial_part = p * (1 - p) * float(np.sum(w / n))
        rho = np.clip((spread - binomial_part) / max(p * (1 - p) - binomial_part, 1e-12), 1e-3, 0.999)
        return {"concentration": float(1 / rho - 1)}

    def pearson(self, location, y, noise, extra):
        n, k = extra["trials"], self.successes(y, extra)
        c = noise["concentration"]
        variance = n * location * (1 - location) * (1 + (n - 1) / (c + 1))
        return (k - n * location) / jnp.sqrt(variance)

    @staticmethod
    def pass_at_k(k, a, b):
        """The expected pass@k, 1 - B(a, b + k) / B(a, b), of problems whose success probabilities are Beta(a, b)."""
        k, a, b = jnp.asarray(k, float), jnp.asarray(a, float), jnp.asarray(b, float)
        return -jnp.expm1(betaln(a, b + k) - betaln(a, b))
