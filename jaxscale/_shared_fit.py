"""`fit(..., by=..., shared=[...])`: one joint fit of every group's rows, some parameters shared by all groups.

The joint law is the law with a leading group axis on every parameter that is not shared (`shared_law`); its
parameterization's vector holds each shared parameter once and the others once per group. Each row carries its
group index as an input, so the loss sees one dataset and one law and sums over every group's rows: one
objective, minimised by the usual `MultiStart` (screen every start, refine the best) in one compiled program.

Default starts combine the per-group ones: one Sobol sample (or the law's own starts) is drawn for each group,
scaled to its data, and once for all rows pooled; start s takes the shared parameters from the pooled draw s
and each group's other parameters from that group's draw s.
"""

import time
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._compile_timer import compile_timer
from ._dataset import Dataset
from ._groups import by_columns, groups_of
from ._law import AbstractLaw
from ._objective import Objective
from ._parameterization import Parameterization
from ._progress import progress_bar, report_progress
from ._results import RESULTS, FitError, warn
from ._shared_fit_result import SharedFitResult
from ._shared_law import GROUP_INPUT, shared_law
from ._starts import as_batch, sobol_per_group
from ._tree import replace_parameters


def fit_shared(
    template: AbstractLaw,
    parameterization: Parameterization,
    data,
    by,
    shared,
    *,
    target,
    inputs,
    weights,
    loss,
    starts,
    bounds,
    fixed,
    tied,
    multistart,
    dtype,
    progress: bool = False,
) -> SharedFitResult:
    """The joint fit behind `fit(law, data, by=..., shared=[...])`; `parameterization` is the one `fit` made for
    the law alone (it has checked `bounds`, `fixed` and `tied`). Everything is checked before compiling."""
    shared = check_shared(shared, by, template, parameterization)
    if not isinstance(data, (pd.DataFrame, dict)):
        raise TypeError(f"fit(..., by=..., shared=...) needs a DataFrame or dict of columns, got {type(data).__name__}.")
    frame = pd.DataFrame(data)
    by = by_columns(frame, by)
    if isinstance(weights, (np.ndarray, Sequence)) and not isinstance(weights, str):
        frame = frame.assign(_weight=np.asarray(weights, dtype=float))
        weights = "_weight"
    keys, group_rows = groups_of(frame, by)
    dataset = Dataset.from_frame(frame, template, target=target, inputs=inputs, weights=weights, observation=loss, dtype=dtype)
    per_group = per_group_names(parameterization, shared)
    joint_template = shared_law(template, per_group, len(keys))
    joint = Parameterization(joint_template, bounds, fixed, tied, noise=loss.noise_parameters())
    _check_group_sizes(np.asarray(dataset.weights), keys, group_rows, by, parameterization, per_group, joint, template)
    z_starts = joint_starts(starts, template, joint, dataset, group_rows, loss, dtype)
    group = np.zeros(dataset.n_rows)
    for g, rows in enumerate(group_rows):
        group[rows] = g
    dataset = eqx.tree_at(lambda d: d.inputs, dataset, {**dataset.inputs, GROUP_INPUT: jnp.asarray(group, dtype)})

    n_refine = min(multistart.n_refine, z_starts.shape[0])
    max_steps = multistart.solver_for(loss).max_steps
    began = time.perf_counter()
    with compile_timer() as compiling, progress_bar(progress, max_steps, f"refining {n_refine} joint restarts"):
        screened, chosen, minimum = multistart.run(joint, loss, dataset, z_starts, report_progress if progress else None)
        jax.block_until_ready(minimum)
    seconds = time.perf_counter() - began - compiling.seconds
    if not bool(jnp.any(minimum.status != RESULTS.non_finite)):
        raise FitError(
            f"all {n_refine} refined restarts of the joint fit of {type(template).__name__} (by={list(by)}, shared={list(shared)}) "
            f"ended with a non-finite objective (best screened objective {float(jnp.min(screened)):.4g}). Check that the "
            f"law can produce the data, try other `starts` or `bounds`, or fit the groups separately first."
        )
    best = jnp.argmin(minimum.value)
    masks = np.zeros((len(keys), dataset.n_rows))
    for g, rows in enumerate(group_rows):
        masks[g, rows] = 1.0
    group_objective = np.asarray(_group_objectives(joint, loss, dataset, minimum.z[best], jnp.asarray(masks, dtype)))
    result = SharedFitResult(
        joint, loss, dataset, z_starts, screened, chosen, minimum.z, minimum.value, minimum.status, minimum.steps,
        agree_rtol=multistart.agree_rtol, seconds=seconds, compile_seconds=compiling.seconds,
        by=by, keys=tuple(keys), group_rows=tuple(group_rows), shared=shared, group_objective=group_objective,
    )
    _warn(result)
    return result


def _warn(result: SharedFitResult) -> None:
    """The joint fit's problems as one `FitWarning` each; the groups' (a per-group parameter on its bound) as
    one warning naming how many groups and the first."""
    rows = result.problem_rows()
    for g, problem in rows:
        if g is None:
            warn(problem)
    flagged = [problem for g, problem in rows if g is not None]
    if flagged:
        warn(f"{len(flagged)} of {len(result)} groups have something to check (result.problems() lists them); e.g. {flagged[0]}")


