"""Schedules as modules, the knots a schedule-aware law reads, and every bad input refused before compiling."""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale import schedules as S


def test_the_shipped_schedules_match_the_logged_learning_rates_at_every_row():
    """PROVENANCE: the `lr` column matches the schedule formulas to within 2e-15 relative."""
    df = js.datasets.load("multipower")
    for name, schedule in js.datasets.multipower_schedules().items():
        rows = df[df["schedule"] == name]
        lr = np.asarray(schedule(rows["step"].to_numpy()))
        assert np.max(np.abs(lr - rows["lr"]) / rows["lr"]) < 1e-14, name
    assert len(df) == 6265 and df["run"].nunique() == 27
    assert sorted(df.loc[df["split"] == "fit", "schedule"].unique()) == sorted(js.datasets.MULTIPOWER_FIT)


def test_warmup_is_linspace_and_decay_shapes_end_at_final():
    c = S.Constant(peak=1.0, total=100, warmup=11)
    np.testing.assert_allclose(np.asarray(c(np.arange(11))), np.linspace(0, 1, 11))
    for shape in S.DECAY_SHAPES:
        wsd = S.WSD(peak=1.0, final=0.1, decay_fraction=0.5, shape=shape, total=1000, warmup=0)
        assert float(wsd(499)) == 1.0 and abs(float(wsd(1000)) - 0.1) < 1e-9, shape
        lr = np.asarray(wsd.learning_rates())
        assert np.all(np.diff(lr) <= 1e-15), shape  # never rises
    with pytest.raises(ValueError, match="shape"):
        S.WSD(peak=1.0, final=0.1, decay_fraction=0.5, shape="step", total=10)


def test_wsd_learning_rates_are_differentiable_in_the_decay_fraction():
    def area(f):
        return jnp.sum(S.WSD(peak=1.0, final=0.0, decay_fraction=f, total=1000, warmup=100).learning_rates())

    grad = jax.grad(area)(0.3)
    numeric = (area(0.3 + 1e-4) - area(0.3 - 1e-4)) / 2e-4
    assert grad < 0 and abs(grad - numeric) < 0.02 * abs(numeric)


def _exact(lr, steps, warmup, f):
    """sum_k (eta_{k-1} - eta_k) f(eta_k, S1(t) - S1(k-1), t - k + 1) over every step k, per row."""
    cum, out = np.cumsum(lr), []
    for t in steps:
        k = np.arange(max(warmup, 1), t + 1)
        out.append(np.sum((lr[k - 1] - lr[k]) * f(lr[k], cum[t] - cum[k - 1], t - k + 1.0)))
    return np.array(out)


def _on_knots(x, f):
    return np.sum(x["lr_drop"] * f(x["lr_after"], x["drop_area"], x["drop_lag"]), axis=1)


TERM = lambda lr, area, lag: 1 - (0.5 * lr**-0.6 * area + 1) ** -0.3 + (1 - 0.999**lag) / 1e3  # noqa: E731


def test_knots_are_exact_for_a_two_stage_schedule_and_close_for_a_cosine():
    two = S.TwoStage(first=3e-4, second=3e-5, switch=800, total=2000, warmup=100)
    steps = np.arange(150, 2000, 37)
    x = S.schedule_inputs(two, steps)
    lr = np.asarray(two.learning_rates())
    np.testing.assert_allclose(x["lr_area"], np.cumsum(lr)[steps], rtol=1e-12)
    np.testing.assert_allclose(_on_knots(x, TERM), _exact(lr, steps, 100, TERM), rtol=1e-12, atol=1e-18)
    cosine = S.Cosine(peak=3e-4, final=3e-5, total=20000, warmup=500)
    steps = np.arange(600, 20000, 997)
    lr = np.asarray(cosine.learning_rates())
    exact = _exact(lr, steps, 500, TERM)
    errors = {k: np.max(np.abs(_on_knots(S.schedule_inputs(cosine, steps, n_knots=k), TERM) - exact)) for k in (16, 32, 64)}
    # Second order in the block width: the error falls about 4x each time the knots double.
    assert errors[64] < errors[32] / 2.5 < errors[16] / 6 and errors[32] < 2e-3 * np.max(exact)


def test_a_schedule_can_be_a_column_or_a_function():
    steps = np.arange(0, 1000, 10)
    frame = pd.DataFrame({"run": "a", "step": steps, "lr": 1e-3 * (1 - steps / 2000)})
    from_column = S.curve_inputs(frame, "lr", curve="run")
    from_function = S.curve_inputs(frame, lambda s: 1e-3 * (1 - s / 2000), curve="run")
    np.testing.assert_allclose(from_column["lr_area"], from_function["lr_area"], rtol=1e-9)
    assert from_column["lr_drop"].iloc[0].shape == from_column["lr_drop"].iloc[-1].shape


def _curve(steps, **extra):
    return pd.DataFrame({"run": "a", "step": steps, "loss": 3.0, **extra})


CONSTANT = S.Constant(peak=1e-3, total=1000, warmup=10)


@pytest.mark.parametrize(
    ("frame", "schedule", "match"),
    [
        (_curve([10, 30, 20]), CONSTANT, "not in increasing order"),
        (_curve([10, 20, 20]), CONSTANT, "appears twice"),
        (_curve([10, 20], lr=[1e-3, -1e-3]), "lr", "negative"),
        (_curve([10, 20], lr=[1e-3, np.nan]), "lr", "no value"),
        (_curve([10]), CONSTANT, "only one row"),
        (_curve([10, 20]), lambda s: np.full(3, 1e-3), "returned shape"),
        (_curve([10, 20]), lambda s: -np.ones_like(s, dtype=float), "negative"),
        (_curve([10, 2000]), CONSTANT, "only 1000 steps"),
        (_curve([10.5, 20]), CONSTANT, "whole numbers"),
        (_curve([10, 20]), {"b": CONSTANT}, "no schedule for 'a'"),
    ],
)
def test_bad_curves_and_schedules_are_refused_before_compiling(frame, schedule, match):
    with pytest.raises(ValueError, match=match):
        S.curve_inputs(frame, schedule, curve="run")


def test_a_missing_knot_column_or_ragged_sequences_are_refused_by_fit():
    frame = S.curve_inputs(_curve([100, 200, 300, 400, 500, 600, 700, 800]), S.Cosine(peak=1e-3, final=1e-4, total=1000, warmup=10), curve="run")
    with pytest.raises(ValueError, match="drop_area"):
        js.fit(js.laws.MultiPowerLaw, frame.drop(columns="drop_area"))
    ragged = frame.copy()
    ragged.loc[0, "lr_drop"] = np.zeros(1)
    with pytest.raises(ValueError, match="one common length"):
        js.fit(js.laws.MultiPowerLaw, ragged)
