"""`allocate`: the model size and token count a problem asks for, by gradient on the reduced problem in log N."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._law import AbstractLaw
from ._optimal_mixture import MixtureAllocation, OptimalMixture, optimal_mixture
from .problems import AbstractProblem, six_nd


class Allocation(eqx.Module):
    """The outcome of `allocate`: N*, D* and the predicted loss, for every budget and law in the batch.

    Arrays are shaped (laws, budgets) with absent axes dropped: one law and one budget give scalars. With
    a batch of laws (bootstrap refits, posterior draws) `summary()` gives the median and a percentile
    interval of each quantity; with `risk` set, N* and D* are shared by the batch and `loss` is each law's
    prediction there.
    """

    N: jax.Array
    D: jax.Array
    loss: jax.Array
    flops: jax.Array

    @property
    def tokens_per_parameter(self) -> jax.Array:
        return self.D / self.N

    def to_frame(self) -> pd.DataFrame:
        """One row per (law, budget): N, D, tokens_per_parameter, loss and training FLOPs 6 N D."""
        return columns_frame({"N": self.N, "D": self.D, "tokens_per_parameter": self.tokens_per_parameter, "loss": self.loss, "flops": self.flops})

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Median and the `level` percentile interval of each quantity over the rows of `to_frame()`."""
        frame = self.to_frame()
        return pd.DataFrame({"median": frame.median(), "lo": frame.quantile((1 - level) / 2), "hi": frame.quantile((1 + level) / 2)})


def columns_frame(columns) -> pd.DataFrame:
    """A DataFrame of one row per element of the (broadcast) arrays in `columns`, name -> array."""
    shape = jnp.broadcast_shapes(*(jnp.shape(v) for v in columns.values()))
    return pd.DataFrame({k: np.broadcast_to(np.asarray(v), shape).ravel() for k, v in columns.items()})


# Defaults shared by `allocate` and `sensitivities`.
N_RANGE, GRID, STEPS = (1e3, 1e16), 64, 30


def allocate(
    law: AbstractLaw,
    problem: AbstractProblem | OptimalMixture,
    *,
    n_range: tuple[float, float] = N_RANGE,
    d_range: tuple[float, float] | None = None,
    grid: int = GRID,
    steps: int = STEPS,
) -> Allocation | MixtureAllocation:
    """Solves `problem` (a `jaxscale.problems` module) for a fitted `law` or a batch of laws.

    `OptimalMixture` asks for mixture weights instead of N and D, and takes a law or a list of laws (one per
    target domain); `ComputeOptimalPrecision` adds the training bits to N and D, and `PostTrainingPrecision`
    asks for D alone; see their documentation.

    The problem's constraint fixes log D for each log N; the objective of log N is evaluated on a `grid` over
    `n_range` (which also bounds N: a deployment-size cap is `n_range=(1e3, cap)`; `d_range` likewise bounds
    D), and the best grid point is refined by `steps` safeguarded Newton steps. A budget array (e.g. `ComputeOptimal(np.geomspace(1e20,
    1e26, 1000))`) and a batch of laws are vmapped axes of one compiled solve.

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> best = js.allocate(law, js.problems.ComputeOptimal(1e24))
    >>> f"{float(best.N):.3g}", round(float(best.tokens_per_parameter), 1)
    ('9.72e+10', 17.7)
    """
    from ._precision_allocation import (
        ComputeOptimalPrecision,
        PostTrainingPrecision,
        solve_compute_optimal_precision,
        solve_post_training_precision,
    )

    if isinstance(problem, OptimalMixture):
        return optimal_mixture(law, problem)
    if isinstance(problem, ComputeOptimalPrecision):
        return solve_compute_optimal_precision(law, problem, n_range)
    if isinstance(problem, PostTrainingPrecision):
        return solve_post_training_precision(law, problem)
    return _solve(law, problem, *_solver_settings(law, problem, n_range, d_range, grid, steps))


