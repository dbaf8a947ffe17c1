"""Allocation problems for `jaxscale.allocate`: which model size N and how many tokens D?

Each problem reduces to one free variable, u = log N: the constraint fixes log D as a function of u (by a
bracketed root solve, differentiable through one implicit Newton step), and the problem supplies the
objective of u to minimise. `allocate` screens a grid of u and refines the best point by safeguarded Newton.

Costs are functions `cost(N, D) -> FLOPs`, differentiable in JAX; the default is Kaplan/Hoffmann's 6 N D.
"""

import abc
from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from ._law import AbstractLaw


def six_nd(N, D):
    """Training FLOPs 6 N D (Kaplan et al. 2020, Hoffmann et al. 2022)."""
    return 6.0 * N * D


# log D is searched in [log 1, log 1e40] tokens.
LOG_D_RANGE = (0.0, 92.0)


class AbstractProblem(eqx.Module):
    """A problem: the log D that the constraint allows for each log N, and the objective to minimise.

    `swept` names the field that may be an array (budgets or targets): `allocate` solves for each entry.
    """

    swept: ClassVar[str]

    @abc.abstractmethod
    def log_tokens(self, law: AbstractLaw, log_n) -> jax.Array:
        """log D satisfying the constraint at log N (NaN where none does)."""

    @abc.abstractmethod
    def objective(self, law: AbstractLaw, log_n, log_d) -> jax.Array:
        """What to minimise at (log N, log D)."""

    def check(self, law: AbstractLaw) -> None:
        """Raises a ValueError, before anything is compiled, if the problem cannot be posed for `law`."""
        missing = sorted({"N", "D"} - set(type(law).inputs))
        if missing:
            raise ValueError(f"{type(self).__name__} allocates N and D, but {type(law).__name__} takes inputs {list(type(law).inputs)}.")

    def law_inputs(self, n, d) -> dict:
        """What the law is evaluated at for N = n, D = d (problems with more inputs add theirs)."""
        return {"N": n, "D": d}

    def loss(self, law: AbstractLaw, log_n, log_d) -> jax.Array:
        return law(self.law_inputs(jnp.exp(log_n), jnp.exp(log_d)))


def _root_in_log_d(h, lo=LOG_D_RANGE[0], hi=LOG_D_RANGE[1], iterations=80):
    """The d in [lo, hi] where the increasing function h crosses zero (NaN if it does not).

    Bisection finds it robustly; one Newton step from the (gradient-stopped) bisection point then gives the
    exact implicit derivative of the root with respect to everything h depends on.
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


def training_and_inference(inference_tokens: float) -> Callable:
    """The cost 6 N D + 2 N * inference_tokens: with `ComputeOptimal(budget, cost=training_and_inference(t))`
    it gives the best loss for a total training-plus-serving budget (the dual of `InferenceAware`)."""
    if not inference_tokens >= 0:
        raise ValueError(f"inference_tokens must be >= 0, got {inference_tokens}.")
    return lambda N, D: 6.0 * N * D + 2.0 * N * inference_tokens


def _check_reachable(target, law) -> None:
    floor = getattr(law, "E", None)
    if floor is not None and jnp.any(jnp.asarray(target) <= jnp.asarray(floor)):
        raise ValueError(
            f"target loss {jnp.asarray(target).tolist()} is at or below the irreducible loss E = "
            f"{jnp.asarray(floor).tolist()} of {type(law).__name__}: no N and D reach it. Choose a target above E."
        )


class AbstractComputeBudget(AbstractProblem):
    """A problem with a compute budget: cost(N, D) = budget fixes log D at each N; the loss is minimised."""

    swept: ClassVar[str] = "budget"
    budget: eqx.AbstractVar[float]
    cost: eqx.AbstractVar[Callable]

    def __check_init__(self):
        if not jnp.all(jnp.asarray(self.budget) > 0):
            raise ValueError(f"budget must be > 0 FLOPs, got {self.budget}.")

    def log_tokens(self, law, log_n):
        log_budget = jnp.log(self.budget)
        if self.cost is six_nd:  # the constraint solved in closed form
            return log_budget - jnp.log(6.0) - log_n
        return _root_in_log_d(lambda d: jnp.log(self.cost(jnp.exp(log_n), jnp.exp(d))) - log_budget)

    def objective(self, law, log_n, log_d):
        return self.loss(law, log_n, log_d)


class ComputeOptimal(AbstractComputeBudget):
    """Minimise the loss L(N, D) subject to cost(N, D) = budget (FLOPs).

    With the default cost 6 N D and the Chinchilla law this is Hoffmann et al.'s compute-optimal allocation,
    N* = G (C/6)^(beta/(alpha+beta)). `risk` applies to a batch of laws (bootstrap refits, posterior draws):
    None allocates for each law separately; "mean" minimises the expected loss over the batch; a number q in
    (0, 1) minimises the q-quantile of the loss over the batch (e.g. 0.9: a pessimistic allocation).
    """

    budget: float
    cost: Callable = six_nd
    risk: str | float | None = None

    def __check_init__(self):
        if not (self.risk is None or self.risk == "mean" or (isinstance(self.risk, float) and 0 < self.risk < 1)):
            raise ValueError(f"risk must be None, 'mean' or a quantile in (0, 1), got {self.risk!r}.")


class DataConstrained(AbstractComputeBudget):
    """Minimise the loss for a compute budget when only `unique_tokens` of distinct data exist (Muennighoff
    et al. 2023): D may exceed them, as repeated epochs (D / unique_tokens of them), which the law
    (`jaxscale.laws.DataConstrained`, input U) values less. The answer's epochs are `D / unique_tokens`."""

    budget: float
    unique_tokens: float
    cost: Callable = six_nd

    def __check_init__(self):
        if not self.unique_tokens > 0:
            raise ValueError(f"unique_tokens must be > 0, got {self.unique_tokens}.")

    def check(self, law):
        if set(type(law).inputs) != {"N", "D", "U"}:
            raise ValueError(
                f"DataConstrained needs a law of N, D and unique tokens U (e.g. js.laws.DataConstrained), but "
                f"{type(law).__name__} takes inputs {list(type(law).inputs)}."
            )

    def law_inputs(self, n, d):
        return {"N": n, "D": d, "U": self.unique_tokens}


