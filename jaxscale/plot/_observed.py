"""What a fit plot shows: the measured rows (inputs on the law's names, target on the law's scale), how the law
is drawn against them (loss against compute per model size, against its one input, or predicted against
actual), and the curves: one per model size run, solid over that size's own runs and dashed beyond."""

import dataclasses

import numpy as np

from .._constraints import Interval
from .._dataset import numeric_column, read_inputs
from .._law import predict_columns
from .._shared_law import GROUP_INPUT
from ..laws import AbstractBoundedLaw

LAYOUTS = ("compute", "input", "scatter")


@dataclasses.dataclass(frozen=True)
class Observed:
    """Rows to draw: `inputs` (law input name -> (n,) or (n, k) array), `target` (n,) on the scale of the law's
    prediction, its `label`, and whether it is bounded (an accuracy: a linear axis) or positive (log axes)."""

    inputs: dict
    target: np.ndarray
    label: str
    bounded: bool

    @property
    def log_target(self) -> bool:
        return not self.bounded and bool(np.all(self.target > 0))

    def rows(self, rows) -> "Observed":
        return dataclasses.replace(self, inputs={k: v[rows] for k, v in self.inputs.items()}, target=self.target[rows])


@dataclasses.dataclass(frozen=True)
class Curve:
    """One drawn curve: the plotted x and the law inputs there, for the solid part (over the rows) and the dashed
    part (the prediction beyond them). `value` is what colours it (the model size), `label` its legend text."""

    label: str
    value: float
    x_solid: np.ndarray
    inputs_solid: dict
    x_dashed: np.ndarray
    inputs_dashed: dict


def law_inputs(law) -> tuple[str, ...]:
    return tuple(law.inputs)


def layout_of(law) -> str:
    """"compute" for a law of exactly N and D, "input" for a law of one scalar input, "scatter" otherwise."""
    names = law_inputs(law)
    if set(names) == {"N", "D"}:
        return "compute"
    if len(names) == 1 and names[0] not in getattr(type(law), "sequence_inputs", ()):
        return "input"
    return "scatter"


def is_bounded(law, observation) -> bool:
    """A target between a floor and a ceiling: a bounded law, or a loss / likelihood defined on an interval."""
    return isinstance(law, AbstractBoundedLaw) or isinstance(getattr(observation, "target_support", None), Interval)


def observed_rows(law, loss, dataset, data=None, inputs=None, target=None) -> Observed:
    """The rows a fit was made on (`dataset`, with `loss.predicted_target`), or those of `data` if given (its
    `target` column, default "loss"; `inputs` maps law inputs to columns)."""
    bounded = is_bounded(law, loss)
    if data is None:
        x = {k: np.asarray(v) for k, v in dataset.inputs.items() if k != GROUP_INPUT}
        y = np.asarray(loss.predicted_target(dataset), float) if loss is not None else np.asarray(dataset.target, float)
        return Observed(x, y, target or ("score" if bounded else "loss"), bounded)
    target = target or "loss"
    x = read_inputs(type(law), data, inputs)
    y = numeric_column(data if hasattr(data, "columns") else _frame(data), target, role="target")
    return Observed(x, y, target, bounded)


def _frame(data):
    import pandas as pd

    return pd.DataFrame(data)


def predict(law, x: dict) -> np.ndarray:
    """The law's prediction at the columns `x` (a batch of laws: one row per member), compiled once per shape."""
    return predict_columns(law, x)


def predict_curves(law, drawn: list) -> list[tuple[np.ndarray, np.ndarray]]:
    """(solid, dashed) predictions of every curve, from one call of the law on all their points at once."""
    parts = [c.inputs_solid for c in drawn] + [c.inputs_dashed for c in drawn]
    lengths = [len(next(iter(part.values()))) for part in parts]
    joined = predict(law, {name: np.concatenate([part[name] for part in parts]) for name in parts[0]})
    pieces = np.split(joined, np.cumsum(lengths)[:-1], axis=-1)
    return list(zip(pieces[: len(drawn)], pieces[len(drawn) :]))


def compute(x: dict) -> np.ndarray:
    """Training compute C = 6 N D of each row."""
    return 6.0 * np.asarray(x["N"], float) * np.asarray(x["D"], float)


def sizes_to_draw(sizes: np.ndarray, max_curves: int | None) -> np.ndarray:
    """The distinct model sizes run, or `max_curves` of them spread evenly over their sorted order."""
    if max_curves is None or len(sizes) <= max_curves:
        return sizes
    return sizes[np.unique(np.round(np.linspace(0, len(sizes) - 1, max_curves)).astype(int))]


def curves(law, observed: Observed, extend: float = 4.0, max_curves: int | None = 12, points: int = 64) -> list[Curve]:
    """The curves of a "compute" or "input" layout: one per model size run (N and D laws; each size's own
    compute range, then dashed up to `extend` times its largest compute) or one over the input's range."""
    if layout_of(law) == "compute":
        N, D = np.asarray(observed.inputs["N"], float), np.asarray(observed.inputs["D"], float)
        found = []
        for size in sizes_to_draw(np.unique(N), max_curves):
            own = D[N == size]
            d_solid = np.geomspace(own.min(), own.max(), points) if own.max() > own.min() else np.array([own.min(), own.max()])
            d_dashed = np.geomspace(own.max(), own.max() * extend, points // 2)
            found.append(Curve(
                f"N = {size:.3g}", float(size),
                6 * size * d_solid, {"N": np.full_like(d_solid, size), "D": d_solid},
                6 * size * d_dashed, {"N": np.full_like(d_dashed, size), "D": d_dashed},
            ))
        return found
    (name,) = law_inputs(law)
    x = np.asarray(observed.inputs[name], float)
    lo, hi = float(x.min()), float(x.max())
    if log_input(law, name):
        solid, dashed = np.geomspace(lo, hi, points * 2), np.geomspace(hi, hi * extend, points)
    else:
        solid, dashed = np.linspace(lo, hi, points * 2), np.linspace(hi, hi + (hi - lo) * (extend - 1) / extend, points)
    return [Curve(f"{type(law).__name__}", float("nan"), solid, {name: solid}, dashed, {name: dashed})]


def log_input(law, name: str) -> bool:
    """Whether an input is drawn on a log axis: the law takes its log (so it is positive)."""
    return name in type(law).input_names_needing_positive()


def check_extend(extend) -> float:
    if isinstance(extend, bool) or not isinstance(extend, (int, float, np.number)) or not np.isfinite(extend) or extend < 1:
        raise ValueError(f"extend must be a number >= 1 (how far beyond each size's last run the dashed prediction reaches, as a factor of compute), got {extend!r}.")
    return float(extend)


def check_max_curves(max_curves) -> int | None:
    if max_curves is None:
        return None
    if isinstance(max_curves, bool) or not isinstance(max_curves, (int, np.integer)) or max_curves < 1:
        raise ValueError(f"max_curves must be a positive integer or None (every model size run), got {max_curves!r}.")
    return int(max_curves)
