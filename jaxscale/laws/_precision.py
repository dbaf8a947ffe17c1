import math

import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from jaxtyping import Array

from .._constraints import Positive, Real
from .._law import AbstractLogLaw


class Precision(AbstractLogLaw):
    """Loss under low-precision training and post-training quantization (Kumar et al. 2024, "Scaling Laws for
    Precision", ICLR 2025, Eqs. 2-4 and Appendix K):

        N_eff = N f_w f_a f_kv,   f_x = 1 - exp(-P_x / gamma_x + n_x)
        L = A N_eff^(-alpha) + B D^(-beta) + E + delta_PTQ
        delta_PTQ = C_T exp(-P_post / gamma_post) D^gamma_D / N_eff^gamma_N

    P_w, P_a, P_kv are the training bits of weights, activations and the KV cache (map one column to all three
    for a single training precision: `inputs={"P_w": "P", "P_a": "P", "P_kv": "P"}`); P_post is the bit width
    the weights are quantized to after training (for none, pass a large value such as 64: the term then
    vanishes; 16 leaves a negligible 1e-12 of it). The offsets n_x are the paper's Table 2 "hidden offsets" (its main-text formulas
    drop them); with them, its published constants give the paper's compute-optimal 7 bits. Its offset b of
    the post-training term only rescales C_T (C_T e^b), so it is folded into C_T here. Degradation grows
    with D / N: more data makes a model harder to quantize. The paper's extra "robustification" factor for
    quantized training (constants C_w, C_a, C_kv, unpublished) is not included. Computed in log space.

    Published constants (Kumar et al. Table 2; alpha = beta tied): `Precision.kumar_2024()`.

    >>> import jaxscale as js
    >>> law = js.laws.Precision.kumar_2024()
    >>> x = {"N": [1e9], "D": [2e10], "P_w": [16.0], "P_a": [16.0], "P_kv": [16.0], "P_post": [16.0]}
    >>> round(float(law.predict(x)[0]), 3)
    3.05
    """

    inputs = ("N", "D", "P_w", "P_a", "P_kv", "P_post")
    positive_inputs = ("N", "D")
    bit_inputs = ("P_w", "P_a", "P_kv", "P_post")
    constraints = {
        "A": Positive(), "B": Positive(), "E": Positive(), "alpha": Positive(), "beta": Positive(),
        "gamma_w": Positive(), "n_w": Real(), "gamma_a": Positive(), "n_a": Real(), "gamma_kv": Positive(), "n_kv": Real(),
        "C_T": Positive(), "gamma_D": Positive(), "gamma_N": Positive(), "gamma_post": Positive(),
    }
    A: Array
    B: Array
    E: Array
    alpha: Array
    beta: Array
    gamma_w: Array
    n_w: Array
    gamma_a: Array
    n_a: Array
    gamma_kv: Array
    n_kv: Array
    C_T: Array
    gamma_D: Array
    gamma_N: Array
    gamma_post: Array

    @classmethod
    def kumar_2024(cls) -> "Precision":
        """The constants Kumar et al. fitted (Table 2, Appendix K) on OLMo-style models of 30-220M parameters
        trained on 1.5-26B Dolma tokens, integer quantization; C_T = 0.0598 e^1.1277 folds in the offset b. The
        authors caution that the trends, not the constants, are what carries over. Which offset belongs to which
        factor, and its sign, are read from the table and checked against the paper's 7-8 compute-optimal bits
        (Kumar et al. do not spell them out)."""
        return cls(
            A=4.299e3, B=1.806e4, E=2.7648, alpha=0.4965, beta=0.4965,
            gamma_w=2.6745, n_w=0.3037, gamma_a=2.2102, n_a=1.4072, gamma_kv=0.9578, n_kv=2.4185,
            C_T=0.0598 * math.exp(1.1277), gamma_D=0.5068, gamma_N=0.3439, gamma_post=0.5907,
        )

    @classmethod
    def check_inputs(cls, columns) -> None:
        bad = [name for name in cls.bit_inputs if np.any(np.asarray(columns[name]) <= 0)]
        if bad:
            raise ValueError(f"bit widths must be > 0; input(s) {bad} have values <= 0 (use e.g. 16 for BF16).")

    def log_effective_parameters(self, x):
        """log N_eff: log N plus the log of each training-precision factor (-inf where a factor is <= 0: so few
        bits that, by the fit, training diverges)."""
        total = jnp.log(x["N"])
        for p, gamma, n in ((x["P_w"], self.gamma_w, self.n_w), (x["P_a"], self.gamma_a, self.n_a), (x["P_kv"], self.gamma_kv, self.n_kv)):
            z = p / gamma - n
            safe = jnp.where(z > 0, z, 1.0)
            total = total + jnp.where(z > 0, jnp.log(-jnp.expm1(-safe)), -jnp.inf)
        return total


    def log_predict(self, x):
        log_n_eff = self.log_effective_parameters(x)
        log_d = jnp.log(x["D"])
        terms = [
            jnp.log(self.A) - self.alpha * log_n_eff,
            jnp.log(self.B) - self.beta * log_d,
            jnp.log(self.E),
            jnp.log(self.C_T) - x["P_post"] / self.gamma_post + self.gamma_D * log_d - self.gamma_N * log_n_eff,
        ]
        return logsumexp(jnp.stack(jnp.broadcast_arrays(*terms)), axis=0)

    def start_ranges(self, target, inputs):
        return {
            "A": (1e1, 1e5), "B": (1e1, 1e6), "E": (0.3 * target.min(), target.min()), "alpha": (0.1, 0.8), "beta": (0.1, 0.8),
            "gamma_w": (0.5, 5.0), "n_w": (-1.0, 3.0), "gamma_a": (0.5, 5.0), "n_a": (-1.0, 3.0), "gamma_kv": (0.5, 5.0), "n_kv": (-1.0, 3.0),
            "C_T": (1e-3, 3.0), "gamma_D": (0.1, 1.0), "gamma_N": (0.1, 1.0), "gamma_post": (0.2, 3.0),
        }
