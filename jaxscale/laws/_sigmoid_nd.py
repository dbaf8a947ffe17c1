import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constraints import Interval, Positive, Real
from .._starts import sobol
from .._tree import replace_parameters
from ._link import AbstractBoundedLaw


class SigmoidND(AbstractBoundedLaw):
    """acc(N, D) = floor + (ceiling - floor) * sigmoid(a_n * log N + a_d * log D - b): accuracy as a sigmoid
    of log model size N and log training tokens D, so size and data can buy accuracy at different rates.

    A two-input extension of the sigmoids of log compute fitted to downstream accuracy (Owen 2024, "How
    predictable is language model benchmark performance?"; Ruan et al. 2024, "Observational Scaling Laws"):
    log C = log 6 + log N + log D is replaced by a weighted sum, and a_n = a_d gives back a sigmoid of log C.
    The 50% contour between floor and ceiling is the line a_n log N + a_d log D = b.

    >>> import jax.numpy as jnp, jaxscale as js
    >>> law = js.laws.SigmoidND(floor=0.25, ceiling=0.85, a_n=0.5, a_d=0.5, b=0.5 * jnp.log(1e9 * 2e10))
    >>> round(float(law.predict({"N": [1e9], "D": [2e10]})[0]), 6)
    0.55
    """

    inputs = ("N", "D")
    constraints = {"floor": Interval(0.0, 1.0), "ceiling": Interval(0.0, 1.0), "a_n": Positive(), "a_d": Positive(),
                   "b": Real()}
    floor: Array
    ceiling: Array
    a_n: Array
    a_d: Array
    b: Array

    def linear_predictor(self, x):
        return self.a_n * jnp.log(x["N"]) + self.a_d * jnp.log(x["D"]) - self.b

    def start_ranges(self, target, inputs):
        y = np.clip(np.asarray(target, float), 0.0, 1.0)
        log_n, log_d = np.log(inputs["N"]), np.log(inputs["D"])
        # Each slope alone, from a tenth to a hundred times one that spans 10% -> 90% (4.4 in eta) over its input.
        a = {k: (0.44 / (float(np.ptp(v)) or 1.0), 440 / (float(np.ptp(v)) or 1.0)) for k, v in (("a_n", log_n), ("a_d", log_d))}
        lo = a["a_n"][0] * log_n.min() + a["a_d"][0] * log_d.min()
        hi = a["a_n"][1] * log_n.max() + a["a_d"][1] * log_d.max()
        return {"floor": (0.0, float(y.min())), "ceiling": (float(y.max()), 1.0), **a, "b": (min(lo, hi), max(lo, hi))}

    def default_starts(self, target, inputs):
        """A Sobol sample over `start_ranges`, except b: drawn independently of the slopes, almost every b in its
        range puts the sigmoid's midpoint far from the data. Since a_n, a_d > 0, every 50% contour that crosses
        the (log N, log D) box crosses its diagonal, so b is set to put the contour through a Sobol-drawn point of
        that diagonal, widened by half its length at each end."""
        ranges = {**self.start_ranges(target, inputs), "b": (-0.5, 1.5)}  # b's slot: position along the diagonal
        starts = sobol(self, self.default_n_starts, ranges)
        log_n, log_d = np.log(inputs["N"]), np.log(inputs["D"])
        at = lambda v: float(v.min()) + starts.b * float(np.ptp(v))
        return replace_parameters(starts, {"b": starts.a_n * at(log_n) + starts.a_d * at(log_d)})
