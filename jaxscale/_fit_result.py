"""What `fit` returns: the restarts' arrays, and everything derived from them.

One fit and a stack of fits (`fit(..., by=...)`) are the same arrays with or without a leading group axis:
`AbstractFitResult` holds them and derives the best restart, its objective, the restart agreement and the
soft problems along the last axes, so `FitResult` and `GroupedFitResult` share every computation, and a
group of a `GroupedFitResult` is a slice of its arrays.
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jaxtyping import Array, Float, Int

from ._curvature import Curvature, curvature
from ._dataset import Dataset, read_inputs
from ._extrapolation import announce_far, fitted_maxima
from ._extrapolation import reach as reach_of
from ._groups import by_columns, key_tuple, row_groups
from ._law import AbstractLaw
from ._parameterization import Parameterization
from ._results import RESULTS, listed, status_names
from .losses import AbstractLoss


class AbstractFitResult(eqx.Module):
    """The arrays of a fit, with a leading batch shape (`()` for one fit, `(groups,)` for a stack of them).

    `start_z` (..., starts, p) and `screened` (..., starts): every start, unconstrained, and its screened
    objective; `refined` (..., refined): which starts were refined; `end_z`, `end_objective`, `status`
    (a `RESULTS` code) and `steps` (..., refined): where each refined restart ended. `seconds` is the run
    time of the compiled fit, `compile_seconds` the time spent tracing and compiling it.
    """

    parameterization: Parameterization
    loss: AbstractLoss
    dataset: Dataset
    start_z: Float[Array, "*batch starts p"]
    screened: Float[Array, "*batch starts"]
    refined: Int[Array, "*batch refined"]
    end_z: Float[Array, "*batch refined p"]
    end_objective: Float[Array, "*batch refined"]
    status: Int[Array, "*batch refined"]
    steps: Int[Array, "*batch refined"]
    agree_rtol: float
    seconds: float
    compile_seconds: float

    @property
    def n_starts(self) -> int:
        return int(self.start_z.shape[-2])

    @property
    def n_refined(self) -> int:
        return int(self.end_z.shape[-2])

    def _best(self) -> np.ndarray:
        """The restart with the lowest objective; among those within `agree_rtol` of it, a converged one first
        (a restart stopped early once others agreed may sit a rounding error below them)."""
        values = np.asarray(self.end_objective)
        lowest = np.min(values, axis=-1, keepdims=True)
        tied = values <= lowest + self.agree_rtol * np.abs(lowest)
        converged = np.asarray(self.status) == RESULTS.converged
        rank = np.where(tied & converged, 0, np.where(tied, 1, 2))
        return np.lexsort((values, rank), axis=-1)[..., 0]

    def _best_z(self) -> np.ndarray:
        """The best restart's unconstrained point, (..., p)."""
        best = self._best()
        return np.take_along_axis(np.asarray(self.end_z), best[..., None, None], axis=-2)[..., 0, :]

    def _objective(self) -> np.ndarray:
        return np.min(np.asarray(self.end_objective), axis=-1)

    def _n_agree(self) -> np.ndarray:
        """How many refined restarts reached the best objective, within `agree_rtol` of it."""
        values = np.asarray(self.end_objective)
        best = np.min(values, axis=-1, keepdims=True)
        return np.sum(values <= best + self.agree_rtol * np.abs(best), axis=-1)

    def _best_codes(self) -> np.ndarray:
        return np.take_along_axis(np.asarray(self.status), self._best()[..., None], axis=-1)[..., 0]

    def _best_steps(self) -> np.ndarray:
        return np.take_along_axis(np.asarray(self.steps), self._best()[..., None], axis=-1)[..., 0]

    def distinct_ends(self, n: int) -> np.ndarray:
        """Up to `n` restart ends of one fit, (k, p): the best, then the others that are finite and distinct (more
        than 1e-3 relative apart in every coordinate from those already chosen), best first. Where refits start."""
        chosen = []
        for z in np.asarray(self.end_z)[np.argsort(np.asarray(self.end_objective))]:
            if np.all(np.isfinite(z)) and all(np.max(np.abs(z - c)) > 1e-3 * (1 + np.max(np.abs(c))) for c in chosen):
                chosen.append(z)
            if len(chosen) == n:
                break
        return np.stack(chosen)

    def natural(self, z) -> np.ndarray:
        """Unconstrained rows (n, p) -> rows of natural parameter values in flat order."""
        return np.asarray(self.parameterization.natural_rows(jnp.asarray(z)))

    def _parameter_frame(self) -> pd.DataFrame:
        """One row per fit in the batch: every parameter, objective, agreement, counts and the best status."""
        z = self._best_z().reshape(-1, self.parameterization.size)
        frame = pd.DataFrame(self.natural(z), columns=self.parameterization.flat_names())
        frame["objective"] = self._objective().reshape(-1)
        frame["n_agree"] = self._n_agree().reshape(-1)
        frame["n_refined"] = self.n_refined
        frame["n_starts"] = self.n_starts
        frame["status"] = status_names(self._best_codes().reshape(-1))
        return frame

    def _on_bound(self) -> tuple[np.ndarray, np.ndarray]:
        """Per fit in the batch, the best natural values (fits, p) and which sit on their constraint's boundary."""
        natural = self.natural(self._best_z().reshape(-1, self.parameterization.size))
        on_bound = np.zeros(natural.shape, bool)
        offset = 0
        parameterization = self.parameterization
        for constraint, shape, role in zip(parameterization.constraints, parameterization.shapes, parameterization.roles):
            size = int(np.prod(shape))
            if role == "free":  # a fixed or tied value is the user's choice, not a fit running into a bound
                on_bound[:, offset : offset + size] = np.asarray(constraint.on_boundary(natural[:, offset : offset + size]))
            offset += size
        return natural, on_bound

    def _row_weights(self) -> np.ndarray:
        """Each fit's row weights over `dataset`'s rows, (fits, n)."""
        return np.asarray(self.dataset.weights)[None]

    def _curvature(self) -> Curvature:
        """Standard errors and unidentified parameters at every fit's best point (compiled once per shape)."""
        z = self._best_z().reshape(-1, self.parameterization.size)
        return curvature(self.parameterization, self.loss, self.dataset, z, self._row_weights())

    def _standard_error_frame(self) -> pd.DataFrame:
        """One row per fit: each parameter's standard error from the curvature (0 if fixed, inf if not identified)."""
        return pd.DataFrame(self._curvature().standard_errors, columns=self.parameterization.flat_names())

    def _identification_problems(self, g: int, curv: Curvature, agreeing_spread: np.ndarray) -> list[str]:
        """Fit g's parameters that the data do not determine, in words, with what data would."""
        names = self.parameterization.flat_names()
        problems = []
        flat = [names[i] for i in np.flatnonzero(curv.unidentified[g])]
        if flat:
            problems.append(
                f"{listed(flat)} {'is' if len(flat) == 1 else 'are'} not identified by the data: the objective is flat "
                f"along a combination of them at the optimum, so other values fit equally well. {self._data_hint(g)}"
            )
        spread = [names[i] for i in np.flatnonzero(agreeing_spread[g]) if names[i] not in flat]
        if spread:
            problems.append(
                f"restarts that agree on the objective disagree on {listed(spread)} by more than a factor of 100: "
                f"the data do not determine {'it' if len(spread) == 1 else 'them'}. {self._data_hint(g)}"
            )
        return problems

    def _data_hint(self, g: int) -> str:
        """What data would help fit g: the law inputs that take one value over its rows, if any."""
        used = self._row_weights()[g] > 0
        constant = []
        for name, column in self.dataset.inputs.items():
            values = np.unique(np.asarray(column)[used])
            if len(values) == 1:
                constant.append(f"all {int(used.sum())} rows share one {name} ({values[0]:.4g}): add rows with other {name}")
        text = "; ".join(constant)
        return (text[0].upper() + text[1:] + ".") if constant else "Add data that vary the inputs these parameters act through, or fix one of them."

    def _agreeing_spread(self) -> np.ndarray:
        """(fits, q): parameters on which converged restarts that reach the best objective differ by > 100x."""
        values = np.asarray(self.end_objective).reshape(-1, self.n_refined)
        codes = np.asarray(self.status).reshape(-1, self.n_refined)
        z = np.asarray(self.end_z).reshape(-1, self.n_refined, self.parameterization.size)
        best = np.min(values, axis=-1, keepdims=True)
        agree = (values <= best + self.agree_rtol * np.abs(best)) & (codes == RESULTS.converged)
        spread = np.zeros((values.shape[0], len(self.parameterization.flat_names())), bool)
        # Every refined restart at once: one shape per fit, however many agree (no recompiles).
        every = self.natural(z.reshape(-1, z.shape[-1])).reshape(z.shape[0], z.shape[1], -1)
        for g in range(values.shape[0]):
            if agree[g].sum() >= 2:
                natural = every[g][agree[g]]
                with np.errstate(all="ignore"):
                    positive = np.all(natural > 0, axis=0)
                    ratio = np.max(natural, axis=0) / np.min(natural, axis=0)
                spread[g] = positive & (ratio > 100)
        return spread

    def problem_texts(self) -> list[list[str]]:
        """Per fit in the batch, what deserves a `FitWarning`, in words (an empty list when nothing does)."""
        objective, n_agree = self._objective().reshape(-1), self._n_agree().reshape(-1)
        codes, steps = self._best_codes().reshape(-1), self._best_steps().reshape(-1)
        natural, on_bound = self._on_bound()
        flat_names = self.parameterization.flat_names()
        curv, spread = self._curvature(), self._agreeing_spread()
        found = []
        for g in range(len(objective)):
            problems = []
            if np.isfinite(objective[g]):
                problems += self._identification_problems(g, curv, spread)
            if self.n_refined >= 3 and n_agree[g] < 3:
                problems.append(
                    f"only {n_agree[g]} of {self.n_refined} refined restarts reached the best objective "
                    f"{objective[g]:.6g} (within rtol {self.agree_rtol:g}): the optimum may not be the global one; "
                    f"try more starts or a larger n_refine."
                )
            if codes[g] != RESULTS.converged:
                problems.append(
                    f"the best restart stopped ({RESULTS(int(codes[g])).name}) after {steps[g]} steps without converging; "
                    f"raise the solver's max_steps."
                )
            if on_bound[g].any():
                values = ", ".join(f"{flat_names[i]}={natural[g, i]:.6g}" for i in np.flatnonzero(on_bound[g]))
                problems.append(
                    f"parameters on the boundary of their constraint: {values}. The data may not determine them; "
                    f"widen the bounds or fix the law."
                )
            found.append(problems)
        return found

    @abc.abstractmethod
    def to_frame(self) -> pd.DataFrame:
        """The fitted parameters as a DataFrame (one row per fit)."""

    @abc.abstractmethod
    def summary(self) -> pd.DataFrame:
        """One row per parameter."""

    @abc.abstractmethod
    def problems(self) -> pd.DataFrame:
        """What deserves a look, one row per problem (empty when nothing does)."""


