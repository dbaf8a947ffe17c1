import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLogLaw
from .._starts import sobol
from ._mixture import AbstractMixtureLaw


class MixtureAdditive(AbstractMixtureLaw, AbstractLogLaw):
    """L(N, D, h) = E + 1 / (sum_j C_j h_j^gamma_j) + A / N^alpha + B / D^beta (Shukor et al. 2025, "Scaling
    Laws for Optimal Data Mixtures", the additive law): the mixture's effect does not interact with scale, so
    the best mixture is the same at every N and D.

    At a single (N, D), as in a sweep of small proxy models, only E + A / N^alpha + B / D^beta is determined
    (one constant); the mixture term C_j, gamma_j is still fitted. Computed in log space; h_j^gamma_j is 0 at
    h_j = 0.

    >>> import jaxscale as js
    >>> Law = js.laws.MixtureAdditive.over(["web", "code"])
    >>> law = Law(E=1.5, A=400.0, B=2000.0, alpha=0.34, beta=0.28, C=jnp.array([1.0, 2.0]), gamma=jnp.array([0.5, 0.5]))
    >>> round(float(law.predict({"N": [1e9], "D": [2e10], "web": [0.5], "code": [0.5]})[0]), 4)
    4.9304
    """

    scale_inputs = ("N", "D")
    constraints = {"E": Positive(), "A": Positive(), "B": Positive(), "alpha": Positive(), "beta": Positive(),
                   "C": Positive(), "gamma": Positive()}
    E: Array
    A: Array
    B: Array
    alpha: Array
    beta: Array
    C: Array
    gamma: Array

    @classmethod
    def template(cls):
        K = cls._require_domains()
        one = jnp.ones(())
        return cls(E=one, A=one, B=one, alpha=one, beta=one, C=jnp.ones(K), gamma=jnp.ones(K))


    def log_predict(self, x):
        terms = [
            jnp.log(self.E),
            -log_power_sum(self.weights(x), self.C, self.gamma),
            jnp.log(self.A) - self.alpha * jnp.log(x["N"]),
            jnp.log(self.B) - self.beta * jnp.log(x["D"]),
        ]
        return logsumexp(jnp.stack(jnp.broadcast_arrays(*terms)), axis=0)

    def start_ranges(self, target, inputs):
        y_min = float(np.min(target))
        # A, B and C here are the sizes of their terms at the data's median N, D and uniform weights (relative
        # weights, for C); `default_starts` turns them into parameters, so no start has a term too small to
        # matter, where the gradient vanishes and a restart stalls.
        return {"E": (0.2 * y_min, 0.9 * y_min), "A": (0.02 * y_min, y_min), "B": (0.02 * y_min, y_min),
                "alpha": (0.05, 0.8), "beta": (0.05, 0.8), "C": (0.1, 10.0), "gamma": (0.1, 1.5)}

    def default_starts(self, target, inputs):
        sizes = sobol(self, self.default_n_starts, self.start_ranges(target, inputs))
        n_mid, d_mid = (float(np.exp(np.median(np.log(inputs[k])))) for k in ("N", "D"))
        K = len(self.domains)
        mixture_size = np.exp(np.random.default_rng(0).uniform(np.log(0.02), 0.0, sizes.E.shape)) * float(np.min(target))
        # sum_j C_j K^-gamma_j = 1 / mixture_size: the mixture term has that size at uniform weights.
        C = sizes.C * K ** sizes.gamma / (mixture_size[:, None] * jnp.sum(sizes.C, axis=-1, keepdims=True))
        return type(self)(E=sizes.E, A=sizes.A * n_mid ** sizes.alpha, B=sizes.B * d_mid ** sizes.beta, alpha=sizes.alpha,
                          beta=sizes.beta, C=C, gamma=sizes.gamma)


def log_power_sum(h, C, gamma):
    """log sum_j C_j h_j^gamma_j over the last axis of the weights h, with 0^gamma = 0."""
    positive = h > 0
    log_h = jnp.log(jnp.where(positive, h, 1.0))
    return logsumexp(jnp.where(positive, jnp.log(C) + gamma * log_h, -jnp.inf), axis=-1)
