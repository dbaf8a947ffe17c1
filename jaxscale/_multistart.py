"""`MultiStart`: the strategy every fit runs, a local solver wrapped in screening and restart agreement.

Screen every start with one evaluation of the objective, refine the `n_refine` best together with the solver
(one compiled re-packing loop, `solvers.minimize_groups`), and stop once enough restarts agree. A batch of
datasets (bootstrap reweightings, groups) is one more batch axis of the same program, split over the devices.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._dataset import is_count
from ._objective import Objective
from ._sharding import on_each_device, shard_batch
from .losses import AbstractLoss, AbstractResidualLoss
from .solvers import AbstractSolver, DampedNewton, GaussNewton, minimize_groups


class MultiStart(eqx.Module):
    """Many starts, one answer: what `fit`, `bootstrap` and `evaluate` pass down to the engine.

    Args:
        solver: the local solver each refined start runs. None (the default) chooses by the loss, as Lineax's
            `AutoLinearSolver` chooses by the operator: `GaussNewton()` (iteratively reweighted Gauss-Newton)
            for a loss with residual structure (`LogHuber`, `LogSquared`, `Squared`), `DampedNewton()` (exact
            Hessian, Levenberg-Marquardt damping) for any other, such as a likelihood's negative log-likelihood.
        n_refine: how many of the best-screened starts are refined.
        stop_when_agreed: once this many converged restarts agree on the lowest objective and none still
            running is below it, the rest stop (status "stopped_early"); None runs every restart to its end.
        agree_rtol: restarts within this relative distance of the best objective count as reaching it.

    `fit`'s keywords `solver`, `n_refine`, `stop_when_agreed` and `agree_rtol` are shorthand for one of these.

    >>> import jaxscale as js
    >>> js.MultiStart(js.solvers.DampedNewton(), n_refine=8).n_refine
    8
    """

    solver: AbstractSolver | None = None
    n_refine: int = 16
    stop_when_agreed: int | None = 3
    agree_rtol: float = 1e-6

    def __check_init__(self):
        if not (self.solver is None or isinstance(self.solver, AbstractSolver)):
            raise TypeError(f"solver must be a jaxscale solver such as js.solvers.GaussNewton(), got {type(self.solver).__name__}.")
        if not is_count(self.n_refine):
            raise ValueError(f"n_refine must be a positive integer, got {self.n_refine!r}.")
        if not (self.stop_when_agreed is None or is_count(self.stop_when_agreed)):
            raise ValueError(f"stop_when_agreed must be a positive integer or None, got {self.stop_when_agreed!r}.")
        if not (isinstance(self.agree_rtol, (int, float, np.floating)) and self.agree_rtol >= 0):
            raise ValueError(f"agree_rtol must be a number >= 0, got {self.agree_rtol!r}.")

    def check(self, loss: AbstractLoss) -> None:
        """Refuses, before anything compiles, a loss the solver cannot use."""
        if isinstance(loss, type) and issubclass(loss, AbstractLoss):
            raise TypeError(f"loss must be an instance: pass {loss.__name__}(...), not the class.")
        if not isinstance(loss, AbstractLoss):
            raise TypeError(f"loss must be a jaxscale loss such as js.LogHuber(1e-3), got {type(loss).__name__}.")
        solver = self.solver_for(loss)
        if solver.requires_residuals and not isinstance(loss, AbstractResidualLoss):
            raise ValueError(
                f"{type(solver).__name__} needs a loss with residual structure (js.LogHuber, js.LogSquared, js.Squared), "
                f"but got {type(loss).__name__}: pass solver=js.solvers.DampedNewton(), an OptaxSolver, or no solver "
                f"(the default chooses DampedNewton for it)."
            )

    def solver_for(self, loss: AbstractLoss) -> AbstractSolver:
        """The solver given, or the one the loss calls for: GaussNewton on residuals, DampedNewton otherwise."""
        if self.solver is not None:
            return self.solver
        return GaussNewton() if isinstance(loss, AbstractResidualLoss) else DampedNewton()

    @eqx.filter_jit
    def run(self, parameterization, loss, dataset, z_starts, on_progress=None):
        """One dataset, starts (starts, p): (screened (starts,), chosen (refined,), BatchMinimum (refined,))."""
        found = self._run(parameterization, loss, dataset, None, z_starts[None], on_progress)
        return jax.tree_util.tree_map(lambda a: a[0], found)

    def run_batch(self, parameterization, loss, datasets, data_axes, z_starts):
        """A batch of datasets (leaves batched where `data_axes` says 0, shared where None) with starts
        (batch, starts, p); the batch (a multiple of the device count) is split over the devices."""
        if isinstance(data_axes, int):
            batched = shard_batch(datasets)
        else:
            place = lambda axis, a: shard_batch(a) if axis == 0 else a
            batched = jax.tree_util.tree_map(place, data_axes, datasets, is_leaf=lambda x: x is None)
        return self._run_sharded(parameterization, loss, batched, data_axes, shard_batch(z_starts))

    @eqx.filter_jit
    def _run_sharded(self, parameterization, loss, datasets, data_axes, z_starts):
        run = lambda d, z: self._run(parameterization, loss, d, data_axes, z, None)
        return on_each_device(run, (data_axes, 0))(datasets, z_starts)

    def _run(self, parameterization, loss, datasets, data_axes, z_starts, on_progress):
        objective_of = lambda dataset: Objective(parameterization, loss, dataset)
        if data_axes is None:  # one dataset shared by the whole batch
            datasets, data_axes = jax.tree_util.tree_map(lambda a: a[None], datasets), 0
        n_refine = min(self.n_refine, z_starts.shape[1])
        screened, chosen = jax.vmap(lambda d, z: _screen(objective_of(d), z, n_refine), in_axes=(data_axes, 0))(datasets, z_starts)
        z_chosen = jnp.take_along_axis(z_starts, chosen[..., None], axis=1)
        minimum = minimize_groups(
            self.solver_for(loss), objective_of, datasets, data_axes, z_chosen, on_progress, self.stop_when_agreed, self.agree_rtol
        )
        return screened, chosen, minimum


def _screen(objective, z_starts, n_refine):
    screened = jax.lax.map(objective, z_starts, batch_size=1024)
    screened = jnp.where(jnp.isfinite(screened), screened, jnp.inf)
    _, chosen = jax.lax.top_k(-screened, n_refine)
    return screened, chosen
