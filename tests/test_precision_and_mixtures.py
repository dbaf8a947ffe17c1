"""Precision and data-mixture laws and their problems: published optimum, brute-force agreement, bad input.

Kumar et al. 2024 ("Scaling Laws for Precision", Finding 3): with N, D and P chosen jointly under a cost linear
in P, the compute-optimal training precision is independent of compute, "7-8 bits" with their fitted constants.
"""

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale.problems import (
    ComputeOptimalPrecision,
    OptimalMixture,
    PostTrainingPrecision,
)

KUMAR = js.laws.Precision.kumar_2024()


@pytest.fixture(scope="module")
def precision_optimum():
    return js.allocate(KUMAR, ComputeOptimalPrecision(np.array([1e19, 1e21, 1e23])))


def test_compute_optimal_bits_are_kumars_7_to_8_and_independent_of_compute(precision_optimum):
    bits = np.asarray(precision_optimum.bits)
    assert np.all((bits > 7.0) & (bits < 8.0)) and np.ptp(bits) < 1e-4
    assert np.all(np.asarray(precision_optimum.integer_bits) == 7.0)


def test_compute_optimal_precision_agrees_with_a_brute_force_grid(precision_optimum):
    budget = 1e21
    P = np.linspace(6.0, 8.0, 401)[:, None]
    N = np.exp(np.linspace(np.log(1e9), np.log(3e10), 4001))[None, :]
    D = budget / (6 * N * P / 16)
    loss = np.asarray(KUMAR({"N": N, "D": D, "P_w": P, "P_a": P, "P_kv": P, "P_post": 1e3 + 0 * P}))
    i, j = np.unravel_index(np.argmin(loss), loss.shape)
    assert float(precision_optimum.loss[1]) <= loss[i, j] + 1e-9
    assert float(precision_optimum.bits[1]) == pytest.approx(P[i, 0], abs=0.01)
    assert float(precision_optimum.N[1]) == pytest.approx(N[0, j], rel=0.01)
    assert float(precision_optimum.N[1] * precision_optimum.D[1] * precision_optimum.bits[1]) * 6 / 16 == pytest.approx(budget, rel=1e-9)


def test_post_training_precision_finds_the_interior_optimum_a_grid_finds():
    sizes = np.array([3e7, 1e8, 1e9])
    best = js.allocate(KUMAR, PostTrainingPrecision(N=sizes, post_training_bits=4.0))
    for n, d in zip(sizes, np.asarray(best.D)):
        log_d = np.linspace(np.log(1e8), np.log(1e13), 200_001)  # spacing 6e-5 in log D
        x = {"N": n, "D": np.exp(log_d), "P_w": 16.0, "P_a": 16.0, "P_kv": 16.0, "P_post": 4.0}
        grid_d = np.exp(log_d[np.argmin(np.asarray(KUMAR(x)))])
        assert d == pytest.approx(grid_d, rel=1e-4)
        assert 1e8 < d < 1e13  # interior: more data would hurt
    # A gentler quantization tolerates more data.
    gentle = js.allocate(KUMAR, PostTrainingPrecision(N=1e8, post_training_bits=6.0))
    assert float(gentle.D) > float(best.D[1])


def _mixture_laws(domains, seed=0):
    """Three target-domain ExpMixing laws, each helped most by its own domain."""
    rng = np.random.default_rng(seed)
    Law = js.laws.ExpMixing.over(domains)
    laws = []
    for i in range(3):
        t = rng.normal(0.0, 0.3, len(domains))
        t[i] -= 1.5
        laws.append(Law(c=jnp.asarray(2.0 + 0.2 * i), t=jnp.asarray(t)))
    return laws


def test_optimal_mixture_beats_random_search_and_respects_availability():
    domains = [f"d{j}" for j in range(6)]
    laws = _mixture_laws(domains)
    best = js.allocate(laws, OptimalMixture())
    h = np.asarray(best.weights)
    assert h.min() >= 0 and h.sum() == pytest.approx(1.0, abs=1e-9)
    random = np.random.default_rng(1).dirichlet(np.ones(6), 20_000)
    x = dict(zip(domains, random.T))
    random_loss = np.mean([np.asarray(law(x)) for law in laws], axis=0)
    assert float(best.loss) <= random_loss.min()
    # Worst-domain: no target is worse off than the sum-optimal mixture's worst.
    worst = js.allocate(laws, OptimalMixture(combine="worst"))
    assert float(worst.loss) <= float(np.max(best.losses)) + 1e-6
    # Availability: d0 may supply at most 5% of 1e9 tokens.
    capped = js.allocate(laws, OptimalMixture(D=1e9, unique_tokens={"d0": 5e7}))
    assert float(capped.weights[0]) <= 0.05 + 1e-9 and float(capped.loss) >= float(best.loss)
    # Swept over D, each scale gets its own cap: 5e7 tokens are half of a 1e8-token run.
    swept = js.allocate(laws, OptimalMixture(D=np.array([1e8, 1e9]), unique_tokens={"d0": 5e7}))
    assert swept.weights.shape == (2, 6)
    np.testing.assert_allclose(np.asarray(swept.weights[1]), np.asarray(capped.weights), atol=1e-8)
    assert float(swept.weights[0, 0]) > 0.05 and float(swept.loss[0]) < float(swept.loss[1])


