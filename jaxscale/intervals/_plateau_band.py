from typing import ClassVar

import numpy as np

from ._abstract import AbstractIntervalMethod, IntervalInputs, conformal_rank_quantile


class PlateauBand(AbstractIntervalMethod):
    """Between what the law promises and no further improvement, widened by the noise seen near the end.

    The band runs from the law's extrapolation (the most improvement) to the plateau (the fit's own value at
    the last training row: no improvement at all), each end widened by a factor exp(q): q is the
    split-conformal quantile of |log(observed / fitted)| over the later half of the training rows, the
    measurement noise close to where the extrapolation starts. Each end is a one-sided risk (the observation
    leaves the band only past the end the truth lies nearer to), so q is the one-sided `level` bound of
    symmetric noise: the quantile at 2 level - 1 of the absolute residuals (0.8 for a 90% band).

    Assumption (stated, not guaranteed): the metric does not increase along the axis and the law, if wrong,
    promises too much improvement (a saturating power law fitted to a curve that flattens), so the truth lies
    between the two ends up to noise exchangeable with the late training residuals. Unlike
    `PlateauEnvelope`, no margin grows with the extrapolation distance, so it is narrower far out and wrong
    where the curve improves faster than the law. Nominal level: `level` (for the noise margin; the band
    itself is an assumption). The residuals are in-sample, so they understate the noise: where the law is right and
    the truth sits at the lower end, it covers less than nominal (half the held-out points of a true power law
    with 0.3% noise in tests/test_backtest.py). For metrics that rise along the axis (accuracy), flip them first.

    >>> import numpy as np, jaxscale as js
    >>> inputs = js.intervals.IntervalInputs(
    ...     np.array([1.0]), np.array([np.log(4.0)]), np.array([1.2]), train_log_residuals=np.full(20, 0.01))
    >>> [round(float(b[0]), 4) for b in js.intervals.PlateauBand().bounds(inputs, 0.9)]
    [0.99, 1.2121]
    """

    name: ClassVar[str] = "plateau_band"

    def bounds(self, inputs: IntervalInputs, level: float) -> tuple[np.ndarray, np.ndarray]:
        if inputs.train_log_residuals is None:
            raise ValueError("plateau_band needs the fit's training residuals (IntervalInputs.train_log_residuals).")
        residuals = np.abs(np.asarray(inputs.train_log_residuals, float))
        late = residuals[len(residuals) // 2 :]
        q = conformal_rank_quantile(late, max(2.0 * level - 1.0, 0.0))
        prediction, plateau = np.asarray(inputs.prediction, float), np.asarray(inputs.plateau, float)
        return np.minimum(prediction, plateau) * np.exp(-q), np.maximum(prediction, plateau) * np.exp(q)
