import abc
from collections.abc import Callable

import equinox as eqx
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
    """

    max_steps: eqx.AbstractVar[int]

    @abc.abstractmethod
    def init(self, objective: Callable[[Array], Array], z: Float[Array, " p"]) -> SolverState:
        """State at the starting point `z`."""

    @abc.abstractmethod
    def step(self, objective: Callable[[Array], Array], z: Float[Array, " p"], state: SolverState) -> tuple[Array, SolverState]:
        """One iteration: the new point and state."""
