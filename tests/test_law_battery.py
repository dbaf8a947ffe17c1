"""One battery over every law in the registry: finite, jit == eager, vmap, gradients, recovery, compile once."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from law_registry import CASES, synthetic_frame, template_of

import jaxscale as js
from jaxscale._compile_timer import compile_timer

IDS = [case.name for case in CASES]


def _x(case):
    return {k: jnp.asarray(v) for k, v in case.design.items()}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_output_is_finite_and_positive(case):
    y = case.law(_x(case))
    assert y.shape == (len(next(iter(case.design.values()))),)
    assert bool(jnp.all(jnp.isfinite(y))) and bool(jnp.all(y > 0))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jit_matches_eager_and_log_predict_matches_log(case):
    x = _x(case)
    np.testing.assert_allclose(jax.jit(lambda law: law(x))(case.law), case.law(x), rtol=1e-12)
    np.testing.assert_allclose(case.law.log_predict(x), jnp.log(case.law(x)), rtol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vmap_over_a_batch_of_laws(case):
    batch = jax.tree_util.tree_map(lambda p: jnp.stack([p, 1.1 * p, 0.9 * p]), case.law)
    assert batch.batch_shape == (3,)
    out = jax.vmap(lambda law: law(_x(case)))(batch)
    assert out.shape[0] == 3
    np.testing.assert_allclose(out[0], case.law(_x(case)), rtol=1e-12)
    np.testing.assert_allclose(batch.predict(case.design)[1], jax.tree_util.tree_map(lambda p: p[1], batch)(_x(case)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradients_are_finite(case):
    grads = jax.grad(lambda law: jnp.sum(law.log_predict(_x(case))))(case.law)
    for leaf in jax.tree_util.tree_leaves(grads):
        assert bool(jnp.all(jnp.isfinite(leaf)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_recovers_parameters_from_noisy_synthetic_data(case):
    frame = synthetic_frame(case)
    result = js.fit(template_of(case), frame, loss=js.LogSquared(), **case.fit_options)
    for name in case.law.parameter_names():
        true, fitted = np.asarray(getattr(case.law, name)), np.asarray(getattr(result.law, name))
        np.testing.assert_allclose(fitted, true, rtol=case.rtol, err_msg=f"{case.name}.{name}")
    # The fit explains the data to the noise level.
    residual = np.log(result.predict(frame)) - np.log(frame["loss"])
    assert np.std(residual) < 1.5 * case.noise


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_second_fit_of_the_same_shape_compiles_nothing(case):
    frame = synthetic_frame(case, seed=1)
    js.fit(template_of(case), frame, loss=js.LogSquared(), **case.fit_options)
    other = synthetic_frame(case, seed=2)  # same shapes, other values
    with compile_timer() as timer:
        result = js.fit(template_of(case), other, loss=js.LogSquared(), **case.fit_options)
    assert timer.compiles == 0
    assert result.compile_seconds == 0.0