def _measured_inputs(law_type: type[AbstractLaw], inputs, rows=None, weights=None) -> dict[str, np.ndarray]:
    """The law's per-row inputs (sequence inputs, such as a learning-rate schedule, left out), at `rows`, and
    of those only the ones with weight > 0 when `weights` are given: the rows that were fitted."""
    sequences = set(getattr(law_type, "sequence_inputs", ()))
    keep = slice(None) if rows is None else np.asarray(rows)
    columns = {name: np.asarray(values)[keep] for name, values in inputs.items() if name not in sequences}
    if weights is not None:
        used = np.asarray(weights)[keep] > 0
        columns = {name: values[used] for name, values in columns.items()}
    return columns


class FitResult(AbstractFitResult):
    """The outcome of `fit`: the best law, its objective, and where every restart started and ended.

    `law` is the fitted law; `objective` its objective value; `n_agree` how many refined restarts reached that
    objective (within `agree_rtol`, relative). `to_frame()` gives the parameters, `summary()` one row per
    parameter, `restarts_frame()` every restart, `problems()` what `fit` warned about. `dataset` and `loss` are
    what was fitted, for refits such as `bootstrap`.
    """

    @property
    def best(self) -> int:
        return int(self._best())

    @property
    def objective(self) -> float:
        return float(self._objective())

    @property
    def n_agree(self) -> int:
        return int(self._n_agree())

    @property
    def best_status(self) -> str:
        return RESULTS(int(self._best_codes())).name

    @property
    def best_steps(self) -> int:
        return int(self._best_steps())

    @property
    def law(self) -> AbstractLaw:
        return self.parameterization.to_law(jnp.asarray(self._best_z()))

    @property
    def noise(self) -> dict[str, float]:
        """The fitted values of the loss's own free parameters (a likelihood's sigma, concentration, ...)."""
        natural = dict(zip(self.parameterization.flat_names(), self.natural(self._best_z()[None])[0]))
        return {name: float(natural[name]) for name in self.parameterization.noise_names}

    @property
    def fitted_loss(self) -> AbstractLoss:
        """The loss with its own fitted parameters in place (for a likelihood: `sample`, `residuals`, ...)."""
        return self.parameterization.to_loss(jnp.asarray(self._best_z()), self.loss)

    def residuals(self, kind: str = "pearson") -> np.ndarray:
        """Per-row residuals at the fit: for a likelihood "pearson" ((y - mean) / sd) or "deviance"; for a
        residual loss its own residuals (log prediction - log target for the log losses; `kind` unused)."""
        loss = self.fitted_loss
        if hasattr(loss, "pearson"):
            return np.asarray(loss.residuals(self.law, self.dataset, kind))
        return np.asarray(loss.residuals(self.law, self.dataset))

    def status_counts(self) -> dict[str, int]:
        """How many refined restarts ended in each status."""
        codes, counts = np.unique(np.asarray(self.status), return_counts=True)
        return {RESULTS(int(c)).name: int(n) for c, n in zip(codes, counts)}

    def fitted_maxima(self) -> dict[str, float]:
        """The largest fitted value of every input that is positive throughout the fitted rows (those with
        weight > 0): what `reach` and `allocate` measure a prediction or an allocation against.

        >>> import jaxscale as js
        >>> result = js.fit(js.Chinchilla, js.datasets.load("chinchilla", subset="epoch"))
        >>> {name: f"{value:.3g}" for name, value in result.fitted_maxima().items()}
        {'N': '1.62e+10', 'D': '3.18e+11'}
        """
        law_type = type(self.parameterization.template)
        return fitted_maxima(_measured_inputs(law_type, self.dataset.inputs, weights=self.dataset.weights))

    def reach(self, data, inputs=None) -> pd.DataFrame:
        """How far each row of `data` lies beyond the fitted data: per input positive throughout the fitted rows
        (N, D, C ...), `reach_<input>` = the row's value / the largest fitted value, and `reach`, the largest of
        them (1 or less: inside the fitted range on every axis). `predict` warns past 10.

        >>> import jaxscale as js
        >>> result = js.fit(js.Chinchilla, js.datasets.load("chinchilla", subset="epoch"))
        >>> result.reach({"N": [1.6e9, 1.6e12], "D": [3.2e10, 3.2e12]}).round(1)
           reach_N  reach_D  reach
        0      0.1      0.1    0.1
        1     98.9     10.1   98.9
        """
        law_type = type(self.parameterization.template)
        return reach_of(self.fitted_maxima(), _measured_inputs(law_type, read_inputs(law_type, data, inputs)))

    def predict(self, data, inputs=None, *, announce_reach: bool = True) -> np.ndarray:
        """The fitted law's predictions at the rows of `data`; a `FitWarning` when a row reaches beyond 10x the
        largest fitted value of an input (see `reach`): such an extrapolation rests on the law's form alone.
        `announce_reach=False` is for callers that extrapolate on purpose and report the reach themselves."""
        predictions = self.law.predict(data, inputs)
        if announce_reach:
            announce_far(self.reach(data, inputs), "predict")
        return predictions

    def to_frame(self) -> pd.DataFrame:
        """One row: every fitted parameter, the objective, the restart agreement, and each parameter's standard
        error from the curvature at the optimum (`<name>_se`; see `standard_errors`)."""
        frame = self._parameter_frame().drop(columns="status")
        return pd.concat([frame, self._standard_error_frame().add_suffix("_se")], axis=1)

    def standard_errors(self) -> pd.Series:
        """Each parameter's standard error, in natural units, from the curvature of the objective at the optimum.

        For a residual loss, the sandwich (J^T W J)^-1 J^T W diag(r^2) J (J^T W J)^-1 * n / (n - p) of its
        residuals r and their Jacobian J (robust to noise that varies between rows); for a likelihood, the inverse
        Hessian of the negative log-likelihood. The delta method carries it through each constraint's map. 0 for a
        fixed parameter; inf for one the data do not identify (`fit` warns about it). Quicker than, and near,
        `bootstrap`'s standard errors when the objective is close to quadratic around the optimum; where a
        parameter's distribution is skewed (a large coefficient such as Chinchilla's A or B), prefer the bootstrap.
        """
        return pd.Series(self._curvature().standard_errors[0], index=pd.Index(self.parameterization.flat_names(), name="parameter"), name="se")

    def summary(self) -> pd.DataFrame:
        """One row per parameter (flat names): its fitted value, its constraint ("fixed" or "tied to ..." for
        parameters not searched), its standard error (`standard_errors()`), whether it sits on its constraint's
        boundary and whether the data identify it."""
        natural, on_bound = self._on_bound()
        parameterization = self.parameterization
        constraints = [str(c) for c, shape in zip(parameterization.constraints, parameterization.shapes) for _ in range(int(np.prod(shape)))]
        roles = parameterization.flat_roles()
        constraints = [c if r == "free" else ("fixed" if r == "fixed" else f"tied to {r}") for c, r in zip(constraints, roles)]
        curv = self._curvature()
        return pd.DataFrame(
            {"estimate": natural[0], "se": curv.standard_errors[0], "constraint": constraints, "on_boundary": on_bound[0],
             "identified": ~curv.unidentified[0]},
            index=pd.Index(parameterization.flat_names(), name="parameter"),
        )

    def problems(self) -> pd.DataFrame:
        """What `fit` warned about, one row per problem."""
        return pd.DataFrame({"problem": self.problem_texts()[0]}, dtype=object)

    def restarts_frame(self) -> pd.DataFrame:
        """One row per starting point: its start and end parameters, objectives, status and step count.

        Starts that screening did not pick keep status "not_refined" and NaN end values.
        """
        names = self.parameterization.flat_names()
        n = self.n_starts
        refined = np.asarray(self.refined)
        end = np.full((n, len(names)), np.nan)
        end[refined] = self.natural(self.end_z)
        objective = np.full(n, np.nan)
        objective[refined] = np.asarray(self.end_objective)
        status = np.full(n, int(RESULTS.not_refined))
        status[refined] = np.asarray(self.status)
        steps = np.zeros(n, int)
        steps[refined] = np.asarray(self.steps)
        frame = pd.DataFrame(self.natural(self.start_z), columns=[f"start_{k}" for k in names])
        frame[[f"end_{k}" for k in names]] = end
        frame["start_objective"] = np.asarray(self.screened)
        frame["objective"] = objective
        frame["status"] = pd.Categorical(status_names(status), categories=[r.name for r in RESULTS])
        frame["steps"] = steps
        return frame

    def __repr__(self) -> str:
        n_columns = len(self.parameterization.flat_names())
        params = ", ".join(f"{k}={v:.6g}" for k, v in self.to_frame().iloc[0, :n_columns].items())
        counts = ", ".join(f"{v} {k}" for k, v in self.status_counts().items())
        return (
            f"FitResult({type(self.parameterization.template).__name__}: {params}\n"
            f"  objective {self.objective:.10g} ({type(self.loss).__name__}); {self.n_agree} of {self.n_refined} "
            f"refined restarts reached it (rtol {self.agree_rtol:g}); {self.n_starts} starts screened; "
            f"restarts: {counts}; {self.seconds:.3f} s, plus {self.compile_seconds:.2f} s compiling)"
        )