def check_shared(shared, by, template: AbstractLaw, parameterization: Parameterization) -> tuple[str, ...]:
    """`shared` as a tuple of parameter names, refused (a ValueError naming the fix) without `by`, for a name
    that is not a parameter of the law, or for a parameter that is fixed or tied."""
    law_name = type(template).__name__
    names = type(template).parameter_names()
    if isinstance(shared, str):
        shared = (shared,)
    if not isinstance(shared, (Sequence, set, frozenset)) or not all(isinstance(name, str) for name in shared):
        raise TypeError(f"shared must be a parameter name or a list of them (e.g. shared=['E']), got {shared!r}.")
    shared = tuple(dict.fromkeys(shared))
    if by is None:
        raise ValueError(
            f"shared={list(shared)} gives parameters one value across groups of rows, but no groups were given: "
            f"pass by='<column>' as well (e.g. fit(law, df, by='corpus', shared={list(shared)})), or drop shared= to fit all rows as one."
        )
    unknown = [name for name in shared if name not in names]
    if unknown:
        raise ValueError(f"shared names {unknown}, which are not parameters of {law_name}; they are {list(names)}.")
    roles = dict(zip(parameterization.names, parameterization.roles))
    for name in shared:
        if roles[name] == "fixed":
            raise ValueError(
                f"'{name}' is both fixed and shared: a fixed parameter already has one value for every group, so drop it "
                f"from shared (or from fixed, to fit one value of it for all groups)."
            )
        if roles[name] != "free":
            raise ValueError(
                f"shared names '{name}', which is tied to '{roles[name]}': a tied parameter takes its source's value, so "
                f"share '{roles[name]}' instead ('{name}' follows it)."
            )
    return shared


def per_group_names(parameterization: Parameterization, shared: tuple[str, ...]) -> tuple[str, ...]:
    """The law's parameters that get one value per group: the free ones not shared, and those tied to them."""
    roles = dict(zip(parameterization.names, parameterization.roles))
    law_names = [name for name in parameterization.names if name in type(parameterization.template).parameter_names()]
    free = [name for name in law_names if roles[name] == "free" and name not in shared]
    return tuple(name for name in law_names if name in free or roles[name] in free)


def joint_starts(starts, template, joint, dataset, group_rows, loss, dtype) -> jax.Array:
    """The joint starts as unconstrained rows (starts, p) of the joint vector.

    Given `starts` (a batch of the law, or a dict of arrays), each start gives every group the same values.
    By default, start s takes each group's per-group parameters from that group's default start s (drawn
    scaled to the group's data) and the shared ones from the default start s of all rows pooled.
    """
    x, y = {k: np.asarray(v) for k, v in dataset.inputs.items()}, loss.predicted_target(dataset)
    n_groups = len(group_rows)
    per_group = type(joint.template).per_group
    names = type(template).parameter_names()
    if starts is not None:
        laws = as_batch(starts, template)
        values = {}
        for name in names:
            value = jnp.asarray(getattr(laws, name))
            values[name] = jnp.broadcast_to(value[:, None], (value.shape[0], n_groups) + value.shape[1:]) if name in per_group else value
    else:
        rows_of = list(group_rows) + [np.arange(len(y))]  # every group, then all rows pooled
        data_of = lambda rows: (y[rows], {k: v[rows] for k, v in x.items()})
        if type(template).default_starts is AbstractLaw.default_starts:  # the Sobol default: one draw for all
            laws = sobol_per_group(template, template.default_n_starts, [template.start_ranges(*data_of(rows)) for rows in rows_of])
        else:  # a law with its own way of choosing starts
            drawn = [template.default_starts(*data_of(rows)) for rows in rows_of]
            if len({law.batch_shape for law in drawn}) != 1:  # different counts per group: the pooled ones for all
                drawn = [drawn[-1]] * len(rows_of)
            laws = jax.tree_util.tree_map(lambda *a: jnp.concatenate(a), *drawn)
        values = {}
        for name in names:
            value = jnp.asarray(getattr(laws, name))
            value = value.reshape((n_groups + 1, -1) + value.shape[1:])
            values[name] = jnp.swapaxes(value[:n_groups], 0, 1) if name in per_group else value[n_groups]
    joint_laws = replace_parameters(joint.template, values)
    extra = {k: np.asarray(v) for k, v in dataset.extra.items()}
    noise = loss.noise_starts(y, extra, np.asarray(dataset.weights))
    z = joint.batch_to_unconstrained(joint_laws, clip=True, noise=noise).astype(dtype)
    n_bad = int(jnp.sum(~jnp.all(jnp.isfinite(z), axis=1)))
    if n_bad == z.shape[0]:
        raise ValueError(f"all {n_bad} joint starting points are NaN/inf or outside the parameters' constraints: check `starts`.")
    return z


def _check_group_sizes(w, keys, group_rows, by, parameterization, per_group, joint, template) -> None:
    """Each group needs as many rows with weight as it has own parameters, and all rows as many as the joint fit."""
    sizes = dict(zip(parameterization.names, parameterization.shapes))
    roles = dict(zip(parameterization.names, parameterization.roles))
    n_own = sum(int(np.prod(sizes[name])) for name in per_group if roles[name] == "free")
    for key, rows in zip(keys, group_rows):
        n_used = int(np.sum(w[rows] > 0))
        if n_used < n_own:
            raise ValueError(
                f"group {key!r} of by={list(by)}: only {n_used} rows (with weight > 0) but it has {n_own} parameters of "
                f"its own in {type(template).__name__} ({', '.join(per_group)}). Drop the group, add measurements, or share more parameters."
            )
    n_used = int(np.sum(w > 0))
    if n_used < joint.size:
        raise ValueError(f"only {n_used} rows (with weight > 0) for the {joint.size} parameters of the joint fit: share more parameters or add measurements.")


@eqx.filter_jit
def _group_objectives(parameterization, loss, dataset, z, masks):
    """Each group's part of the objective at `z`: the objective on its rows alone (the others weighted 0)."""
    on_rows = lambda mask: Objective(parameterization, loss, eqx.tree_at(lambda d: d.weights, dataset, dataset.weights * mask))(z)
    return jax.vmap(on_rows)(masks)
