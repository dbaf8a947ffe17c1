"""Local solvers as strategy objects, and the loop that drives a batch of restarts."""

from ._abstract import AbstractSolver, SolverState
from ._gauss_newton import GaussNewton
from ._levenberg_marquardt import AbstractLevenbergMarquardt
from ._minimize_batch import BatchMinimum, minimize_batch, minimize_groups
from ._newton import DampedNewton
from ._optax import OptaxSolver

__all__ = [
    "AbstractLevenbergMarquardt", "AbstractSolver", "BatchMinimum", "DampedNewton", "GaussNewton", "OptaxSolver", "SolverState",
    "minimize_batch", "minimize_groups",
]
