from typing import ClassVar

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constraints import Interval, Positive
from .._law import AbstractLaw
from .._starts import sobol
from .._tree import replace_parameters

# The size k exp(-gamma L) of the loss-dependent term at the median L that default starts draw: an error is at
# most 1, and a term below 1% of it would barely bend the curve.
_TERM_AT_MEDIAN = (1e-2, 1.0)


class GadreTopOneError(AbstractLaw):
    """Err(L) = epsilon - k * exp(-gamma * L): average top-1 error over downstream tasks as a function of the
    validation loss L (Gadre et al. 2024, "Language models scale reliably with over-training and on downstream
    tasks", arXiv:2403.08540, the error law after their loss law Eq. 4, `Overtraining`: Eq. 5 by our reading,
    a number not checked against the paper's text). Chained with `Overtraining` it predicts error from N and D.

    epsilon is the error as the loss grows without bound (near chance, for the averaged tasks) and k exp(-gamma L)
    the part of it a lower loss removes; the error rises with L. L is taken as it is (no log), so it may be any
    real number. Not a bounded sigmoid: nothing keeps a prediction above 0 at a very low loss.

    >>> import jaxscale as js
    >>> law = js.laws.GadreTopOneError(epsilon=0.85, k=2.0, gamma=0.7)
    >>> round(float(law.predict({"L": [3.0]})[0]), 4)  # 0.85 - 2 exp(-2.1)
    0.6051
    """

    inputs = ("L",)
    positive_inputs: ClassVar[tuple[str, ...]] = ()
    constraints = {"epsilon": Interval(0.0, 1.0), "k": Positive(), "gamma": Positive()}
    default_n_starts: ClassVar[int] = 512
    epsilon: Array
    k: Array
    gamma: Array

    def __call__(self, x):
        return self.epsilon - self.k * jnp.exp(-self.gamma * x["L"])

    def start_ranges(self, target, inputs):
        y, L = np.clip(np.asarray(target, float), 0.0, 1.0), np.asarray(inputs["L"], float)
        span = float(np.ptp(L)) or 1.0
        gamma = (0.01 / span, 10.0 / span)  # from a nearly straight line to a curve that flattens inside the data
        L_mid = float(np.median(L))
        low, high = sorted(g * L_mid for g in gamma)  # k: every term size of _TERM_AT_MEDIAN at every gamma
        k = (_TERM_AT_MEDIAN[0] * float(np.exp(low)), _TERM_AT_MEDIAN[1] * float(np.exp(high)))
        return {"epsilon": (float(y.max()), 1.0), "gamma": gamma, "k": k}

    def default_starts(self, target, inputs):
        """A Sobol sample over `start_ranges`, except k: drawn independently of gamma, most k would make the
        error term k exp(-gamma L) vanish or dwarf the data. k is set from a log-uniform size of that term at the
        median L instead (1% to 100% of the error scale), so every start puts it where the data are."""
        starts = sobol(self, self.default_n_starts, {**self.start_ranges(target, inputs), "k": _TERM_AT_MEDIAN})
        L_mid = float(np.median(np.asarray(inputs["L"], float)))
        return replace_parameters(starts, {"k": starts.k * jnp.exp(starts.gamma * L_mid)})