def test_optimal_mixture_is_exact_where_the_optimum_is_known():
    # With caps, ExpMixing's loss c + exp(h . t) is least when the cheapest domains (lowest t) are filled to their
    # caps in turn: a known optimum for 200 random laws.
    domains = [f"d{j}" for j in range(17)]
    t = np.random.default_rng(3).normal(0, 1, (200, 17))
    batch = js.laws.ExpMixing.over(domains)(c=jnp.full(200, 2.0), t=jnp.asarray(t))
    result = js.allocate(batch, OptimalMixture(D=1e9, unique_tokens={d: 1.5e8 for d in domains}))
    exact = []
    for row in t:
        h, left = np.zeros(17), 1.0
        for j in np.argsort(row):
            h[j] = min(0.15, left)
            left -= h[j]
        exact.append(2.0 + np.exp(h @ row))
    np.testing.assert_allclose(np.asarray(result.loss), exact, rtol=1e-12)


def test_optimal_mixture_is_vmapped_over_a_batch_of_laws():
    domains = [f"d{j}" for j in range(5)]
    Law = js.laws.ExpMixing.over(domains)
    t = np.random.default_rng(2).normal(0, 1, (50, 5))
    batch = Law(c=jnp.full(50, 2.0), t=jnp.asarray(t))
    result = js.allocate(batch, OptimalMixture(D=1e9, unique_tokens={d: 4e8 for d in domains}))
    assert result.weights.shape == (50, 5) and np.all(np.asarray(result.weights) <= 0.4 + 1e-9)
    one = js.allocate(Law(c=jnp.asarray(2.0), t=jnp.asarray(t[7])), OptimalMixture(D=1e9, unique_tokens={d: 4e8 for d in domains}))
    np.testing.assert_allclose(np.asarray(result.weights[7]), np.asarray(one.weights), atol=1e-8)


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"a": [0.5, -0.1], "b": [0.5, 1.1], "loss": [2.0, 2.1]}), r"domain\(s\) \['a'\] have negative weights"),
        (pd.DataFrame({"a": [0.5, 0.3], "b": [0.5, 0.3], "loss": [2.0, 2.1]}), "must sum to 1 in every row; 1 row"),
        (pd.DataFrame({"a": [0.5, 0.3], "loss": [2.0, 2.1]}), "column 'b' is missing"),
    ],
)
def test_bad_mixture_weights_are_named(frame, message):
    with pytest.raises(ValueError, match=message):
        js.fit(js.laws.ExpMixing.over(["a", "b"]), frame)


def test_bad_precision_and_mixture_problems_are_named():
    x = {"N": [1e8], "D": [1e9], "P_w": [0.0], "P_a": [8.0], "P_kv": [8.0], "P_post": [16.0]}
    with pytest.raises(ValueError, match=r"bit widths must be > 0; input\(s\) \['P_w'\]"):
        KUMAR.predict(x)
    fp = {"N": [1e8], "D": [1e9], "exponent_bits": [-1.0], "mantissa_bits": [3.0], "block_size": [128.0]}
    with pytest.raises(ValueError, match=r"bit counts must be >= 0; input\(s\) \['exponent_bits'\]"):
        js.laws.FloatingPointPrecision.sun_2025().predict(fp)
    with pytest.raises(ValueError, match="needs a law of N, D and bit widths"):
        js.allocate(js.Chinchilla.template(), ComputeOptimalPrecision(1e21))
    with pytest.raises(ValueError, match="post_training_bits must be > 0"):
        PostTrainingPrecision(N=1e8, post_training_bits=0.0)
    laws = _mixture_laws(["a", "b", "c"])
    with pytest.raises(ValueError, match=r"infeasible: .* supply only 0.6 of the mixture \(a <= 0.1, b <= 0.2, c <= 0.3\)"):
        js.allocate(laws, OptimalMixture(D=1e9, unique_tokens={"a": 1e8, "b": 2e8, "c": 3e8}))
    with pytest.raises(ValueError, match=r"unique_tokens names \['z'\]"):
        js.allocate(laws, OptimalMixture(D=1e9, unique_tokens={"z": 1e8}))
    with pytest.raises(ValueError, match="needs its domains first"):
        js.laws.ExpMixing.template()


# Sun et al. 2025 (ICML), "Scaling Laws for Floating-Point Quantization Training", Sec. 4.3: for a 1B model
# with block size 128, the critical data size is 1730T tokens in BF16 (E8M7), 27T in E4M3 and 0.4T in E2M1.
@pytest.mark.parametrize("exponent, mantissa, published", [(8, 7, 1730e12), (4, 3, 27e12), (2, 1, 0.4e12)])
def test_floating_point_law_reproduces_suns_critical_data_sizes(exponent, mantissa, published):
    law = js.laws.FloatingPointPrecision.sun_2025()
    D = np.geomspace(1e10, 1e17, 200_001)
    one = np.ones_like(D)
    loss = law.predict({"N": 1e9 * one, "D": D, "exponent_bits": exponent * one, "mantissa_bits": mantissa * one, "block_size": 128 * one})
    best = D[np.argmin(loss)]
    assert best == pytest.approx(float(law.critical_tokens(1e9, exponent, mantissa, 128.0)), rel=1e-4)
    assert best == pytest.approx(published, rel=0.02 if published > 1e12 else 0.03)  # the paper rounds


@pytest.mark.parametrize("bits, layout", [(4, (2, 1)), (8, (4, 3)), (16, (8, 7))])
def test_floating_point_law_picks_suns_best_layouts(bits, layout):
    # Sun et al. Eq. 19: M_opt = nu P / (delta + nu) - 0.5, which gives E2M1, E4M3 and E8M7.
    law = js.laws.FloatingPointPrecision.sun_2025()
    mantissa = np.arange(0, bits)  # integer splits of the P - 1 bits besides the sign
    one = np.ones(len(mantissa))
    x = {"N": 1e9 * one, "D": 1e11 * one, "exponent_bits": bits - 1 - mantissa, "mantissa_bits": mantissa, "block_size": 128 * one}
    best = mantissa[np.argmin(law.predict(x))]
    assert (bits - 1 - best, best) == layout
