import jax.numpy as jnp
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLogLaw


class Overtraining(AbstractLogLaw):
    """L(C, M) = E + (a M^eta + b M^(-eta)) C^(-eta), with C = 6 N D and M = D / N tokens per parameter
    (Gadre et al. 2024, "Language models scale reliably with over-training and on downstream tasks", Eq. 4).

    At a fixed token multiplier M the loss is a power law in compute with the same exponent eta for every M:
    over-training (large M) shifts the curve, it does not bend it. Inputs are N and D, so it fits the same
    tables and allocates like `Chinchilla`. Computed as logsumexp of the three terms.

    >>> import jaxscale as js
    >>> law = js.laws.Overtraining(E=1.9, a=30.0, b=300.0, eta=0.1)
    >>> bool(law.predict({"N": [1e9], "D": [2e10]})[0] > 1.9)
    True
    """

    inputs = ("N", "D")
    constraints = {"E": Positive(), "a": Positive(), "b": Positive(), "eta": Positive()}
    E: Array
    a: Array
    b: Array
    eta: Array


    def log_predict(self, x):
        log_c = jnp.log(6.0) + jnp.log(x["N"]) + jnp.log(x["D"])
        log_m = jnp.log(x["D"]) - jnp.log(x["N"])
        over = jnp.log(self.a) + self.eta * log_m - self.eta * log_c
        under = jnp.log(self.b) - self.eta * log_m - self.eta * log_c
        return jnp.logaddexp(jnp.logaddexp(over, under), jnp.log(self.E))

    def start_ranges(self, target, inputs):
        return {"E": (0.1 * target.min(), target.min()), "a": (1e-2, 1e4), "b": (1e-2, 1e4), "eta": (0.01, 0.5)}