class GroupedFitResult(AbstractFitResult):
    """One fit per group, stacked: `result[key]` (that group's `FitResult`, a slice), `result.keys`,
    `to_frame()` (one row per group), `summary()` (each parameter across groups), `problems()` (per group).

    `law` is the batch of fitted laws, one per group in the order of `keys`; `predict(data)` predicts each row
    with its own group's law. The arrays have a leading group axis: `end_z` (groups, refined, p), ...;
    `dataset` holds every row, `group_rows` each group's row positions in it.
    """

    by: tuple[str, ...]
    keys: tuple
    group_rows: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, key) -> FitResult:
        try:
            g = self.keys.index(key)
        except ValueError:
            raise KeyError(f"no group {key!r}; groups are {list(self.keys)[:10]}{' ...' if len(self.keys) > 10 else ''}") from None
        rows = self.group_rows[g]
        at = lambda a: a[g]
        return FitResult(
            self.parameterization, self.loss, jax.tree_util.tree_map(lambda a: a[rows], self.dataset),
            *(at(getattr(self, name)) for name in ("start_z", "screened", "refined", "end_z", "end_objective", "status", "steps")),
            agree_rtol=self.agree_rtol, seconds=self.seconds / len(self), compile_seconds=self.compile_seconds / len(self),
        )

    @property
    def results(self) -> tuple[FitResult, ...]:
        """Every group's `FitResult`, in the order of `keys`."""
        return tuple(self[key] for key in self.keys)

    @property
    def best(self) -> np.ndarray:
        """Per group, the index of its best refined restart."""
        return self._best()

    @property
    def objective(self) -> np.ndarray:
        return self._objective()

    @property
    def n_agree(self) -> np.ndarray:
        """Per group, how many refined restarts reached its best objective (within `agree_rtol`)."""
        return self._n_agree()

    @property
    def best_status(self) -> np.ndarray:
        """Per group, the status name of its best restart."""
        return np.array(status_names(self._best_codes()))

    @property
    def law(self) -> AbstractLaw:
        return _to_laws(self.parameterization, jnp.asarray(self._best_z()))

    def _key_columns(self) -> pd.DataFrame:
        keys = [key_tuple(k) for k in self.keys]
        return pd.DataFrame({column: [k[i] for k in keys] for i, column in enumerate(self.by)})

    def _row_weights(self) -> np.ndarray:
        weights = np.asarray(self.dataset.weights)
        masks = np.zeros((len(self.keys), weights.shape[0]))
        for g, rows in enumerate(self.group_rows):
            masks[g, rows] = weights[rows]
        return masks

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the `by` columns, the fitted parameters, objective, restart agreement, status and
        each parameter's standard error (`<name>_se`, as `FitResult.standard_errors`)."""
        return pd.concat([self._key_columns(), self._parameter_frame(), self._standard_error_frame().add_suffix("_se")], axis=1)

    def standard_errors(self) -> pd.DataFrame:
        """One row per group: each parameter's standard error from the curvature at its optimum (see
        `FitResult.standard_errors`)."""
        return pd.concat([self._key_columns(), self._standard_error_frame()], axis=1)

    def summary(self) -> pd.DataFrame:
        """One row per parameter (flat names): its median, 5% and 95% quantile and range across groups."""
        values = self._parameter_frame()[self.parameterization.flat_names()]
        frame = values.quantile([0.5, 0.05, 0.95]).T
        frame.columns = ["median", "q0.05", "q0.95"]
        frame["min"], frame["max"] = values.min(), values.max()
        frame.index.name = "parameter"
        return frame

    def problems(self) -> pd.DataFrame:
        """One row per problem of any group: its `by` columns and the problem, in words."""
        keys = self._key_columns()
        rows = [(g, text) for g, texts in enumerate(self.problem_texts()) for text in texts]
        frame = keys.iloc[[g for g, _ in rows]].reset_index(drop=True)
        frame["problem"] = pd.Series([text for _, text in rows], dtype=object)
        return frame

    def reach(self, data, inputs=None) -> pd.DataFrame:
        """As `FitResult.reach`, each row of `data` (which must have the `by` columns) measured against its own
        group's fitted data: `reach_<input>` and `reach`, one row per row of `data`.

        >>> import jaxscale as js
        >>> df = js.datasets.load("chinchilla", subset="epoch")
        >>> df = df.assign(half=df["N"] > df["N"].median())
        >>> grouped = js.fit(js.Chinchilla, df, by="half")
        >>> small = df.loc[~df["half"], "N"].max()
        >>> grouped.reach({"N": [20 * small, 20 * small], "D": [1e9, 1e9], "half": [False, True]})["reach_N"].round(1).tolist()
        [20.0, 1.3]
        """
        frame, group_of_row, x = self._read_rows(data, inputs)
        return self._reach_rows(group_of_row, x)

    def _read_rows(self, data, inputs):
        """`data` as a frame, each row's group index and the law's input columns."""
        frame = pd.DataFrame(data)
        by_columns(frame, self.by)
        group_of_row = np.asarray(row_groups(frame, self.by, self.keys))
        x = read_inputs(type(self.parameterization.template), frame, inputs)
        return frame, group_of_row, x

    def _reach_rows(self, group_of_row: np.ndarray, x) -> pd.DataFrame:
        law_type = type(self.parameterization.template)
        asked = _measured_inputs(law_type, x)
        # On the host once: each group below is a slice of these.
        fitted_inputs = {name: np.asarray(values) for name, values in self.dataset.inputs.items()}
        weights = np.asarray(self.dataset.weights)
        parts = []
        for g in np.unique(group_of_row):
            rows = np.flatnonzero(group_of_row == g)
            fitted = fitted_maxima(_measured_inputs(law_type, fitted_inputs, self.group_rows[g], weights))
            part = reach_of(fitted, {name: values[rows] for name, values in asked.items()})
            if len(part) != len(rows):  # no input measurable for this group (none positive throughout): unknown reach
                part = pd.DataFrame({"reach": np.full(len(rows), np.nan)})
            parts.append(part.set_index(pd.Index(rows)))
        frame = pd.concat(parts).sort_index()
        columns = [c for c in frame.columns if c != "reach"] + ["reach"]
        return frame[columns].reset_index(drop=True)

    def predict(self, data, inputs=None, *, announce_reach: bool = True) -> np.ndarray:
        """Each row of `data` (which must have the `by` columns) predicted by its group's fitted law; a
        `FitWarning` when a row reaches beyond 10x the largest value of an input its group was fitted to (`reach`;
        `announce_reach=False`: no warning, as for `FitResult.predict`)."""
        _, group_of_row, x = self._read_rows(data, inputs)
        predictions = np.asarray(_predict_rows(self.law, jnp.asarray(group_of_row), x))
        if announce_reach:
            announce_far(self._reach_rows(group_of_row, x), "predict")
        return predictions

    def __repr__(self) -> str:
        statuses = pd.Series(self.best_status).value_counts().to_dict()
        return (
            f"GroupedFitResult({type(self.parameterization.template).__name__} by {list(self.by)}: {len(self)} groups, "
            f"best restarts {statuses}; {self.seconds:.3f} s, plus {self.compile_seconds:.2f} s compiling)"
        )


@eqx.filter_jit
def _to_laws(parameterization, z):
    return jax.vmap(parameterization.to_law)(z)


@eqx.filter_jit
def _predict_rows(laws, group_of_row, x):
    """Row i predicted by law `group_of_row[i]` of the batch, one row at a time under vmap."""
    row_laws = jax.tree_util.tree_map(lambda a: a[group_of_row], laws)
    return jax.vmap(lambda law, row: law(row))(row_laws, x)
