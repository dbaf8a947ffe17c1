import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLogLaw
from ._mixture import AbstractMixtureLaw
from ._mixture_additive import log_power_sum


class MixtureJoint(AbstractMixtureLaw, AbstractLogLaw):
    """L(N, D, h) = E + 1 / (sum_j C_j h_j^gamma_j) + (sum_j CA_j h_j)^gammaA / N^alpha
    + (sum_j CB_j h_j)^gammaB / D^beta: the joint law of Shukor et al. 2025 ("Scaling Laws for Optimal Data
    Mixtures"), in which the mixture also sets the size of the model-size and data terms, so the best mixture
    changes with scale.

    Provenance of the form: a public reimplementation. Its parameter count, 4k + 5 for k domains, matches the
    paper's (13 for two domains, against 2k + 5 = 9 for the additive law), but the formula itself could not be
    checked against the paper's text. Computed in log space.

    >>> import jaxscale as js
    >>> Law = js.laws.MixtureJoint.over(["web", "code"])
    >>> law = Law(E=1.5, alpha=0.34, beta=0.28, C=jnp.array([1.0, 2.0]), gamma=jnp.array([0.5, 0.5]),
    ...           CA=jnp.array([400.0, 300.0]), gammaA=1.0, CB=jnp.array([2000.0, 1500.0]), gammaB=1.0)
    >>> round(float(law.predict({"N": [1e9], "D": [2e10], "web": [1.0], "code": [0.0]})[0]), 4)
    5.459
    """

    scale_inputs = ("N", "D")
    constraints = {"E": Positive(), "alpha": Positive(), "beta": Positive(), "C": Positive(), "gamma": Positive(),
                   "CA": Positive(), "gammaA": Positive(), "CB": Positive(), "gammaB": Positive()}
    E: Array
    alpha: Array
    beta: Array
    C: Array
    gamma: Array
    CA: Array
    gammaA: Array
    CB: Array
    gammaB: Array

    @classmethod
    def template(cls):
        K = cls._require_domains()
        one = jnp.ones(())
        return cls(E=one, alpha=one, beta=one, C=jnp.ones(K), gamma=jnp.ones(K), CA=jnp.ones(K), gammaA=one, CB=jnp.ones(K), gammaB=one)


    def log_predict(self, x):
        h = self.weights(x)
        terms = [
            jnp.log(self.E),
            -log_power_sum(h, self.C, self.gamma),
            self.gammaA * jnp.log(h @ self.CA) - self.alpha * jnp.log(x["N"]),
            self.gammaB * jnp.log(h @ self.CB) - self.beta * jnp.log(x["D"]),
        ]
        return logsumexp(jnp.stack(jnp.broadcast_arrays(*terms)), axis=0)

    def start_ranges(self, target, inputs):
        y_min = float(np.min(target))
        return {"E": (0.2 * y_min, 0.9 * y_min), "alpha": (0.05, 0.8), "beta": (0.05, 0.8), "C": (0.1, 10.0), "gamma": (0.1, 1.5),
                "CA": (1.0, 1e4), "gammaA": (0.5, 1.5), "CB": (1.0, 1e5), "gammaB": (0.5, 1.5)}
