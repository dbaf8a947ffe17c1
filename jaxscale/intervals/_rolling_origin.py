from typing import ClassVar

import numpy as np

from ._abstract import AbstractIntervalMethod, IntervalInputs, conformal_rank_quantile, effective_distance


class RollingOrigin(AbstractIntervalMethod):
    """A conformal-style interval calibrated on the fit's own extrapolation errors inside the training data.

    The law is refitted to every prefix of the training rows (in order of the axis, from one row more than
    it has parameters), and each prefix fit predicts the later training rows. Each such prediction gives a
    score |log(observed / predicted)| / log(axis / last axis of its prefix): its error per unit of log
    extrapolation distance. The interval at a new point is prediction * exp(+-q d), with d its log distance
    beyond the last training value and q the split-conformal quantile of the scores at `level`.

    Assumption (stated, not guaranteed): extrapolation errors grow in proportion to the log distance, and the
    scaled error of the real extrapolation is exchangeable with those of the inner ones. Nominal level: `level`
    (the finite-sample conformal guarantee needs at least level / (1 - level) scores, 9 at 90%; with fewer,
    the largest score is used). When the law is misspecified in a way that shows only far out (a curve that
    flattens late), the inner errors understate the outer ones and coverage falls short.

    >>> import numpy as np, jaxscale as js
    >>> inputs = js.intervals.IntervalInputs(
    ...     np.array([1.0]), np.array([np.log(4.0)]), np.array([1.1]),
    ...     inner_log_errors=np.full(20, 0.01), inner_log_distances=np.full(20, np.log(2.0)))
    >>> lo, hi = js.intervals.RollingOrigin().bounds(inputs, 0.9)
    >>> round(float(np.log(hi[0])), 4)  # 0.01 per log(2) of distance, twice as far
    0.02
    """

    name: ClassVar[str] = "rolling_origin"
    needs_rolling_origin: ClassVar[bool] = True

    def bounds(self, inputs: IntervalInputs, level: float) -> tuple[np.ndarray, np.ndarray]:
        errors, distances = np.asarray(inputs.inner_log_errors, float), np.asarray(inputs.inner_log_distances, float)
        usable = distances > 0
        q = conformal_rank_quantile(np.abs(errors[usable]) / distances[usable], level)
        spread = q * effective_distance(inputs.log_distance, distances)
        prediction = np.asarray(inputs.prediction, float)
        return prediction * np.exp(-spread), prediction * np.exp(spread)
