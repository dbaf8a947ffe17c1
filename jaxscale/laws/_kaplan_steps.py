import jax
import jax.numpy as jnp
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLaw

_FIXED_POINT_STEPS = 30


class KaplanSteps(AbstractLaw):
    """L(N, S, B) = (N_c / N)^alpha_N + (S_c / S_min)^alpha_S with S_min = S / (1 + B_crit(L) / B) and
    B_crit(L) = B_star / L^(1 / alpha_B) (Kaplan et al. 2020, "Scaling Laws for Neural Language Models",
    Eqs. 1.6, 5.4 and 5.6): the loss after S steps at batch size B (tokens), S_min the steps the same loss
    would need at a batch far above the critical one.

    The critical batch depends on the loss itself, so the loss solves L = f(L); it is found by 30 fixed-point
    iterations from the large-batch loss (a contraction for the published exponents). Kaplan et al. fit
    alpha_N = 0.077, alpha_S = 0.76, N_c = 6.5e13, S_c = 2.1e3 and (Eq. 5.3) B_star = 2e8 tokens,
    alpha_B = 0.21.

    >>> import jaxscale as js
    >>> law = js.laws.KaplanSteps.published()
    >>> big, small = law.predict({"N": [1e8, 1e8], "S": [1e5, 1e5], "B": [1e9, 1e5]})
    >>> bool(small > big)
    True
    """

    inputs = ("N", "S", "B")
    constraints = {
        "N_c": Positive(), "S_c": Positive(), "alpha_N": Positive(), "alpha_S": Positive(), "B_star": Positive(), "alpha_B": Positive(),
    }
    N_c: Array
    S_c: Array
    alpha_N: Array
    alpha_S: Array
    B_star: Array
    alpha_B: Array

    @classmethod
    def published(cls) -> "KaplanSteps":
        """Kaplan et al.'s fitted values (their Table 3 and Eq. 5.3)."""
        return cls(N_c=jnp.asarray(6.5e13), S_c=jnp.asarray(2.1e3), alpha_N=jnp.asarray(0.077), alpha_S=jnp.asarray(0.76),
                   B_star=jnp.asarray(2e8), alpha_B=jnp.asarray(0.21))

    def __call__(self, x):
        n_term = jnp.exp(self.alpha_N * (jnp.log(self.N_c) - jnp.log(x["N"])))
        log_s, log_b = jnp.log(x["S"]), jnp.log(x["B"])

        def loss_given(loss):
            log_b_crit = jnp.log(self.B_star) - jnp.log(loss) / self.alpha_B
            log_s_min = log_s - jnp.logaddexp(0.0, log_b_crit - log_b)
            return n_term + jnp.exp(self.alpha_S * (jnp.log(self.S_c) - log_s_min))

        large_batch = n_term + jnp.exp(self.alpha_S * (jnp.log(self.S_c) - log_s))
        return jax.lax.fori_loop(0, _FIXED_POINT_STEPS, lambda _, loss: loss_given(loss), large_batch)

    def start_ranges(self, target, inputs):
        return {"N_c": (1e10, 1e16), "S_c": (1e2, 1e5), "alpha_N": (0.03, 0.3), "alpha_S": (0.3, 1.5), "B_star": (1e6, 1e10), "alpha_B": (0.1, 0.5)}
