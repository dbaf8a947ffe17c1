import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constraints import Interval, Positive, Real
from ._link import AbstractBoundedLaw, sigmoid_start_ranges


class SigmoidCompute(AbstractBoundedLaw):
    """acc(C) = floor + (ceiling - floor) * sigmoid(slope * (log C - log_c50)): benchmark accuracy as a
    sigmoid of log training compute C, rising from `floor` (chance) to `ceiling`, half-way at C = exp(log_c50).

    The form fitted to downstream accuracy against log compute by Owen 2024 ("How predictable is language model
    benchmark performance?", a sigmoid of log FLOP with a floor at chance) and Ruan et al. 2024 ("Observational
    Scaling Laws and the Predictability of Language Model Performance", a sigmoid link of log compute or of
    capability scores). Hold the floor at chance with `fixed={"floor": 0.25}`.

    >>> import jax.numpy as jnp, jaxscale as js
    >>> law = js.laws.SigmoidCompute(floor=0.25, ceiling=0.85, slope=1.0, log_c50=jnp.log(1e22))
    >>> round(float(law.predict({"C": [1e22]})[0]), 6)  # half-way between floor and ceiling
    0.55
    """

    inputs = ("C",)
    constraints = {"floor": Interval(0.0, 1.0), "ceiling": Interval(0.0, 1.0), "slope": Positive(), "log_c50": Real()}
    floor: Array
    ceiling: Array
    slope: Array
    log_c50: Array

    def linear_predictor(self, x):
        return self.slope * (jnp.log(x["C"]) - self.log_c50)

    def start_ranges(self, target, inputs):
        return sigmoid_start_ranges(target, np.log(inputs["C"]), "slope", "log_c50")
