"""`Search`, the options `allocate` passes to a problem, and the numerics the problems solve with.

Every problem here is a small minimisation: one variable by grid plus safeguarded Newton (`minimize_1d`) or by
grid plus golden section (`golden_section`), a root of the constraint in log D (`root_in_log_d`), or the
mixture weights on a capped simplex (`minimize_on_capped_simplex`). `over_values_and_laws` vmaps one solve
over the swept problem values and the batch of laws.
"""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._dataset import is_count

# log D is searched in [log 1, log 1e40] tokens.
LOG_D_RANGE = (0.0, 92.0)


def _bounds(name: str, value, lowest: str) -> tuple[float, float]:
    """(lo, hi) as floats, or a ValueError naming `name`; `lowest` is "0 <" or "0 <=" for lo."""
    wrong = ValueError(f"{name} must be (lo, hi) with {lowest} lo < hi, got {value!r}; e.g. {name}=(1e6, 1e12).")
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise wrong from None
    if not ((0 < lo if lowest == "0 <" else 0 <= lo) and lo < hi):
        raise wrong
    return lo, hi


class Search(eqx.Module):
    """How a problem is searched: the options of `allocate` and `sensitivities`, checked when made.

    `n_range` bounds N (a deployment cap is `(1e3, cap)`) and `d_range` bounds D (None: unbounded); the
    one-variable solves screen `grid` points and refine the best by `steps` safeguarded Newton steps. A
    problem reads only the options in its `reads`.

    >>> from jaxscale.problems import Search
    >>> Search(n_range=(1e6, 1e12)).grid
    64
    >>> Search(grid=1)
    Traceback (most recent call last):
    ...
    ValueError: grid must be an integer >= 2 (the points screened before refining), got 1.
    """

    n_range: tuple[float, float] = (1e3, 1e16)
    d_range: tuple[float, float] | None = None
    grid: int = 64
    steps: int = 30

    def __check_init__(self):
        if not np.isfinite(_bounds("n_range", self.n_range, "0 <")[1]):
            raise ValueError(f"n_range must be finite, got {self.n_range!r}; e.g. n_range=(1e6, 1e12).")
        if self.d_range is not None and not np.isfinite(_bounds("d_range", self.d_range, "0 <=")[1]):
            raise ValueError(f"d_range must be finite, got {self.d_range!r}; e.g. d_range=(1e9, 1e13), or d_range=None for no bound on D.")
        if not is_count(self.grid, minimum=2):
            raise ValueError(f"grid must be an integer >= 2 (the points screened before refining), got {self.grid!r}.")
        if not is_count(self.steps, minimum=0):
            raise ValueError(f"steps must be an integer >= 0 (the Newton steps after the grid), got {self.steps!r}.")

    @property
    def log_n_range(self) -> tuple[jax.Array, jax.Array]:
        """(log lo, log hi) of `n_range`."""
        lo, hi = self.n_range
        return jnp.log(lo), jnp.log(hi)

    @property
    def log_d_range(self) -> tuple[jax.Array, jax.Array]:
        """(log lo, log hi) of `d_range`; (-inf, inf) when it is None."""
        lo, hi = (0.0, np.inf) if self.d_range is None else self.d_range
        return jnp.log(lo), jnp.log(hi)


