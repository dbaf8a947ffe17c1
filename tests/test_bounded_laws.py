"""Laws for bounded targets (accuracies, error rates): the link, each law's formula against numpy, recovery of
known parameters from synthetic data with the default starts, names, and inputs that are not logged."""

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale.laws import AbstractBoundedLaw, GadreTopOneError, SigmoidCompute, SigmoidND, SigmoidTaskLoss, bounded_logit, bounded_sigmoid

sigmoid = lambda z: 1 / (1 + np.exp(-z))
COMPUTE = np.geomspace(1e18, 1e24, 30)


def noisy(law, design, sd, seed=0):
    """The law's predictions at `design` plus Gaussian noise of sd `sd`, as a DataFrame with a "y" column."""
    clean = np.asarray(law.predict(design))
    return pd.DataFrame({**design, "y": clean + sd * np.random.default_rng(seed).standard_normal(len(clean))})


def assert_recovers(fitted, truth, rtol):
    for name, tolerance in rtol.items():
        assert float(getattr(fitted, name)) == pytest.approx(float(getattr(truth, name)), rel=tolerance), name


# The link.


def test_bounded_logit_inverts_bounded_sigmoid():
    eta = jnp.linspace(-15.0, 15.0, 31)
    p = bounded_sigmoid(eta, 0.25, 0.9)
    assert bool(jnp.all((p > 0.25) & (p < 0.9)))
    np.testing.assert_allclose(bounded_logit(p, 0.25, 0.9), eta, atol=1e-8)
    np.testing.assert_allclose(bounded_sigmoid(bounded_logit(0.6, 0.25, 0.9), 0.25, 0.9), 0.6, rtol=1e-12)
    assert not np.isfinite(float(bounded_logit(0.2, 0.25, 0.9)))  # below the floor: no eta reaches it


def test_log_predict_is_the_log_of_the_prediction_and_stays_finite_where_the_prediction_underflows():
    law = SigmoidCompute(floor=0.25, ceiling=0.8, slope=1.0, log_c50=jnp.log(1e21))
    x = {"C": jnp.asarray(COMPUTE)}
    np.testing.assert_allclose(law.log_predict(x), jnp.log(law(x)), rtol=1e-12)
    # A floor of 0 (held there with `fixed`) and a point 1000 nats below the midpoint: the prediction is
    # 0.8 e^-1000, which underflows to 0, while its log is log 0.8 - 1000.
    zero_floor = SigmoidCompute(floor=0.0, ceiling=0.8, slope=1.0, log_c50=1000.0 + jnp.log(1e21))
    assert float(zero_floor({"C": jnp.array([1e21])})[0]) == 0.0
    assert float(zero_floor.log_predict({"C": jnp.array([1e21])})[0]) == pytest.approx(np.log(0.8) - 1000.0, rel=1e-12)


# Each formula against a hand computation.


def test_sigmoid_compute_formula():
    law = SigmoidCompute(floor=0.25, ceiling=0.85, slope=0.7, log_c50=jnp.log(1e21))
    C = np.array([1e19, 1e21, 3e23])
    expected = 0.25 + 0.6 * sigmoid(0.7 * (np.log(C) - np.log(1e21)))
    np.testing.assert_allclose(law.predict({"C": C}), expected, rtol=1e-12)


def test_sigmoid_nd_formula():
    law = SigmoidND(floor=0.2, ceiling=0.9, a_n=0.6, a_d=0.3, b=20.0)
    N, D = np.array([1e8, 1e9, 1e10]), np.array([1e12, 2e10, 1e11])
    expected = 0.2 + 0.7 * sigmoid(0.6 * np.log(N) + 0.3 * np.log(D) - 20.0)
    np.testing.assert_allclose(law.predict({"N": N, "D": D}), expected, rtol=1e-12)


def test_sigmoid_task_loss_formula_is_the_papers_with_b_the_ceiling_and_a_plus_b_the_floor():
    law = SigmoidTaskLoss(floor=0.25, ceiling=0.9, k=6.0, L0=1.1)
    L = np.array([0.5, 1.1, 1.7, -0.2])
    a, b = 0.25 - 0.9, 0.9  # Bhagia et al.: Acc(L) = a / (1 + exp(-k (L - L0))) + b, with a < 0 here
    np.testing.assert_allclose(law.predict({"L": L}), a / (1 + np.exp(-6.0 * (L - 1.1))) + b, rtol=1e-12)
    assert np.all(np.diff(law.predict({"L": np.sort(L)})) < 0)  # accuracy falls as the loss grows


