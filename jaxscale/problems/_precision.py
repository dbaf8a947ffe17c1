"""Precision problems: the training bits P (with N and D) under a compute budget, and the best token count for a
model that will be quantized after training.

For `ComputeOptimalPrecision` the inner variable is log N at fixed bits (log D follows from the budget), found by
`minimize_1d`, and the outer one, the bits, by `golden_section` on the inner optimum; for `PostTrainingPrecision`
the only variable is log D.
"""

from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._abstract import AbstractAllocation, AbstractProblem, require_one_law, with_traced_values
from ._costs import six_nd_bits
from ._search import LOG_D_RANGE, Search, golden_section, minimize_1d, over_values_and_laws, root_in_log_d
from ._values import check_amount, check_cost, check_cost_values

BIT_INPUTS = ("P_w", "P_a", "P_kv", "P_post")
# Post-training bits that make the quantization term vanish (exp(-P_post / gamma_post) underflows to 0).
NO_QUANTIZATION = 1e3


class PrecisionAllocation(AbstractAllocation):
    """N, D, training bits and loss (continuous bits), and the same at the best integer bit width.

    >>> import jaxscale as js
    >>> best = js.allocate(js.laws.Precision.kumar_2024(), js.problems.ComputeOptimalPrecision(1e23))
    >>> list(best.to_frame().columns)
    ['N', 'D', 'bits', 'loss', 'integer_bits', 'integer_N', 'integer_D', 'integer_loss']
    """

    N: jax.Array
    D: jax.Array
    bits: jax.Array
    loss: jax.Array
    integer_bits: jax.Array
    integer_N: jax.Array
    integer_D: jax.Array
    integer_loss: jax.Array

    def columns(self) -> dict[str, jax.Array]:
        return {
            "N": self.N,
            "D": self.D,
            "bits": self.bits,
            "loss": self.loss,
            "integer_bits": self.integer_bits,
            "integer_N": self.integer_N,
            "integer_D": self.integer_D,
            "integer_loss": self.integer_loss,
        }


class TokenAllocation(AbstractAllocation):
    """The best D for each N, and the loss there.

    >>> import jaxscale as js
    >>> problem = js.problems.PostTrainingPrecision(N=1e8, post_training_bits=4.0)
    >>> list(js.allocate(js.laws.Precision.kumar_2024(), problem).to_frame().columns)
    ['N', 'D', 'tokens_per_parameter', 'loss']
    """

    N: jax.Array
    D: jax.Array
    loss: jax.Array

    @property
    def tokens_per_parameter(self) -> jax.Array:
        return self.D / self.N

    def columns(self) -> dict[str, jax.Array]:
        return {"N": self.N, "D": self.D, "tokens_per_parameter": self.tokens_per_parameter, "loss": self.loss}


def _check_precision_law(law, problem) -> None:
    require_one_law(law)
    missing = sorted(set(("N", "D") + BIT_INPUTS) - set(type(law).inputs))
    if missing:
        raise ValueError(
            f"{type(problem).__name__} needs a law of N, D and bit widths {list(BIT_INPUTS)} (e.g. js.laws.Precision), "
            f"but {type(law).__name__} takes inputs {list(type(law).inputs)}."
        )


def _at(law, n, d, bits, post):
    return law({"N": n, "D": d, "P_w": bits, "P_a": bits, "P_kv": bits, "P_post": post})


class ComputeOptimalPrecision(AbstractProblem):
    """Minimise the loss over N, D and the training precision P (weights, activations and KV cache alike)
    subject to cost(N, D, P) = budget. Bits are continuous in the solver; the answer also gives the best
    integer bit width (of the two neighbours) with its own N and D. `n_range` and `d_range` bound N and D;
    `grid` and `steps` set the search in log N at each bit width.

    Args:
        budget: FLOPs (an array: one answer per entry).
        cost: cost(N, D, P) in FLOPs; default 6 N D P / 16.
        bits_range: the bit widths searched.
        post_training_bits: bits the weights are quantized to after training (None: not quantized, no
            post-training term; this is Kumar et al.'s Eq. 5).

    >>> import jaxscale as js
    >>> best = js.allocate(js.laws.Precision.kumar_2024(), js.problems.ComputeOptimalPrecision(1e23))
    >>> round(float(best.bits), 1), float(best.integer_bits)
    (7.0, 7.0)
    """

    reads: ClassVar[tuple[str, ...]] = ("n_range", "d_range", "grid", "steps")
    budget: float
    cost: Callable = six_nd_bits
    bits_range: tuple[float, float] = (2.0, 16.0)
    post_training_bits: float | None = None

    def __check_init__(self):
        check_amount("budget", self.budget, unit=" FLOPs", example="1e23")
        check_cost(self.cost)
        lo, hi = self.bits_range
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
            raise ValueError(f"bits_range must be (lo, hi) with 0 < lo < hi bits, got {self.bits_range}.")
        if self.post_training_bits is not None and not (np.isfinite(self.post_training_bits) and self.post_training_bits > 0):
            raise ValueError(f"post_training_bits must be > 0, got {self.post_training_bits}.")

    def check(self, law):
        _check_precision_law(law, self)
        check_cost_values(type(self).__name__, self.cost, 1e9, 2e10, 16.0)

    def solve(self, law, search: Search) -> PrecisionAllocation:
        log_lo, log_hi = search.log_n_range
        # D stays where the root solve of the constraint looks, [1, 1e40] tokens, and within d_range.
        log_d_lo, log_d_hi = search.log_d_range
        log_d_lo, log_d_hi = jnp.maximum(log_d_lo, LOG_D_RANGE[0]), jnp.minimum(log_d_hi, LOG_D_RANGE[1])
        budgets = jnp.asarray(self.budget, float)
        return _solve_precision(law, with_traced_values(self), budgets, log_lo, log_hi, log_d_lo, log_d_hi, search.grid, search.steps, bool(law.batch_shape))


