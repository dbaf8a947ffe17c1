"""What a newcomer adds without touching the package: a law with a target bounded in (0, 1) with its own loss,
and a solver. (A likelihood: tests/test_likelihoods.py; an allocation problem: tests/test_allocation_options.py.)"""

from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale.solvers import AbstractSolver, SolverState


class Accuracy(js.AbstractLaw):
    """Accuracy as a floored sigmoid of log compute: floor + (1 - floor) * sigmoid(slope * (log C - midpoint))."""

    inputs = ("C",)
    constraints = {"floor": js.Interval(0.0, 1.0), "slope": js.Positive(), "midpoint": js.Real()}
    floor: jnp.ndarray
    slope: jnp.ndarray
    midpoint: jnp.ndarray

    def __call__(self, x):
        return self.floor + (1 - self.floor) * jax.nn.sigmoid(self.slope * (jnp.log(x["C"]) - self.midpoint))

    def start_ranges(self, target, inputs):
        log_c = np.log(inputs["C"])
        return {"floor": (0.01, 0.5), "slope": (0.1, 5.0), "midpoint": (log_c.min(), log_c.max())}


class LogitSquared(js.losses.AbstractResidualLoss):
    """sum_i w_i (logit prediction_i - logit target_i)^2, for targets strictly inside (0, 1)."""

    target_support: ClassVar[js.AbstractConstraint] = js.Interval(0.0, 1.0)
    reduction: str = "sum"

    def residuals(self, law, data):
        logit = lambda p: jnp.log(p) - jnp.log1p(-p)
        return logit(law(data.inputs)) - logit(data.target)

    def penalty(self, r):
        return r**2


TRUE = Accuracy(floor=jnp.asarray(0.25), slope=jnp.asarray(0.8), midpoint=jnp.asarray(50.0))


@pytest.fixture(scope="module")
def accuracy_data():
    C = np.geomspace(1e19, 1e24, 30)
    rng = np.random.default_rng(0)
    y = np.asarray(TRUE.predict({"C": C}))
    logit = np.log(y) - np.log1p(-y) + 0.02 * rng.standard_normal(30)
    return pd.DataFrame({"C": C, "accuracy": 1 / (1 + np.exp(-logit))})


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_a_bounded_law_with_its_own_loss_fits_and_bootstraps(accuracy_data):
    res = js.fit(Accuracy, accuracy_data, target="accuracy", loss=LogitSquared())
    for name in ("floor", "slope", "midpoint"):
        assert float(getattr(res.law, name)) == pytest.approx(float(getattr(TRUE, name)), rel=0.05)
    boot = js.bootstrap(res, n=100, seed=0)
    se = boot.standard_errors()
    assert 0 < se["floor"] < 0.05 and 0 < se["midpoint"] < 2.0


def test_the_loss_support_is_checked_before_anything_compiles(accuracy_data):
    bad = accuracy_data.assign(accuracy=accuracy_data["accuracy"].where(accuracy_data.index != 3, 1.0))
    with pytest.raises(ValueError, match=r"column 'accuracy' has 1 rows outside \(0, 1\)"):
        js.fit(Accuracy, bad, target="accuracy", loss=LogitSquared())


class BacktrackingGradientDescent(AbstractSolver):
    """Gradient descent in the unconstrained space with a step that doubles on success and halves on failure."""

    max_steps: int = 20000
    gtol: float = 1e-10

    def init(self, objective, z):
        value, grad = jax.value_and_grad(objective)(z)
        return SolverState(value=value, converged=jnp.asarray(False), extra=(grad, jnp.asarray(1e-3, z.dtype)))

    def step(self, objective, z, state):
        grad, length = state.extra
        candidate = z - length * grad
        value, new_grad = jax.value_and_grad(objective)(candidate)
        better = jnp.isfinite(value) & (value < state.value)
        z = jnp.where(better, candidate, z)
        grad = jnp.where(better, new_grad, grad)
        converged = jnp.max(jnp.abs(grad)) <= self.gtol * (1 + jnp.abs(state.value))
        value = jnp.where(better, value, state.value)
        length = jnp.where(better, 2 * length, length / 2)
        return z, SolverState(value=value, converged=converged | (length < 1e-30), extra=(grad, length))


@pytest.fixture(scope="module")
def power_law_data():
    x = np.geomspace(1e3, 1e7, 25)
    noise = 1 + 0.002 * np.random.default_rng(1).standard_normal(25)
    return pd.DataFrame({"x": x, "loss": (2.0 + 50.0 * x**-0.3) * noise})


def test_a_new_solver_fits_like_the_shipped_ones(power_law_data):
    data = power_law_data
    starts = js.starts.grid(js.PowerLaw, E=[1.5, 2.5], A=[30.0, 80.0], alpha=[0.2, 0.4])
    ours = js.fit(js.PowerLaw, data, loss=js.LogSquared(), solver=BacktrackingGradientDescent(), starts=starts, n_refine=8)
    reference = js.fit(js.PowerLaw, data, loss=js.LogSquared(), solver=js.solvers.DampedNewton(), starts=starts, n_refine=8)
    assert float(ours.law.alpha) == pytest.approx(float(reference.law.alpha), rel=1e-3)
    assert ours.objective == pytest.approx(reference.objective, rel=1e-6)


class NegativeLogLikelihood(js.losses.AbstractLoss):
    """A loss without residual structure: Gaussian noise of known sd on the raw target."""

    target_support: ClassVar[js.AbstractConstraint] = js.Real()

    def __call__(self, law, data):
        return 0.5 * jnp.sum(data.weights * (law(data.inputs) - data.target) ** 2 / 0.01**2)


def test_a_solver_that_needs_residuals_is_refused_a_loss_without_them(power_law_data):
    data = power_law_data
    with pytest.raises(ValueError, match="GaussNewton needs a loss with residual structure"):
        js.fit(js.PowerLaw, data, loss=NegativeLogLikelihood(), solver=js.solvers.GaussNewton())
    assert js.MultiStart().solver_for(NegativeLogLikelihood()) == js.solvers.DampedNewton()  # the default's choice
    assert js.MultiStart().solver_for(js.Squared()) == js.solvers.GaussNewton()
    res = js.fit(js.PowerLaw, data, loss=NegativeLogLikelihood())
    least_squares = js.fit(js.PowerLaw, data, loss=js.Squared())  # the same minimum, up to a constant factor
    assert float(res.law.alpha) == pytest.approx(float(least_squares.law.alpha), rel=1e-6)
