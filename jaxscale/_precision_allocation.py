"""Precision problems: the training bits P (with N and D) under a compute budget, and the best token count for a
model that will be quantized after training.

Both reduce to one-dimensional problems solved by `allocate`'s grid-plus-safeguarded-Newton minimiser: for
ComputeOptimalPrecision the inner variable is log N at fixed bits (log D follows from the budget), and the outer
one, the bits, is found by golden-section search on the inner optimum; for PostTrainingPrecision the only
variable is log D.
"""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._allocate import GRID, STEPS, _minimize, columns_frame
from ._law import AbstractLaw
from .problems import LOG_D_RANGE, _root_in_log_d

BIT_INPUTS = ("P_w", "P_a", "P_kv", "P_post")
# Post-training bits that make the quantization term vanish (exp(-P_post / gamma_post) underflows to 0).
NO_QUANTIZATION = 1e3


def six_nd_bits(N, D, P):
    """Training FLOPs 6 N D scaled by the bit width, P / 16 (Kumar et al. 2024, Sec. 4.3: cost linear in P)."""
    return 6.0 * N * D * P / 16.0


class ComputeOptimalPrecision(eqx.Module):
    """Minimise the loss over N, D and the training precision P (weights, activations and KV cache alike)
    subject to cost(N, D, P) = budget. Bits are continuous in the solver; the answer also gives the best
    integer bit width (of the two neighbours) with its own N and D.

    Args:
        budget: FLOPs (an array: one answer per entry).
        cost: cost(N, D, P) in FLOPs; default 6 N D P / 16.
        bits_range: the bit widths searched.
        post_training_bits: bits the weights are quantized to after training (None: not quantized, no
            post-training term; this is Kumar et al.'s Eq. 5).
    """

    budget: float
    cost: Callable = six_nd_bits
    bits_range: tuple[float, float] = (2.0, 16.0)
    post_training_bits: float | None = None

    def __check_init__(self):
        if not np.all(np.asarray(self.budget) > 0):
            raise ValueError(f"budget must be > 0 FLOPs, got {self.budget}.")
        lo, hi = self.bits_range
        if not 0 < lo < hi:
            raise ValueError(f"bits_range must be (lo, hi) with 0 < lo < hi bits, got {self.bits_range}.")
        if self.post_training_bits is not None and not self.post_training_bits > 0:
            raise ValueError(f"post_training_bits must be > 0, got {self.post_training_bits}.")


