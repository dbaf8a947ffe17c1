"""How far a prediction reaches beyond the data it was fitted to: the ratio of each asked input to the largest
fitted value of it, and the warning past `FAR`.

A law fitted on models up to 1B parameters and asked about 70B reaches 70x in N. The ratio is taken per input
column that is positive throughout the fitted data (N, D, C, x, steps ...; a log-scale axis), since those are the
axes scaling laws extrapolate along; inputs that can be zero or negative (a mixture weight, a precision offset)
are not measured.
"""

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._results import warn

# A prediction beyond FAR times the largest fitted value of an input is announced: past one decade the fitted
# curvature says little, and published extrapolations that failed (Porian et al. 2024; Besiroglu et al. 2024)
# reached one to three decades.
FAR = 10.0


def fitted_maxima(inputs: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The largest fitted value of every input that is positive throughout the fitted rows.

    >>> fitted_maxima({"N": np.array([1e8, 1e9]), "h": np.array([0.0, 1.0])})
    {'N': 1000000000.0}
    """
    maxima = {}
    for name, values in inputs.items():
        values = np.asarray(values, dtype=float).reshape(-1)
        if values.size and np.all(values > 0) and np.all(np.isfinite(values)):
            maxima[name] = float(values.max())
    return maxima


def reach(fitted: Mapping[str, float], asked: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Per asked row, the ratio of each measured input to its largest fitted value (columns `reach_<input>`),
    and `reach`, the largest of them (1 or less: inside the fitted range on every axis).

    >>> reach({"N": 1e9, "D": 2e10}, {"N": np.array([7e10]), "D": np.array([1.4e12])})
       reach_N  reach_D  reach
    0     70.0     70.0   70.0
    """
    n_rows = len(np.asarray(next(iter(asked.values()))).reshape(-1)) if asked else 0
    columns = {}
    for name, largest in fitted.items():
        if name in asked:
            columns[f"reach_{name}"] = np.asarray(asked[name], dtype=float).reshape(-1) / largest
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n_rows))
    frame["reach"] = frame.max(axis=1) if columns else np.nan
    return frame


def announce_far(reached: pd.DataFrame, what: str, far: float = FAR) -> None:
    """A `FitWarning` when any row of `reached` (from `reach`) goes beyond `far` times the fitted data: it names
    `what` (e.g. "predict"), the input and how far, so a long extrapolation is never silent."""
    if "reach" not in reached or not len(reached) or not np.any(reached["reach"] > far):
        return
    ratios = reached.drop(columns="reach")
    column = ratios.max().idxmax()
    worst = float(ratios[column].max())
    count = int(np.sum(reached["reach"] > far))
    warn(
        f"{what} reaches {worst:.3g}x the largest fitted {column.removeprefix('reach_')} ({count} of {len(reached)} "
        f"rows beyond {far:g}x): an extrapolation this far rests on the law's form, not on data. Check it with "
        f"js.backtest, or give it an interval made for extrapolation (js.predict_interval)."
    )
