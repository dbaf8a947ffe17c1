import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxscale as js
from jaxscale._objective import Objective
from jaxscale._parameterization import Parameterization


@pytest.fixture(scope="module")
def epoch_objective():
    df = js.datasets.load("chinchilla", subset="epoch")
    template = js.Chinchilla.template()
    return Objective(Parameterization(template), js.LogHuber(1e-3), js.Dataset.from_frame(df, template))


def test_majorizer_curvature_is_huber_weight_and_two_for_squares():
    r = jnp.asarray([-0.1, -1e-3, -1e-4, 0.0, 5e-4, 2e-3, 0.05])
    np.testing.assert_allclose(js.LogHuber(1e-3).majorizer_curvature(r), np.minimum(1.0, 1e-3 / np.maximum(np.abs(r), 1e-300)), rtol=1e-12)
    np.testing.assert_allclose(js.Squared().majorizer_curvature(r), 2.0, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_gauss_newton_value_and_gradient_match_autodiff(epoch_objective, reduction):
    objective = Objective(epoch_objective.parameterization, js.LogHuber(1e-3, reduction=reduction), epoch_objective.data)
    z = jnp.asarray([0.6, 6.0, 7.5, np.log(0.3), np.log(0.4)])
    value, grad, curvature = objective.gauss_newton(z)
    assert value == pytest.approx(float(objective(z)), rel=1e-12)
    np.testing.assert_allclose(grad, jax.grad(objective)(z), rtol=1e-9)
    assert np.all(np.linalg.eigvalsh(np.asarray(curvature)) >= -1e-12 * np.abs(curvature).max())


def test_gauss_newton_and_damped_newton_reach_the_same_minimum():
    df = js.datasets.load("chinchilla", subset="epoch")
    newton = js.fit(js.Chinchilla, df, solver=js.solvers.DampedNewton(max_steps=400), n_refine=64)
    gauss = js.fit(js.Chinchilla, df, solver=js.solvers.GaussNewton(), stop_when_agreed=None)
    assert gauss.objective == pytest.approx(newton.objective, rel=1e-9)
    # Reweighted Gauss-Newton converges from every refined start; exact Newton stalls in the alpha -> 0 valleys.
    assert gauss.status_counts() == {"converged": gauss.n_refined}


def test_gauss_newton_refuses_a_plain_function():
    solver = js.solvers.GaussNewton()
    with pytest.raises(TypeError, match="use DampedNewton"):
        js.solvers.minimize_batch(solver, lambda z: jnp.sum(z**2), jnp.ones((2, 3)))


def test_early_stop_keeps_the_answer_and_says_which_restarts_it_stopped():
    df = js.datasets.load("chinchilla", subset="epoch")
    full = js.fit(js.Chinchilla, df, stop_when_agreed=None)
    early = js.fit(js.Chinchilla, df, stop_when_agreed=3)
    assert early.objective == pytest.approx(full.objective, rel=1e-9)
    counts = early.status_counts()
    assert counts.get("stopped_early", 0) > 0 and counts["converged"] >= 3
    assert early.n_agree >= 3
    assert int(np.max(np.asarray(early.steps))) < int(np.max(np.asarray(full.steps)))


@pytest.mark.parametrize("value", [0, -1, 2.5])
def test_bad_stop_when_agreed(value):
    with pytest.raises(ValueError, match="stop_when_agreed must be a positive integer or None"):
        js.fit(js.Chinchilla, js.datasets.load("chinchilla"), stop_when_agreed=value)
