"""What every interval method reads for one extrapolation case, and what it must give back."""

import abc
from typing import ClassVar

import equinox as eqx
import numpy as np


class IntervalInputs(eqx.Module):
    """Everything known about one case (one fit, several points to predict) that a method may use.

    `prediction` (points,): the fit's prediction at each point; `log_distance` (points,): log of each point's
    axis value over the last training value (0 or less inside the training range); `plateau` (points,): the
    fit's prediction at the last training row (the "no further improvement" forecast); `draws`
    (resamples, points): bootstrap refits' predictions, or None; `inner_log_errors` and
    `inner_log_distances` (m,): log(observed / predicted) and log distance of every prediction made by fits to
    earlier prefixes of the training rows, at later training rows (training data only), or None;
    `inner_predictions` and `inner_plateaus` (m,): those predictions, and the value of the same prefix fit at
    its own last row; `train_log_residuals` (n_train,): log(observed / fitted) at the case's training rows.
    """

    prediction: np.ndarray
    log_distance: np.ndarray
    plateau: np.ndarray
    draws: np.ndarray | None = None
    inner_log_errors: np.ndarray | None = None
    inner_log_distances: np.ndarray | None = None
    inner_predictions: np.ndarray | None = None
    inner_plateaus: np.ndarray | None = None
    train_log_residuals: np.ndarray | None = None


class AbstractIntervalMethod(eqx.Module):
    """An interval for predictions beyond the data. Subclasses set `name`, say what they need
    (`needs_resamples`: bootstrap refits; `needs_rolling_origin`: fits to prefixes of the training rows) and
    write `bounds`."""

    name: ClassVar[str]
    needs_resamples: ClassVar[bool] = False
    needs_rolling_origin: ClassVar[bool] = False

    @abc.abstractmethod
    def bounds(self, inputs: IntervalInputs, level: float) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi), each (points,), at nominal coverage `level`."""


def check_level(level) -> float:
    """`level` as a float strictly between 0 and 1, else a ValueError naming it."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < float(level) < 1:
        raise ValueError(f"level (the nominal coverage) must be a number strictly between 0 and 1, e.g. 0.9; got {level!r}.")
    return float(level)


def conformal_rank_quantile(scores: np.ndarray, level: float) -> float:
    """The split-conformal quantile of `scores`: the ceil((m + 1) level)-th smallest of m. With fewer scores
    than that rank needs (m < level / (1 - level), 9 at 90%), the largest score is used and the finite-sample
    guarantee does not hold; with none, +inf."""
    scores = np.sort(np.asarray(scores, dtype=float)[np.isfinite(scores)])
    m = len(scores)
    if m == 0:
        return float("inf")
    rank = int(np.ceil((m + 1) * level))
    return float(scores[min(rank, m) - 1])


def effective_distance(log_distance: np.ndarray, inner_log_distances: np.ndarray) -> np.ndarray:
    """Log distances for scaling a width: a point inside the training range (log distance <= 0) is given the
    smallest positive inner distance, so its interval is not of zero width."""
    inner = np.asarray(inner_log_distances, dtype=float)
    positive = inner[inner > 0]
    floor = float(positive.min()) if len(positive) else 1e-3
    return np.maximum(np.asarray(log_distance, dtype=float), floor)
