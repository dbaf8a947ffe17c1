"""`evaluate` measures how far each held-out row reaches beyond its group's training rows (issue 14, item 3)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import jaxscale as js


def _curve(x, E=1.5, A=300.0, alpha=0.3, **columns):
    x = np.asarray(x, dtype=float)
    noise = 1 + 0.01 * np.random.default_rng(0).standard_normal(len(x))
    return pd.DataFrame({"x": x, "loss": E + A * x**-alpha * noise, **columns})


def test_a_held_out_point_at_100x_the_largest_trained_x_warns_and_reports_100():
    frame = _curve(np.r_[np.geomspace(1e6, 1e9, 10), 1e11])
    train = np.arange(11) < 10
    with pytest.warns(js.FitWarning, match=r"evaluate reaches 100x the largest fitted x \(1 of 1 rows beyond 10x\)"):
        result = js.evaluate(js.PowerLaw, frame, train=train, n_refine=2)
    assert result.predictions["reach_x"].to_numpy() == pytest.approx([100.0])
    assert result.predictions["reach"].to_numpy() == pytest.approx([100.0])
    assert result.to_frame()["reach"].iloc[0] == pytest.approx(100.0)


def test_a_held_out_row_inside_the_range_reports_at_most_one_and_is_silent():
    x = np.geomspace(1e6, 1e9, 12)
    train = np.ones(12, bool)
    train[[3, 7]] = False  # interpolation: held-out rows between trained ones
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = js.evaluate(js.PowerLaw, _curve(x), train=train, n_refine=2)
    reach = result.predictions["reach"].to_numpy()
    assert reach == pytest.approx(x[[3, 7]] / 1e9)
    assert np.all(reach <= 1.0)


def test_grouped_reach_is_measured_against_each_groups_own_training_rows():
    # Group a trains up to 1e9 and holds out 5e9 (5x); group b trains up to 1e7 and holds out 5e9 (500x):
    # measured against all training rows, b's point would seem to reach 5x only.
    a = _curve(np.r_[np.geomspace(1e6, 1e9, 10), 5e9], g="a")
    b = _curve(np.r_[np.geomspace(1e4, 1e7, 10), 5e9], E=1.2, g="b")
    frame = pd.concat([a, b], ignore_index=True)
    train = frame["x"] < 2e9
    with pytest.warns(js.FitWarning, match=r"evaluate \(group 'b'\) reaches 500x") as caught:
        result = js.evaluate(js.PowerLaw, frame, train=train, by="g", n_refine=2)
    assert len([w for w in caught if issubclass(w.category, js.FitWarning) and "reaches" in str(w.message)]) == 1
    reach = result.predictions.set_index("g")["reach"]
    assert reach["a"] == pytest.approx(5.0) and reach["b"] == pytest.approx(500.0)
    assert result.to_frame().set_index("g")["reach"].to_dict() == pytest.approx({"a": 5.0, "b": 500.0})
