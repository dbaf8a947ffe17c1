import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constraints import Positive, Real
from .._law import AbstractLogLaw
from ._mixture import AbstractMixtureLaw


class ExpMixing(AbstractMixtureLaw, AbstractLogLaw):
    """L(h) = c + exp(sum_j t_j h_j): one target domain's loss as a function of the mixture weights h
    (Ye et al. 2024, "Data Mixing Laws: Optimizing Data Mixtures by Predicting Language Modeling Performance",
    Eq. 1 for one target; fit one law per target domain).

    Ye et al. write c + k exp(sum_j t_j h_j). Because the weights sum to 1, k is redundant: k exp(h . t) =
    exp(h . (t + log k)). So this law absorbs k into the t_j and every parameter is determined by data; the
    paper's (k, t) is (1, t) here, or any (k, t - log k). Computed as logaddexp(log c, h . t).

    >>> import jaxscale as js
    >>> Law = js.laws.ExpMixing.over(["web", "code"])
    >>> law = Law(c=2.0, t=jnp.array([0.0, -1.0]))
    >>> round(float(law.predict({"web": [1.0, 0.0], "code": [0.0, 1.0]})[1]), 4)
    2.3679
    """

    constraints = {"c": Positive(), "t": Real()}
    c: Array
    t: Array

    @classmethod
    def template(cls):
        K = cls._require_domains()
        return cls(c=jnp.ones(()), t=jnp.zeros(K))


    def log_predict(self, x):
        return jnp.logaddexp(jnp.log(self.c), self.weights(x) @ self.t)

    def start_ranges(self, target, inputs):
        y = target
        log_spread = float(np.log(y.max() - y.min() + 1e-12))
        return {"c": (0.5 * y.min(), y.min()), "t": (log_spread - 3.0, log_spread + 2.0)}
