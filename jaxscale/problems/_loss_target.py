"""Problems that must reach a loss target: log D is what reaches it at each N; the cost is minimised."""

from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._costs import six_nd
from ._reduced import AbstractNDProblem, require_n_and_d
from ._search import root_in_log_d
from ._values import check_amount, check_cost, check_cost_values


class AbstractLossTarget(AbstractNDProblem):
    """A problem that must reach loss `target`: log D is what reaches it at each N, and log `flops` is minimised.

    >>> import jaxscale as js
    >>> issubclass(js.problems.InferenceAware, js.problems.AbstractLossTarget)
    True
    """

    swept: ClassVar[str] = "target"
    target: eqx.AbstractVar[float]
    risk: ClassVar[None] = None  # one allocation per law of a batch

    def __check_init__(self):
        check_amount("target", self.target, example="2.0")
        check_cost(self.cost)

    def check(self, law):
        require_n_and_d(self, law)
        check_cost_values(type(self).__name__, self.flops, 1e9, 2e10)
        floor = getattr(law, "E", None)  # the irreducible loss, for laws that have one
        # NumPy on the concrete values, so the check compiles nothing.
        if floor is not None and np.any(np.asarray(self.target)[..., None] <= np.asarray(floor).reshape(-1)):
            raise ValueError(
                f"target loss {np.asarray(self.target).tolist()} is at or below the irreducible loss E = "
                f"{np.asarray(floor).tolist()} of {type(law).__name__}: no N and D reach it. Choose a target above E."
            )

    def log_tokens(self, law, log_n):
        # L decreases with D, so log target - log L(N, e^d) increases with d.
        return root_in_log_d(lambda d: jnp.log(self.target) - jnp.log(self.loss(law, log_n, d)))

    def objective(self, law, log_n, log_d):
        return jnp.log(self.flops(jnp.exp(log_n), jnp.exp(log_d)))

    def law_inputs(self, n, d):
        return {"N": n, "D": d}


class LossTarget(AbstractLossTarget):
    """The cheapest (N, D) that reaches loss `target`: minimise cost(N, D) subject to L(N, D) = target.

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> round(float(js.allocate(law, js.problems.LossTarget(2.0)).loss), 6)
    2.0
    """

    target: float
    cost: Callable = six_nd

    def flops(self, n, d):
        return self.cost(n, d)


class InferenceAware(AbstractLossTarget):
    """Beyond Chinchilla-optimal (Sardana et al. 2024): reach loss `target` at the least training plus
    inference compute, cost(N, D) + 2 N * inference_tokens, where `inference_tokens` is the expected number of
    tokens the model will serve. With zero inference tokens this is `LossTarget`; with many, a smaller model
    trained for longer is cheaper overall. The answer's `flops` is that total, `training_flops` cost(N, D). The
    dual, the best loss for a total budget, is `ComputeOptimal(budget, cost=training_and_inference(inference_tokens))`.

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> plain = js.allocate(law, js.problems.LossTarget(2.0))
    >>> aware = js.allocate(law, js.problems.InferenceAware(2.0, inference_tokens=1e13))
    >>> bool(aware.N < plain.N)
    True
    """

    target: float
    inference_tokens: float = 0.0  # or an array: one answer per entry
    cost: Callable = six_nd

    also_swept: ClassVar[tuple[str, ...]] = ("inference_tokens",)

    def __check_init__(self):
        check_amount("inference_tokens", self.inference_tokens, unit=" tokens", minimum=">= 0", example="1e13")
        lengths = {np.size(self.target), np.size(self.inference_tokens)} - {1}
        if len(lengths) > 1 and not any(isinstance(v, jax.core.Tracer) for v in (self.target, self.inference_tokens)):
            raise ValueError(
                f"target and inference_tokens are swept together, entry by entry, so they need the same length (or one "
                f"of them a single number); got {np.size(self.target)} targets and {np.size(self.inference_tokens)} "
                "inference_tokens."
            )

    def flops(self, n, d):
        return self.cost(n, d) + 2.0 * n * self.inference_tokens
