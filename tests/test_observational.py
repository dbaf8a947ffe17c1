"""Observational scaling (Ruan, Maddison and Hashimoto 2024): the ObsScaling data, the capability factors, the
sigmoid link, the held-out prediction and its refusals of bad input.

The shared fit is the one of `observational_scaling`'s docstring (same shapes: one compile for both)."""

import numpy as np
import pandas as pd
import pytest

import jaxscale._observational as observational_module
from jaxscale._capabilities import capability_factors, impute_low_rank
from jaxscale._observational import observational_scaling
from jaxscale._sigmoid_link_regression import fit_sigmoid_link
from jaxscale.datasets._obsscaling import OBSSCALING_BENCHMARKS, OBSSCALING_CUTOFF, OBSSCALING_FAMILIES, obsscaling

OTHERS = [b for b in OBSSCALING_BENCHMARKS if b != "MMLU"]


@pytest.fixture(scope="module")
def table():
    frame = obsscaling()
    return frame[frame["evaluated_family"] & frame["C"].notna()].reset_index(drop=True)


@pytest.fixture(scope="module")
def mmlu(table):
    return observational_scaling(table, "MMLU", OTHERS, OBSSCALING_CUTOFF, floor=0.25, n_bootstrap=20)


def test_the_loader_joins_the_three_shipped_files():
    frame = obsscaling()
    assert frame.shape == (148, 28) and frame["model"].is_unique
    assert int(frame["C"].isna().sum()) == 25 and int(frame["evaluated_family"].sum()) == 80
    assert int(frame["leaderboard_bbh"].notna().sum()) == 72 and int(frame["arithmetic_3ds_2_acc"].notna().sum()) == 84
    llama = frame.set_index("model").loc["meta-llama/Llama-2-7b-hf"]
    assert llama["C"] == OBSSCALING_CUTOFF and llama["N"] == 7e9 and llama["D"] == 2e12
    assert set(frame.loc[frame["evaluated_family"], "family"]) == set(OBSSCALING_FAMILIES)


def test_the_paper_split_holds_out_the_models_above_llama_2_7b(mmlu, table):
    heldout = mmlu.predictions.query("method == 'factors' and split == 'heldout'")
    assert len(heldout) == 28 and heldout["compute"].min() > OBSSCALING_CUTOFF
    assert "meta-llama/Llama-2-7b-hf" in set(mmlu.predictions.query("split == 'train'")["model"])


def test_the_factors_predict_held_out_mmlu_better_than_log_compute(mmlu):
    summary = mmlu.summary()
    # Measured: factors 0.059, log compute 0.101 (28 held-out models, 7 other benchmarks, floor at chance).
    assert summary.loc["factors", "mae"] < 0.075
    assert summary.loc["factors", "mae"] < 0.8 * summary.loc["log_compute", "mae"]
    assert 0.6 <= summary.loc["factors", "coverage"] <= 1.0


def test_the_result_carries_factors_links_efficiencies_and_intervals(mmlu):
    assert mmlu.loadings.shape == (7, 3) and list(mmlu.loadings.index) == OTHERS
    assert np.all(np.diff(mmlu.explained) <= 0) and 0.8 < mmlu.explained.sum() <= 1.0
    assert mmlu.loadings["PC-1"].sum() > 0 and (mmlu.link["floor"] == 0.25).all()
    frame = mmlu.to_frame()
    assert len(frame) == 3 * 75 and set(frame["method"]) == {"factors", "log_compute", "family_compute"}
    held = frame.query("split == 'heldout'")
    # The bootstrap refits the PCA too: the curve itself has spread, and the score interval is wider still.
    assert (held["mean_hi"] - held["mean_lo"]).median() > 1e-3
    assert (held["hi"] - held["lo"]).median() > (held["mean_hi"] - held["mean_lo"]).median()
    assert mmlu.n_failed == 0 and "held-out MAE" in repr(mmlu)
    assert mmlu.efficiency.loc["Llama-3", "n_train"] == 0 and mmlu.efficiency.loc["Pythia", "n_train"] == 8