def test_gadre_top_one_error_formula():
    law = GadreTopOneError(epsilon=0.85, k=2.2, gamma=0.7)
    L = np.array([2.0, 3.0, 4.0, 0.0, -1.0])
    np.testing.assert_allclose(law.predict({"L": L}), 0.85 - 2.2 * np.exp(-0.7 * L), rtol=1e-12)


# Recovery of known parameters with the default starts, floors held at chance.


def test_sigmoid_compute_recovers_truth_with_the_floor_held_at_chance():
    truth = SigmoidCompute(floor=0.25, ceiling=0.8, slope=0.7, log_c50=jnp.log(1e21))
    res = js.fit(SigmoidCompute, noisy(truth, {"C": COMPUTE}, 0.003), target="y", loss=js.Squared(), fixed={"floor": 0.25})
    assert float(res.law.floor) == 0.25
    assert_recovers(res.law, truth, {"ceiling": 0.01, "slope": 0.03, "log_c50": 0.002})


def test_sigmoid_nd_recovers_truth():
    N, D = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(1e10, 1e12, 5)))
    truth = SigmoidND(floor=0.25, ceiling=0.8, a_n=0.6, a_d=0.4, b=0.6 * jnp.log(1e9) + 0.4 * jnp.log(1e11))
    res = js.fit(SigmoidND, noisy(truth, {"N": N, "D": D}, 0.003), target="y", loss=js.Squared(), fixed={"floor": 0.25})
    assert_recovers(res.law, truth, {"ceiling": 0.01, "a_n": 0.03, "a_d": 0.03, "b": 0.01})


def test_sigmoid_task_loss_recovers_truth_by_its_registered_name():
    truth = SigmoidTaskLoss(floor=0.25, ceiling=0.9, k=6.0, L0=1.1)
    data = noisy(truth, {"L": np.linspace(0.6, 1.6, 30)}, 0.003)
    res = js.fit("sigmoid_task_loss", data, target="y", loss=js.Squared(), fixed={"floor": 0.25})
    assert isinstance(res.law, SigmoidTaskLoss)
    assert_recovers(res.law, truth, {"ceiling": 0.01, "k": 0.03, "L0": 0.01})


@pytest.fixture(scope="module")
def top_one_error():
    """Gadre et al.'s kind of curve: average error from 0.31 to 0.72 over losses 2 to 4."""
    return GadreTopOneError(epsilon=0.85, k=2.2, gamma=0.7)


def test_gadre_top_one_error_recovers_truth(top_one_error):
    res = js.fit(GadreTopOneError, noisy(top_one_error, {"L": np.linspace(2.0, 4.0, 30)}, 1e-3), target="y", loss=js.Squared())
    assert_recovers(res.law, top_one_error, {"epsilon": 0.02, "k": 0.05, "gamma": 0.05})


def test_laws_that_take_no_log_accept_zero_and_negative_inputs():
    truth = GadreTopOneError(epsilon=0.85, k=0.3, gamma=0.7)
    data = noisy(truth, {"L": np.linspace(-1.0, 1.0, 30)}, 1e-3)  # zero and negative losses (e.g. shifted)
    assert (data["L"] <= 0).sum() == 15
    res = js.fit(GadreTopOneError, data, target="y", loss=js.Squared())
    assert_recovers(res.law, truth, {"epsilon": 0.01, "k": 0.05, "gamma": 0.05})
    # A law that takes log C still refuses C <= 0, before compiling.
    bad = noisy(SigmoidCompute(floor=0.25, ceiling=0.8, slope=0.7, log_c50=48.0), {"C": COMPUTE}, 0.0)
    with pytest.raises(ValueError, match="'C'"):
        js.fit(SigmoidCompute, bad.assign(C=bad["C"].where(bad.index != 0, 0.0)), target="y", loss=js.Squared())


def test_sigmoid_compute_fits_counts_with_a_binomial_likelihood():
    truth = SigmoidCompute(floor=0.25, ceiling=0.8, slope=0.7, log_c50=jnp.log(1e21))
    n = np.full(30, 5000)
    correct = np.random.default_rng(1).binomial(n, truth.predict({"C": COMPUTE}))
    data = pd.DataFrame({"C": COMPUTE, "correct": correct, "n": n})
    res = js.fit(SigmoidCompute, data, target="correct", loss=js.Binomial(trials="n"), fixed={"floor": 0.25})
    assert_recovers(res.law, truth, {"ceiling": 0.01, "slope": 0.05, "log_c50": 0.002})


