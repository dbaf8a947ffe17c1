"""What `chain` returns: both steps' fits, their joint bootstrap refits, and predictions carried through both."""

from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._fit_result import FitResult
from ._law import AbstractLaw
from ._results import warn


class ChainResult(eqx.Module):
    """A two-step (chained) prediction: step 1 maps (N, D) or C to an intermediate (a task loss), step 2 maps
    the intermediate to the target (an accuracy); `predict` applies step 2 to step 1's prediction.

    `step1` and `step2` are the full-data fits; `laws1` and `laws2` the joint bootstrap refits (leading axis:
    resample; every resample draws whole runs with replacement and refits both steps on them, so the
    spread of a prediction carries both steps' uncertainty); `ok` which resamples ended finite in both steps.
    `feed` is step 2's input that step 1's prediction fills; `inputs1` / `inputs2` the law inputs -> columns;
    `fitted_max` the largest value of each step-1 input in its data (the extrapolation distance is a target's
    value over it); `fitted_intermediate` the range of the intermediate that step 2 was fitted on.
    """

    step1: FitResult
    step2: FitResult
    laws1: AbstractLaw | None
    laws2: AbstractLaw | None
    ok: np.ndarray
    feed: str = eqx.field(static=True)
    intermediate: str = eqx.field(static=True)
    inputs1: dict = eqx.field(static=True)
    inputs2: dict = eqx.field(static=True)
    fitted_max: dict = eqx.field(static=True)
    fitted_intermediate: tuple = eqx.field(static=True)
    n_runs: int = eqx.field(static=True)
    seed: int = eqx.field(static=True)
    seconds: float = eqx.field(static=True)
    compile_seconds: float = eqx.field(static=True)

    @property
    def n_resamples(self) -> int:
        return 0 if self.laws1 is None else int(self.ok.shape[0])

    def predict(self, data, level: float = 0.9) -> pd.DataFrame:
        """At each row of `data` (step 1's input columns, and any other column step 2 reads):
        `intermediate` (step 1's prediction) with its interval `intermediate_lo`, `intermediate_hi`;
        `prediction` (step 2 at step 1's prediction) with its percentile interval `lo`, `hi` over the joint
        bootstrap (at `level`; NaN without a bootstrap); and `extrapolation_<input>`, each step-1 input's value
        over the largest fitted (1 = the edge of the data, 10 = ten times past it).
        """
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, got {level!r}.")
        frame = pd.DataFrame(data) if not isinstance(data, pd.DataFrame) else data
        missing = [c for c in list(self.inputs1.values()) + [c for n, c in self.inputs2.items() if n != self.feed] if c not in frame]
        if missing:
            raise ValueError(f"predict needs the column(s) {missing} (the chain's inputs) in data; it has {list(frame.columns)}.")
        others = {name: jnp.asarray(frame[column].to_numpy(float)) for name, column in self.inputs2.items() if name != self.feed}
        second = lambda law, values: law({**others, self.feed: values})  # step 2 at step 1's prediction
        intermediate = np.asarray(self.step1.law.predict(frame, self.inputs1), dtype=float)
        prediction = np.asarray(second(self.step2.law, jnp.asarray(intermediate)), dtype=float)
        out = pd.DataFrame({"intermediate": intermediate}, index=frame.index)
        q = ((1 - level) / 2, (1 + level) / 2)
        if self.laws1 is not None:
            draws1 = np.asarray(self.laws1.predict(frame, self.inputs1), dtype=float)
            draws2 = np.asarray(jax.vmap(second)(self.laws2, jnp.asarray(draws1)), dtype=float)
            keep = self.ok & np.all(np.isfinite(draws2), axis=1) & np.all(np.isfinite(draws1), axis=1)
            if not keep.all():
                warn(f"{int((~keep).sum())} of {len(keep)} chain resamples ended non-finite and are left out of the intervals.")
            out["intermediate_lo"], out["intermediate_hi"] = np.quantile(draws1[keep], q, axis=0)
            out["prediction"] = prediction
            out["lo"], out["hi"] = np.quantile(draws2[keep], q, axis=0)
        else:
            out["intermediate_lo"] = out["intermediate_hi"] = np.nan
            out["prediction"], out["lo"], out["hi"] = prediction, np.nan, np.nan
        for name, column in self.inputs1.items():
            out[f"extrapolation_{name}"] = frame[column].to_numpy(float) / self.fitted_max[name]
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per bootstrap resample: every parameter of both steps (`step1_<name>`, `step2_<name>`) and
        whether the resample counts (`ok`). Empty without a bootstrap."""
        if self.laws1 is None:
            return pd.DataFrame()
        columns = {}
        for prefix, laws in (("step1", self.laws1), ("step2", self.laws2)):
            for name in type(laws).parameter_names():
                value = np.asarray(getattr(laws, name))
                columns[f"{prefix}_{name}"] = value.reshape(value.shape[0], -1)[:, 0] if value.ndim > 1 else value
        frame = pd.DataFrame(columns)
        frame["ok"] = self.ok
        return frame

    def summary(self, level: float = 0.9) -> pd.DataFrame:
        """One row per parameter of each step: the full-data estimate and, with a bootstrap, its standard error
        and percentile interval at `level`."""
        rows = []
        draws = self.to_frame()
        for prefix, fitted in (("step1", self.step1), ("step2", self.step2)):
            for name, value in _scalars(fitted.law).items():
                row = {"step": prefix, "parameter": name, "estimate": value}
                key = f"{prefix}_{name}"
                if key in draws:
                    kept = draws.loc[draws["ok"], key]
                    row |= {"se": kept.std(ddof=1), "lo": kept.quantile((1 - level) / 2), "hi": kept.quantile((1 + level) / 2)}
                rows.append(row)
        return pd.DataFrame(rows).set_index(["step", "parameter"])

    def __repr__(self) -> str:
        name = lambda fitted: type(fitted.law).__name__
        boot = (f"{self.n_resamples} joint bootstrap resamples over {self.n_runs} runs (seed {self.seed}), {int(np.sum(self.ok))} finite; "
                f"{self.seconds:.2f} s, plus {self.compile_seconds:.2f} s compiling") if self.laws1 is not None else "no bootstrap"
        return (f"ChainResult(step 1: {name(self.step1)} -> {self.intermediate}, step 2: {name(self.step2)} from "
                f"{self.feed} = {self.intermediate}; {boot})")


def _scalars(law: AbstractLaw) -> Mapping[str, float]:
    out = {}
    for name in type(law).parameter_names():
        value = np.asarray(getattr(law, name), dtype=float)
        if value.ndim == 0:
            out[name] = float(value)
        else:
            out.update({f"{name}[{i}]": float(v) for i, v in enumerate(value.ravel())})
    return out
