import jax.numpy as jnp
from jaxtyping import Array

from .._constraints import Positive, Real
from .._law import AbstractLogLaw


class StepLawLR(AbstractLogLaw):
    """The Step Law's optimal peak learning rate eta_opt = c N^a D^b (Li et al. 2025, "Predictable Scale:
    Part I -- Optimal Hyperparameter Scaling Law in Large Language Model Pretraining", arXiv:2503.04715,
    Eq. 1): c = 1.79, a = -0.713, b = 0.307 for N non-embedding parameters and D tokens. Fitted in log
    space (it is linear there); `published()` gives the paper's values.

    >>> import jaxscale as js
    >>> round(float(js.laws.StepLawLR.published().predict({"N": [1e9], "D": [1e11]})[0]), 5)
    0.00163
    """

    inputs = ("N", "D")
    constraints = {"c": Positive(), "a": Real(), "b": Real()}
    c: Array
    a: Array
    b: Array

    @classmethod
    def published(cls) -> "StepLawLR":
        return cls(c=jnp.asarray(1.79), a=jnp.asarray(-0.713), b=jnp.asarray(0.307))

    def log_predict(self, x):
        return jnp.log(self.c) + self.a * jnp.log(x["N"]) + self.b * jnp.log(x["D"])

    def start_ranges(self, target, inputs):
        return {"c": (1e-3, 1e3), "a": (-1.5, 1.0), "b": (-1.0, 1.5)}


class StepLawBatch(AbstractLogLaw):
    """The Step Law's optimal batch size B_opt = c D^b in tokens (Li et al. 2025, Eq. 1): c = 0.58,
    b = 0.571, independent of the model size.

    >>> import jaxscale as js
    >>> round(float(js.laws.StepLawBatch.published().predict({"D": [1e11]})[0]) / 1e6, 2)
    1.11
    """

    inputs = ("D",)
    constraints = {"c": Positive(), "b": Real()}
    c: Array
    b: Array

    @classmethod
    def published(cls) -> "StepLawBatch":
        return cls(c=jnp.asarray(0.58), b=jnp.asarray(0.571))

    def log_predict(self, x):
        return jnp.log(self.c) + self.b * jnp.log(x["D"])

    def start_ranges(self, target, inputs):
        return {"c": (1e-3, 1e3), "b": (-1.0, 1.5)}
