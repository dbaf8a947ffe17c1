"""`OptimalMixture`: the data-mixture weights that minimise a fitted mixture law, under availability limits.

The weights live on the simplex, each capped by what its domain can supply: h_j D <= max_epochs * U_j, so
h_j <= cap_j. The solver is projected gradient descent on that capped simplex (`minimize_on_capped_simplex`),
with an adaptive step length. The laws shipped (ExpMixing, MixtureAdditive) are convex in h, and so are their
sums and maxima: the answer is the global optimum.
"""

from collections.abc import Mapping, Sequence
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._law import AbstractLaw
from ..laws import AbstractMixtureLaw
from ._abstract import AbstractAllocation, AbstractProblem
from ._search import Search, minimize_on_capped_simplex, over_values_and_laws
from ._values import check_amount, check_count

COMBINE = ("sum", "worst")
# Sharpness of the smooth maximum that stands in for the worst domain's loss (in loss units).
WORST_TEMPERATURE = 1e-4


class MixtureAllocation(AbstractAllocation):
    """The outcome of an `OptimalMixture` problem: `weights` (..., domains), the combined `loss` there and
    each target law's `losses` (..., targets); leading axes are the batch of laws, then swept N / D.
    `to_frame()` has one row per problem: the weight of each domain and the loss.

    >>> import jax.numpy as jnp, jaxscale as js
    >>> law = js.laws.ExpMixing.over(["web", "code"])(c=jnp.asarray(2.0), t=jnp.array([-1.0, 0.5]))
    >>> list(js.allocate(law, js.problems.OptimalMixture()).to_frame().columns)
    ['web', 'code', 'loss']
    """

    weights: jax.Array
    loss: jax.Array
    losses: jax.Array
    domains: tuple[str, ...] = eqx.field(static=True)

    def columns(self) -> dict[str, jax.Array]:
        return {**{domain: self.weights[..., j] for j, domain in enumerate(self.domains)}, "loss": self.loss}


class OptimalMixture(AbstractProblem):
    """Minimise a mixture law's loss over the mixture weights h (one per domain, summing to 1).

    Pass `allocate` one law, or a list of laws (one per target domain, e.g. one `ExpMixing` fit per
    validation set), all over the same domains. With a list, `combine="sum"` minimises the sum of the
    targets' losses weighted by `target_weights` (default equal), `combine="worst"` the largest of them.
    A batch of laws (bootstrap refits, posterior draws, many problems) is solved member by member, vmapped.
    The search is set here (`iterations`), so `allocate` refuses all its search options.

    Args:
        N, D: model size and training tokens, for laws that take them (`MixtureAdditive`); `D` also sets the
            availability limits. Arrays are swept: one answer per entry.
        unique_tokens: domain -> tokens available. Each domain's weight is capped at
            max_epochs * unique_tokens / D; domains not named are unlimited.
        max_epochs: how many times a domain's data may be repeated.
        iterations: projected-gradient iterations.

    >>> import jax.numpy as jnp, jaxscale as js
    >>> law = js.laws.ExpMixing.over(["web", "code"])(c=jnp.asarray(2.0), t=jnp.array([-1.0, 0.5]))
    >>> best = js.allocate(law, js.problems.OptimalMixture(D=1e9, unique_tokens={"web": 4e8}))
    >>> [round(float(h), 6) for h in best.weights]  # as much web as there is
    [0.4, 0.6]
    """

    reads: ClassVar[tuple[str, ...]] = ()
    N: float | None = None
    D: float | None = None
    combine: str = "sum"
    target_weights: Sequence[float] | None = None
    unique_tokens: Mapping[str, float] | None = eqx.field(default=None, static=True)
    max_epochs: float = 1.0
    iterations: int = eqx.field(default=300, static=True)

    def __check_init__(self):
        if self.combine not in COMBINE:
            raise ValueError(f"combine must be one of {COMBINE}, got {self.combine!r}.")
        for name in ("N", "D"):
            value = getattr(self, name)
            if value is not None:
                check_amount(name, value, example="1e9")
        check_count("iterations", self.iterations)
        if not (np.isfinite(self.max_epochs) and self.max_epochs > 0):
            raise ValueError(f"max_epochs must be > 0, got {self.max_epochs}.")
        if self.unique_tokens is not None:
            if self.D is None:
                raise ValueError("availability limits (unique_tokens) need the training tokens D: pass D=...")
            bad = {k: v for k, v in self.unique_tokens.items() if not v > 0}
            if bad:
                raise ValueError(f"unique_tokens must be > 0; got {bad}.")

    def check(self, law):
        laws = _as_laws(law)
        _supply(type(laws[0]).domains, self)
        _target_weights(self, len(laws))
        needed = sorted(set(type(laws[0]).scale_inputs) - set(_scales(self)))
        if needed:
            raise ValueError(f"{type(laws[0]).__name__} takes {list(type(laws[0]).scale_inputs)}: pass {needed} to OptimalMixture.")

    def solve(self, law, search: Search) -> MixtureAllocation:
        laws = _as_laws(law)
        domains = type(laws[0]).domains
        supply = _supply(domains, self)
        weights = _target_weights(self, len(laws))
        batched = bool(laws[0].batch_shape)
        supply, weights = jnp.asarray(supply), jnp.asarray(weights)
        return _solve(tuple(laws), _scales(self), supply, weights, self.combine, self.iterations, batched, domains)


