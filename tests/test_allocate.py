"""Allocation: exactness against Chinchilla's closed form, inference-aware direction, batches, bad input.

Closed form (Hoffmann et al. 2022, Appendix D.2): minimising E + A/N^alpha + B/D^beta subject to 6 N D = C gives
N* = G (C/6)^(beta/(alpha+beta)), D* = (C/6)^(alpha/(alpha+beta)) / G, G = (alpha A / (beta B))^(1/(alpha+beta)).
"""

import jax.numpy as jnp
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
    total = lambda a: float(a.training_flops + 2 * a.N * tokens)  # flops is already this total for InferenceAware
    assert total(aware) < total(chinchilla)
    assert float(aware.flops) == pytest.approx(total(aware), rel=1e-12)
    assert float(aware.loss) == pytest.approx(2.0, rel=1e-8)


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
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


MUENNIGHOFF = dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28, R_D_star=15.4, R_N_star=5.3)


def test_data_constrained_law_values_repeated_tokens_as_the_paper_says():
    # Muennighoff et al. 2023: up to ~4 epochs repeated data is almost as good as fresh data; 40 epochs is not.
    law = js.laws.DataConstrained(**MUENNIGHOFF)
    U = 1e10
    n_eff, d_eff = law.effective({"N": 1e8, "D": np.array([U, 4 * U, 40 * U]), "U": U})
    ratios = np.asarray(d_eff) / np.array([U, 4 * U, 40 * U])
    assert ratios[0] == pytest.approx(1.0)
    assert 0.9 < ratios[1] < 0.95  # 1 + 15.4 (1 - exp(-3 / 15.4)) = 3.73 effective epochs of 4
    assert ratios[2] < 0.4


def test_data_constrained_with_ample_data_is_chinchilla():
    chinchilla_part = {k: MUENNIGHOFF[k] for k in ("E", "A", "B", "alpha", "beta")}
    ample = js.allocate(js.laws.DataConstrained(**MUENNIGHOFF), js.problems.DataConstrained(1e22, unique_tokens=1e15))
    plain = js.allocate(js.Chinchilla(**chinchilla_part), ComputeOptimal(1e22))
    assert float(ample.N) == pytest.approx(float(plain.N), rel=1e-6)


def test_scarce_data_means_more_epochs_and_a_smaller_model():
    law = js.laws.DataConstrained(**MUENNIGHOFF)
    ample = js.allocate(law, js.problems.DataConstrained(1e22, unique_tokens=1e15))
    scarce = js.allocate(law, js.problems.DataConstrained(1e22, unique_tokens=1e10))
    assert float(scarce.D) / 1e10 > 10  # many epochs
    assert float(scarce.N) < float(ample.N) and float(scarce.loss) > float(ample.loss)


def test_data_constrained_bad_input():
    with pytest.raises(ValueError, match="unique_tokens must be > 0"):
        js.problems.DataConstrained(1e22, unique_tokens=0.0)
    with pytest.raises(ValueError, match="needs a law of N, D and unique tokens U"):
        js.allocate(LAW, js.problems.DataConstrained(1e22, unique_tokens=1e10))


def test_overtraining_law_allocates_like_any_other():
    law = js.laws.Overtraining(E=1.9, a=30.0, b=300.0, eta=0.25)
    best = js.allocate(law, ComputeOptimal(np.array([1e20, 1e22])))
    # With L = E + (a M^eta + b M^-eta) C^-eta the best multiplier is M* = (b / a)^(1 / (2 eta)), whatever the budget.
    np.testing.assert_allclose(best.tokens_per_parameter, (300.0 / 30.0) ** (1 / 0.5), rtol=1e-6)


def test_a_token_cap_binds():
    free = js.allocate(LAW, ComputeOptimal(1e24))
    capped = js.allocate(LAW, ComputeOptimal(1e24), d_range=(1.0, 1e12))
    assert float(free.D) > 1e12 and 0.99e12 < float(capped.D) <= 1e12


def test_best_loss_for_a_training_plus_serving_budget():
    cost = js.problems.training_and_inference(1e13)
    best = js.allocate(LAW, ComputeOptimal(1e24, cost=cost))
    assert float(cost(best.N, best.D)) == pytest.approx(1e24, rel=1e-8)
    assert float(best.N) < float(js.allocate(LAW, ComputeOptimal(1e24)).N)


def test_an_unreachable_target_is_an_error_not_a_nan():
    law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    with pytest.raises(ValueError, match=r"no allocation inside the search ranges solves LossTarget: widen n_range / d_range"):
        js.allocate(law, js.problems.LossTarget(2.0), n_range=(1e3, 1e6), d_range=(1e3, 1e6))
    # Half of a batch out of reach: a warning that counts them, the others answered.
    batch = js.Chinchilla(E=jnp.array([1.8172, 1.8172]), A=jnp.array([477.8, 477.8]), B=jnp.array([2143.9, 2143.9]),
                          alpha=jnp.array([0.34731, 0.34731]), beta=jnp.array([0.36718, 0.1]))
    with pytest.warns(js.FitWarning, match=r"1 of 2 laws have no answer"):
        answer = js.allocate(batch, js.problems.LossTarget(2.0), d_range=(1e3, 1e14))
    assert np.isfinite(np.asarray(answer.D)[0]) and not np.isfinite(np.asarray(answer.D)[1])