class PostTrainingPrecision(eqx.Module):
    """The token count D that minimises the loss of an N-parameter model trained at `training_bits` and then
    quantized to `post_training_bits`. Post-training degradation grows with D, so past a point more data hurts:
    the optimum is finite (Kumar et al. 2024, Sec. 3). `N` may be an array."""

    N: float
    post_training_bits: float
    training_bits: float = 16.0
    d_range: tuple[float, float] = (1e6, 1e16)

    def __check_init__(self):
        if not np.all(np.asarray(self.N) > 0):
            raise ValueError(f"N must be > 0, got {self.N}.")
        for name in ("post_training_bits", "training_bits"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 bits, got {getattr(self, name)}.")
        lo, hi = self.d_range
        if not 0 < lo < hi:
            raise ValueError(f"d_range must be (lo, hi) with 0 < lo < hi, got {self.d_range}.")


class PrecisionAllocation(eqx.Module):
    """N, D, training bits and loss (continuous bits), and the same at the best integer bit width; `to_frame()`."""

    N: jax.Array
    D: jax.Array
    bits: jax.Array
    loss: jax.Array
    integer_bits: jax.Array
    integer_N: jax.Array
    integer_D: jax.Array
    integer_loss: jax.Array

    def to_frame(self) -> pd.DataFrame:
        return columns_frame({name: getattr(self, name) for name in self.__dataclass_fields__})


class TokenAllocation(eqx.Module):
    """The best D for each N, and the loss there; `to_frame()`."""

    N: jax.Array
    D: jax.Array
    loss: jax.Array

    @property
    def tokens_per_parameter(self) -> jax.Array:
        return self.D / self.N

    def to_frame(self) -> pd.DataFrame:
        return columns_frame({"N": self.N, "D": self.D, "tokens_per_parameter": self.tokens_per_parameter, "loss": self.loss})


def check_precision_law(law, problem) -> None:
    if not isinstance(law, AbstractLaw):
        raise TypeError(f"law must be a fitted law (e.g. result.law), got {type(law).__name__}.")
    missing = sorted(set(("N", "D") + BIT_INPUTS) - set(type(law).inputs))
    if missing:
        raise ValueError(
            f"{type(problem).__name__} needs a law of N, D and bit widths {list(BIT_INPUTS)} (e.g. js.laws.Precision), "
            f"but {type(law).__name__} takes inputs {list(type(law).inputs)}."
        )


def _at(law, n, d, bits, post):
    return law({"N": n, "D": d, "P_w": bits, "P_a": bits, "P_kv": bits, "P_post": post})


def solve_compute_optimal_precision(law, problem: ComputeOptimalPrecision, n_range) -> PrecisionAllocation:
    check_precision_law(law, problem)
    log_lo, log_hi = np.log(n_range[0]), np.log(n_range[1])
    return _solve_precision(law, problem, jnp.asarray(problem.budget, float), log_lo, log_hi, bool(law.batch_shape))


@eqx.filter_jit
def _solve_precision(law, problem, budgets, log_lo, log_hi, batched):
    bits_lo, bits_hi = problem.bits_range

    def inner(law, budget, bits):
        """The best (log N, log D, loss) at `bits` for `budget`."""
        post = NO_QUANTIZATION if problem.post_training_bits is None else problem.post_training_bits

        def log_tokens(u):
            n = jnp.exp(u)
            if problem.cost is six_nd_bits:
                return jnp.log(budget) - jnp.log(6.0 * bits / 16.0) - u
            return _root_in_log_d(lambda d: jnp.log(problem.cost(n, jnp.exp(d), bits)) - jnp.log(budget))

        def loss(u):
            d = log_tokens(u)
            inside = jnp.isfinite(d) & (d >= LOG_D_RANGE[0]) & (d <= LOG_D_RANGE[1])
            return jnp.where(inside, _at(law, jnp.exp(u), jnp.exp(d), bits, post), jnp.inf)

        u = _minimize(loss, log_lo, log_hi, GRID, STEPS)
        return u, log_tokens(u), loss(u)

    def one(law, budget):
        bits = _minimize_derivative_free(lambda p: inner(law, budget, p)[2], bits_lo, bits_hi)
        u, d, loss = inner(law, budget, bits)
        candidates = jnp.clip(jnp.stack([jnp.floor(bits), jnp.ceil(bits)]), jnp.ceil(bits_lo), jnp.floor(bits_hi))
        us, ds, losses = jax.vmap(lambda p: inner(law, budget, p))(candidates)
        k = jnp.argmin(losses)
        return PrecisionAllocation(jnp.exp(u), jnp.exp(d), bits, loss, candidates[k], jnp.exp(us[k]), jnp.exp(ds[k]), losses[k])

    solve = jax.vmap(one, in_axes=(None, 0)) if budgets.ndim else one
    if batched:
        solve = jax.vmap(solve, in_axes=(0, None))
    return solve(law, budgets)


def _minimize_derivative_free(f, lo, hi, grid: int = 57, iterations: int = 40):
    """A grid of [lo, hi], then golden-section search between the best grid point's neighbours: only values of
    f, so the inner solve inside f is never differentiated (which would compile its Newton loop twice over)."""
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


def solve_post_training_precision(law, problem: PostTrainingPrecision) -> TokenAllocation:
    check_precision_law(law, problem)
    return _solve_tokens(law, problem, jnp.asarray(problem.N, float), bool(law.batch_shape))


@eqx.filter_jit
def _solve_tokens(law, problem, sizes, batched):
    lo, hi = np.log(problem.d_range[0]), np.log(problem.d_range[1])

    def one(law, n):
        loss = lambda d: _at(law, n, jnp.exp(d), problem.training_bits, problem.post_training_bits)
        d = _minimize(loss, lo, hi, GRID, STEPS)
        return TokenAllocation(n, jnp.exp(d), loss(d))

    solve = jax.vmap(one, in_axes=(None, 0)) if sizes.ndim else one
    if batched:
        solve = jax.vmap(solve, in_axes=(0, None))
    return solve(law, sizes)
