import jax.numpy as jnp
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLaw


class DataConstrained(AbstractLaw):
    """Chinchilla's law on effective parameters and data when unique data is limited (Muennighoff et al. 2023,
    "Scaling Data-Constrained Language Models", Eqs. 5-7).

    L(N, D, U) = E + A / N'^alpha + B / D'^beta, with U the unique tokens available and
        U_D = min(D, U),  R_D = D / U_D - 1 (repetitions),  D' = U_D + U_D R_D* (1 - exp(-R_D / R_D*)),
        U_N = min(N, N_opt(U)),  R_N = max(N / U_N - 1, 0),  N' = U_N + U_N R_N* (1 - exp(-R_N / R_N*)),
    where N_opt(U) = G (G U)^(beta/alpha), G = (alpha A / (beta B))^(1/(alpha+beta)), is the size that the
    Chinchilla part of the law calls compute-optimal for U tokens (as the paper's released code computes it). Repeated tokens and excess parameters
    are worth less and less: R_D* and R_N* are their half-lives in repetitions. The paper fits
    R_D* = 15.4 and R_N* = 5.3 on top of Hoffmann et al.'s E, A, B, alpha, beta.

    >>> import jaxscale as js
    >>> law = js.laws.DataConstrained(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28, R_D_star=15.4, R_N_star=5.3)
    >>> fresh, repeated = law.predict({"N": [1e9, 1e9], "D": [4e10, 4e10], "U": [1e12, 1e10]})
    >>> bool(repeated > fresh)  # four epochs of 1e10 unique tokens are worth less than 4e10 fresh ones
    True
    """

    inputs = ("N", "D", "U")
    constraints = {
        "E": Positive(), "A": Positive(), "B": Positive(), "alpha": Positive(), "beta": Positive(),
        "R_D_star": Positive(), "R_N_star": Positive(),
    }
    E: Array
    A: Array
    B: Array
    alpha: Array
    beta: Array
    R_D_star: Array
    R_N_star: Array

    def __call__(self, x):
        n, d = self.effective(x)
        return self.E + self.A / n**self.alpha + self.B / d**self.beta

    def effective(self, x):
        """(N', D'): the effective parameters and tokens."""
        unique_d = jnp.minimum(x["D"], x["U"])
        repeats_d = x["D"] / unique_d - 1
        d = unique_d + unique_d * self.R_D_star * (1 - jnp.exp(-repeats_d / self.R_D_star))
        g = (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))
        unique_n = jnp.minimum(x["N"], g * (g * x["U"]) ** (self.beta / self.alpha))
        repeats_n = jnp.maximum(x["N"] / unique_n - 1, 0.0)
        n = unique_n + unique_n * self.R_N_star * (1 - jnp.exp(-repeats_n / self.R_N_star))
        return n, d

    def start_ranges(self, target, inputs):
        return {"E": (0.1 * target.min(), target.min()), "A": (1.0, 1e5), "B": (1.0, 1e5), "alpha": (0.1, 0.8),
                "beta": (0.1, 0.8), "R_D_star": (1.0, 50.0), "R_N_star": (1.0, 50.0)}
