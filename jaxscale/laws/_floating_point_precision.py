import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLogLaw


class FloatingPointPrecision(AbstractLogLaw):
    """Loss of a model trained in low-precision floating point (Sun et al. 2025, "Scaling Laws for Floating-Point
    Quantization Training", ICML 2025, Eq. 18):

        L = n / N^alpha + d / D^beta + epsilon + (D^beta / N^alpha) log2(B) / (gamma (E + 0.5)^delta (M + 0.5)^nu)

    with E exponent bits, M mantissa bits and B the block size of the scaling factor. The last term grows with
    D: at fixed N and format there is a critical token count past which more data hurts,
    D_crit = [d gamma N^alpha (E + 0.5)^delta (M + 0.5)^nu / log2 B]^(1 / (2 beta)); and for P = E + M + 1
    bits the best split is M = nu P / (delta + nu) - 0.5. Inputs `N`, `D`, `exponent_bits`, `mantissa_bits`,
    `block_size`. Published constants: `FloatingPointPrecision.sun_2025()`. Computed in log space.

    >>> import jaxscale as js
    >>> law = js.laws.FloatingPointPrecision.sun_2025()
    >>> x = {"N": [1e9], "D": [1e11], "exponent_bits": [4.0], "mantissa_bits": [3.0], "block_size": [128.0]}
    >>> round(float(law.predict(x)[0]), 3)
    2.563
    """

    inputs = ("N", "D", "exponent_bits", "mantissa_bits", "block_size")
    positive_inputs = ("N", "D", "block_size")
    constraints = {"n": Positive(), "alpha": Positive(), "d": Positive(), "beta": Positive(), "epsilon": Positive(),
                   "gamma": Positive(), "delta": Positive(), "nu": Positive()}
    n: Array
    alpha: Array
    d: Array
    beta: Array
    epsilon: Array
    gamma: Array
    delta: Array
    nu: Array

    @classmethod
    def sun_2025(cls) -> "FloatingPointPrecision":
        """Sun et al.'s fitted constants (their Table 2, Appendix B.1)."""
        return cls(n=69.2343, alpha=0.2368, d=68973.0621, beta=0.5162, epsilon=1.9061, gamma=11334.5197, delta=3.1926, nu=2.9543)

    @classmethod
    def check_inputs(cls, columns) -> None:
        bad = [name for name in ("exponent_bits", "mantissa_bits") if np.any(np.asarray(columns[name]) < 0)]
        if bad:
            raise ValueError(f"bit counts must be >= 0; input(s) {bad} have negative values.")
        if np.any(np.asarray(columns["block_size"]) < 1):
            raise ValueError("block_size must be >= 1 (elements sharing one scaling factor).")

    def critical_tokens(self, N, exponent_bits, mantissa_bits, block_size):
        """D_crit: the token count that minimises the loss at fixed N and format."""
        ratio = self.d * self.gamma * N**self.alpha * (exponent_bits + 0.5) ** self.delta * (mantissa_bits + 0.5) ** self.nu
        return (ratio / jnp.log2(block_size)) ** (1.0 / (2.0 * self.beta))


    def log_predict(self, x):
        log_n, log_d = jnp.log(x["N"]), jnp.log(x["D"])
        quantization = (
            self.beta * log_d - self.alpha * log_n + jnp.log(jnp.log2(x["block_size"])) - jnp.log(self.gamma)
            - self.delta * jnp.log(x["exponent_bits"] + 0.5) - self.nu * jnp.log(x["mantissa_bits"] + 0.5)
        )
        terms = [jnp.log(self.n) - self.alpha * log_n, jnp.log(self.d) - self.beta * log_d, jnp.log(self.epsilon), quantization]
        return logsumexp(jnp.stack(jnp.broadcast_arrays(*terms)), axis=0)