# Start ranges, names.


def test_start_ranges_follow_the_data():
    y = np.linspace(0.3, 0.7, 30)
    ranges = SigmoidCompute.template().start_ranges(y, {"C": COMPUTE})
    log_c = np.log(COMPUTE)
    assert ranges["floor"] == (0.0, pytest.approx(0.3)) and ranges["ceiling"] == (pytest.approx(0.7), 1.0)
    assert ranges["log_c50"][0] < log_c.min() and ranges["log_c50"][1] > log_c.max()
    assert ranges["log_c50"][1] - ranges["log_c50"][0] == pytest.approx(2 * np.ptp(log_c))
    task = SigmoidTaskLoss.template().start_ranges(y, {"L": np.linspace(0.6, 1.6, 30)})
    assert task["L0"] == (pytest.approx(0.1), pytest.approx(2.1))
    assert GadreTopOneError.template().start_ranges(y, {"L": np.linspace(2.0, 4.0, 30)})["epsilon"] == (pytest.approx(0.7), 1.0)


def test_nd_default_starts_put_the_midpoint_near_the_data():
    N, D = np.geomspace(1e8, 1e10, 30), np.geomspace(1e10, 1e12, 30)
    starts = SigmoidND.template().default_starts(np.linspace(0.3, 0.7, 30), {"N": N, "D": D})
    contour = starts.a_n[:, None] * np.log(N) + starts.a_d[:, None] * np.log(D) - starts.b[:, None]
    crosses = np.any(contour < 0, axis=1) & np.any(contour > 0, axis=1)  # the 50% line passes through the data
    assert crosses.mean() > 0.4


class Midpoint(AbstractBoundedLaw):
    """A custom bounded law with a Real parameter and the default start ranges."""

    inputs = ("C",)
    constraints = {"floor": js.Interval(0.0, 1.0), "ceiling": js.Interval(0.0, 1.0), "slope": js.Positive(), "midpoint": js.Real()}
    floor: jnp.ndarray
    ceiling: jnp.ndarray
    slope: jnp.ndarray
    midpoint: jnp.ndarray

    def linear_predictor(self, x):
        return self.slope * (jnp.log(x["C"]) - self.midpoint)


def test_default_range_of_a_real_parameter_scales_with_the_logged_inputs_and_is_never_narrower_than_ten():
    ranges = Midpoint.template().start_ranges(np.full(30, 0.5), {"C": COMPUTE})
    assert ranges["midpoint"] == pytest.approx((-2 * np.log(1e24), 2 * np.log(1e24)))  # covers log C ~ 41-55
    assert ranges["floor"] == (0.0, 1.0) and ranges["slope"] == (1e-3, 1e3)
    assert Midpoint.template().start_ranges(np.full(3, 0.5), {"C": np.array([1.0, 2.0, 3.0])})["midpoint"] == (-10.0, 10.0)
    law = Midpoint(floor=0.25, ceiling=0.75, slope=2.0, midpoint=jnp.log(1e21))
    assert float(law.predict({"C": [1e21]})[0]) == pytest.approx(0.5)


@pytest.mark.parametrize("name, law", [("sigmoid_compute", SigmoidCompute), ("sigmoid_nd", SigmoidND),
                                       ("sigmoid_task_loss", SigmoidTaskLoss), ("gadre_top_one_error", GadreTopOneError)])
def test_registered_names(name, law):
    assert js.laws.get(name) is law
    assert js.laws.get(name.replace("_", "-").upper()) is law


def test_a_floor_of_exactly_zero_can_be_held():
    truth = js.laws.SigmoidCompute(floor=0.0, ceiling=0.8, slope=1.0, log_c50=48.0)
    C = np.geomspace(1e18, 1e24, 20)
    df = pd.DataFrame({"C": C, "acc": truth.predict({"C": C})})
    res = js.fit(js.laws.SigmoidCompute, df, target="acc", loss=js.Squared(), fixed={"floor": 0.0})
    assert float(res.law.floor) == 0.0 and float(res.law.ceiling) == pytest.approx(0.8, rel=1e-6)
    with pytest.raises(ValueError, match=r"fixed\['floor'\] = -0.1 is outside its constraint"):
        js.fit(js.laws.SigmoidCompute, df, target="acc", loss=js.Squared(), fixed={"floor": -0.1})
