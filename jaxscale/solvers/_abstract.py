import abc
from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import numpy as np
from jaxtyping import Array, Bool, Float, PyTree


class SolverState(eqx.Module):
    """What every solver carries per restart: the current objective and whether it has converged."""

    value: Float[Array, ""]
    converged: Bool[Array, ""]
    extra: PyTree


class AbstractSolver(eqx.Module):
    """A local minimiser of a scalar objective of an unconstrained vector, written for one restart.

    `jaxscale` vmaps `init` and `step` over restarts and drives them all from one loop
    (`jaxscale.solvers.minimize_batch`), freezing each restart once it converges or goes non-finite.
    Convergence is the `converged` flag a step sets in its state; the per-solver part of the state lives in
    `SolverState.extra`.

    A solver that needs the objective's residual structure (the `Objective.gauss_newton` curvature that
    `fit` builds from an `AbstractResidualLoss`) sets `requires_residuals = True`; `fit` then refuses, before
    compiling, a loss without it.
    """

    max_steps: eqx.AbstractVar[int]
    requires_residuals: ClassVar[bool] = False

    def __check_init__(self):
        steps = self.max_steps
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"max_steps must be an integer >= 0 (the iterations per restart, e.g. 200), got {steps!r}.")
        for name in ("rtol", "atol", "gtol"):
            value = getattr(self, name, None)
            if isinstance(value, (int, float)) and not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0 (a convergence tolerance, e.g. 1e-10), got {value!r}.")

    @abc.abstractmethod
    def init(self, objective: Callable[[Array], Array], z: Float[Array, " p"]) -> SolverState:
        """State at the starting point `z`."""

    @abc.abstractmethod
    def step(self, objective: Callable[[Array], Array], z: Float[Array, " p"], state: SolverState) -> tuple[Array, SolverState]:
        """One iteration: the new point and state."""
