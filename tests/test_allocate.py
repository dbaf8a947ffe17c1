"""Allocation: exactness against Chinchilla's closed form, inference-aware direction, batches, bad input.

Closed form (Hoffmann et al. 2022, Appendix D.2): minimising E + A/N^alpha + B/D^beta subject to 6 N D = C gives
N* = G (C/6)^(beta/(alpha+beta)), D* = (C/6)^(alpha/(alpha+beta)) / G, G = (alpha A / (beta B))^(1/(alpha+beta)).
"""

import numpy as np
import pytest
import scipy.optimize

import jaxscale as js
from jaxscale.problems import ComputeOptimal, InferenceAware, LossTarget

EPOCH = dict(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
LAW = js.Chinchilla(**EPOCH)


def closed_form(C, E, A, B, alpha, beta):
    G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    return G * (C / 6) ** (beta / (alpha + beta)), (C / 6) ** (alpha / (alpha + beta)) / G


def test_compute_optimal_matches_the_closed_form_from_1e18_to_1e27():
    budgets = np.geomspace(1e18, 1e27, 200)
    best = js.allocate(LAW, ComputeOptimal(budgets))
    n, d = closed_form(budgets, **EPOCH)
    np.testing.assert_allclose(best.N, n, rtol=1e-6)
    np.testing.assert_allclose(best.D, d, rtol=1e-6)
    np.testing.assert_allclose(best.flops, budgets, rtol=1e-10)


def test_a_custom_cost_matches_a_scipy_line_search():
    # FLOPs that count an embedding-like 5e8 extra parameters (the term Porian et al. 2024 show matters).
    cost = lambda N, D: 6 * (N + 5e8) * D
    ours = js.allocate(LAW, ComputeOptimal(1e22, cost=cost))

    def loss(log_n):
        n = np.exp(log_n)
        return float(LAW.predict({"N": [n], "D": [1e22 / (6 * (n + 5e8))]})[0])

    reference = scipy.optimize.minimize_scalar(loss, bounds=(np.log(1e6), np.log(1e13)), method="bounded", options={"xatol": 1e-10})
    assert float(ours.N) == pytest.approx(np.exp(reference.x), rel=1e-5)
    assert float(cost(ours.N, ours.D)) == pytest.approx(1e22, rel=1e-8)
    assert float(ours.N) != pytest.approx(float(js.allocate(LAW, ComputeOptimal(1e22)).N), rel=1e-3)


def test_inference_aware_with_no_inference_is_loss_target():
    a = js.allocate(LAW, LossTarget(2.0))
    b = js.allocate(LAW, InferenceAware(2.0, inference_tokens=0.0))
    assert float(a.N) == pytest.approx(float(b.N), rel=1e-8) and float(a.loss) == pytest.approx(2.0, rel=1e-10)


def test_inference_aware_trains_a_smaller_model_for_longer_and_saves_compute():
    tokens = 1e12
    chinchilla = js.allocate(LAW, LossTarget(2.0))
    aware = js.allocate(LAW, InferenceAware(2.0, inference_tokens=tokens))
    assert float(aware.N) < float(chinchilla.N) and float(aware.D) > float(chinchilla.D)
    total = lambda a: float(a.flops + 2 * a.N * tokens)
    assert total(aware) < total(chinchilla)
    assert float(aware.loss) == pytest.approx(2.0, rel=1e-8)


def test_a_batch_of_laws_gives_a_distribution_and_risk_a_shared_answer():
    boot = js.bootstrap(js.Chinchilla, js.datasets.load("chinchilla", subset="epoch"), n=64, seed=0)
    each = js.allocate(boot.laws, ComputeOptimal(1e24))
    assert each.N.shape == (64,) and np.unique(np.asarray(each.N)).size > 50
    summary = each.summary()
    assert summary.loc["N", "lo"] < summary.loc["N", "median"] < summary.loc["N", "hi"]
    mean_risk = js.allocate(boot.laws, ComputeOptimal(1e24, risk="mean"))
    assert np.ptp(np.asarray(mean_risk.N)) == 0 and mean_risk.loss.shape == (64,)
    # Minimising the expected loss can only do better on average than any one law's own optimum applied to all.
    assert float(mean_risk.loss.mean()) <= float(js.allocate(boot.laws, ComputeOptimal(1e24, risk=0.5)).loss.mean()) + 1e-12


def test_sensitivities_match_the_closed_form_exponents():
    s = js.sensitivities(LAW, ComputeOptimal(1e24))
    alpha, beta = EPOCH["alpha"], EPOCH["beta"]
    assert s.loc["A", "log_N"] == pytest.approx(1 / (alpha + beta), rel=1e-6)
    assert s.loc["B", "log_N"] == pytest.approx(-1 / (alpha + beta), rel=1e-6)
    assert abs(s.loc["E", "log_N"]) < 1e-12
    # Finite-difference check of the exponent's effect.
    h = 1e-6
    up = js.allocate(js.Chinchilla(**{**EPOCH, "beta": EPOCH["beta"] * (1 + h)}), ComputeOptimal(1e24))
    down = js.allocate(js.Chinchilla(**{**EPOCH, "beta": EPOCH["beta"] * (1 - h)}), ComputeOptimal(1e24))
    fd = (np.log(float(up.N)) - np.log(float(down.N))) / (2 * h)
    assert s.loc["beta", "log_N"] == pytest.approx(fd, rel=1e-4)


def test_an_n_cap_binds():
    capped = js.allocate(LAW, ComputeOptimal(1e24), n_range=(1e6, 1e10))
    assert float(capped.N) == pytest.approx(1e10, rel=1e-9)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ComputeOptimal(0.0), "budget must be > 0"),
        (lambda: ComputeOptimal(-1e20), "budget must be > 0"),
        (lambda: ComputeOptimal(1e20, risk="worst"), "risk must be None"),
        (lambda: InferenceAware(2.0, inference_tokens=-1.0), "inference_tokens must be >= 0"),
        (lambda: js.allocate(LAW, LossTarget(1.8)), r"at or below the irreducible loss E = 1.8172"),
        (lambda: js.allocate(js.PowerLaw(E=1.0, A=2.0, alpha=0.3), ComputeOptimal(1e20)), "takes inputs \\['x'\\]"),
        (lambda: js.allocate(LAW, ComputeOptimal(1e20, risk="mean")), "risk needs a batch of laws"),
        (lambda: js.allocate(LAW, ComputeOptimal(1e20), n_range=(1e9, 1e6)), "n_range"),
    ],
)
def test_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()
