"""Effective compute: the least loss a law reaches with compute C, tabulated, and read back as multipliers.

A `Frontier` is the loss as a function of compute: for a law of N and D the compute-optimal loss (the
`problems.ComputeOptimal` solve at budget C), for a law of one input (compute itself) the law's prediction.
Everything works in u = log C and log loss. The frontier's slope in u is exact and cheap: at the optimum N*
the loss is stationary along the budget constraint, so d log L*/d u is the derivative with N held at N*
(the envelope theorem); the solve itself is never differentiated.

`frontier_table` is the one compiled program: every law of a batch (resamples x variants) at every node of a
grid of log C, value and slope. The rest is arithmetic on those tables (numpy, no compiling): between nodes
the frontier is the cubic Hermite interpolant of values and slopes (a frontier E + K C^-g is smooth in log C:
at one node per e-fold of compute the interpolant is within ~1e-4 in log C of the solve), the compute a law
needs for a loss is where the interpolant first comes down to it, and two frontiers cross where the
interpolant of their gap changes sign.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._law import AbstractLaw
from .problems import ComputeOptimal, Search

BISECTION_STEPS = 60


class Frontier(eqx.Module):
    """The least loss a law reaches with compute C.

    With `problem` (a `ComputeOptimal` whose budget is replaced by C) the law is one of N and D and the
    frontier is its compute-optimal loss, searched as `search` says; without, the law has the single input
    `compute_input` and the frontier is its prediction at C.

    >>> import jax.numpy as jnp, jaxscale as js
    >>> from jaxscale._effective_compute import Frontier
    >>> law = js.PowerLaw(E=1.0, A=10.0, alpha=0.5)
    >>> round(float(jnp.exp(Frontier(None, None, "x").log_loss(law, jnp.log(100.0)))), 6)
    2.0
    """

    problem: ComputeOptimal | None
    search: Search | None
    compute_input: str | None

    def log_loss(self, law: AbstractLaw, log_c) -> jax.Array:
        """log of the frontier at compute exp(log_c); differentiable in log_c (see the module's note)."""
        if self.problem is None:
            return law.log_predict({self.compute_input: jnp.exp(log_c)[None]})[0]
        at_budget = lambda u: eqx.tree_at(lambda p: p.budget, self.problem, jnp.exp(u))
        # N* from a solve that sees no derivative; the loss along the constraint at that N* carries it.
        best = at_budget(jax.lax.stop_gradient(log_c)).solve(law, self.search)
        log_n = jax.lax.stop_gradient(jnp.log(best.N))
        problem = at_budget(log_c)
        log_d = problem.log_tokens(law, log_n)
        inputs = problem.law_inputs(jnp.exp(log_n), jnp.exp(log_d))
        return law.log_predict({name: jnp.reshape(value, (1,)) for name, value in inputs.items()})[0]


@eqx.filter_jit
def frontier_table(frontier: Frontier, laws: AbstractLaw, log_c) -> tuple[jax.Array, jax.Array]:
    """log frontier and its slope d/d log C for every law of a batch with one leading axis, at every `log_c`:
    two arrays (laws, points)."""
    value_and_slope = jax.value_and_grad(frontier.log_loss, argnums=1)
    return jax.vmap(jax.vmap(value_and_slope, in_axes=(None, 0)), in_axes=(0, None))(laws, log_c)


def interpolate(nodes: np.ndarray, values: np.ndarray, slopes: np.ndarray, x) -> np.ndarray:
    """The cubic Hermite interpolant of a table (values and slopes (..., nodes) at increasing `nodes`) at `x`,
    an array whose shape extends the table's leading shape (extra axes between; each entry of `x` is read
    from its own table row). Outside the nodes it extends the end intervals' cubics."""
    x = np.asarray(x, float)
    lead = values.shape[:-1]
    extra = x.ndim - len(lead)
    table_shape = lead + (1,) * extra  # the leading axes, then room for x's own axes
    k = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, len(nodes) - 2)
    h = nodes[k + 1] - nodes[k]
    t = (x - nodes[k]) / h

    def at(table, index):
        expanded = np.broadcast_to(table.reshape(table_shape + table.shape[-1:]), x.shape + table.shape[-1:])
        return np.take_along_axis(expanded, index[..., None], axis=-1)[..., 0]

    f0, f1, s0, s1 = at(values, k), at(values, k + 1), at(slopes, k), at(slopes, k + 1)
    return (2 * t**3 - 3 * t**2 + 1) * f0 + (t**3 - 2 * t**2 + t) * h * s0 + (3 * t**2 - 2 * t**3) * f1 + (t**3 - t**2) * h * s1


def _bisect(gap, lo: np.ndarray, hi: np.ndarray, low_side: np.ndarray) -> np.ndarray:
    """A root of `gap` (vectorised) between lo and hi, where `gap(lo) < 0` is `low_side` and gap(hi) is on the
    other side."""
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        same = (gap(mid) < 0) == low_side
        lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
    return 0.5 * (lo + hi)


def compute_to_reach(nodes: np.ndarray, values: np.ndarray, slopes: np.ndarray, log_target: np.ndarray) -> np.ndarray:
    """log C at which a tabulated frontier (values, slopes (..., nodes)) first comes down to `log_target` (an
    array extending the table's leading shape): -inf where it is already there at the first node, +inf where
    it has not reached it by the last."""
    lead = values.shape[:-1]
    extra = log_target.ndim - len(lead)
    table = np.broadcast_to(values.reshape(lead + (1,) * extra + values.shape[-1:]), log_target.shape + values.shape[-1:])
    reached = table <= log_target[..., None]
    first = np.argmax(reached, axis=-1)
    inside = reached.any(axis=-1) & (first > 0)
    k = np.maximum(first - 1, 0)
    gap = lambda x: interpolate(nodes, values, slopes, x) - log_target
    found = _bisect(gap, nodes[k], nodes[np.minimum(k + 1, len(nodes) - 1)], np.zeros(log_target.shape, bool))
    return np.where(inside, found, np.where(reached[..., 0], -np.inf, np.inf))


def first_crossing(nodes: np.ndarray, gap_values: np.ndarray, gap_slopes: np.ndarray, lo: float, hi: float):
    """Where a tabulated gap between two log frontiers (..., nodes) first changes sign in [lo, hi] (log C;
    NaN where it does not), how many times it changes sign there (between the nodes inside and the ends),
    and whether it starts below zero (the first frontier below the second) at lo."""
    inner = nodes[(nodes > lo) & (nodes < hi)]
    points = np.concatenate([[lo], inner, [hi]])
    lead = gap_values.shape[:-1]
    samples = interpolate(nodes, gap_values, gap_slopes, np.broadcast_to(points, lead + points.shape))
    below = samples < 0
    changes = below[..., 1:] != below[..., :-1]
    first = np.argmax(changes, axis=-1)
    crosses = changes.any(axis=-1)
    low_side = np.take_along_axis(below, first[..., None], axis=-1)[..., 0]
    gap = lambda x: interpolate(nodes, gap_values, gap_slopes, x)
    found = _bisect(gap, points[first], points[first + 1], low_side)
    return np.where(crosses, found, np.nan), changes.sum(axis=-1), below[..., 0]
