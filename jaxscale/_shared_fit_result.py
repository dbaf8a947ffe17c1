"""What `fit(..., by=..., shared=[...])` returns: one joint fit, read out per group.

The arrays are those of one fit (no batch axis): the joint vector holds each shared parameter once and every
other parameter once per group. What users read is per group: `result[key]` is a group's law, `result.law`
the batch of them, `to_frame()` one row per group with the shared columns equal.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._dataset import read_inputs
from ._fit_result import AbstractFitResult
from ._groups import by_columns, key_tuple, row_groups
from ._law import AbstractLaw
from ._results import RESULTS, listed
from ._shared_law import GROUP_INPUT


class SharedFitResult(AbstractFitResult):
    """One joint fit of every group's rows: the `shared` parameters have one value for all groups, the others
    one per group, all found by one minimisation of the summed objective.

    `objective` is the joint objective (its minimum over the refined restarts) and `group_objective` each
    group's part of it (the loss of the group's law on the group's rows; with the default `reduction="sum"`
    they add up to `objective`). `law` is the batch of fitted laws, one per group in the order of `keys`
    (shared parameters repeated); `result[key]` is one group's law. `to_frame()` has one row per group,
    `summary()` one row per parameter (its role: shared, per group, fixed or tied), `problems()` what `fit`
    warned about. `parameterization` maps the joint vector (`flat_names()`: `E`, `a[0]`, `a[1]`, ...) to the
    joint law, which reads each row's group from the input `GROUP_INPUT` of `dataset`.
    """

    by: tuple[str, ...]
    keys: tuple
    group_rows: tuple[np.ndarray, ...]
    shared: tuple[str, ...]
    group_objective: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)

    def group_of_row(self) -> np.ndarray:
        """Each row's group index (into `keys`); `bootstrap` resamples within these groups."""
        return np.asarray(self.dataset.inputs[GROUP_INPUT]).astype(int)

    def __getitem__(self, key) -> AbstractLaw:
        """The fitted law of group `key` (its shared parameters equal to every other group's)."""
        try:
            g = self.keys.index(key)
        except ValueError:
            raise KeyError(f"no group {key!r}; groups are {list(self.keys)[:10]}{' ...' if len(self.keys) > 10 else ''}") from None
        return jax.tree_util.tree_map(lambda a: a[g], self.law)

    @property
    def best(self) -> int:
        return int(self._best())

    @property
    def objective(self) -> float:
        """The joint objective: every group's rows, at once."""
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
    def joint_law(self) -> AbstractLaw:
        """The fitted law on the joint vector: per-group parameters with a leading group axis."""
        return self.parameterization.to_law(jnp.asarray(self._best_z()))

    @property
    def law(self) -> AbstractLaw:
        """The batch of fitted laws, one per group in the order of `keys` (shared parameters repeated)."""
        return self.joint_law.group_laws(len(self))

    def status_counts(self) -> dict[str, int]:
        """How many refined restarts ended in each status."""
        codes, counts = np.unique(np.asarray(self.status), return_counts=True)
        return {RESULTS(int(c)).name: int(n) for c, n in zip(codes, counts)}

    def roles(self) -> dict[str, str]:
        """Each parameter's role: "shared", "per group", "fixed" or "tied to <name>" (the loss's own
        parameters, if any, are "shared": one value for the joint fit)."""
        per_group = set(type(self.parameterization.template).per_group)
        found = {}
        for name, role in zip(self.parameterization.names, self.parameterization.roles):
            if role == "fixed":
                found[name] = "fixed"
            elif role != "free":
                found[name] = f"tied to {role}"
            else:
                found[name] = "per group" if name in per_group else "shared"
        return found

    def _group_table(self, z) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
        """Per group, every parameter's natural value at the joint point `z`: (labels, the parameter of each
        label, values (groups, labels), on their constraint's boundary (groups, labels))."""
        natural = self.natural(np.asarray(z)[None])[0]
        labels, owners, values = self._per_group(natural)
        bounds, start = [], 0
        parameterization = self.parameterization
        for name, constraint, role in zip(parameterization.names, parameterization.constraints, parameterization.roles):
            width = owners.count(name)
            block = values[:, start : start + width]
            bounds.append(np.asarray(constraint.on_boundary(block)) if role == "free" else np.zeros(block.shape, bool))
            start += width
        return labels, owners, values, np.concatenate(bounds, axis=1)

    def _per_group(self, flat: np.ndarray) -> tuple[list[str], list[str], np.ndarray]:
        """A vector in the joint flat order (`parameterization.flat_names()`: values, standard errors, flags) read
        out per group: (labels, the parameter of each label, (groups, labels)), shared entries repeated."""
        parameterization, n_groups = self.parameterization, len(self)
        per_group = set(type(parameterization.template).per_group)
        labels, owners, columns, offset = [], [], [], 0
        for name, shape in zip(parameterization.names, parameterization.shapes):
            size = int(np.prod(shape))
            block = np.asarray(flat[offset : offset + size])
            offset += size
            grouped = name in per_group
            block = block.reshape(n_groups, -1) if grouped else np.broadcast_to(block, (n_groups, size))
            base_shape = shape[1:] if grouped else shape
            labels += [name] if base_shape == () else [f"{name}[{i}]" for i in range(int(np.prod(base_shape)))]
            owners += [name] * block.shape[1]
            columns.append(block)
        return labels, owners, np.concatenate(columns, axis=1)

    def _group_curvature(self) -> tuple[np.ndarray, np.ndarray]:
        """Per group, each parameter's standard error and whether the data leave it unidentified, (groups,
        labels) each, from the curvature of the joint objective at the optimum (`_curvature`: one Hessian or
        sandwich over the whole joint vector, so a shared parameter's error counts every group's rows and a
        group's own parameters' errors carry the uncertainty of the shared ones)."""
        curv = self._curvature()
        _, _, se = self._per_group(curv.standard_errors[0])
        _, _, unidentified = self._per_group(curv.unidentified[0])
        return se, unidentified.astype(bool)

    def standard_errors(self) -> pd.DataFrame:
        """One row per group: the `by` columns, then each parameter's standard error in natural units from the
        curvature of the joint objective at the optimum (shared parameters equal in every row; 0 if fixed, inf
        if not identified). As `FitResult.standard_errors`, for the joint vector."""
        labels, _, _ = self._per_group(np.zeros(len(self.parameterization.flat_names())))
        se, _ = self._group_curvature()
        return pd.concat([self._key_columns(), pd.DataFrame(se, columns=labels)], axis=1)

    def _key_columns(self) -> pd.DataFrame:
        keys = [key_tuple(k) for k in self.keys]
        return pd.DataFrame({column: [k[i] for k in keys] for i, column in enumerate(self.by)})

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the `by` columns, every parameter (shared ones equal in every row), the group's
        part of the objective, then the joint fit's: `joint_objective`, restart agreement, counts, status,
        `shared` (the shared parameters' names), and each parameter's standard error (`<name>_se`, as
        `standard_errors()`)."""
        labels, _, values, _ = self._group_table(self._best_z())
        se, _ = self._group_curvature()
        frame = pd.concat([self._key_columns(), pd.DataFrame(values, columns=labels)], axis=1)
        frame["objective"] = np.asarray(self.group_objective)
        frame["joint_objective"] = self.objective
        frame["n_agree"] = self.n_agree
        frame["n_refined"] = self.n_refined
        frame["n_starts"] = self.n_starts
        frame["status"] = self.best_status
        frame["shared"] = ", ".join(self.shared)
        return pd.concat([frame, pd.DataFrame(se, columns=[f"{label}_se" for label in labels])], axis=1)

    def summary(self) -> pd.DataFrame:
        """One row per parameter (flat names): its role (shared, per group, fixed, tied to ...), its constraint,
        its median, 5% and 95% quantile and range across groups (one value for a shared parameter), how many
        groups have it on its constraint's boundary, `se` (a shared parameter's standard error; for a per-group
        one the median over groups, each group's in `standard_errors()`) and `identified` (in every group)."""
        labels, owners, values, on_bound = self._group_table(self._best_z())
        roles, constraints = self.roles(), dict(zip(self.parameterization.names, self.parameterization.constraints))
        frame = pd.DataFrame(values, columns=labels).quantile([0.5, 0.05, 0.95]).T
        frame.columns = ["median", "q0.05", "q0.95"]
        frame["min"], frame["max"] = values.min(axis=0), values.max(axis=0)
        frame.insert(0, "constraint", [str(constraints[owner]) for owner in owners])
        frame.insert(0, "role", [roles[owner] for owner in owners])
        frame["n_on_boundary"] = on_bound.sum(axis=0)
        se, unidentified = self._group_curvature()
        frame["se"] = np.median(se, axis=0)
        frame["identified"] = ~unidentified.any(axis=0)
        frame.index.name = "parameter"
        return frame

    def problem_rows(self) -> list[tuple[int | None, str]]:
        """What deserves a `FitWarning`, as (group index or None for the joint fit, text)."""
        found = []
        n_agree, codes = self.n_agree, int(self._best_codes())
        if self.n_refined >= 3 and n_agree < 3:
            found.append((None, (
                f"only {n_agree} of {self.n_refined} refined restarts of the joint fit reached the best objective "
                f"{self.objective:.6g} (within rtol {self.agree_rtol:g}): the optimum may not be the global one; "
                f"try more starts or a larger n_refine."
            )))
        if codes != RESULTS.converged:
            found.append((None, (
                f"the joint fit's best restart stopped ({RESULTS(codes).name}) after {self.best_steps} steps "
                f"without converging; raise the solver's max_steps."
            )))
        labels, owners, values, on_bound = self._group_table(self._best_z())
        roles = self.roles()
        if np.isfinite(self.objective):
            found += self._identification_rows(labels, owners)
        shared_on_bound = [i for i in np.flatnonzero(on_bound[0]) if roles[owners[i]] != "per group"]
        if shared_on_bound:
            shown = ", ".join(f"{labels[i]}={values[0, i]:.6g}" for i in shared_on_bound)
            found.append((None, f"shared parameters on the boundary of their constraint: {shown}. The data may not determine them; widen the bounds or fix the law."))
        for g in range(len(self)):
            grouped = [i for i in np.flatnonzero(on_bound[g]) if roles[owners[i]] == "per group"]
            if grouped:
                shown = ", ".join(f"{labels[i]}={values[g, i]:.6g}" for i in grouped)
                found.append((g, (
                    f"group {self.keys[g]!r}: parameters on the boundary of their constraint: {shown}. The data may "
                    f"not determine them; widen the bounds or fix the law."
                )))
        return found

    def _identification_rows(self, labels, owners) -> list[tuple[int | None, str]]:
        """The parameters the data do not determine (a flat direction of the joint curvature): the shared ones
        as the joint fit's problem, each group's own ones as that group's, with what data would help."""
        _, unidentified = self._group_curvature()
        roles = self.roles()
        found = []
        shared = [labels[i] for i in np.flatnonzero(unidentified[0]) if roles[owners[i]] != "per group"]
        if shared:
            found.append((None, (
                f"shared {listed(shared)} {'is' if len(shared) == 1 else 'are'} not identified by the data: the joint "
                f"objective is flat along a combination of them at the optimum, so other values fit equally well. "
                f"Add data that vary the inputs these parameters act through, or fix one of them."
            )))
        for g in range(len(self)):
            own = [labels[i] for i in np.flatnonzero(unidentified[g]) if roles[owners[i]] == "per group"]
            if own:
                found.append((g, (
                    f"group {self.keys[g]!r}: {listed(own)} {'is' if len(own) == 1 else 'are'} not identified by its "
                    f"data: the joint objective is flat along a combination of them at the optimum. {self._group_hint(g)}"
                )))
        return found

    def _group_hint(self, g: int) -> str:
        """What data would help group g: the law inputs that take one value over its rows, if any."""
        rows = self.group_rows[g][np.asarray(self.dataset.weights)[self.group_rows[g]] > 0]
        constant = []
        for name, column in self.dataset.inputs.items():
            values = np.unique(np.asarray(column)[rows])
            if name != GROUP_INPUT and len(values) == 1:
                constant.append(f"all {len(rows)} of its rows share one {name} ({values[0]:.4g}): add rows with other {name}")
        text = "; ".join(constant)
        return (text[0].upper() + text[1:] + ".") if constant else "Add rows that vary the inputs these parameters act through, share them, or fix one."

    def problems(self) -> pd.DataFrame:
        """One row per problem: the `by` columns of the group it concerns (None where it is the joint fit's) and
        the problem, in words."""
        rows = self.problem_rows()
        keys = self._key_columns()
        frame = pd.DataFrame({column: pd.Series([None if g is None else keys[column].iloc[g] for g, _ in rows], dtype=object) for column in self.by})
        frame["problem"] = pd.Series([text for _, text in rows], dtype=object)
        return frame

    def predict(self, data, inputs=None) -> np.ndarray:
        """Each row of `data` (which must have the `by` columns) predicted by its group's fitted law."""
        frame = pd.DataFrame(data)
        by_columns(frame, self.by)
        group = row_groups(frame, self.by, self.keys)
        law = self.joint_law
        columns = {name: jnp.asarray(v) for name, v in read_inputs(law.base_law_type, frame, inputs).items()}
        columns[GROUP_INPUT] = jnp.asarray(group, dtype=jnp.asarray(self.end_z).dtype)
        return np.asarray(_predict(law, columns))

    def __repr__(self) -> str:
        law_name = type(self.parameterization.template).base_law_type.__name__
        counts = ", ".join(f"{v} {k}" for k, v in self.status_counts().items())
        return (
            f"SharedFitResult({law_name} by {list(self.by)}: {len(self)} groups sharing {list(self.shared)}; joint objective "
            f"{self.objective:.10g} ({type(self.loss).__name__}); {self.n_agree} of {self.n_refined} refined restarts reached it; "
            f"{self.n_starts} starts screened; restarts: {counts}; {self.seconds:.3f} s, plus {self.compile_seconds:.2f} s compiling)"
        )


@eqx.filter_jit
def _predict(law, x):
    # Not `_law.predict_columns`: that vmaps over `law.batch_shape`, which for a joint law is (groups,) whenever its
    # first parameter is per group (its shared ones have no group axis to map over).
    return law(x)