def minimize_1d(f: Callable, lo, hi, grid: int = 64, steps: int = 30) -> jax.Array:
    """The u in [lo, hi] minimising f: `grid` points screened, then `steps` safeguarded Newton steps from the best.

    Each step tries the Newton step (or a gradient step where the curvature is not positive) at lengths 1, 1/2,
    ..., 2^-15 and keeps the best point if it is lower. A last Newton step from the gradient-stopped answer
    makes the result carry the implicit derivative d u* / d parameters = -f_u,theta / f_uu, so `jax.grad`
    through it is exact.

    >>> from jaxscale.problems import minimize_1d
    >>> round(float(minimize_1d(lambda u: (u - 1.5) ** 2 + u**4 / 100, 0.0, 4.0)), 6)
    1.440249
    """
    u_grid = jnp.linspace(lo, hi, grid)
    values = jax.vmap(f)(u_grid)
    u = u_grid[jnp.argmin(jnp.where(jnp.isnan(values), jnp.inf, values))]
    spacing = (hi - lo) / (grid - 1)
    lengths = 0.5 ** jnp.arange(16.0)  # down to 3e-5 of a step: creeps up to a bound on N or D

    def newton(_, u):
        g, h = jax.grad(f)(u), jax.hessian(f)(u)
        step = jnp.where(h > 0, -g / h, -jnp.sign(g) * spacing)
        step = jnp.clip(step, -2 * spacing, 2 * spacing)
        trials = jnp.clip(u + lengths * step, lo, hi)
        trial_values = jax.vmap(f)(trials)
        best = jnp.argmin(jnp.where(jnp.isnan(trial_values), jnp.inf, trial_values))
        return jnp.where(trial_values[best] < f(u), trials[best], u)

    u = jax.lax.fori_loop(0, steps, newton, u)
    u0 = jax.lax.stop_gradient(u)
    g, h = jax.grad(f)(u0), jax.hessian(f)(u0)
    interior = (u0 > lo) & (u0 < hi) & (h > 0)
    polished = u0 - g / jnp.where(interior, h, 1.0)
    # At a bound of N or D (where the optimum is a corner, not a stationary point) the answer is u0 itself.
    keep = interior & (jnp.abs(polished - u0) < spacing) & jnp.isfinite(f(polished))
    return jnp.where(keep, polished, u0)


def golden_section(f: Callable, lo, hi, grid: int = 57, iterations: int = 40) -> jax.Array:
    """The u in [lo, hi] minimising f: a grid, then golden-section search between the best grid point's neighbours.

    Only values of f are used, so a solve inside f is never differentiated (which would compile its Newton loop
    twice over); the answer carries no useful derivative.

    >>> from jaxscale.problems import golden_section
    >>> round(float(golden_section(lambda u: abs(u - 0.3), 0.0, 1.0)), 6)
    0.3
    """
    points = jnp.linspace(lo, hi, grid)
    values = jax.vmap(f)(points)
    best = jnp.argmin(jnp.where(jnp.isnan(values), jnp.inf, values))
    a, b = points[jnp.maximum(best - 1, 0)], points[jnp.minimum(best + 1, grid - 1)]
    ratio = (np.sqrt(5.0) - 1) / 2

    def shrink(_, bracket):
        a, b = bracket
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        left = f(c) < f(d)
        return jnp.where(left, a, c), jnp.where(left, d, b)

    a, b = jax.lax.fori_loop(0, iterations, shrink, (a, b))
    return 0.5 * (a + b)


def root_in_log_d(h: Callable, lo=LOG_D_RANGE[0], hi=LOG_D_RANGE[1], iterations: int = 80) -> jax.Array:
    """The d in [lo, hi] where the increasing function h crosses zero (NaN if it does not).

    Bisection finds it robustly; one Newton step from the (gradient-stopped) bisection point then gives the
    exact implicit derivative of the root with respect to everything h depends on.

    >>> import jax.numpy as jnp
    >>> from jaxscale.problems import root_in_log_d
    >>> round(float(jnp.exp(root_in_log_d(lambda d: d - jnp.log(1e9)))), 3)
    1000000000.0
    """

    def halve(_, bracket):
        a, b = bracket
        mid = 0.5 * (a + b)
        up = h(mid) > 0
        return jnp.where(up, a, mid), jnp.where(up, mid, b)

    a, b = jax.lax.fori_loop(0, iterations, halve, (jnp.asarray(lo, float), jnp.asarray(hi, float)))
    d = jax.lax.stop_gradient(0.5 * (a + b))
    d = d - h(d) / jax.grad(h)(d)
    feasible = (h(jnp.asarray(lo, float)) <= 0) & (h(jnp.asarray(hi, float)) >= 0)
    return jnp.where(feasible, d, jnp.nan)


