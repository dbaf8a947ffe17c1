"""Costs in FLOPs, differentiable in JAX: `cost(N, D)` for the problems in N and D, `cost(N, D, P)` with bits."""

from collections.abc import Callable

import equinox as eqx


def six_nd(N, D):
    """Training FLOPs 6 N D (Kaplan et al. 2020, Hoffmann et al. 2022).

    >>> from jaxscale.problems import six_nd
    >>> six_nd(7e10, 1.4e12)
    5.88e+23
    """
    return 6.0 * N * D


def six_nd_bits(N, D, P):
    """Training FLOPs 6 N D scaled by the bit width, P / 16 (Kumar et al. 2024, Sec. 4.3: cost linear in P).

    >>> from jaxscale.problems import six_nd_bits
    >>> six_nd_bits(1e9, 2e10, 8.0)
    6e+19
    """
    return 6.0 * N * D * P / 16.0


def training_and_inference(inference_tokens: float) -> Callable:
    """The cost 6 N D + 2 N * inference_tokens: with `ComputeOptimal(budget, cost=training_and_inference(t))`
    it gives the best loss for a total training-plus-serving budget (the dual of `InferenceAware`).

    >>> from jaxscale.problems import training_and_inference
    >>> training_and_inference(1e13)(1e9, 2e10)
    2.012e+22
    """
    if not inference_tokens >= 0:
        raise ValueError(f"inference_tokens must be >= 0, got {inference_tokens}.")
    return TrainingAndInference(inference_tokens)


class TrainingAndInference(eqx.Module):
    """The cost 6 N D + 2 N * inference_tokens, as a module (not a closure), so that a compiled solve takes
    `inference_tokens` as an argument: a new number of tokens reuses the compilation. Made by
    `training_and_inference`.

    >>> from jaxscale.problems import training_and_inference
    >>> training_and_inference(1e13)
    TrainingAndInference(inference_tokens=1e+13)
    """

    inference_tokens: float

    def __call__(self, N, D):
        return 6.0 * N * D + 2.0 * N * self.inference_tokens

    def __repr__(self) -> str:
        tokens = self.inference_tokens
        return f"TrainingAndInference(inference_tokens={tokens:g})" if isinstance(tokens, (int, float)) else super().__repr__()