def test_imputation_fills_a_rank_one_table_and_ignores_held_out_rows():
    rng = np.random.default_rng(1)
    skill = rng.normal(size=20)
    scores = 0.5 + 0.1 * np.outer(skill, [1.0, 0.8, 1.2, 0.9])
    observed = np.ones_like(scores, bool)
    observed[3, 2] = observed[7, 0] = False
    filled = impute_low_rank(np.where(observed, scores, 0.0), observed, np.ones(20), iterations=300)
    np.testing.assert_allclose(np.asarray(filled)[~observed], scores[~observed], atol=1e-4)
    weights = np.ones(20)
    weights[-5:] = 0.0  # held out: never fitted on
    first = capability_factors(scores, observed, weights, n_factors=2)
    changed = scores.copy()
    changed[-5:] = rng.uniform(size=(5, 4))
    second = capability_factors(changed, observed, weights, n_factors=2)
    np.testing.assert_allclose(np.asarray(first.loadings), np.asarray(second.loadings), atol=1e-10)


def test_the_link_recovers_a_fitted_floor():
    x = np.linspace(-3, 3, 60)[:, None]
    y = 0.1 + 0.9 / (1 + np.exp(-(0.3 + 1.5 * x[:, 0])))
    link = fit_sigmoid_link(x, y, np.ones(60), floor=0.05, fit_floor=True)
    assert abs(float(link.floor) - 0.1) < 1e-4 and abs(float(link.weights[0]) - 1.5) < 1e-3


@pytest.fixture
def no_compile(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("compiled before the input was checked")
    monkeypatch.setattr(observational_module, "_fit_resamples", refuse)


def _call(frame, target="MMLU", benchmarks=OTHERS, **options):
    return observational_scaling(frame, target, benchmarks, OBSSCALING_CUTOFF, **options)


def test_a_model_with_no_scores_is_refused(table, no_compile):
    frame = table.copy()
    frame.loc[3, OTHERS] = np.nan
    with pytest.raises(ValueError, match="no score on any benchmark"):
        _call(frame)


def test_more_factors_than_benchmarks_is_refused(table, no_compile):
    with pytest.raises(ValueError, match="no more factors than benchmarks"):
        _call(table, benchmarks=["ARC-C", "GSM8K"], n_factors=3)


def test_accuracies_outside_zero_one_are_refused(table, no_compile):
    frame = table.copy()
    frame["GSM8K"] = frame["GSM8K"] * 100
    with pytest.raises(ValueError, match="'GSM8K' has .* outside \\[0, 1\\].*divide percentages by 100"):
        _call(frame)
    frame = table.copy()
    frame.loc[0, "MMLU"] = 1.2
    with pytest.raises(ValueError, match="'MMLU' has 1 score"):
        _call(frame)


def test_a_target_not_in_the_table_is_refused(table, no_compile):
    with pytest.raises(ValueError, match="target benchmark 'MMLU-Pro' is not in the table"):
        _call(table, target="MMLU-Pro")
    with pytest.raises(ValueError, match="also in benchmarks"):
        _call(table, benchmarks=list(OBSSCALING_BENCHMARKS))


def test_non_positive_or_missing_compute_is_refused(table, no_compile):
    frame = table.copy()
    frame.loc[5, "C"] = 0.0
    with pytest.raises(ValueError, match="'C' is missing, non-finite or non-positive for 1 model"):
        _call(frame)
    with pytest.raises(ValueError, match="non-positive for 25 model"):
        _call(obsscaling().query("evaluated_family or C != C"))


def test_other_bad_options_are_refused(table, no_compile):
    with pytest.raises(ValueError, match="floor must be in"):
        _call(table, floor=1.5)
    with pytest.raises(ValueError, match="level"):
        _call(table, level=90)
    with pytest.raises(TypeError, match="DataFrame"):
        _call(table.to_dict())
    with pytest.raises(ValueError, match="repeats models"):
        _call(pd.concat([table, table.iloc[:1]]))