def _scales(problem) -> dict:
    """The scale inputs the problem gives (N, D), as arrays."""
    return {k: jnp.asarray(getattr(problem, k), float) for k in ("N", "D") if getattr(problem, k) is not None}


def _as_laws(laws) -> list:
    """One mixture law or a list of them, as a list; a TypeError or ValueError naming what is wrong."""
    laws = [laws] if isinstance(laws, AbstractLaw) else list(laws)
    if not laws or not all(isinstance(law, AbstractMixtureLaw) for law in laws):
        raise TypeError("OptimalMixture needs fitted mixture laws (ExpMixing, MixtureAdditive): one, or a list of them.")
    domains = {type(law).domains for law in laws}
    if len(domains) > 1:
        raise ValueError("every law in the list must be over the same domains, in the same order.")
    if len({law.batch_shape for law in laws}) > 1:
        raise ValueError("every law in the list must have the same batch shape.")
    return laws


def _supply(domains, problem) -> np.ndarray:
    """Each domain's token supply max_epochs * unique_tokens (inf where unlimited); an error naming the domains
    when, at the largest D asked for, together they cannot supply it."""
    supply = np.full(len(domains), np.inf)
    if problem.unique_tokens is None:
        return supply
    unknown = sorted(set(problem.unique_tokens) - set(domains))
    if unknown:
        raise ValueError(f"unique_tokens names {unknown}, which are not domains of the law; they are {list(domains)}.")
    for j, domain in enumerate(domains):
        if domain in problem.unique_tokens:
            supply[j] = problem.max_epochs * problem.unique_tokens[domain]
    D = float(np.max(problem.D))
    caps = np.minimum(1.0, supply / D)
    if caps.sum() < 1:
        limited = ", ".join(f"{d} <= {c:.3g}" for d, c in zip(domains, caps))
        raise ValueError(
            f"infeasible: at D = {D:.3g} tokens and max_epochs = {problem.max_epochs}, the domains can supply only "
            f"{caps.sum():.3g} of the mixture ({limited}). Raise max_epochs, lower D or add data."
        )
    return supply


def _target_weights(problem, n_targets) -> np.ndarray:
    if problem.target_weights is None:
        return np.full(n_targets, 1.0 / n_targets)
    weights = np.asarray(problem.target_weights, float)
    if weights.shape != (n_targets,) or np.any(weights < 0) or not weights.sum() > 0:
        raise ValueError(f"target_weights must be {n_targets} non-negative numbers (one per law), not all 0; got {problem.target_weights}.")
    return weights


@eqx.filter_jit
def _solve(laws, scales, supply, target_weights, combine, iterations, batched, domains):
    def losses_at(laws, scale, h):
        x = {**scale, **{d: h[j] for j, d in enumerate(domains)}}
        return jnp.stack([law(x) for law in laws])

    def solve_one(laws, scale):
        def objective(h):
            losses = losses_at(laws, scale, h)
            if combine == "sum":
                return target_weights @ losses
            return WORST_TEMPERATURE * jax.nn.logsumexp(losses / WORST_TEMPERATURE)

        caps = jnp.minimum(1.0, supply / scale["D"]) if "D" in scale else jnp.ones_like(supply)
        h = minimize_on_capped_simplex(objective, caps, iterations)
        losses = losses_at(laws, scale, h)
        loss = target_weights @ losses if combine == "sum" else jnp.max(losses)
        return MixtureAllocation(h, loss, losses, domains)

    return over_values_and_laws(solve_one, laws, scales, batched)
