import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jaxtyping import Array, Float, Int

from ._dataset import Dataset
from ._law import AbstractLaw
from ._parameterization import Parameterization
from .losses import AbstractLoss
from .solvers import AbstractSolver
from ._results import RESULTS, FitWarning
from .solvers import BatchMinimum
STATUS_NAMES = {int(r): r.name for r in RESULTS}
NOT_REFINED = RESULTS.not_refined


def count_agreeing(values: np.ndarray, rtol: float) -> np.ndarray:
    """How many entries along the last axis reach that axis's lowest value, within `rtol` of it."""
    best = np.min(values, axis=-1, keepdims=True)
    return np.sum(values <= best + rtol * np.abs(best), axis=-1)


class FitResult(eqx.Module):
    """The outcome of `fit`: the best law, its objective, and where every restart started and ended.

    `law` is the fitted law; `objective` its objective value; `n_agree` how many refined restarts reached that
    objective (within `agree_rtol`, relative). `to_frame()` gives the parameters, `restarts_frame()` every
    restart. `seconds` is the run time of the compiled fit, `compile_seconds` the time spent tracing and
    compiling it (zero when a fit of the same shapes ran before). Unconstrained coordinates are kept in `start_z` (all starts) and
    `end_z` (the refined ones); `dataset`, `loss` and `solver` are what was fitted, for refits such as `bootstrap`.
    """

    law: AbstractLaw
    objective: float
    parameterization: Parameterization
    loss: AbstractLoss
    solver: AbstractSolver
    dataset: Dataset
    start_z: Float[Array, "starts p"]
    screened: Float[Array, " starts"]
    refined: Int[Array, " refined"]
    end_z: Float[Array, "refined p"]
    end_objective: Float[Array, " refined"]
    status: Int[Array, " refined"]
    steps: Int[Array, " refined"]
    best: int
    n_agree: int
    agree_rtol: float
    seconds: float
    compile_seconds: float

    @classmethod
    def from_minimum(
        cls, parameterization, loss, solver, dataset, start_z, screened, refined, minimum: BatchMinimum, agree_rtol, seconds,
        compile_seconds,
    ) -> "FitResult":
        best = int(jnp.argmin(minimum.value))
        objective = float(minimum.value[best])
        n_agree = int(count_agreeing(np.asarray(minimum.value), agree_rtol))
        return cls(
            law=parameterization.to_law(minimum.z[best]),
            objective=objective,
            parameterization=parameterization,
            loss=loss,
            solver=solver,
            dataset=dataset,
            start_z=start_z,
            screened=screened,
            refined=refined,
            end_z=minimum.z,
            end_objective=minimum.value,
            status=minimum.status,
            steps=minimum.steps,
            best=best,
            n_agree=n_agree,
            agree_rtol=agree_rtol,
            seconds=seconds,
            compile_seconds=compile_seconds,
        )

    @property
    def n_starts(self) -> int:
        return int(self.start_z.shape[0])

    @property
    def n_refined(self) -> int:
        return int(self.end_z.shape[0])

    @property
    def best_status(self) -> str:
        return STATUS_NAMES[int(self.status[self.best])]

    @property
    def best_steps(self) -> int:
        return int(self.steps[self.best])

    def status_counts(self) -> dict[str, int]:
        """How many refined restarts ended in each status."""
        codes, counts = np.unique(np.asarray(self.status), return_counts=True)
        return {STATUS_NAMES[int(c)]: int(n) for c, n in zip(codes, counts)}

    def predict(self, data, inputs=None) -> np.ndarray:
        """The fitted law's predictions at the rows of `data`."""
        return self.law.predict(data, inputs)

    def to_frame(self) -> pd.DataFrame:
        """One row: every fitted parameter, the objective and the restart agreement."""
        row = dict(zip(self.parameterization.flat_names(), self._natural(self.end_z[self.best][None])[0]))
        row.update(objective=self.objective, n_agree=self.n_agree, n_refined=self.n_refined, n_starts=self.n_starts)
        return pd.DataFrame([row])

    def restarts_frame(self) -> pd.DataFrame:
        """One row per starting point: its start and end parameters, objectives, status and step count.

        Starts that screening did not pick keep status "not_refined" and NaN end values.
        """
        names = self.parameterization.flat_names()
        n = self.n_starts
        refined = np.asarray(self.refined)
        end = np.full((n, len(names)), np.nan)
        end[refined] = self._natural(self.end_z)
        objective = np.full(n, np.nan)
        objective[refined] = np.asarray(self.end_objective)
        status = np.full(n, NOT_REFINED)
        status[refined] = np.asarray(self.status)
        steps = np.zeros(n, int)
        steps[refined] = np.asarray(self.steps)
        frame = pd.DataFrame(self._natural(self.start_z), columns=[f"start_{k}" for k in names])
        frame[[f"end_{k}" for k in names]] = end
        frame["start_objective"] = np.asarray(self.screened)
        frame["objective"] = objective
        frame["status"] = pd.Categorical([STATUS_NAMES[s] for s in status], categories=list(STATUS_NAMES.values()))
        frame["steps"] = steps
        return frame

    def _natural(self, z) -> np.ndarray:
        """Unconstrained rows -> rows of natural parameter values in flat order."""
        return np.asarray(self.parameterization.natural_rows(jnp.asarray(z)))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:.6g}" for k, v in self.to_frame().iloc[0, : self.parameterization.size].items())
        counts = ", ".join(f"{v} {k}" for k, v in self.status_counts().items())
        return (
            f"FitResult({type(self.law).__name__}: {params}\n"
            f"  objective {self.objective:.10g} ({type(self.loss).__name__}); {self.n_agree} of {self.n_refined} "
            f"refined restarts reached it (rtol {self.agree_rtol:g}); {self.n_starts} starts screened; "
            f"restarts: {counts}; {self.seconds:.3f} s, plus {self.compile_seconds:.2f} s compiling)"
        )
