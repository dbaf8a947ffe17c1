"""`AbstractNDProblem`: a problem in model size N and tokens D reduced to one variable, u = log N.

The constraint fixes log D for each log N (`log_tokens`), the problem supplies the objective of (log N, log D),
and `solve` screens a grid of u over `n_range` and refines the best point by safeguarded Newton (`minimize_1d`).
"""

import abc
from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from .._law import AbstractLaw
from ._abstract import AbstractAllocation, AbstractProblem, require_one_law, with_traced_values
from ._search import Search, minimize_1d, over_values_and_laws


class Allocation(AbstractAllocation):
    """The outcome of an N-D problem: N*, D*, the predicted loss and the FLOPs, for every problem value and law.

    `flops` is the cost the problem minimises or is constrained by: cost(N, D) for `ComputeOptimal`,
    `DataConstrained` and `LossTarget`, cost(N, D) + 2 N inference_tokens for `InferenceAware`;
    `training_flops` is cost(N, D). Arrays are shaped (laws, values) with absent axes dropped: one law and one
    budget give scalars. With a batch of laws (bootstrap refits, posterior draws) `summary()` gives the median
    and a percentile interval of each quantity; with `risk` set, N* and D* are shared by the batch and `loss`
    is each law's prediction there.

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> best = js.allocate(law, js.problems.InferenceAware(2.0, inference_tokens=1e13))
    >>> list(best.to_frame().columns)
    ['N', 'D', 'tokens_per_parameter', 'loss', 'flops', 'training_flops']
    >>> bool(best.flops > best.training_flops)
    True
    """

    N: jax.Array
    D: jax.Array
    loss: jax.Array
    flops: jax.Array
    training_flops: jax.Array

    @property
    def tokens_per_parameter(self) -> jax.Array:
        return self.D / self.N

    def columns(self) -> dict[str, jax.Array]:
        return {
            "N": self.N,
            "D": self.D,
            "tokens_per_parameter": self.tokens_per_parameter,
            "loss": self.loss,
            "flops": self.flops,
            "training_flops": self.training_flops,
        }


class AbstractNDProblem(AbstractProblem):
    """A problem in N and D: the log D its constraint allows at each log N, and the objective to minimise there.

    A subclass declares `swept` (the field that may be an array, e.g. budgets: one answer per entry), `cost`
    (training FLOPs cost(N, D)) and `risk` (how a batch of laws shares one answer: None for one answer per law,
    "mean" for the least expected objective, a number q in (0, 1) for the least q-quantile; a problem without
    the option declares `risk: ClassVar[None] = None`), and implements `log_tokens`, `objective`, `flops`,
    `law_inputs` and `check`. It then gets `solve`, so `allocate` and `sensitivities`, which reads every
    `Search` option. (A problem that wrote `log_tokens` and `objective` on `AbstractProblem` subclasses this now.)

    >>> import jaxscale as js
    >>> issubclass(js.problems.InferenceAware, js.problems.AbstractNDProblem), js.problems.ComputeOptimal.swept
    (True, 'budget')
    """

    reads: ClassVar[tuple[str, ...]] = ("n_range", "d_range", "grid", "steps")
    swept: eqx.AbstractClassVar[str]
    # Further fields that may be arrays, swept elementwise alongside `swept` (equal lengths, or a scalar).
    also_swept: ClassVar[tuple[str, ...]] = ()
    cost: eqx.AbstractVar[Callable]
    risk: eqx.AbstractVar[str | float | None]

    @abc.abstractmethod
    def log_tokens(self, law: AbstractLaw, log_n) -> jax.Array:
        """log D satisfying the constraint at log N (NaN where none does)."""

    @abc.abstractmethod
    def objective(self, law: AbstractLaw, log_n, log_d) -> jax.Array:
        """What to minimise at (log N, log D)."""

    @abc.abstractmethod
    def flops(self, n, d) -> jax.Array:
        """The FLOPs the problem minimises or is constrained by at N = n, D = d."""

    @abc.abstractmethod
    def law_inputs(self, n, d) -> dict:
        """What the law is evaluated at for N = n, D = d (problems with more inputs add theirs)."""

    def loss(self, law: AbstractLaw, log_n, log_d) -> jax.Array:
        """The law's prediction at (log N, log D)."""
        return law(self.law_inputs(jnp.exp(log_n), jnp.exp(log_d)))

    def solve(self, law: AbstractLaw, search: Search) -> Allocation:
        """N*, D* for every swept value and law (`risk` set: one N*, D* for the whole batch of laws). The
        problem's numbers go in as arrays, so a new budget or target reuses the compiled solve."""
        log_lo, log_hi = search.log_n_range
        log_d_lo, log_d_hi = search.log_d_range
        return _solve(law, with_traced_values(self), log_lo, log_hi, log_d_lo, log_d_hi, search.grid, search.steps, bool(law.batch_shape))


def require_n_and_d(problem: AbstractProblem, law) -> None:
    """A ValueError unless `law` is one law (or batch) of N and D, at least."""
    require_one_law(law)
    missing = sorted({"N", "D"} - set(type(law).inputs))
    if missing:
        raise ValueError(
            f"{type(problem).__name__} allocates N and D, but {type(law).__name__} takes inputs {list(type(law).inputs)}; "
            "fit a law of N and D (e.g. js.Chinchilla)."
        )


@eqx.filter_jit
def _solve(law, problem, log_lo, log_hi, log_d_lo, log_d_hi, grid, steps, batched_laws):
    fields = (problem.swept, *problem.also_swept)
    values = {field: jnp.asarray(getattr(problem, field), float) for field in fields}
    # With a risk, the batch of laws shares one answer: the solve sees the whole batch, not one law at a time.
    shared = batched_laws and problem.risk is not None

    def for_value(law, value):
        one = eqx.tree_at(lambda p: [getattr(p, field) for field in fields], problem, [value[field] for field in fields])
        if shared:
            over_batch = lambda u: jax.vmap(lambda member: _value(member, one, u, log_d_lo, log_d_hi))(law)
            log_n = minimize_1d(lambda u: _aggregate(over_batch(u), problem.risk), log_lo, log_hi, grid, steps)
            return jax.vmap(lambda member: _outcome(member, one, log_n, log_d_lo, log_d_hi))(law)
        log_n = minimize_1d(lambda u: _value(law, one, u, log_d_lo, log_d_hi), log_lo, log_hi, grid, steps)
        return _outcome(law, one, log_n, log_d_lo, log_d_hi)

    return over_values_and_laws(for_value, law, values, batched_laws and not shared)


def _value(law, problem, log_n, log_d_lo, log_d_hi):
    log_d = problem.log_tokens(law, log_n)
    allowed = jnp.isfinite(log_d) & (log_d >= log_d_lo) & (log_d <= log_d_hi)
    return jnp.where(allowed, problem.objective(law, log_n, log_d), jnp.inf)


def _aggregate(values, risk):
    return jnp.mean(values) if risk == "mean" else jnp.quantile(values, risk)


def _outcome(law, problem, log_n, log_d_lo, log_d_hi):
    log_d = problem.log_tokens(law, log_n)
    # No N in n_range gives a D inside d_range: NaN, which allocate reports, not an answer that breaks d_range.
    slack = 1e-6 * (1.0 + jnp.abs(log_d))
    log_d = jnp.where((log_d >= log_d_lo - slack) & (log_d <= log_d_hi + slack), log_d, jnp.nan)
    n, d = jnp.exp(log_n), jnp.exp(log_d)
    return Allocation(N=n, D=d, loss=law(problem.law_inputs(n, d)), flops=problem.flops(n, d), training_flops=problem.cost(n, d))
