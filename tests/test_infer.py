"""Bayesian posteriors (`js.infer`): real-data agreement with Epoch AI, priors, predictions, bad input.

Epoch AI's bootstrap 95% intervals (Besiroglu et al. 2024, arXiv:2404.10102, Table 1 notebook values):
E 1.769-1.871, alpha 0.317-0.373, beta 0.331-0.415.
"""

import re

import numpy as np
import numpyro.distributions as dist
import pandas as pd
import pytest

import jaxscale as js

EPOCH_95 = {"E": (1.769, 1.871), "alpha": (0.317, 0.373), "beta": (0.331, 0.415)}
QUICK = dict(n_warmup=300, n_samples=300, n_chains=2)


@pytest.fixture(scope="module")
def epoch_points():
    return js.datasets.load("chinchilla", subset="epoch")


@pytest.fixture(scope="module")
def posterior(epoch_points):
    return js.infer(js.Chinchilla, epoch_points, seed=0)


@pytest.mark.parametrize("name", list(EPOCH_95))
def test_posterior_intervals_agree_with_epochs_bootstrap_to_within_their_width(posterior, name):
    lo, hi = posterior.summary(level=0.95).loc[name, ["q0.025", "q0.975"]]
    epoch_lo, epoch_hi = EPOCH_95[name]
    width = epoch_hi - epoch_lo
    assert abs(lo - epoch_lo) < width and abs(hi - epoch_hi) < width


def test_diagnostics_are_healthy_and_draws_are_a_batch_of_laws(posterior):
    summary = posterior.summary()
    assert (summary["r_hat"] < 1.01).all() and (summary["ess"] > 400).all()
    assert posterior.divergences == 0 and posterior.problems() == []
    assert posterior.laws.batch_shape == (4000,)
    assert set(summary.index) == {"E", "A", "B", "alpha", "beta", "sigma"}


def test_predictive_band_at_a_larger_model(posterior):
    with pytest.warns(js.FitWarning, match=r"predict reaches 4\d\.\dx the largest fitted"):  # 7e11 is 44x Epoch's largest model
        band = posterior.predict({"N": [7e10, 7e11], "D": [1.4e12, 1.4e13]}, quantiles=(0.05, 0.5, 0.95))
    assert (band["q0.05"] < band["q0.5"]).all() and (band["q0.5"] < band["q0.95"]).all()
    noisy = posterior.predict({"N": [7e10], "D": [1.4e12]}, include_noise=True)
    assert noisy["q0.95"].iloc[0] - noisy["q0.05"].iloc[0] > band["q0.95"].iloc[0] - band["q0.05"].iloc[0]


def test_to_arviz(posterior):
    data = posterior.to_arviz()
    assert "alpha" in data.posterior and data.posterior["alpha"].shape == (4, 1000)


# Short chains: their low-effective-sample-size warning is expected (and tested below).
@pytest.mark.slow  # three NUTS runs (~18 s)
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
def test_same_seed_same_draws_and_an_informative_prior_narrows(epoch_points):
    one = js.infer(js.Chinchilla, epoch_points, seed=3, **QUICK)
    two = js.infer(js.Chinchilla, epoch_points, seed=3, **QUICK)
    np.testing.assert_array_equal(one.samples["alpha"], two.samples["alpha"])
    # A Normal prior on a positive exponent is truncated to alpha > 0, as the constraint requires.
    tight = js.infer(js.Chinchilla, epoch_points, seed=3, priors={"alpha": dist.Normal(0.30, 0.005)}, **QUICK)
    assert tight.summary().loc["alpha", "sd"] < one.summary().loc["alpha", "sd"]
    assert abs(tight.summary().loc["alpha", "mean"] - 0.30) < abs(one.summary().loc["alpha", "mean"] - 0.30)


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
def test_student_t_likelihood_learns_nu(epoch_points):
    post = js.infer(js.Chinchilla, epoch_points, likelihood="student_t", **QUICK)
    assert np.all(np.isfinite(post.samples["nu"]))
    nu = post.summary().loc["nu"]
    # The Gamma(2, 0.1) prior has mean 20 and sd 14; the Epoch points' outliers call for heavy tails, and
    # 240 points pin them down (posterior mean about 3, sd about 0.6).
    assert nu["mean"] < 10 and nu["sd"] < 3


def test_too_short_chains_warn_with_the_number(epoch_points):
    with pytest.warns(js.FitWarning) as caught:
        js.infer(js.Chinchilla, epoch_points, n_warmup=100, n_samples=50, n_chains=2)
    assert any(re.search(r"effective sample size \d+ < 400", str(w.message)) for w in caught)


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_laplace_agrees_with_nuts(posterior, epoch_points):
    laplace = js.infer(js.Chinchilla, epoch_points, method="laplace")
    nuts, fast = posterior.summary(), laplace.summary()
    for name in ("E", "alpha", "beta", "sigma"):
        assert abs(fast.loc[name, "mean"] - nuts.loc[name, "mean"]) < 0.5 * nuts.loc[name, "sd"]
        assert fast.loc[name, "sd"] == pytest.approx(nuts.loc[name, "sd"], rel=0.2)
    assert laplace.to_arviz().posterior["alpha"].shape == (4, 1000)


