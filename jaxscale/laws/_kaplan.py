import jax.numpy as jnp
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLogLaw


class Kaplan(AbstractLogLaw):
    """L(N, D) = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D (Kaplan et al. 2020, Eq. 1.5).

    "Scaling Laws for Neural Language Models" fit alpha_N = 0.076, alpha_D = 0.103, N_c = 6.4e13 and
    D_c = 1.8e13 (their Table 2) for N non-embedding parameters and D tokens. Computed in log space as
    alpha_D * logaddexp((alpha_N / alpha_D) (log N_c - log N), log D_c - log D).

    >>> import jaxscale as js
    >>> law = js.Kaplan(N_c=6.4e13, D_c=1.8e13, alpha_N=0.076, alpha_D=0.103)
    >>> round(float(law.predict({"N": [1.5e9], "D": [2.3e10]})[0]), 3)
    2.31
    """

    inputs = ("N", "D")
    constraints = {"N_c": Positive(), "D_c": Positive(), "alpha_N": Positive(), "alpha_D": Positive()}
    N_c: Array
    D_c: Array
    alpha_N: Array
    alpha_D: Array


    def log_predict(self, x):
        n_term = (self.alpha_N / self.alpha_D) * (jnp.log(self.N_c) - jnp.log(x["N"]))
        d_term = jnp.log(self.D_c) - jnp.log(x["D"])
        return self.alpha_D * jnp.logaddexp(n_term, d_term)

    def start_ranges(self, target, inputs):
        return {"N_c": (1e6, 1e18), "D_c": (1e6, 1e18), "alpha_N": (0.01, 1.0), "alpha_D": (0.01, 1.0)}
