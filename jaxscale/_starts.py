"""Samplers of starting points for multi-start fits: each returns a *batch of laws* (leading axis = starts).

They sit below the law (which draws its default starts with `sobol`), so they take a law class or
instance by what it declares (`template`, `parameter_names`, `constraints`) and import no law.

Positive parameters are sampled log-uniformly, all others uniformly, within the given ranges.
"""

import itertools
import math
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._constraints import Positive
from ._dataset import check_seed
from ._tree import replace_parameters


def as_batch(starts, template):
    """A user's `starts` (a law, a batch of laws or a dict of parameter arrays) as a batch of `template`'s
    class with one batch axis; a ValueError or TypeError naming what is wrong otherwise."""
    if isinstance(starts, Mapping):
        missing = sorted(set(template.parameter_names()) - set(starts))
        if missing:
            raise ValueError(f"starts lacks parameters {missing} of {type(template).__name__}.")
        starts = replace_parameters(template, {k: jnp.asarray(v) for k, v in starts.items()})
    if not isinstance(starts, type(template)):
        raise TypeError(f"starts must be a batch of {type(template).__name__}, got {type(starts).__name__}.")
    if not starts.batch_shape:  # a single law is one start
        starts = jax.tree_util.tree_map(lambda a: jnp.asarray(a)[None], starts)
    if len(starts.batch_shape) != 1:
        raise ValueError(f"starts must have one batch axis, got batch shape {starts.batch_shape}.")
    _require_inside_constraints(starts)
    return starts


def _require_inside_constraints(starts) -> None:
    """A ValueError naming the parameter when given starts lie strictly outside its constraint (a negative A):
    no start is moved that far (values on a boundary are moved just inside); NaN starts are dropped later."""
    for name in starts.parameter_names():
        value = getattr(starts, name)
        if isinstance(value, jax.core.Tracer):
            return
        value = np.asarray(value, dtype=float)
        outside = type(starts).constraints[name].outside(value)
        if outside.any():
            raise ValueError(
                f"starts: {int(outside.any(axis=tuple(range(1, value.ndim))).sum())} of {value.shape[0]} starting points "
                f"have {name} outside its constraint ({type(starts).constraints[name]}), e.g. {name}={value[outside][0]:g}: "
                f"give starting values inside it."
            )


def grid(law, **values: Sequence[float]):
    """The Cartesian product of per-parameter values (natural units), as a batch of laws.

    >>> import jaxscale as js
    >>> starts = js.starts.grid(js.PowerLaw, E=[1.0, 2.0], A=[10.0], alpha=[0.1, 0.3, 0.5])
    >>> starts.batch_shape
    (6,)
    """
    template = _template(law)
    names = template.parameter_names()
    missing = sorted(set(names) - set(values))
    extra = sorted(set(values) - set(names))
    if missing or extra:
        raise ValueError(f"grid needs values for exactly the parameters {list(names)}; missing {missing}, unknown {extra}.")
    for name in names:
        if jnp.ndim(getattr(template, name)) != 0:
            raise ValueError(f"grid takes scalar parameters only; '{name}' is a vector. Use sobol() or uniform().")
    rows = np.array(list(itertools.product(*(np.asarray(values[n], float) for n in names))))
    return replace_parameters(template, {n: jnp.asarray(rows[:, i]) for i, n in enumerate(names)})


def sobol(law, n: int, ranges: Mapping[str, tuple[float, float]] | None = None, seed: int = 0):
    """`n` scrambled Sobol points within `ranges` (natural units; default: the law's `start_ranges`).

    >>> import jaxscale as js
    >>> js.starts.sobol(js.Chinchilla, 256, seed=1).batch_shape
    (256,)
    """
    template, lo, hi, log = _box(law, ranges)
    check_seed(seed)
    from scipy.stats import qmc  # deferred: scipy.stats costs a second at `import jaxscale`

    u = qmc.Sobol(d=len(lo), scramble=True, seed=seed).random(_check_n(n))
    return _from_unit(template, u, lo, hi, log)


