"""Allocation problems for `jaxscale.allocate`: which model size N, how many tokens D, how many bits, which mixture?

Problems in N and D (`ComputeOptimal`, `DataConstrained`, `LossTarget`, `InferenceAware`; your own as an
`AbstractNDProblem`) reduce to one free variable, u = log N: the constraint fixes log D as a function of u (by
a bracketed root solve, differentiable through one implicit Newton step), the objective of u is screened on a
grid and refined by safeguarded Newton, and `sensitivities` differentiates the optimum. `ComputeOptimalPrecision`
adds the training bits as an outer variable (golden section), `PostTrainingPrecision` chooses D for a given N,
and `OptimalMixture` chooses mixture weights on a capped simplex (projected gradient). Each problem names the
`Search` options of `allocate` it reads (`reads`); `allocate` refuses the others.

Costs are functions `cost(N, D) -> FLOPs`, differentiable in JAX; the default is Kaplan/Hoffmann's 6 N D.
A problem's numbers (budgets, targets, token counts, bits) enter the compiled solve as arrays
(`with_traced_values`): a new value of the same shape compiles nothing.
Every result has `to_frame()` and `summary()`.
"""

from ._abstract import AbstractAllocation, AbstractProblem, with_traced_values
from ._compute_budget import AbstractComputeBudget, ComputeOptimal, DataConstrained
from ._costs import six_nd, six_nd_bits, training_and_inference
from ._loss_target import AbstractLossTarget, InferenceAware, LossTarget
from ._mixture import MixtureAllocation, OptimalMixture
from ._precision import ComputeOptimalPrecision, PostTrainingPrecision, PrecisionAllocation, TokenAllocation
from ._reduced import AbstractNDProblem, Allocation
from ._search import (
    Search,
    golden_section,
    minimize_1d,
    minimize_on_capped_simplex,
    over_values_and_laws,
    project_capped_simplex,
    root_in_log_d,
)

__all__ = [
    "AbstractAllocation",
    "AbstractComputeBudget",
    "AbstractLossTarget",
    "AbstractNDProblem",
    "AbstractProblem",
    "Allocation",
    "ComputeOptimal",
    "ComputeOptimalPrecision",
    "DataConstrained",
    "InferenceAware",
    "LossTarget",
    "MixtureAllocation",
    "OptimalMixture",
    "PostTrainingPrecision",
    "PrecisionAllocation",
    "Search",
    "TokenAllocation",
    "golden_section",
    "minimize_1d",
    "minimize_on_capped_simplex",
    "over_values_and_laws",
    "project_capped_simplex",
    "root_in_log_d",
    "six_nd",
    "six_nd_bits",
    "training_and_inference",
    "with_traced_values",
]