def _solver_settings(law, problem, n_range, d_range, grid, steps) -> tuple:
    """Validates a request before anything is compiled; returns `_solve`'s arguments after law and problem."""
    if not isinstance(law, AbstractLaw):
        raise TypeError(f"law must be a fitted law (e.g. result.law), got {type(law).__name__}.")
    if not isinstance(problem, AbstractProblem):
        raise TypeError(f"problem must be a jaxscale.problems problem such as ComputeOptimal(1e24), got {type(problem).__name__}.")
    lo, hi = n_range
    if not 0 < lo < hi:
        raise ValueError(f"n_range must be (lo, hi) with 0 < lo < hi, got {n_range}.")
    d_lo, d_hi = (0.0, np.inf) if d_range is None else d_range
    if not 0 <= d_lo < d_hi:
        raise ValueError(f"d_range must be (lo, hi) with 0 <= lo < hi, got {d_range}.")
    problem.check(law)
    risk = getattr(problem, "risk", None)
    batched_laws = bool(law.batch_shape)
    if risk is not None and not batched_laws:
        raise ValueError("risk needs a batch of laws (bootstrap refits or posterior draws); pass one, or risk=None.")
    return jnp.log(lo), jnp.log(hi), jnp.log(d_lo), jnp.log(d_hi), grid, steps, batched_laws


@eqx.filter_jit
def _solve(law, problem, log_lo, log_hi, log_d_lo, log_d_hi, grid, steps, batched_laws):
    field = problem.swept
    values = jnp.asarray(getattr(problem, field), float)
    risk = getattr(problem, "risk", None)

    def for_value(law, value):
        one = eqx.tree_at(lambda p: getattr(p, field), problem, value)
        if batched_laws and risk is not None:
            log_n = _minimize(lambda u: _aggregate(jax.vmap(lambda l: _value(l, one, u, log_d_lo, log_d_hi))(law), risk), log_lo, log_hi, grid, steps)
            return jax.vmap(lambda l: _outcome(l, one, log_n))(law)
        log_n = _minimize(lambda u: _value(law, one, u, log_d_lo, log_d_hi), log_lo, log_hi, grid, steps)
        return _outcome(law, one, log_n)

    solve = jax.vmap(for_value, in_axes=(None, 0)) if values.ndim else for_value
    if batched_laws and risk is None:
        solve = jax.vmap(solve, in_axes=(0, None))
    return solve(law, values)


def _value(law, problem, log_n, log_d_lo, log_d_hi):
    log_d = problem.log_tokens(law, log_n)
    allowed = jnp.isfinite(log_d) & (log_d >= log_d_lo) & (log_d <= log_d_hi)
    return jnp.where(allowed, problem.objective(law, log_n, log_d), jnp.inf)


def _aggregate(values, risk):
    return jnp.mean(values) if risk == "mean" else jnp.quantile(values, risk)


def _outcome(law, problem, log_n):
    log_d = problem.log_tokens(law, log_n)
    n, d = jnp.exp(log_n), jnp.exp(log_d)
    return Allocation(N=n, D=d, loss=law(problem.law_inputs(n, d)), flops=six_nd(n, d))


def _minimize(f, lo, hi, grid, steps):
    """Screens `grid` points of [lo, hi], then safeguarded Newton from the best: each step tries the Newton
    step (or a gradient step where the curvature is not positive) at lengths 1, 1/2, ..., 2^-15 and keeps
    the best point if it is lower. A last Newton step from the gradient-stopped answer makes the result carry the
    implicit derivative d u* / d parameters = -f_u,theta / f_uu, so `jax.grad` through `allocate` is exact."""
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


def sensitivities(
    law: AbstractLaw,
    problem: AbstractProblem,
    *,
    n_range: tuple[float, float] = N_RANGE,
    d_range: tuple[float, float] | None = None,
    grid: int = GRID,
    steps: int = STEPS,
) -> pd.DataFrame:
    """Which fitted parameter drives the decision: d log N* / d log theta and d log D* / d log theta.

    Elasticities, by implicit differentiation through the optimum (exact at the solution, no finite
    differences): 0.5 means a 1% larger theta gives a 0.5% larger N*. One row per parameter of one law.
    The options are those of `allocate`.

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> s = js.sensitivities(law, js.problems.ComputeOptimal(1e24))
    >>> round(float(s.loc["A", "log_N"]), 4)  # N* ∝ A^(1 / (alpha + beta))
    1.3996
    """
    if law.batch_shape:
        raise ValueError("sensitivities takes one law; vmap over a batch yourself or pick one (e.g. result.law).")
    settings = _solver_settings(law, problem, n_range, d_range, grid, steps)

    def log_allocation(law):
        best = _solve(law, problem, *settings)
        return jnp.stack([jnp.log(best.N), jnp.log(best.D)])

    derivative = jax.jacfwd(log_allocation)(law)
    rows = {name: np.asarray(getattr(derivative, name)) * float(getattr(law, name)) for name in type(law).parameter_names()}
    return pd.DataFrame(rows, index=["log_N", "log_D"]).T
