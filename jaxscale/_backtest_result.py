"""What `backtest` returns: every held-out point's prediction, error, distance and intervals."""

import equinox as eqx
import numpy as np
import pandas as pd


class BacktestResult(eqx.Module):
    """The outcome of `backtest`.

    `points` holds one row per case x held-out row x law x method: the data's columns, `cutoff`, `n_train`,
    `axis_last` (last training axis value), `prediction`, `error` (prediction - observed), `log_error`
    (log observed / predicted), `distance` (axis value / axis_last), `n_inner` (rolling-origin scores the
    case calibrated on), `law`, `method`, `lo`, `hi`, `width` and `covered`. `seconds` is the wall time per
    law (fits, refits and intervals, compiling included).
    """

    points: pd.DataFrame
    by: tuple[str, ...]
    axis: str
    level: float
    methods: tuple[str, ...]
    cutoffs: tuple[float, ...]
    seconds: dict[str, float]

    def to_frame(self) -> pd.DataFrame:
        """One row per case x held-out row x law x method (see the class docstring for the columns)."""
        return self.points.copy()

    def summary(self, by=None) -> pd.DataFrame:
        """Per law and method (and per value of the columns `by`, e.g. "domain" or "cutoff"): the number of
        held-out points, the coverage of the intervals (nominal `level`), their median width, and the median
        absolute error of the predictions."""
        extra = [] if by is None else ([by] if isinstance(by, str) else list(by))
        missing = [c for c in extra if c not in self.points.columns]
        if missing:
            raise ValueError(f"summary(by=...) names columns {missing} that the backtest's points lack; they have {list(self.points.columns)}.")
        frame = self.points.assign(_abs_error=np.abs(self.points["error"]))
        table = frame.groupby(["law", "method"] + extra, sort=False).agg(
            n=("covered", "size"), coverage=("covered", "mean"), median_width=("width", "median"),
            median_abs_error=("_abs_error", "median"),
        )
        table["nominal"] = self.level
        return table

    def __repr__(self) -> str:
        lines = [
            f"BacktestResult({self.points.groupby('law').ngroups} law(s), axis '{self.axis}', cutoffs {list(self.cutoffs)}, "
            f"{len(self.points) // max(len(self.methods), 1)} held-out predictions; nominal level {self.level:g}):"
        ]
        for (law, method), row in self.summary().iterrows():
            lines.append(f"  {law} / {method}: coverage {row['coverage']:.0%} of {int(row['n'])}, median width {row['median_width']:.4g}")
        return "\n".join(lines)
