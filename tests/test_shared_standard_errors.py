"""Standard errors and identifiability of a joint fit (`fit(..., by=..., shared=[...])`), from the curvature of
the joint objective at its optimum: the same sandwich as `FitResult.standard_errors`, over the joint vector."""

import warnings

import numpy as np
import pandas as pd
import pytest

import jaxscale as js

SIGMA = 0.005  # the noise on log loss
LOSS = js.LogSquared()  # least squares: the sandwich is its covariance (a Huber fit at this noise is near L1)
TRUE = {"E": 1.7, "B": 400.0, "beta": 0.3}
GROUP_A = {"g0": 1.0, "g1": 3.0, "g2": 10.0}


def _rows(n_per_group: int, seed: int) -> pd.DataFrame:
    """Three groups of a power law in D with one floor E shared by all and each group's own B."""
    rng = np.random.default_rng(seed)
    frames = []
    for key, scale in GROUP_A.items():
        D = np.geomspace(1e8, 1e11, n_per_group)
        loss = TRUE["E"] + scale * TRUE["B"] * D ** -TRUE["beta"]
        frames.append(pd.DataFrame({"group": key, "x": D, "loss": loss * np.exp(SIGMA * rng.standard_normal(n_per_group))}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def joint():
    return js.fit(js.PowerLaw, _rows(20, 0), by="group", shared=["E"], loss=LOSS)


def test_shared_e_standard_error_matches_the_spread_of_refits_on_resimulated_data(joint):
    se = joint.standard_errors()
    assert list(se["group"]) == list(GROUP_A) and se["E"].nunique() == 1
    # The same design refitted on 60 fresh noise draws: the spread of E is what the standard error should say.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)  # only the values matter here
        refits = [float(js.fit(js.PowerLaw, _rows(20, seed), by="group", shared=["E"], loss=LOSS).law.E[0]) for seed in range(1, 61)]
    assert float(se["E"].iloc[0]) == pytest.approx(np.std(refits, ddof=1), rel=0.25)
    frame, summary = joint.to_frame(), joint.summary()
    assert {"E_se", "A_se", "alpha_se"} <= set(frame.columns) and frame["A_se"].nunique() == 3
    assert summary.loc["E", "se"] == pytest.approx(float(se["E"].iloc[0])) and summary["identified"].all()
    assert joint.problems().empty


def test_per_group_standard_errors_shrink_with_more_rows(joint):
    more = js.fit(js.PowerLaw, _rows(80, 0), by="group", shared=["E"], loss=LOSS)
    few, many = joint.standard_errors(), more.standard_errors()
    for name in ("E", "A", "alpha"):
        ratio = many[name].to_numpy() / few[name].to_numpy()
        assert np.all((ratio > 0.3) & (ratio < 0.75)), (name, ratio)  # 4x the rows: about half the error


def test_a_group_whose_rows_share_one_input_warns_naming_its_own_parameters():
    data = _rows(20, 0)
    data.loc[data["group"] == "g1", "x"] = 1e10  # g1's rows all at one D: its A and alpha trade off freely
    with pytest.warns(js.FitWarning, match=r"group 'g1': (A and alpha|alpha and A) are not identified.*share one x"):
        result = js.fit(js.PowerLaw, data, by="group", shared=["E"], loss=LOSS)
    se = result.standard_errors().set_index("group")
    assert np.isinf(se.loc["g1", "alpha"]) and np.isfinite(se.loc["g0", "alpha"]) and np.isfinite(se.loc["g0", "E"])
    assert not result.summary().loc["alpha", "identified"] and result.summary().loc["E", "identified"]
    problems = result.problems()
    assert (problems["group"] == "g1").any()
