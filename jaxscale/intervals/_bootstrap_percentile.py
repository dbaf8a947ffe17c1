from typing import ClassVar

import numpy as np

from ._abstract import AbstractIntervalMethod, IntervalInputs


class BootstrapPercentile(AbstractIntervalMethod):
    """The plain bootstrap percentile interval: the (1 - level)/2 and (1 + level)/2 quantiles of the
    predictions of the law refitted to resamples of the training rows.

    Assumption: the law is the true curve and only the measurement noise is uncertain. It describes the spread
    of the fit, not the error of the extrapolation, so beyond the data it covers less than its nominal level
    when the law is wrong (on the Revisiting curves: benchmarks/README.md).

    >>> import numpy as np, jaxscale as js
    >>> draws = np.linspace(1.0, 2.0, 101)[:, None]
    >>> inputs = js.intervals.IntervalInputs(np.array([1.5]), np.array([1.0]), np.array([1.6]), draws=draws)
    >>> [round(float(b[0]), 2) for b in js.intervals.BootstrapPercentile().bounds(inputs, 0.9)]
    [1.05, 1.95]
    """

    name: ClassVar[str] = "bootstrap"
    needs_resamples: ClassVar[bool] = True

    def bounds(self, inputs: IntervalInputs, level: float) -> tuple[np.ndarray, np.ndarray]:
        draws = np.asarray(inputs.draws, dtype=float)
        draws = np.where(np.isfinite(draws), draws, np.nan)
        return np.nanquantile(draws, (1 - level) / 2, axis=0), np.nanquantile(draws, (1 + level) / 2, axis=0)
