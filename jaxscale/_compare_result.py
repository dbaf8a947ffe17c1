"""What `compare` returns: each variant's compute multiplier over the baseline, its crossover, P(better)."""

import equinox as eqx
import numpy as np
import pandas as pd

from ._compare_plot import plot_comparison
from ._law import AbstractLaw
from ._shared_fit_result import SharedFitResult

# Quantiles of log multipliers that may be +-inf (beyond the tabulated computes) are taken with these finite
# stand-ins, so interpolation between two infinite neighbours gives inf, not NaN.
_HUGE = 1e300


def quantiles(values: np.ndarray, probabilities, axis: int = 0) -> np.ndarray:
    """Quantiles along `axis` ignoring NaN, with +-inf kept as +-inf."""
    clipped = np.clip(values, -_HUGE, _HUGE)
    found = np.nanquantile(clipped, probabilities, axis=axis)
    return np.where(np.abs(found) >= _HUGE / 10, np.sign(found) * np.inf, found)


class Comparison(eqx.Module):
    """The outcome of `compare`: for every variant other than the baseline, at every compute of `at`.

    `multiplier()` is the effective compute multiplier (the baseline's compute reaching the variant's loss at
    C, over C; above 1 the variant is better), with a percentile bootstrap interval at `level`; `p_better()` the
    share of bootstrap refits in which the variant's loss at C is below the baseline's; `crossovers()` where
    the two loss curves cross in `crossover_range` (or none). `to_frame()` has one row per variant and compute,
    `summary()` the multiplier table, `plot()` the curves and the multiplier with its band. `fit` is the joint
    fit, `resampled_laws` the refitted laws (resamples, variants in the order of `fit.keys`); `ok` says which
    refits ended finite (the others are left out of every statistic). Arrays named `resampled_*` have a
    leading resample axis; `*_log_multiplier` are natural logs, NaN-free but possibly +-inf (see `compare`).
    """

    fit: SharedFitResult
    variant: str
    baseline: object
    variants: tuple
    kind: str
    at: np.ndarray
    level: float
    log_multiplier: np.ndarray
    resampled_log_multiplier: np.ndarray
    loss: np.ndarray
    resampled_loss: np.ndarray
    crossover: np.ndarray
    n_crossings: np.ndarray
    lower_at_start: np.ndarray
    resampled_crossover: np.ndarray
    crossover_range: tuple
    curve_compute: np.ndarray
    curve_loss: np.ndarray
    curve_log_multiplier: np.ndarray
    resampled_curve_log_multiplier: np.ndarray
    resampled_laws: AbstractLaw
    ok: np.ndarray
    n_paired_runs: int
    run_compute: np.ndarray
    run_loss: np.ndarray
    run_variant: np.ndarray
    seed: int
    seconds: float
    compile_seconds: float

    @property
    def n_resamples(self) -> int:
        return int(self.ok.shape[0])

    def _index(self, variant) -> int:
        return list(self.fit.keys).index(variant)

    @property
    def _others(self) -> list[int]:
        return [self._index(v) for v in self.variants]

    @property
    def _base(self) -> int:
        return self._index(self.baseline)

    def multiplier(self, level: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(estimate, lo, hi), each (variants, at): the multiplier and its percentile interval at `level`
        (default the comparison's)."""
        level = self.level if level is None else level
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), e.g. 0.9, got {level!r}.")
        lo, hi = quantiles(self.resampled_log_multiplier[self.ok], [(1 - level) / 2, (1 + level) / 2])
        return np.exp(self.log_multiplier), np.exp(lo), np.exp(hi)

    def p_better(self) -> np.ndarray:
        """(variants, at): the share of finite refits in which the variant's loss at C is below the baseline's."""
        loss = self.resampled_loss[self.ok]
        return np.mean(loss[:, self._others] < loss[:, self._base : self._base + 1], axis=0)

    def to_frame(self) -> pd.DataFrame:
        """One row per (variant, compute): the variant, the baseline, the compute, both losses there (compute-
        optimal for a law of N and D), the multiplier with its interval (`lo`, `hi` at `level`), `p_better`,
        and the variant's crossover with the baseline (NaN: none in range)."""
        estimate, lo, hi = self.multiplier()
        p_better, rows = self.p_better(), []
        for i, g in enumerate(self._others):
            for j, c in enumerate(self.at):
                rows.append({
                    self.variant: self.variants[i], "baseline": self.baseline, "compute": c, "loss": self.loss[g, j],
                    "baseline_loss": self.loss[self._base, j], "multiplier": estimate[i, j], "lo": lo[i, j], "hi": hi[i, j],
                    "p_better": p_better[i, j], "crossover": self.crossover[i], "level": self.level,
                    "n_resamples": int(np.sum(self.ok)), "losses": self.kind,
                })
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """The multiplier table: indexed by (variant, compute), the multiplier, its interval and P(better)."""
        return self.to_frame().set_index([self.variant, "compute"])[["multiplier", "lo", "hi", "p_better"]]

    def crossovers(self) -> pd.DataFrame:
        """One row per variant: the compute where its loss curve first crosses the baseline's inside
        `crossover_range` (NaN: none), the percentile interval of the crossovers of the refits that cross
        (`lo`, `hi`), the share of refits that cross there (`p_crossing`), how many times the estimate crosses,
        and a note in words."""
        rows = []
        crossed = self.resampled_crossover[self.ok]
        for i, name in enumerate(self.variants):
            some = crossed[:, i][np.isfinite(crossed[:, i])]
            lo, hi = np.quantile(some, [(1 - self.level) / 2, (1 + self.level) / 2]) if some.size else (np.nan, np.nan)
            rows.append({
                self.variant: name, "baseline": self.baseline, "crossover": self.crossover[i], "lo": lo, "hi": hi,
                "p_crossing": some.size / max(len(crossed), 1), "n_crossings": int(self.n_crossings[i]), "note": self._note(i),
            })
        return pd.DataFrame(rows)

    def _note(self, i: int) -> str:
        name, lower = self.variants[i], bool(self.lower_at_start[i])
        lo, hi = self.crossover_range
        if np.isnan(self.crossover[i]):
            return f"none in range ({lo:.3g} to {hi:.3g} FLOPs): {name!r} is {'better' if lower else 'worse'} throughout"
        before, after = ("better", "worse") if lower else ("worse", "better")
        return f"crosses at {self.crossover[i]:.3g} FLOPs: {name!r} is {before} below it, {after} above"

    def plot(self, path: str | None = None, level: float | None = None):
        """Loss against compute per variant (the runs as points, the fitted frontiers as lines) and each
        variant's multiplier against compute with its `level` band; saved to `path` if given. Returns the
        matplotlib Figure (matplotlib is imported only here)."""
        level = self.level if level is None else level
        band = np.exp(quantiles(self.resampled_curve_log_multiplier[self.ok], [(1 - level) / 2, (1 + level) / 2]))
        return plot_comparison(self, band, level, path)

    def __repr__(self) -> str:
        estimate, lo, hi = self.multiplier()
        p_better = self.p_better()
        law_name = type(self.fit.parameterization.template).base_law_type.__name__
        parts = []
        for i, name in enumerate(self.variants):
            at = "; ".join(
                f"x{estimate[i, j]:.3g} [{lo[i, j]:.3g}, {hi[i, j]:.3g}] at {c:.3g} FLOPs (P(better) {p_better[i, j]:.2f})"
                for j, c in enumerate(self.at)
            )
            parts.append(f"{name!r}: {at}; {self._note(i)}")
        pairing = f"{self.n_paired_runs} runs paired" if self.n_paired_runs else "unpaired"
        return (
            f"Comparison({law_name} by {self.variant!r} against {self.baseline!r}, {self.kind} losses, shared "
            f"{list(self.fit.shared)}; {int(np.sum(self.ok))} of {self.n_resamples} refits ({pairing}, seed {self.seed}), "
            f"{self.level:.0%} intervals: " + " | ".join(parts) + f"; {self.seconds:.2f} s, plus {self.compile_seconds:.2f} s compiling)"
        )