def minimize_on_capped_simplex(f: Callable, caps, iterations: int) -> jax.Array:
    """The h on {0 <= h <= caps, sum h = 1} minimising f, by projected gradient from the (projected) uniform mixture.

    Each iteration tries the last accepted step length times 4, 2, 1, 1/2, ..., 1/32 and keeps the best trial if
    it improves, so the step length adapts to the curvature without a tuning constant.

    >>> import jax.numpy as jnp
    >>> from jaxscale.problems import minimize_on_capped_simplex
    >>> h = minimize_on_capped_simplex(lambda h: h @ jnp.array([1.0, 2.0, 3.0]), jnp.array([0.5, 1.0, 1.0]), 50)
    >>> [round(float(x), 6) for x in h]
    [0.5, 0.5, 0.0]
    """
    factors = 2.0 ** jnp.arange(2.0, -6.0, -1.0)
    h0 = project_capped_simplex(jnp.full(caps.shape, 1.0 / caps.shape[0]), caps)

    def step(_, state):
        h, length = state
        g = jax.grad(f)(h)
        # Moves much longer than the simplex is wide only lose precision in the projection.
        length = jnp.minimum(length, 4.0 / (jnp.max(jnp.abs(g)) + 1e-30))
        trials = jax.vmap(lambda s: project_capped_simplex(h - s * g, caps))(length * factors)
        values = jax.vmap(f)(trials)
        best = jnp.argmin(jnp.where(jnp.isnan(values), jnp.inf, values))
        better = values[best] < f(h)
        return jnp.where(better, trials[best], h), jnp.where(better, length * factors[best], length / 64)

    h, _ = jax.lax.fori_loop(0, iterations, step, (h0, jnp.asarray(1.0)))
    return h


def project_capped_simplex(v, caps) -> jax.Array:
    """The point of {0 <= h <= caps, sum h = 1} nearest to v: h = clip(v - tau, 0, caps).

    S(tau) = sum clip(v - tau, 0, caps) decreases piecewise linearly with kinks at v_j and v_j - caps_j; the
    two kinks around S = 1 bracket tau, and linear interpolation between them is exact.

    >>> import jax.numpy as jnp
    >>> from jaxscale.problems import project_capped_simplex
    >>> [round(float(x), 6) for x in project_capped_simplex(jnp.array([0.9, 0.6, -0.5]), jnp.array([0.6, 1.0, 1.0]))]
    [0.6, 0.4, 0.0]
    """
    kinks = jnp.concatenate([v, v - caps])
    sums = jnp.sum(jnp.clip(v[None, :] - kinks[:, None], 0.0, caps), axis=1)
    lo = jnp.max(jnp.where(sums >= 1.0, kinks, -jnp.inf))
    hi = jnp.min(jnp.where(sums <= 1.0, kinks, jnp.inf))
    s_lo, s_hi = (jnp.sum(jnp.clip(v - t, 0.0, caps)) for t in (lo, hi))
    tau = jnp.where(s_lo > s_hi, lo + (s_lo - 1.0) * (hi - lo) / jnp.where(s_lo > s_hi, s_lo - s_hi, 1.0), lo)
    return jnp.clip(v - tau, 0.0, caps)


def over_values_and_laws(solve_one: Callable, laws, values, batched_laws: bool):
    """`solve_one(laws, values)` vmapped over the swept values (every array in `values` with an axis, along
    it), then over the batch of laws when `batched_laws`: answers are shaped (laws, values).

    >>> import jax.numpy as jnp
    >>> from jaxscale.problems import over_values_and_laws
    >>> over_values_and_laws(lambda law, v: law * v, jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0, 5.0]), True).shape
    (2, 3)
    """
    axes = jax.tree_util.tree_map(lambda v: 0 if jnp.ndim(v) else None, values)
    solve = solve_one
    if jax.tree_util.tree_leaves(axes):  # a leaf is an axis 0; unswept values map to None, which has no leaves
        solve = jax.vmap(solve, in_axes=(None, axes))
    if batched_laws:
        solve = jax.vmap(solve, in_axes=(0, None))
    return solve(laws, values)