@eqx.filter_jit
def _solve_precision(law, problem, budgets, log_lo, log_hi, log_d_lo, log_d_hi, grid, steps, batched):
    bits_lo, bits_hi = problem.bits_range

    def inner(law, budget, bits):
        """The best (log N, log D, loss) at `bits` for `budget`."""
        post = NO_QUANTIZATION if problem.post_training_bits is None else problem.post_training_bits

        def log_tokens(u):
            n = jnp.exp(u)
            if problem.cost is six_nd_bits:
                return jnp.log(budget) - jnp.log(6.0 * bits / 16.0) - u
            return root_in_log_d(lambda d: jnp.log(problem.cost(n, jnp.exp(d), bits)) - jnp.log(budget))

        def loss(u):
            d = log_tokens(u)
            inside = jnp.isfinite(d) & (d >= log_d_lo) & (d <= log_d_hi)
            return jnp.where(inside, _at(law, jnp.exp(u), jnp.exp(d), bits, post), jnp.inf)

        u = minimize_1d(loss, log_lo, log_hi, grid, steps)
        return u, log_tokens(u), loss(u)

    def one(law, budget):
        bits = golden_section(lambda p: inner(law, budget, p)[2], bits_lo, bits_hi)
        u, d, loss = inner(law, budget, bits)
        candidates = jnp.clip(jnp.stack([jnp.floor(bits), jnp.ceil(bits)]), jnp.ceil(bits_lo), jnp.floor(bits_hi))
        us, ds, losses = jax.vmap(lambda p: inner(law, budget, p))(candidates)
        k = jnp.argmin(losses)
        return PrecisionAllocation(jnp.exp(u), jnp.exp(d), bits, loss, candidates[k], jnp.exp(us[k]), jnp.exp(ds[k]), losses[k])

    return over_values_and_laws(one, law, budgets, batched)


class PostTrainingPrecision(AbstractProblem):
    """The token count D that minimises the loss of an N-parameter model trained at `training_bits` and then
    quantized to `post_training_bits`. Post-training degradation grows with D, so past a point more data hurts:
    the optimum is finite (Kumar et al. 2024, Sec. 3). `N` may be an array. D is searched over the problem's own
    `d_range` with `allocate`'s `grid` and `steps`; N is given, so `allocate` refuses `n_range` and `d_range`.

    >>> import jaxscale as js
    >>> best = js.allocate(js.laws.Precision.kumar_2024(), js.problems.PostTrainingPrecision(N=1e8, post_training_bits=4.0))
    >>> bool(1e8 < float(best.D) < 1e13)  # a finite best D: more data would hurt
    True
    """

    reads: ClassVar[tuple[str, ...]] = ("grid", "steps")
    N: float
    post_training_bits: float
    training_bits: float = 16.0
    d_range: tuple[float, float] = (1e6, 1e16)

    def __check_init__(self):
        check_amount("N", self.N, unit=" parameters", example="1e9")
        for name in ("post_training_bits", "training_bits"):
            if not (np.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise ValueError(f"{name} must be > 0 bits, got {getattr(self, name)}.")
        lo, hi = self.d_range
        if not (np.isfinite(hi) and 0 < lo < hi):
            raise ValueError(f"d_range must be (lo, hi) with 0 < lo < hi, got {self.d_range}.")

    def check(self, law):
        _check_precision_law(law, self)

    def solve(self, law, search: Search) -> TokenAllocation:
        return _solve_tokens(law, with_traced_values(self), jnp.asarray(self.N, float), search.grid, search.steps, bool(law.batch_shape))


@eqx.filter_jit
def _solve_tokens(law, problem, sizes, grid, steps, batched):
    lo, hi = jnp.log(problem.d_range[0]), jnp.log(problem.d_range[1])

    def one(law, n):
        loss = lambda d: _at(law, n, jnp.exp(d), problem.training_bits, problem.post_training_bits)
        d = minimize_1d(loss, lo, hi, grid, steps)
        return TokenAllocation(n, jnp.exp(d), loss(d))

    return over_values_and_laws(one, law, sizes, batched)
