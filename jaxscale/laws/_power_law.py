from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLogLaw


class PowerLaw(AbstractLogLaw):
    """y = E + A * x^(-alpha): a saturating power law in one input `x`.

    The classic form of learning-curve and scaling-law studies (e.g. Hestness et al. 2017, "Deep Learning
    Scaling is Predictable, Empirically"; Kaplan et al. 2020), computed as logaddexp(log E, log A - alpha log x).

    >>> import jaxscale as js
    >>> law = js.PowerLaw(E=1.0, A=10.0, alpha=0.5)
    >>> float(law.predict({"x": [100.0]})[0])
    2.0
    """

    inputs = ("x",)
    constraints = {"E": Positive(), "A": Positive(), "alpha": Positive()}
    # Three parameters: 256 Sobol points already cover the start box finely; more only slow the screen.
    default_n_starts: ClassVar[int] = 256
    E: Array
    A: Array
    alpha: Array


    def log_predict(self, x):
        return jnp.logaddexp(jnp.log(self.E), jnp.log(self.A) - self.alpha * jnp.log(x["x"]))

    def start_ranges(self, target, inputs):
        x, y = inputs["x"], target
        # E below the smallest observation; A large enough that A x^-alpha spans the observed drop.
        return {
            "E": (1e-3 * y.min(), y.min()),
            "A": (1e-2 * (y.max() - y.min() + 1e-12), 1e2 * y.max() * x.max() ** 1.5),
            "alpha": (1e-2, 1.5),
        }
