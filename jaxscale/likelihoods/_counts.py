"""Successes out of trials: reading and checking the counts before anything compiles, and what every count
likelihood (Binomial, BetaBinomial) shares."""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._constraints import Interval
from .._dataset import numeric_column
from ._abstract import AbstractLikelihood


class AbstractCountLikelihood(AbstractLikelihood):
    """Successes of `trials` (a column or one number) around the law's predicted probability; with `fractions`
    the target holds fractions of successes. Subclasses write `log_prob`, `sample` (through `in_target_units`)
    and the noise members."""

    trials: eqx.AbstractVar[str | int]
    fractions: eqx.AbstractVar[bool]
    target_support: ClassVar = Interval(0.0, 1.0)
    extra_names: ClassVar = ("trials",)

    def __check_init__(self):
        check_trials_option(self.trials)

    def read_target(self, frame, target):
        y, n = read_counts(frame, target, self.trials, self.fractions)
        return y, count_extra(y, n, self.fractions)

    def read_extra(self, frame):
        return {"trials": read_trials(frame, self.trials)}

    def predicted_target(self, data):
        # The law predicts a probability: starts follow the success fractions, not the counts.
        y, n = np.asarray(data.target), np.asarray(data.extra["trials"])
        return y if self.fractions else y / n

    def location(self, law, x):
        return law(x)

    def successes(self, y, extra):
        return y * extra["trials"] if self.fractions else y

    def log_choose(self, y, extra):
        """log C(n, k) per row: stored by `read_target`, or computed for a Dataset built without it."""
        n, k = extra["trials"], self.successes(y, extra)
        return extra["log_choose"] if "log_choose" in extra else log_choose(n, k)

    def to_target(self, location, extra):
        return location if self.fractions else location * extra["trials"]

    def draw(self, key, p, extra):
        """Successes drawn at probabilities `p`, in the target's units (counts, or fractions)."""
        n = jnp.broadcast_to(extra["trials"], jnp.shape(p))
        k = jax.random.binomial(key, n, jnp.clip(p, 0.0, 1.0))
        return k / n if self.fractions else k


def read_counts(frame, target: str, trials, fractions: bool) -> tuple[np.ndarray, np.ndarray]:
    """The successes (or, with `fractions`, success fractions) column and the trials (a column name or one
    number for every row), each checked: a ValueError naming the column, the number of bad rows and the fix."""
    y = numeric_column(frame, target, role="target")
    n = read_trials(frame, trials)
    where = f"column '{trials}'" if isinstance(trials, str) else f"trials={trials!r}"
    _require(n <= 0, f"{where} has {{}} rows with trials <= 0 (rows {{}}): every row needs at least one trial.")
    _require(n != np.round(n), f"{where} has {{}} rows whose trials are not whole numbers (rows {{}}): trials count attempts.")
    if fractions:
        _require(
            (y < 0) | (y > 1),
            f"column '{target}' has {{}} rows outside [0, 1] (rows {{}}), but fractions=True reads it as the fraction "
            f"of successes: pass the successes with fractions=False, or fix those rows.",
        )
        return y, n
    _require(y < 0, f"column '{target}' has {{}} negative rows (rows {{}}): successes are counts >= 0.")
    _require(
        y != np.round(y),
        f"column '{target}' has {{}} rows that are not whole numbers (rows {{}}): it should hold success counts; if it "
        f"holds fractions (accuracies), pass fractions=True.",
    )
    _require(
        y > n,
        f"column '{target}' has {{}} rows with more successes than trials ({where}) (rows {{}}): check the two columns.",
    )
    return y, n


def log_choose(n, k):
    """log C(n, k) per row, from `extra` when `read_target` stored it (a constant of the data: computing it once
    saves three log-gammas per row at every evaluation of the objective), else computed here."""
    from jax.scipy.special import gammaln

    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def count_extra(y: np.ndarray, n: np.ndarray, fractions: bool) -> dict[str, np.ndarray]:
    """The extra columns of a count likelihood: the trials and the constant log C(n, k)."""
    from scipy.special import gammaln

    k = y * n if fractions else y
    return {"trials": n, "log_choose": gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)}


def read_trials(frame, trials) -> np.ndarray:
    """Each row's trials: the column `trials` names, or the one number it is."""
    if isinstance(trials, str):
        return numeric_column(frame, trials, role="trials")
    return np.full(len(frame), float(trials))


def _require(bad: np.ndarray, message: str) -> None:
    rows = np.flatnonzero(bad)
    if len(rows):
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise ValueError(message.format(len(rows), shown))


def check_trials_option(trials) -> None:
    """`trials` must name a column or be a positive whole number."""
    if isinstance(trials, str):
        return
    if isinstance(trials, bool) or not isinstance(trials, (int, float, np.integer, np.floating)) or not (trials >= 1 and float(trials).is_integer()):
        raise ValueError(f"trials must be a column name or a whole number >= 1 (the trials of every row), got {trials!r}.")
