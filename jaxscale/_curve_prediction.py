"""`predict_curve`: the loss at every step of a learning-rate schedule that was never run, from a fitted
schedule-aware law, with a bootstrap band."""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._bootstrap_result import BootstrapResult
from ._fit_result import FitResult
from ._law import AbstractLaw, predict_columns
from .schedules import AbstractSchedule, schedule_inputs


def predict_curve(law, schedule: AbstractSchedule, steps=None, *, level: float = 0.9, n_knots: int = 32) -> pd.DataFrame:
    """The predicted loss curve of `schedule` under a fitted schedule-aware law (`MultiPowerLaw`, `LRAnnealing`).

    Args:
        law: a fitted law, a `FitResult`, or a `BootstrapResult` (then `lo` and `hi` give the percentile band of
            the resamples' predictions at `level`).
        schedule: a `js.schedules` module (e.g. `js.schedules.WSD(...)`).
        steps: the steps to predict at (default: every step from the end of warmup, or 1, to the last).
        level: the band's level, with a `BootstrapResult`.
        n_knots: knots per row (see `js.schedules.curve_inputs`).

    Returns:
        A DataFrame with `step`, `lr`, `loss` (and `lo`, `hi` with a bootstrap).

    >>> import jaxscale as js
    >>> law = js.laws.MultiPowerLaw(L0=2.8, A=0.6, alpha=0.45, B=600.0, C=0.5, beta=0.3, gamma=0.6)
    >>> wsd = js.schedules.WSD(peak=3e-4, final=3e-5, decay_fraction=0.2, total=24000, warmup=2160)
    >>> curve = js.predict_curve(law, wsd)
    >>> len(curve), bool(curve["loss"].iloc[-1] < curve["loss"].iloc[-4500])
    (21840, True)
    """
    if not isinstance(schedule, AbstractSchedule):
        raise TypeError(f"schedule must be a js.schedules module (Constant, Cosine, WSD, TwoStage, FromArray), got {type(schedule).__name__}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}.")
    point, band = point_and_band(law)
    if steps is None:
        steps = np.arange(max(schedule.warmup, 1), schedule.total)
    steps = np.asarray(steps)
    if steps.ndim != 1 or not np.all(steps >= 1):
        raise ValueError("steps must be a 1-d array of steps >= 1 (at step 0 no learning rate has been summed yet).")
    x = schedule_inputs(schedule, steps, n_knots)
    missing = sorted(set(type(point).inputs) - set(x))
    if missing:
        raise ValueError(f"{type(point).__name__} reads {missing}, which a schedule does not give: predict_curve takes a schedule-aware law (MultiPowerLaw, LRAnnealing).")
    x = {name: jnp.asarray(x[name]) for name in type(point).inputs}
    frame = pd.DataFrame({"step": steps, "lr": np.asarray(schedule(steps)), "loss": predict_columns(point, x)})
    if band is not None:
        draws = predict_columns(band, x)
        frame["lo"], frame["hi"] = np.quantile(draws, (1 - level) / 2, axis=0), np.quantile(draws, (1 + level) / 2, axis=0)
    return frame


def point_and_band(law) -> tuple[AbstractLaw, AbstractLaw | None]:
    """The point law and (with a bootstrap) the batch of resampled laws whose refit ended finite."""
    if isinstance(law, BootstrapResult):
        ok = np.asarray(law.ok)
        return law.full_fit.law, jax.tree_util.tree_map(lambda a: a[ok], law.laws)
    if isinstance(law, FitResult):
        return law.law, None
    if isinstance(law, AbstractLaw) and not law.batch_shape:
        return law, None
    raise TypeError(f"law must be a fitted law, a FitResult or a BootstrapResult, got {type(law).__name__}.")
