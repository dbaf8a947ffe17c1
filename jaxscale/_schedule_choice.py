"""`choose_schedule`: the parameters of a schedule family (a WSD's decay fraction and final learning rate, ...)
that minimise the final loss a fitted schedule-aware law predicts, by gradient descent through the law, with a
bootstrap interval."""

from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._curve_prediction import point_and_band
from .schedules import AbstractSchedule, final_step_inputs


class ScheduleChoice(eqx.Module):
    """What `choose_schedule` found: `schedule` (the family at the chosen parameters), `values` (parameter ->
    chosen value), `final_loss` (its predicted final loss) and, with a bootstrap, `draws` (per resample:
    each parameter's optimum, `final_loss` the resample's optimum and `chosen_loss` the chosen schedule's
    loss under that resample), and `baselines` (name -> predicted final loss, and per resample).
    """

    schedule: AbstractSchedule
    values: dict[str, float]
    final_loss: float
    draws: dict[str, np.ndarray]
    baselines: dict[str, float]
    baseline_draws: dict[str, np.ndarray]
    level: float

    def intervals(self, level: float | None = None) -> pd.DataFrame:
        """Percentile intervals over the resamples (`lo`, `hi`) of every parameter's optimum, the optimal final
        loss, the chosen schedule's loss, and its improvement over each baseline (baseline - chosen, paired by
        resample)."""
        level = self.level if level is None else level
        if not self.draws:
            raise ValueError("no bootstrap was given: pass bootstrap=js.bootstrap(...) to choose_schedule for intervals.")
        draws = dict(self.draws) | {f"gain_over_{name}": d - self.draws["chosen_loss"] for name, d in self.baseline_draws.items()}
        return pd.DataFrame({
            "lo": {k: float(np.quantile(v, (1 - level) / 2)) for k, v in draws.items()},
            "hi": {k: float(np.quantile(v, (1 + level) / 2)) for k, v in draws.items()},
        })

    def to_frame(self) -> pd.DataFrame:
        """One row per quantity: the estimate, and `lo`, `hi` with a bootstrap."""
        estimate = dict(self.values) | {"final_loss": self.final_loss, "chosen_loss": self.final_loss}
        estimate |= {f"gain_over_{name}": loss - self.final_loss for name, loss in self.baselines.items()}
        frame = pd.DataFrame({"estimate": estimate})
        return frame.join(self.intervals()) if self.draws else frame

    def summary(self) -> pd.DataFrame:
        return self.to_frame()

    def __repr__(self) -> str:
        chosen = ", ".join(f"{k}={v:.4g}" for k, v in self.values.items())
        text = f"ScheduleChoice({type(self.schedule).__name__}: {chosen}; predicted final loss {self.final_loss:.4f}"
        if self.baselines:
            best = min(self.baselines, key=self.baselines.get)
            text += f"; best baseline {best} {self.baselines[best]:.4f}"
        return text + ")"


