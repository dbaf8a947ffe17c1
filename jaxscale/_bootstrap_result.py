"""What `bootstrap` returns: one refitted law per resample, and the statistics over them."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._extrapolation import announce_far
from ._fit_result import FitResult
from ._law import AbstractLaw
from ._results import RESULTS, status_names
from .intervals import BootstrapPercentile, IntervalInputs, check_level


class BootstrapResult(eqx.Module):
    """The outcome of `bootstrap`: one fitted law per resample, and statistics over them.

    `laws` is a batch of laws (leading axis = resample); `full_fit` the fit to all the data. Statistics
    (`standard_errors`, `intervals`, `summary`) use the resamples whose refit ended finite. `values` holds
    every parameter (flat names, natural scale) and every derived quantity per resample, `estimate` their values at the full-data fit.
    """

    full_fit: FitResult
    laws: AbstractLaw
    values: dict[str, np.ndarray]
    estimate: dict[str, float]
    objective: np.ndarray
    status: np.ndarray
    seed: int
    seconds: float
    compile_seconds: float

    @classmethod
    def from_ends(cls, full_fit, z_ends, objective, status, derived, seed, seconds, compile_seconds) -> "BootstrapResult":
        parameterization = full_fit.parameterization
        laws = jax.vmap(parameterization.to_law)(jnp.asarray(z_ends))
        names = parameterization.flat_names()
        values = dict(zip(names, full_fit.natural(z_ends).T))
        estimate = dict(zip(names, full_fit.natural(full_fit.end_z[full_fit.best][None])[0].tolist()))
        for name, function in derived.items():
            values[name] = np.asarray(jax.vmap(function)(laws), dtype=float).reshape(len(z_ends))
            estimate[name] = float(function(full_fit.law))
        return cls(full_fit, laws, values, estimate, objective, status, seed, seconds, compile_seconds)

    @property
    def n_resamples(self) -> int:
        return int(self.objective.shape[0])

    @property
    def ok(self) -> np.ndarray:
        """Which resamples count: their refit ended with a finite objective."""
        return self.status != RESULTS.non_finite

    def to_frame(self) -> pd.DataFrame:
        """One row per resample: every parameter and derived quantity, the objective and the refit's status."""
        frame = pd.DataFrame(self.values)
        frame["objective"] = self.objective
        frame["status"] = status_names(self.status)
        return frame

    def standard_errors(self) -> pd.Series:
        """Standard deviation over resamples (ddof=1) of every parameter and derived quantity."""
        return self.to_frame().loc[self.ok, list(self.values)].std(ddof=1)

    def intervals(self, level: float = 0.95) -> pd.DataFrame:
        """Percentile intervals: columns `lo` and `hi` (the (1-level)/2 and (1+level)/2 quantiles)."""
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, got {level}.")
        kept = self.to_frame().loc[self.ok, list(self.values)]
        return pd.DataFrame({"lo": kept.quantile((1 - level) / 2), "hi": kept.quantile((1 + level) / 2)})

    def predict_interval(self, data, level: float = 0.9, inputs=None) -> pd.DataFrame:
        """At the rows of `data`: the full fit's `prediction` and the bootstrap percentile interval `lo`, `hi`
        of the refits' predictions (`js.intervals.BootstrapPercentile`: the spread of the fit, which beyond
        the data covers less than `level` when the law is wrong; `js.backtest` measures by how much). A row
        beyond 10x the largest fitted value of an input (`full_fit.reach`) gets a `FitWarning`.

        >>> import jaxscale as js
        >>> df = js.datasets.load("chinchilla", subset="epoch")
        >>> boot = js.bootstrap(js.Chinchilla, df, n=100, seed=1)
        >>> band = boot.predict_interval({"N": [7e10], "D": [1.4e12]})
        >>> bool((band["lo"] < band["prediction"]).all() and (band["prediction"] < band["hi"]).all())
        True
        """
        level = check_level(level)
        draws = np.asarray(self.laws.predict(data, inputs), dtype=float)[np.asarray(self.ok)]
        prediction = np.asarray(self.full_fit.law.predict(data, inputs), dtype=float)
        lo, hi = BootstrapPercentile().bounds(IntervalInputs(prediction, np.zeros_like(prediction), prediction, draws=draws), level)
        if isinstance(self.full_fit, FitResult):  # a joint fit of groups (shared=) has no one fitted range
            announce_far(self.full_fit.reach(data, inputs), "predict_interval")
        return pd.DataFrame({"prediction": prediction, "lo": lo, "hi": hi})

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Per parameter and derived quantity: the full-data estimate, the bootstrap standard error and interval."""
        frame = pd.DataFrame({"estimate": pd.Series(self.estimate), "se": self.standard_errors()})
        return frame.join(self.intervals(level))

    def __repr__(self) -> str:
        se = ", ".join(f"{k}={v:.4g}" for k, v in self.standard_errors().items())
        n_ok = int(np.sum(self.ok))
        return (
            f"BootstrapResult({type(self.full_fit.law).__name__}, {self.n_resamples} resamples (seed {self.seed}), "
            f"{n_ok} finite; standard errors: {se}; {self.seconds:.2f} s, plus {self.compile_seconds:.2f} s compiling)"
        )