def sobol_per_group(law, n: int, ranges_per_group: Sequence[Mapping[str, tuple[float, float]]], seed: int = 0):
    """`sobol(law, n, ranges, seed)` for each `ranges` of `ranges_per_group`, as one batch of laws, group after
    group: the same unit points scaled to each group's ranges (how `fit(..., by=...)` draws default starts)."""
    template, _, _, log = _box(law, ranges_per_group[0])
    names = template.parameter_names()
    sizes = [int(np.size(getattr(template, name))) for name in names]
    # (groups, parameters, 2) -> per flat coordinate, as _box gives for one group.
    ends = np.array([[ranges[name] for name in names] for ranges in ranges_per_group], dtype=float)
    ends = np.repeat(ends, sizes, axis=1)
    lo, hi = ends[..., 0], ends[..., 1]
    bad = ~(lo <= hi) | (log & (lo <= 0))
    if bad.any():
        g = int(np.argwhere(bad)[0, 0])
        _box(law, ranges_per_group[g])  # raises the error that names the parameter
    from scipy.stats import qmc

    u = qmc.Sobol(d=len(log), scramble=True, seed=seed).random(_check_n(n))
    return _from_unit(template, u, lo[:, None, :], hi[:, None, :], log)


def uniform(law, n: int, ranges: Mapping[str, tuple[float, float]] | None = None, seed: int = 0):
    """`n` independent uniform random points within `ranges` (as `sobol`, without the low discrepancy)."""
    template, lo, hi, log = _box(law, ranges)
    check_seed(seed)
    u = np.asarray(jax.random.uniform(jax.random.key(seed), (_check_n(n), len(lo))))
    return _from_unit(template, u, lo, hi, log)


def _template(law):
    """The law instance that fixes the parameters' shapes: a class's `template()`, or the instance itself."""
    if isinstance(law, type) and hasattr(law, "template") and hasattr(law, "constraints"):
        return law.template()
    if hasattr(type(law), "template") and hasattr(law, "constraints"):
        return law
    raise TypeError(f"expected a law class or instance, got {type(law).__name__}.")


def _check_n(n) -> int:
    if not (isinstance(n, (int, np.integer)) and n > 0):
        raise ValueError(f"the number of starts must be a positive integer, got {n!r}.")
    return int(n)


def _box(law, ranges):
    """Per flat coordinate: lower and upper end, and whether to sample in log space."""
    template = _template(law)
    names = template.parameter_names()
    if ranges is None:
        ranges = template.start_ranges(np.ones(1), {k: np.ones(1) for k in template.inputs})
    missing = sorted(set(names) - set(ranges))
    if missing:
        raise ValueError(f"ranges is missing parameters {missing} of {type(template).__name__}.")
    lo, hi, log = [], [], []
    for name in names:
        a, b = (float(v) for v in ranges[name])
        if not a <= b:
            raise ValueError(f"range for '{name}' needs lo <= hi, got ({a:g}, {b:g}).")
        is_log = isinstance(template.constraints[name], Positive)
        if is_log and a <= 0:
            raise ValueError(f"'{name}' is positive, so its range must be > 0; got ({a:g}, {b:g}).")
        size = int(np.size(getattr(template, name)))
        lo += [a] * size
        hi += [b] * size
        log += [is_log] * size
    return template, np.array(lo), np.array(hi), np.array(log)


def _from_unit(template, u: np.ndarray, lo, hi, log):
    """Unit points (n, p) mapped into the box [lo, hi] (p,), or into several boxes (groups, 1, p), flattened."""
    lo_t = np.where(log, np.log(np.where(log, lo, 1.0)), lo)
    hi_t = np.where(log, np.log(np.where(log, hi, 1.0)), hi)
    flat = (lo_t + u * (hi_t - lo_t)).reshape(-1, len(log))
    flat = np.where(log, np.exp(flat), flat)
    values, offset = {}, 0
    for name in template.parameter_names():
        shape = jnp.shape(getattr(template, name))
        size = math.prod(shape)
        values[name] = jnp.asarray(flat[:, offset : offset + size].reshape((len(flat),) + shape))
        offset += size
    return replace_parameters(template, values)
