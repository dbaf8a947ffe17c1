from typing import ClassVar

import numpy as np
from jaxtyping import Array

from .._constraints import Interval, Positive, Real
from ._link import AbstractBoundedLaw, sigmoid_start_ranges


class SigmoidTaskLoss(AbstractBoundedLaw):
    """acc(L) = floor + (ceiling - floor) * sigmoid(-k * (L - L0)): task accuracy as a falling sigmoid of the
    task loss L, step 2 of the OLMo model ladder (Bhagia et al. 2024, "Establishing Task Scaling Laws via
    Compute-Efficient Model Ladders", arXiv:2412.04403; step 1 predicts L from N and D).

    The paper writes Acc(L) = a / (1 + exp(-k (L - L0))) + b (the form of the OLMo ladder's fitting code too;
    its equation number is not checked here). Accuracy falls as the loss grows, so there a < 0:
    b is the accuracy at low loss (our `ceiling`) and a + b the accuracy at high loss (our `floor`, chance for a
    multiple-choice task). Here k > 0 is the steepness and L0 the loss half-way between floor and ceiling. L
    is taken as it is (no log), so it may be any real number (a loss measured against a baseline can be <= 0).

    >>> import jaxscale as js
    >>> law = js.laws.SigmoidTaskLoss(floor=0.25, ceiling=0.9, k=5.0, L0=1.0)
    >>> round(float(law.predict({"L": [1.0]})[0]), 6)  # half-way
    0.575
    """

    inputs = ("L",)
    positive_inputs: ClassVar[tuple[str, ...]] = ()
    constraints = {"floor": Interval(0.0, 1.0), "ceiling": Interval(0.0, 1.0), "k": Positive(), "L0": Real()}
    floor: Array
    ceiling: Array
    k: Array
    L0: Array

    def linear_predictor(self, x):
        return -self.k * (x["L"] - self.L0)

    def start_ranges(self, target, inputs):
        return sigmoid_start_ranges(target, np.asarray(inputs["L"], float), "k", "L0")
