"""How far a prediction or an allocation reaches beyond the fitted data, and the warning past 10x."""

import warnings

import numpy as np
import pytest

import jaxscale as js
from jaxscale.cli import main

# Hoffmann et al. 2022 via Besiroglu et al. 2024's reconstruction: the "epoch" subset's largest model is ~1.6e10.
DATA = js.datasets.load("chinchilla", subset="epoch")
LARGEST_N, LARGEST_D = float(DATA["N"].max()), float(DATA["D"].max())


@pytest.fixture(scope="module")
def result():
    return js.fit(js.Chinchilla, DATA)


def _no_warning(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


def test_the_fitted_maxima_are_the_datas(result):
    assert 1.5e10 < LARGEST_N < 1.7e10
    assert result.fitted_maxima() == {"N": LARGEST_N, "D": LARGEST_D}


def test_predicting_at_1e12_parameters_warns_and_reaches_about_60(result):
    far = {"N": [1e12], "D": [1e11]}
    reach = result.reach(far)
    assert reach["reach_N"].iloc[0] == pytest.approx(1e12 / LARGEST_N) and 55 < reach["reach"].iloc[0] < 65
    assert reach["reach_D"].iloc[0] == pytest.approx(1e11 / LARGEST_D)
    with pytest.warns(js.FitWarning, match=r"predict reaches 61.\dx the largest fitted N \(1 of 1 rows"):
        predicted = result.predict(far)
    assert isinstance(predicted, np.ndarray) and predicted.shape == (1,)  # still an array
    np.testing.assert_allclose(predicted, result.law.predict(far))


def test_predicting_inside_the_data_does_not_warn(result):
    inside = {"N": [1e9, 5e9 * 9], "D": [2e10, 1e11]}  # 4.5e10 is 2.8x the largest N: near, not far
    predicted = _no_warning(lambda: result.predict(inside))
    assert predicted.shape == (2,) and float(result.reach(inside)["reach"].max()) < 10


def test_allocating_1e27_flops_warns_naming_n_and_reports_the_reach(result):
    with pytest.warns(js.FitWarning, match=r"N\* = [\d.e+]+ is \d+x the largest model fitted \(1.62e\+10\)"):
        best = js.allocate(result, js.problems.ComputeOptimal(1e27))
    frame = best.to_frame()
    assert frame["reach_N"].iloc[0] > 10 and frame["reach_N"].iloc[0] == pytest.approx(float(best.N) / LARGEST_N)
    assert frame["reach_D"].iloc[0] == pytest.approx(float(best.D) / LARGEST_D)
    assert {"reach_N", "reach_D"} <= set(best.summary().index)


def test_allocating_1e21_flops_is_inside_and_quiet(result):
    best = _no_warning(lambda: js.allocate(result, js.problems.ComputeOptimal(1e21)))
    assert best.to_frame()["reach_N"].iloc[0] < 1


def test_a_bare_law_allocates_as_before_with_no_reach(result):
    budgets = js.problems.ComputeOptimal([1e21, 1e27])
    bare = _no_warning(lambda: js.allocate(result.law, budgets))  # no data known: nothing to warn about
    with pytest.warns(js.FitWarning, match="at 1 of 2 problem values"):
        fitted = js.allocate(result, budgets)
    np.testing.assert_array_equal(np.asarray(bare.N), np.asarray(fitted.N))
    np.testing.assert_array_equal(np.asarray(bare.D), np.asarray(fitted.D))
    assert bare.fitted is None and not any(c.startswith("reach") for c in bare.to_frame().columns)
    # Hoffmann et al.'s law at 1e24 FLOPs, as before: N* = 9.72e10 (the ComputeOptimal doctest).
    law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    assert f"{float(js.allocate(law, js.problems.ComputeOptimal(1e24)).N):.3g}" == "9.72e+10"


def test_a_bootstrap_warns_in_intervals_and_allocations(result):
    boot = js.bootstrap(result, n=16, seed=0)
    with pytest.warns(js.FitWarning, match="predict_interval reaches"):
        band = boot.predict_interval({"N": [1e12], "D": [1e11]})
    assert len(band) == 1
    _no_warning(lambda: boot.predict_interval({"N": [7e10], "D": [1.4e12]}))  # 4.3x and 4.4x: near
    with pytest.warns(js.FitWarning, match=r"median over the batch of laws\): N\* = "):
        spread = js.allocate(boot, js.problems.ComputeOptimal(1e27))
    assert spread.to_frame()["reach_N"].median() > 10 and len(spread.to_frame()) == 16


@pytest.mark.slow  # a fit and a bootstrap through the CLI (~25 s on 2 cores)
def test_the_cli_prints_the_reach_and_the_warning(capsys):
    assert main(["allocate", "chinchilla", "--budget", "1e27", "-n", "8"]) == 0
    out = capsys.readouterr().out
    assert "reach_N" in out and "Reach beyond the data: N* up to" in out
    assert "warning: allocate: N* = " in out and "the largest model fitted" in out
