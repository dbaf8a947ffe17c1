"""`infer(method="laplace")` warns, naming the parameter, where a Gaussian at the posterior mode describes the
posterior poorly, and reports no MCMC diagnostics (its draws are independent: there is nothing to converge)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import jaxscale as js

X = np.geomspace(1e6, 1e9, 12)
NOISE = 0.01 * np.random.default_rng(0).standard_normal(12)


def _power_data(floor: float) -> pd.DataFrame:
    return pd.DataFrame({"x": X, "loss": floor + 300.0 * X**-0.3 * np.exp(NOISE)})


def test_a_well_identified_power_law_raises_no_warning():
    # FitWarning is an error in the tests: a spurious Laplace warning, or the old "effective sample size 100 < 400"
    # of 2 x 50 independent draws, would fail here.
    posterior = js.infer(js.PowerLaw, _power_data(1.5), method="laplace", n_samples=50, n_chains=2)
    summary = posterior.summary()
    assert summary.loc["E", "mean"] == pytest.approx(1.5, abs=0.05) and summary.loc["alpha", "sd"] > 0


def test_a_floor_the_data_do_not_have_warns_naming_e():
    # No floor: E only has to stay small, so its posterior is a plateau towards 0 and a cliff above the mode.
    with pytest.warns(js.FitWarning, match=r"not Gaussian along [^:]*\bE\b") as caught:
        js.infer(js.PowerLaw, _power_data(0.0), method="laplace", n_samples=50, n_chains=2)
    texts = [str(w.message) for w in caught]
    assert not any("r_hat" in t or "effective sample size" in t for t in texts)
    assert any("method='nuts'" in t for t in texts)


@pytest.mark.slow  # a third Laplace posterior with its checks (~20 s on 2 busy cores)
def test_data_that_push_e_below_zero_warn_naming_e():
    # A negative floor: the data want E < 0, so the point fit puts E on its bound (1e-254) and the mode, held off
    # it only by the prior, has a plateau on one side and a cliff on the other.
    with pytest.warns(js.FitWarning, match=r"\bE\b") as caught:
        js.infer(js.PowerLaw, _power_data(-0.1), method="laplace", n_samples=50, n_chains=1)
    assert any("Laplace approximation" in str(w.message) for w in caught)


@pytest.mark.slow  # a 5-parameter Laplace posterior on 240 points, with its checks (~25 s on 2 busy cores)
def test_chinchilla_on_epochs_data_raises_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", js.FitWarning)
        posterior = js.infer(js.Chinchilla, js.datasets.load("chinchilla", subset="epoch"), method="laplace", n_samples=100, n_chains=2)
    assert 0.3 < posterior.summary().loc["alpha", "mean"] < 0.4
