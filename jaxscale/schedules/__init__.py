"""Learning-rate schedules, and the per-row inputs through which a law sees a run's schedule.

A schedule is an Equinox module evaluated at integer steps (`Constant`, `Cosine`, `WSD` with a decay shape,
`TwoStage`, `FromArray`), each with a linear warmup. `curve_inputs(df, schedule, curve="run")` adds to each
row of a training curve what a schedule-aware law (`js.laws.MultiPowerLaw`, `js.laws.LRAnnealing`) reads:
`lr_area` = S1(t), the learning rate summed over every step up to the row's step t, and, per row, the
learning-rate drops before t (after the warmup) as knots: `lr_drop` (eta_{k-1} - eta_k), `lr_after` (eta_k),
`drop_area` (S1(t) - S1(k-1)) and `drop_lag` (t - k + 1). The laws then compute their cumulative terms, with
their fitted parameters, inside the compiled program; rows stay the unit, so `by=`, `shared=`, padding and
bootstrap weights work unchanged.
"""

from ._curve_inputs import curve_inputs, schedule_inputs
from ._knots import KNOT_INPUTS, annealing_knots, final_step_inputs
from ._schedule import DECAY_SHAPES, WSD, AbstractSchedule, Constant, Cosine, FromArray, TwoStage, decay_curve

__all__ = [
    "DECAY_SHAPES", "KNOT_INPUTS", "WSD", "AbstractSchedule", "Constant", "Cosine", "FromArray", "TwoStage",
    "annealing_knots", "curve_inputs", "decay_curve", "final_step_inputs", "schedule_inputs",
]