def choose_schedule(
    law,
    family: AbstractSchedule,
    over: Mapping[str, tuple[float, float]],
    *,
    baselines: Mapping[str, AbstractSchedule] | None = None,
    grid: int = 6,
    steps: int = 150,
    learning_rate: float = 0.05,
    level: float = 0.9,
) -> ScheduleChoice:
    """The parameters of `family` in `over` that minimise the final loss predicted by a fitted schedule-aware
    law, found by Adam on the parameters (each mapped to its interval by a sigmoid), from the best of a grid.

    The final loss is computed exactly: one knot per step of the schedule, so a continuous parameter (a WSD's
    decay fraction moves its decay's start) has a gradient. With a `BootstrapResult`, every resample's law is
    optimised again from the chosen point, giving intervals for the optimum and, paired by resample, for the
    gain over each baseline schedule.

    Args:
        law: a fitted law, `FitResult` or `BootstrapResult` (`MultiPowerLaw`, `LRAnnealing`).
        family: the schedule whose float fields are searched (e.g. `js.schedules.WSD(...)`: its other fields,
            total and warmup, stay).
        over: field name -> (lo, hi), e.g. {"decay_fraction": (0.02, 0.98), "final": (1e-6, 3e-4)}.
        baselines: name -> schedule, predicted too (e.g. the schedules already run, of the same length).
        grid: starting points per parameter (a grid^len(over) grid, the best 4 refined).
        steps: Adam steps.
        learning_rate: Adam's step size, on the sigmoid-transformed parameters.
        level: the intervals' level.

    >>> import jaxscale as js
    >>> law = js.laws.MultiPowerLaw(L0=2.8, A=0.6, alpha=0.45, B=600.0, C=0.5, beta=0.3, gamma=0.6)
    >>> wsd = js.schedules.WSD(peak=3e-4, final=3e-5, decay_fraction=0.2, total=8000, warmup=500)
    >>> choice = js.choose_schedule(law, wsd, {"decay_fraction": (0.02, 0.98)}, grid=4, steps=50)
    >>> 0.02 < choice.values["decay_fraction"] < 0.98
    True
    """
    if not isinstance(family, AbstractSchedule):
        raise TypeError(f"family must be a js.schedules module, got {type(family).__name__}.")
    names = tuple(over)
    if not names:
        raise ValueError("over is empty: name at least one float field of the schedule to search, e.g. {'decay_fraction': (0.05, 0.95)}.")
    for name in names:
        if not hasattr(family, name) or not jnp.issubdtype(jnp.asarray(getattr(family, name)).dtype, jnp.floating):
            raise ValueError(f"over names '{name}', which is not a float field of {type(family).__name__}.")
        lo, hi = over[name]
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"over['{name}'] must be finite (lo, hi) with lo < hi, got {over[name]!r}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}.")
    point, band = point_and_band(law)
    lo, hi = (jnp.asarray([over[n][i] for n in names], float) for i in (0, 1))
    inputs_of = type(point).inputs

    def schedule_at(z):
        values = lo + (hi - lo) * jax.nn.sigmoid(z)
        return eqx.tree_at(lambda s: [getattr(s, n) for n in names], family, [values[i] for i in range(len(names))])

    def final_loss(z, member):
        x = final_step_inputs(schedule_at(z).learning_rates(), family.warmup)
        return member({k: x[k] for k in inputs_of})[0]

    @jax.jit
    def descend(z0, member):
        # Adam (Kingma and Ba 2015), written out: a step of about `learning_rate` per coordinate, whatever the
        # scale of the loss's gradient.
        def one(carry, i):
            z, m, v = carry
            grad = jax.grad(final_loss)(z, member)
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            m_hat, v_hat = m / (1 - 0.9 ** (i + 1.0)), v / (1 - 0.999 ** (i + 1.0))
            return (z - learning_rate * m_hat / (jnp.sqrt(v_hat) + 1e-12), m, v), None
        zeros = jnp.zeros_like(z0)
        (z, _, _), _ = jax.lax.scan(one, (z0, zeros, zeros), jnp.arange(steps, dtype=z0.dtype))
        return z, final_loss(z, member)

    axis = jnp.linspace(-2.5, 2.5, grid)
    starts = jnp.stack(jnp.meshgrid(*[axis] * len(names), indexing="ij"), -1).reshape(-1, len(names))
    screened = jax.jit(jax.vmap(lambda z: final_loss(z, point)))(starts)
    best_starts = starts[jnp.argsort(jnp.where(jnp.isfinite(screened), screened, jnp.inf))[:4]]
    ends, losses = jax.vmap(lambda z: descend(z, point))(best_starts)
    best = int(jnp.argmin(jnp.where(jnp.isfinite(losses), losses, jnp.inf)))
    z_best = ends[best]
    chosen = schedule_at(z_best)
    values = {n: float(getattr(chosen, n)) for n in names}
    predict_final = lambda schedule, member: member({k: v for k, v in final_step_inputs(schedule.learning_rates(), schedule.warmup).items() if k in inputs_of})[0]
    baselines = dict(baselines or {})
    baseline_loss = {name: float(predict_final(s, point)) for name, s in baselines.items()}
    draws, baseline_draws = {}, {}
    if band is not None:
        z_draws, loss_draws = jax.vmap(lambda member: descend(z_best, member))(band)
        chosen_values = lo + (hi - lo) * jax.nn.sigmoid(z_draws)
        draws = {n: np.asarray(chosen_values[:, i]) for i, n in enumerate(names)}
        draws["final_loss"] = np.asarray(loss_draws)
        draws["chosen_loss"] = np.asarray(jax.vmap(lambda member: predict_final(chosen, member))(band))
        baseline_draws = {name: np.asarray(jax.vmap(lambda member, s=s: predict_final(s, member))(band)) for name, s in baselines.items()}
    return ScheduleChoice(chosen, values, float(losses[best]), draws, baseline_loss, baseline_draws, level)
