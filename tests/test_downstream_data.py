"""The shipped downstream data: the OLMo ladder (Bhagia et al. 2024) and Gadre et al. 2024's 46 evaluations."""

import numpy as np
import pytest

import jaxscale as js
from jaxscale._chain import ChainStep, chain
from jaxscale.datasets._gadre_downstream import GADRE_SUBSET, load_gadre_downstream
from jaxscale.datasets._olmo_ladder import OLMO_TASKS, load_olmo_ladder


def test_olmo_ladder_has_the_papers_runs_and_targets():
    ladder = load_olmo_ladder()
    train = ladder[ladder["role"] == "train"]
    assert train["run"].nunique() == 16 and len(train) == 1566
    assert sorted(train["size"].unique()) == ["1.3B", "190M", "370M", "760M"]
    assert sorted(train["multiplier"].unique()) == [1.0, 2.0, 5.0, 10.0]
    seven, thirteen = ladder[ladder["role"] == "7B-4T"], ladder[ladder["role"] == "13B-5T"]
    # N and D of the targets as the paper's configs/final.json give them (PROVENANCE)
    assert len(seven) == 1 and seven["N"].item() == 6887575552 and seven["D"].item() == 3945065873408
    assert len(thirteen) == 12 and thirteen["N"].iloc[-1] == 13202396160 and thirteen["D"].max() == 596057 * 8388608
    for task in OLMO_TASKS:
        acc = ladder[f"acc_{task}"]
        assert acc.between(0, 1).all() and (ladder[f"bpb_{task}"] > 0).all()
    assert np.allclose(ladder["C"], ladder["D"] * ladder["flops_per_token"])


def test_gadre_downstream_joins_the_models_and_their_17_task_error():
    gadre = load_gadre_downstream()
    assert len(gadre) == 104 and len(GADRE_SUBSET) == 17
    assert sum(c.startswith("acc_") for c in gadre.columns) == 46
    shipped = js.datasets.load("gadre_overtraining")
    assert np.allclose(gadre["loss"], shipped["loss"]) and np.allclose(gadre["N"], shipped["N"])
    row = gadre[gadre["name"] == "rpj-open_lm_7b-1.0"].iloc[0]
    assert row["err_subset"] == pytest.approx(1 - np.mean([row[f"acc_{t}"] for t in GADRE_SUBSET]))


@pytest.mark.slow
def test_gadre_top_one_error_reproduces_their_published_errors():
    """Their repository's scaling_explorer.ipynb (mlfoundations/scaling, commit 79adc26) reports relative errors
    of 3.6365% (1.4B, M = 640) and 0.0464% (6.9B, M = 20) on RedPajama's 17-task average top-1 error."""
    gadre = load_gadre_downstream()
    rpj = gadre[gadre["corpus"] == "rpj"]
    small = ("d=96_l=8_h=4", "d=512_l=8_h=4", "d=576_l=24_h=8", "d=1024_l=24_h=8")
    loss_fit = rpj[(rpj["model"].isin(small) & (rpj["M"] == 20)) | ((rpj["model"] == small[0]) & (rpj["M"] == 320))]
    error_fit = rpj[rpj.index.isin(loss_fit.index) | ((rpj["model"] == "open_lm_1b") & (rpj["M"] == 20))]
    targets = rpj[((rpj["model"] == "open_lm_1b") & (rpj["M"] == 640)) | ((rpj["model"] == "open_lm_7b") & (rpj["M"] == 20))]
    result = chain(ChainStep(js.laws.Overtraining, loss_fit, target="loss", loss=js.Squared()),
                   ChainStep(js.laws.GadreTopOneError, error_fit, target="err_subset", inputs={"L": "loss"}, loss=js.Squared()),
                   run="name", n_bootstrap=None)
    predicted = result.predict(targets)["prediction"].to_numpy()
    relative = np.abs(predicted - targets["err_subset"].to_numpy()) / targets["err_subset"].to_numpy()
    assert relative == pytest.approx([0.036365, 0.000464], abs=2e-4)
