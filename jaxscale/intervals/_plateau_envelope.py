from typing import ClassVar

import numpy as np

from ._abstract import AbstractIntervalMethod, IntervalInputs, conformal_rank_quantile, effective_distance


class PlateauEnvelope(AbstractIntervalMethod):
    """Rolling-origin calibration with an explicit misspecification term: the curve may stop improving.

    As `RollingOrigin`, the law is refitted to prefixes of the training rows and their signed scaled errors
    log(observed / predicted) / log distance are collected; the lower bound is prediction * exp(q_lo d) with
    q_lo their split-conformal (1 - level)/2 lower quantile (at most 0), the upper bound the larger of
    prediction * exp(q_hi d) (q_hi the (1 + level)/2 upper quantile, at least 0) and the plateau: the fit's
    own value at the last training row, what the metric would be if it stopped improving there.

    Assumption (stated, not guaranteed): the metric does not increase along the axis (a loss or error
    against data or compute), so the truth lies below the plateau up to noise; and the law's misspecification
    is that it may promise too much further improvement, never too little by more than the calibrated
    margin. Nominal level: `level`, as for `RollingOrigin` (with too few inner scores for the conformal rank,
    the extreme score is used). For metrics that rise along the axis (accuracy), flip them first.

    >>> import numpy as np, jaxscale as js
    >>> inputs = js.intervals.IntervalInputs(
    ...     np.array([1.0]), np.array([np.log(4.0)]), np.array([1.2]),
    ...     inner_log_errors=np.full(20, 0.01), inner_log_distances=np.full(20, np.log(2.0)))
    >>> [round(float(b[0]), 3) for b in js.intervals.PlateauEnvelope().bounds(inputs, 0.9)]
    [1.0, 1.2]
    """

    name: ClassVar[str] = "plateau_envelope"
    needs_rolling_origin: ClassVar[bool] = True

    def bounds(self, inputs: IntervalInputs, level: float) -> tuple[np.ndarray, np.ndarray]:
        errors, distances = np.asarray(inputs.inner_log_errors, float), np.asarray(inputs.inner_log_distances, float)
        usable = distances > 0
        scores = errors[usable] / distances[usable]
        tail = (1 + level) / 2
        q_hi = max(conformal_rank_quantile(scores, tail), 0.0) if len(scores) else float("inf")
        q_lo = min(-conformal_rank_quantile(-scores, tail), 0.0) if len(scores) else -float("inf")
        d = effective_distance(inputs.log_distance, distances)
        prediction = np.asarray(inputs.prediction, float)
        with np.errstate(over="ignore"):  # no scores to calibrate on: an unbounded side, announced by the caller
            return prediction * np.exp(q_lo * d), np.maximum(prediction * np.exp(q_hi * d), np.asarray(inputs.plateau, float))
