"""The shipped Pythia evaluations: they load, each benchmark's item count n is one whole number implied by every
row's reported stderr, the compute column is 6 N D, and a Binomial fit with the floor at chance works on them."""

import numpy as np
import pytest

import jaxscale as js

# Item counts the data imply (n = acc (1 - acc) / acc_stderr^2 + 1), beside the benchmarks' published split sizes:
# PIQA validation 1,838; ARC-Easy test 2,376; ARC-Challenge test 1,172; SciQ test 1,000; WinoGrande dev 1,267;
# LAMBADA (OpenAI) 5,153; LogiQA test 651. lm-eval-harness's `wsc` is SuperGLUE's WSC validation split, 104
# items (not the 273 of WSC273).
ITEMS = {"lambada_openai": 5153, "piqa": 1838, "winogrande": 1267, "wsc": 104, "arc_easy": 2376, "arc_challenge": 1172, "sciq": 1000, "logiqa": 651}


@pytest.fixture(scope="module")
def pythia():
    return js.datasets.load("pythia_evals")


def test_it_loads_long_and_wide(pythia):
    assert len(pythia) == 405 * 8 and set(pythia["task"]) == set(js.datasets.PYTHIA_TASKS)
    assert pythia["model"].nunique() == 15 and pythia["step"].nunique() == 27
    assert {"N", "N_nonembedding", "D", "C", "task", "chance", "n", "acc", "k", "acc_stderr"} <= set(pythia.columns)
    wide = js.datasets.load("pythia_evals", subset="wide")
    assert len(wide) == 405 and wide["piqa_n"].eq(1838).all() and "mmlu57_mean_acc" in wide
    with pytest.raises(ValueError, match=r"subset='epoch': dataset 'pythia_evals' has subsets \['all', 'wide'\]"):
        js.datasets.load("pythia_evals", subset="epoch")


def test_items_per_task_are_one_whole_number_implied_by_every_row(pythia):
    assert pythia.groupby("task")["n"].nunique().eq(1).all()
    assert pythia.groupby("task")["n"].first().to_dict() == ITEMS
    usable = pythia[(pythia["acc"] > 0) & (pythia["acc"] < 1)]
    implied = usable["acc"] * (1 - usable["acc"]) / usable["acc_stderr"] ** 2 + 1
    np.testing.assert_allclose(implied, usable["n"], atol=1e-6)
    np.testing.assert_allclose(pythia["k"], pythia["acc"] * pythia["n"], atol=1e-6)  # whole numbers of correct items


def test_compute_is_six_n_d_for_a_hand_checked_row(pythia):
    row = pythia[(pythia["model"] == "pythia-1.4b") & (pythia["step"] == 143_000) & (pythia["task"] == "piqa")].iloc[0]
    assert row["N"] == 1_414_647_808 and row["D"] == 143_000 * 2_097_152 == 299_892_736_000
    assert row["C"] == pytest.approx(2.545455609705136128e21, rel=1e-12)  # 6 * 1,414,647,808 * 299,892,736,000
    assert pythia.loc[pythia["step"] == 0, "C"].eq(0).all()


def test_a_binomial_fit_with_the_floor_at_chance(pythia):
    standard = pythia[~pythia["deduped"] & (pythia["step"] > 0) & (pythia["task"] == "arc_easy")]
    small = standard[standard["scale"].isin(["70m", "160m", "410m", "1.4b"])]
    result = js.fit(js.laws.SigmoidCompute, small, target="acc", loss=js.Binomial(trials="n", fractions=True), fixed={"floor": 0.25})
    assert np.isfinite(result.objective)
    assert float(result.law.floor) == 0.25
    assert 0.6 < float(result.law.ceiling) < 1.0
    final_2_8b = standard[(standard["scale"] == "2.8b") & (standard["step"] == 143_000)]
    assert abs(result.predict(final_2_8b)[0] - final_2_8b["acc"].iloc[0]) < 0.05
