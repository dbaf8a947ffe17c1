"""`js.predict_interval`: extrapolation intervals at new points, calibrated on the data's own fits."""

import warnings

import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale._backtest import backtest
from jaxscale._predict_interval import predict_interval

METHODS = ["bootstrap", "rolling_origin", "plateau_envelope", "plateau_band", "plateau_intersection"]


def _curve(n=10, noise=0.003, seed=0):
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e3, 1e7, n)
    return pd.DataFrame({"x": x, "loss": (0.5 + 20 * x ** -0.3) * np.exp(rng.normal(0, noise, n))})


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        return call()


def test_the_interval_contains_the_prediction_and_matches_backtest():
    df = _curve()
    train, point = df.iloc[:7], df.iloc[[-1]]
    table = _quiet(lambda: predict_interval(js.PowerLaw, train, point[["x"]], axis="x", intervals=METHODS, n_resamples=50))
    assert list(table.columns) == ["x", "prediction", "distance"] + [f"{s}_{m}" for m in METHODS for s in ("lo", "hi")]
    row = table.iloc[0]
    assert row["distance"] == pytest.approx(df["x"].iloc[-1] / df["x"].iloc[6])
    for m in ("rolling_origin", "plateau_envelope", "plateau_band", "plateau_intersection"):
        assert row[f"lo_{m}"] <= row["prediction"] <= row[f"hi_{m}"], m
    # backtest's case with the same 7 training rows (cutoff 0.7 of 10) and the same target point.
    reference = _quiet(lambda: backtest(js.PowerLaw, df, cutoffs=[0.7], horizon="last", intervals=METHODS, n_resamples=50)).to_frame()
    assert len(reference) == len(METHODS) and (reference["n_train"] == 7).all()
    assert row["prediction"] == pytest.approx(reference["prediction"].iloc[0], rel=1e-9)
    for _, ref in reference.iterrows():
        assert row[f"lo_{ref['method']}"] == pytest.approx(ref["lo"], rel=1e-9), ref["method"]
        assert row[f"hi_{ref['method']}"] == pytest.approx(ref["hi"], rel=1e-9), ref["method"]


def test_groups_and_an_allocation_as_the_points():
    rng = np.random.default_rng(1)
    n, d = np.meshgrid(np.geomspace(1e7, 1e9, 4), np.geomspace(1e9, 1e11, 4))
    n, d = n.ravel(), d.ravel()
    truth = js.Chinchilla(E=1.8, A=400.0, B=2000.0, alpha=0.34, beta=0.37)
    loss = np.asarray(truth({"N": n, "D": d})) * np.exp(rng.normal(0, 0.002, n.size))
    df = pd.DataFrame({"N": n, "D": d, "C": 6 * n * d, "loss": loss})
    best = js.allocate(truth, js.problems.ComputeOptimal([1e21, 1e22]))
    table = _quiet(lambda: predict_interval(js.Chinchilla, df, best, axis="C", n_resamples=20, n_refine=8))
    assert list(table.columns[:3]) == ["N", "D", "C"] and len(table) == 2
    assert np.allclose(table["C"], 6 * table["N"] * table["D"], rtol=1e-6)
    assert (table["distance"] > 1).all() and table["distance"].iloc[1] > table["distance"].iloc[0]
    assert (table["lo_plateau_intersection"] <= table["prediction"]).all() and (table["prediction"] <= table["hi_plateau_intersection"]).all()
    # With by=, each point is predicted from its own group's fit (the points keep their order).
    two = pd.concat([_curve().assign(curve="a"), _curve(seed=2).assign(curve="b", loss=lambda f: 2 * f["loss"])], ignore_index=True)
    at = pd.DataFrame({"x": [2e7, 2e7], "curve": ["b", "a"]})
    grouped = _quiet(lambda: predict_interval(js.PowerLaw, two, at, axis="x", by="curve"))
    assert list(grouped["curve"]) == ["b", "a"] and grouped["prediction"].iloc[0] > 1.5 * grouped["prediction"].iloc[1]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (dict(axis="step"), r"axis column 'step' is missing"),
        (dict(level=1.5), r"level"),
        (dict(level=0.0), r"level"),
        (dict(at=pd.DataFrame({"z": [1e8]})), r"at is missing column\(s\) \['x'\]"),
        (dict(at=pd.DataFrame({"x": [-1.0]})), r"at: .*'x' has 1 rows <= 0"),
        (dict(at=pd.DataFrame({"x": []})), r"at has no rows"),
        (dict(seed="0"), r"seed"),
        (dict(intervals="magic"), r"magic"),
        (dict(by="curve", at=pd.DataFrame({"x": [1e8]})), r"by column"),
    ],
)
def test_bad_input_is_refused_before_compiling(change, match, monkeypatch):
    import jaxscale._predict_interval as module

    def no_fit(*args, **kwargs):
        raise AssertionError("reached the fit")

    monkeypatch.setattr(module, "extrapolate", no_fit)
    kwargs = dict(at=pd.DataFrame({"x": [1e8]}), axis="x") | change
    with pytest.raises((ValueError, TypeError), match=match):  # a seed of the wrong type is a TypeError
        predict_interval(js.PowerLaw, _curve(), **kwargs)


def test_too_few_rows_to_calibrate_is_a_warning_not_a_silent_inf():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = predict_interval(js.PowerLaw, _curve(n=4), {"x": [1e8]}, axis="x", intervals="rolling_origin")
    assert not np.isfinite(table["hi_rolling_origin"].iloc[0])
    assert any("rolling_origin has non-finite bounds at 1 of 1" in str(w.message) for w in caught)
