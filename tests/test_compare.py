"""`compare`: effective compute multipliers of variants over a baseline, with paired bootstrap intervals, the
crossover compute and P(better).

Known answers: variants built so that B's loss at C is A's at 2C (a law of compute alone, and Chinchilla's law
of N and D, whose compute-optimal loss then is A's at 2C exactly), and two power laws that cross at 3^20
FLOPs. Gadre et al.'s three corpora (C4 validation loss of models trained on C4, RedPajama, RefinedWeb) give
each corpus's multiplier over C4 (slow).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale._compare import _resample_counts, compare
from jaxscale._compare_result import Comparison
from jaxscale._compile_timer import compile_timer

COMPUTE = np.geomspace(1e6, 1e14, 16)
# Three laws of compute: "a" the baseline; "b" is a at twice the compute; "c" has a steeper slope and crosses
# a where 100 C^-0.1 = 300 C^-0.15, at C = 3^20.
POWER = {"a": (100.0, 0.1), "b": (100.0 * 2**-0.1, 0.1), "c": (300.0, 0.15)}
CROSSING = 3.0**20


def _power_data(noise: float = 0.002, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = [
        pd.DataFrame({"recipe": name, "C": COMPUTE, "loss": (2.0 + A * COMPUTE**-alpha) * np.exp(noise * rng.standard_normal(COMPUTE.size))})
        for name, (A, alpha) in POWER.items()
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def power():
    return compare(js.PowerLaw, _power_data(), variant="recipe", baseline="a", at=[1e8, 1e10, 1e12], inputs={"x": "C"}, n_resamples=100)


def test_a_law_of_compute_alone_gives_the_multiplier_and_the_crossover(power):
    assert isinstance(power, Comparison) and power.kind == "direct" and power.variants == ("b", "c")
    frame = power.to_frame()
    b = frame[frame["recipe"] == "b"]
    np.testing.assert_allclose(b["multiplier"], 2.0, rtol=0.03)
    assert ((b["lo"] <= 2.0) & (2.0 <= b["hi"])).all() and (b["p_better"] == 1.0).all()
    # c against a: the multiplier where c's fitted loss meets a's, from the fitted laws in closed form.
    c_law, a_law = power.fit["c"], power.fit["a"]
    at = power.at
    expected = ((float(c_law.A) * at ** -float(c_law.alpha)) / float(a_law.A)) ** (-1 / float(a_law.alpha)) / at
    np.testing.assert_allclose(frame[frame["recipe"] == "c"]["multiplier"], expected, rtol=1e-6)
    crossovers = power.crossovers().set_index("recipe")
    # The fitted crossing, in closed form, and the true one (noise 0.2%).
    fitted = (float(c_law.A) / float(a_law.A)) ** (1 / (float(c_law.alpha) - float(a_law.alpha)))
    assert crossovers.loc["c", "crossover"] == pytest.approx(fitted, rel=1e-6)
    assert crossovers.loc["c", "crossover"] == pytest.approx(CROSSING, rel=0.5)
    assert crossovers.loc["c", "lo"] <= crossovers.loc["c", "crossover"] <= crossovers.loc["c", "hi"]
    assert "crosses at" in crossovers.loc["c", "note"] and "'c' is worse below it, better above" in crossovers.loc["c", "note"]
    assert np.isnan(crossovers.loc["b", "crossover"]) and "none in range" in crossovers.loc["b", "note"]
    assert "'b' is better throughout" in crossovers.loc["b", "note"]
    # Below the crossing c is worse (multiplier < 1), above it better.
    m = frame[frame["recipe"] == "c"]["multiplier"].to_numpy()
    assert m[0] < 1 < m[2]  # at 1e8 and 1e12


def test_results_protocol_and_pairing(power):
    assert list(power.summary().columns) == ["multiplier", "lo", "hi", "p_better"]
    assert power.summary().index.names == ["recipe", "compute"] and len(power.summary()) == 6
    text = repr(power)
    assert text.startswith("Comparison(PowerLaw by 'recipe' against 'a'") and "48 runs paired" in text and "P(better)" in text
    assert power.n_paired_runs == 48 and power.n_resamples == 100 and power.ok.all()
    assert power.resampled_laws.batch_shape == (100, 3)
    # A second comparison of the same shapes compiles nothing.
    with compile_timer() as compiling:
        again = compare(js.PowerLaw, _power_data(), variant="recipe", baseline="a", at=[1e8, 1e10, 1e12], inputs={"x": "C"}, n_resamples=100, seed=1, paired=False)
    assert compiling.compiles == 0 and again.n_paired_runs == 0


def test_paired_resamples_draw_partners_together_and_keep_every_variants_size():
    group = np.repeat([0, 1, 2], 5)
    units = np.array([0, 1, 2, 3, -1] * 3)  # four (N, D) pairs run by all three variants, one run each alone
    counts = _resample_counts(group, units, 400, seed=0)
    for g in range(3):
        assert np.all(counts[:, group == g].sum(axis=1) == 5)
    for unit in range(4):
        np.testing.assert_array_equal(counts[:, units == unit][:, 0], counts[:, units == unit][:, 2])
    assert counts[:, units == 0].std() > 0  # not always drawn once
    independent = _resample_counts(group, None, 400, seed=0)
    assert not np.array_equal(independent[:, 0], independent[:, 5])


def test_plot_draws_both_panels(power, tmp_path):
    pytest.importorskip("matplotlib")
    figure = power.plot(str(tmp_path / "compare.png"))
    assert (tmp_path / "compare.png").stat().st_size > 10_000
    loss_axes, multiplier_axes = figure.axes[:2]
    assert loss_axes.get_xscale() == "log" and "multiplier" in multiplier_axes.get_ylabel()
    assert len(multiplier_axes.collections) >= 2  # a band per variant


def _chinchilla_pair(noise: float, seed: int = 0) -> pd.DataFrame:
    """Variant B is A with N and D each worth sqrt(2) times more: B(N, D) = A(sqrt2 N, sqrt2 D), so at every
    budget B's compute-optimal loss is A's at twice the budget (the multiplier is 2 at every C)."""
    truth = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
    laws = {"A": js.Chinchilla(**truth), "B": js.Chinchilla(**{**truth, "A": 406.4 * 2**-0.17, "B": 410.7 * 2**-0.14})}
    n = np.repeat(np.geomspace(5e7, 2e9, 6), 5)
    d = n * np.tile([5.0, 10.0, 20.0, 40.0, 80.0], 6)
    rng = np.random.default_rng(seed)
    return pd.concat(
        [pd.DataFrame({"recipe": k, "N": n, "D": d, "loss": law.predict({"N": n, "D": d}) * np.exp(noise * rng.standard_normal(n.size))}) for k, law in laws.items()],
        ignore_index=True,
    )


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_a_known_multiplier_of_two_is_recovered_from_chinchilla_runs():
    """0.5% noise; the exponents and E shared (as the truth has them), A and B per variant."""
    result = compare(
        js.Chinchilla, _chinchilla_pair(0.005), variant="recipe", baseline="A", at=[1e19, 1e20, 1e21], shared=["E", "alpha", "beta"], n_resamples=200,
    )
    frame = result.to_frame()
    print(result.summary())
    np.testing.assert_allclose(frame["multiplier"], 2.0, rtol=0.05)
    assert ((frame["lo"] <= 2.0) & (2.0 <= frame["hi"])).all()
    assert (frame["hi"] / frame["lo"] < 1.5).all()  # an informative interval, not an arbitrary one
    assert (frame["p_better"] == 1.0).all() and result.kind == "compute-optimal" and result.n_paired_runs == 60
    # Where it was measured, B's compute-optimal loss at C is A's at 2C (law of the fitted A, from allocate).
    c = 1e20
    at_2c = float(js.allocate(result.fit["A"], js.problems.ComputeOptimal(2 * c)).loss)
    assert float(frame.set_index("compute").loc[c, "loss"]) == pytest.approx(at_2c, rel=2e-3)


@pytest.mark.slow
def test_gadre_corpora_multipliers_over_c4():
    """Each corpus's multiplier over C4 (C4 validation loss, Overtraining law, E shared), 1,000 paired
    resamples. The loss is measured on C4, so RedPajama and RefinedWeb are expected to be worth less compute
    than C4 itself there (multipliers below 1)."""
    gadre = js.datasets.load("gadre_overtraining")
    result = compare(js.laws.Overtraining, gadre, variant="corpus", baseline="c4_original", at=[1e19, 1e21, 1e23], n_resamples=1000)
    frame = result.to_frame()
    print(frame[["corpus", "compute", "multiplier", "lo", "hi", "p_better"]].to_string())
    print(result.crossovers().to_string())
    assert result.variants == ("rpj", "rw_original") and result.ok.mean() > 0.99
    assert np.isfinite(frame[["multiplier", "lo", "hi"]]).all().all()
    assert ((frame["lo"] <= frame["multiplier"]) & (frame["multiplier"] <= frame["hi"])).all()
    assert (frame["multiplier"] < 1).all()
    assert result.n_paired_runs > 80  # the 4 small sizes x 8 multipliers (but one) and the 1.4B / 6.9B at M = 20


GADRE = js.datasets.load("gadre_overtraining")


@pytest.mark.parametrize("options, message", [
    ({"baseline": "c4"}, r"baseline 'c4' is not a variant of column 'corpus'; the variants are \['c4_original', 'rpj', 'rw_original'\]"),
    ({"data": GADRE[GADRE["corpus"] == "rpj"], "baseline": "rpj"}, r"at least 2 variants in column 'corpus', got 1"),
    ({"at": 0.0}, r"at must be positive, finite computes"),
    ({"at": [1e21, -1e20]}, r"at must be positive, finite computes"),
    ({"at": [np.nan]}, r"at must be positive, finite computes"),
    ({"level": 1.0}, r"level .* must be in \(0, 1\)"),
    ({"level": 0}, r"level .* must be in \(0, 1\)"),
    ({"shared": ["E", "L0"]}, r"shared names \['L0'\], which are not parameters of Overtraining; they are \['E', 'a', 'b', 'eta'\]"),
    ({"variant": "dataset"}, r"variant column 'dataset' is not in the data"),
    ({"n_resamples": 0}, r"n_resamples must be an integer >= 1"),
    ({"crossover_range": (1e22, 1e20)}, r"crossover_range must be \(lo, hi\) with 0 < lo < hi"),
])
def test_bad_input_is_refused_before_compiling(options, message):
    arguments = {"data": GADRE, "variant": "corpus", "baseline": "c4_original", "at": 1e21, **options}
    with compile_timer() as compiling, pytest.raises(ValueError, match=message):
        compare(js.laws.Overtraining, arguments.pop("data"), **arguments)
    assert compiling.compiles == 0


def test_variants_with_no_overlapping_compute_range_are_refused_before_compiling():
    data = _power_data()
    data.loc[data["recipe"] == "b", "C"] *= 1e12  # b's runs now start above a's largest
    with compile_timer() as compiling, pytest.raises(ValueError, match=r"variant 'b' of column 'recipe' has runs from 1e\+18 .* no overlapping compute range"):
        compare(js.PowerLaw, data, variant="recipe", baseline="a", at=1e10, inputs={"x": "C"})
    assert compiling.compiles == 0


def test_options_of_the_wrong_kind_of_law_are_refused():
    with warnings.catch_warnings(), pytest.raises(ValueError, match=r"law of x alone.*drop cost=, n_range= and d_range="):
        compare(js.PowerLaw, _power_data(), variant="recipe", baseline="a", at=1e10, inputs={"x": "C"}, n_range=(1e3, 1e9))
    with pytest.raises(ValueError, match=r"compare fits by the variant column itself: drop by="):
        compare(js.laws.Overtraining, GADRE, variant="corpus", baseline="c4_original", at=1e21, by="corpus")
    with pytest.raises(ValueError, match=r"takes \['N', 'D', 'U'\]"):
        compare(js.laws.DataConstrained, GADRE, variant="corpus", baseline="c4_original", at=1e21)
