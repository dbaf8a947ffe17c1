from typing import ClassVar

import numpy as np

from ._abstract import AbstractIntervalMethod, IntervalInputs
from ._plateau_band import PlateauBand
from ._plateau_envelope import PlateauEnvelope


class PlateauIntersection(AbstractIntervalMethod):
    """Where `PlateauBand` and `PlateauEnvelope` agree: their intersection, each at half the miss rate.

    Both are computed from the case's own training rows: the band (between the law's extrapolation and the
    fit's value at the last training row, widened by the late training noise) and the envelope (the law's
    extrapolation widened by its own rolling-origin errors per unit of log distance, capped below the
    plateau). Each is taken at nominal 1 - (1 - level)/2 (0.95 for a 90% interval): by the union bound
    (Bonferroni), if each covers with at least that probability, their intersection covers with at least
    `level`. The split into equal halves is the only constant, and it is data-independent. Both components
    contain the law's prediction, so the intersection does too and is never empty.

    Assumption (stated, not guaranteed): both components' assumptions hold at once: the metric does not
    increase along the axis, the law, if wrong, promises too much improvement, and its extrapolation errors are
    like those of fits to earlier prefixes of the training rows. Nominal level: `level`, through the union bound
    over the two components; like `PlateauBand`, it covers less than nominal where the law is right and the
    training residuals understate the noise (in-sample), and it needs the rolling-origin prefix fits. On the
    Revisiting study (benchmarks/README.md) it was chosen after a dozen designs had been evaluated on the same 27
    cases, so that table is not an out-of-sample test of it. For metrics that rise along the axis, flip them first.

    >>> import numpy as np, jaxscale as js
    >>> inputs = js.intervals.IntervalInputs(
    ...     np.array([1.0]), np.array([np.log(4.0)]), np.array([1.2]), train_log_residuals=np.full(20, 0.01),
    ...     inner_log_errors=np.full(20, 0.01), inner_log_distances=np.full(20, np.log(2.0)))
    >>> [round(float(b[0]), 4) for b in js.intervals.PlateauIntersection().bounds(inputs, 0.9)]
    [1.0, 1.2]
    """

    name: ClassVar[str] = "plateau_intersection"
    needs_rolling_origin: ClassVar[bool] = True

    def bounds(self, inputs: IntervalInputs, level: float) -> tuple[np.ndarray, np.ndarray]:
        each = 1.0 - (1.0 - level) / 2.0
        band_lo, band_hi = PlateauBand().bounds(inputs, each)
        envelope_lo, envelope_hi = PlateauEnvelope().bounds(inputs, each)
        return np.maximum(band_lo, envelope_lo), np.minimum(band_hi, envelope_hi)