@pytest.fixture(scope="module")
def three_families():
    """Synthetic Chinchilla data for three families that differ in A and E and share the exponents."""
    rng = np.random.default_rng(0)
    truth = {"small": (300.0, 1.7), "medium": (450.0, 1.8), "large": (650.0, 1.9)}
    rows = []
    for family, (A, E) in truth.items():
        N = np.exp(rng.uniform(np.log(1e8), np.log(1e10), 40))
        D = N * np.exp(rng.uniform(np.log(5), np.log(100), 40))
        law = js.Chinchilla(E=E, A=A, B=2000.0, alpha=0.34, beta=0.37)
        loss = law.predict({"N": N, "D": D}) * np.exp(0.01 * rng.standard_normal(40))
        rows.append(pd.DataFrame({"family": family, "N": N, "D": D, "loss": loss}))
    return pd.concat(rows, ignore_index=True), truth


@pytest.mark.slow  # a hierarchical NUTS run (~25 s)
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
def test_hierarchical_fit_gives_each_group_its_own_pooled_and_independent_values(three_families):
    data, truth = three_families
    post = js.infer(js.Chinchilla, data, by="family", pooled=["A"], independent=["E"], seed=1, **QUICK)
    assert post.groups == ("large", "medium", "small") and post.laws.batch_shape == (600, 3)
    summary = post.summary()
    assert {"A_loc", "A_scale", "A[small]", "E[large]", "alpha", "beta"} <= set(summary.index)
    frame = post.to_frame()
    assert frame.shape == (600, 2 + len(summary)) and list(frame.columns[2:]) == list(summary.index)
    for family, (A, E) in truth.items():
        assert summary.loc[f"E[{family}]", "mean"] == pytest.approx(E, abs=0.1)
    # A is pooled, so each family keeps its own value; their order follows the truth.
    assert summary.loc["A[small]", "mean"] < summary.loc["A[medium]", "mean"] < summary.loc["A[large]", "mean"]
    # Each row is predicted by its own family's law.
    at = pd.DataFrame({"family": ["small", "large"], "N": [1e11, 1e11], "D": [2e12, 2e12]})
    band = post.predict(at)
    expected = [js.Chinchilla(E=truth[f][1], A=truth[f][0], B=2000.0, alpha=0.34, beta=0.37).predict(at.iloc[[i]])[0] for i, f in enumerate(at.family)]
    assert band["q0.5"].to_numpy() == pytest.approx(expected, rel=0.03)
    with pytest.raises(ValueError, match=r"no group 'huge'; groups are \['large', 'medium', 'small'\]"):
        post.predict(at.assign(family="huge"))
    with pytest.raises(ValueError, match="predict needs those columns too"):
        post.predict(at.drop(columns="family"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"priors": {"gamma": dist.Normal(0, 1)}}, r"priors names \['gamma'\]"),
        ({"by": "family", "pooled": ["alpha"]}, r"by column\(s\) \['family'\] not in the data"),
        ({"pooled": ["alpha"]}, "needs groups: pass by=<column>"),
        ({"by": "N", "pooled": ["gamma"]}, r"pooled names \['gamma'\]"),
        ({"by": "N", "independent": ["delta"]}, r"independent names \['delta'\]"),
        ({"by": "N", "pooled": ["E"], "independent": ["E"]}, "both pooled and independent"),
        ({"by": "N", "pooled": ["E"], "population_scale": 0.0}, "population_scale must be a positive number"),
        ({"priors": {"alpha": dist.Normal(-1.0, 0.1)}}, "does not fit the parameter's constraint"),
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"n_chains": 0}, "n_chains must be an integer >= 1"),
        ({"n_warmup": -1}, "n_warmup must be an integer >= 0"),
        ({"likelihood": "cauchy"}, "likelihood must be one of"),
        ({"target_accept": 1.0}, "target_accept must be between 0 and 1"),
        ({"method": "vi"}, "method must be 'nuts' or 'laplace'"),
        ({"shared": ["E"]}, r"shared=\['E'\] needs groups: pass by=<column>"),
        ({"by": "N", "shared": ["E"], "independent": ["A"]}, "pass shared= or independent=, not both"),
        ({"by": "N", "shared": ["gamma"]}, r"shared names \['gamma'\], which are not parameters"),
    ],
)
def test_bad_input_before_sampling(epoch_points, kwargs, message):
    with pytest.raises(ValueError, match=message):
        js.infer(js.Chinchilla, epoch_points, **kwargs)


@pytest.mark.slow  # two grouped Laplace approximations (~15 s)
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
def test_shared_is_the_complement_of_independent(three_families):
    data, _ = three_families
    by_shared = js.infer(js.Chinchilla, data, by="family", shared=["alpha", "beta", "B"], method="laplace", n_samples=200, n_chains=1)
    by_independent = js.infer(js.Chinchilla, data, by="family", independent=["E", "A"], method="laplace", n_samples=200, n_chains=1)
    assert set(by_shared.samples) == set(by_independent.samples) and by_shared.grouped == ("E", "A")
    np.testing.assert_allclose(by_shared.samples["E"], by_independent.samples["E"])