class AbstractLossTarget(AbstractProblem):
    """A problem that must reach loss `target`: log D is what reaches it at each N; subclasses say what it costs."""

    swept: ClassVar[str] = "target"
    target: eqx.AbstractVar[float]

    def __check_init__(self):
        if not jnp.all(jnp.asarray(self.target) > 0):
            raise ValueError(f"target loss must be > 0, got {self.target}.")

    def check(self, law):
        super().check(law)
        _check_reachable(self.target, law)

    def log_tokens(self, law, log_n):
        # L decreases with D, so log target - log L(N, e^d) increases with d.
        return _root_in_log_d(lambda d: jnp.log(self.target) - jnp.log(self.loss(law, log_n, d)))


class LossTarget(AbstractLossTarget):
    """The cheapest (N, D) that reaches loss `target`: minimise cost(N, D) subject to L(N, D) = target."""

    target: float
    cost: Callable = six_nd

    def objective(self, law, log_n, log_d):
        return jnp.log(self.cost(jnp.exp(log_n), jnp.exp(log_d)))


class InferenceAware(AbstractLossTarget):
    """Beyond Chinchilla-optimal (Sardana et al. 2024): reach loss `target` at the least training plus
    inference compute, 6 N D + 2 N * inference_tokens, where `inference_tokens` is the expected number of
    tokens the model will serve. With zero inference tokens this is `LossTarget`; with many, a smaller model
    trained for longer is cheaper overall. The dual, the best loss for a total budget, is
    `ComputeOptimal(budget, cost=training_and_inference(inference_tokens))`."""

    target: float
    inference_tokens: float = 0.0
    cost: Callable = six_nd

    def __check_init__(self):
        if not self.inference_tokens >= 0:
            raise ValueError(f"inference_tokens must be >= 0, got {self.inference_tokens}.")

    def objective(self, law, log_n, log_d):
        n, d = jnp.exp(log_n), jnp.exp(log_d)
        return jnp.log(self.cost(n, d) + 2.0 * n * self.inference_tokens)


# Problems with other unknowns than (N, D): mixture weights, bit widths.
from ._optimal_mixture import OptimalMixture  # noqa: E402
from ._precision_allocation import (  # noqa: E402
    ComputeOptimalPrecision,
    PostTrainingPrecision,
    six_nd_bits,
)

__all__ = [
    "OptimalMixture", "ComputeOptimalPrecision", "PostTrainingPrecision", "six_nd_bits",
    "AbstractComputeBudget",
    "AbstractLossTarget",
    "AbstractProblem",
    "ComputeOptimal", "DataConstrained", "InferenceAware", "LossTarget", "six_nd", "training_and_inference"]
