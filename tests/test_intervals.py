"""Interval methods (`js.intervals`): the arithmetic of each on hand-made inputs."""

import numpy as np
import pytest

from jaxscale.intervals import (
    BootstrapPercentile,
    IntervalInputs,
    PlateauBand,
    PlateauEnvelope,
    RollingOrigin,
    check_level,
    conformal_rank_quantile,
    resolve_methods,
)


def _inputs(log_distance, errors, inner_distance=np.log(2.0), plateau=1.5):
    return IntervalInputs(
        prediction=np.ones(len(log_distance)), log_distance=np.asarray(log_distance), plateau=np.full(len(log_distance), plateau),
        inner_log_errors=np.asarray(errors, float), inner_log_distances=np.full(len(errors), inner_distance),
    )


def test_the_conformal_rank_is_ceil_m_plus_one_times_level():
    scores = np.arange(1.0, 20.0)  # 19 scores: rank ceil(20 * 0.9) = 18
    assert conformal_rank_quantile(scores, 0.9) == 18.0
    assert conformal_rank_quantile(scores[:5], 0.9) == 5.0  # too few: the largest
    assert conformal_rank_quantile(np.zeros(0), 0.9) == np.inf


def test_bootstrap_percentile_takes_the_quantiles_of_the_draws():
    draws = np.random.default_rng(0).normal(size=(20_000, 1))
    lo, hi = BootstrapPercentile().bounds(IntervalInputs(np.zeros(1), np.ones(1), np.zeros(1), draws=draws), 0.9)
    assert lo[0] == pytest.approx(-1.645, abs=0.05) and hi[0] == pytest.approx(1.645, abs=0.05)


def test_rolling_origin_width_grows_with_the_log_distance():
    errors = np.random.default_rng(1).normal(0, 0.02, 50)
    lo, hi = RollingOrigin().bounds(_inputs([np.log(2.0), np.log(8.0)], errors), 0.9)
    half = np.log(hi)
    assert half[1] == pytest.approx(3 * half[0])  # three times as far in log distance
    assert np.allclose(np.log(lo), -half)
    # The scaled errors' conformal quantile sets the width at the inner distance itself.
    q = conformal_rank_quantile(np.abs(errors) / np.log(2.0), 0.9)
    assert half[0] == pytest.approx(q * np.log(2.0))


def test_plateau_envelope_reaches_up_to_the_plateau_and_down_by_the_signed_errors():
    errors = np.linspace(-0.01, 0.03, 40)  # mostly under-predictions, as a curve that flattens gives
    lo, hi = PlateauEnvelope().bounds(_inputs([np.log(4.0)], errors, plateau=1.5), 0.9)
    assert hi[0] == pytest.approx(1.5)
    assert lo[0] < 1.0 and np.log(lo[0]) > -0.01 / np.log(2.0) * np.log(4.0) * 1.01
    lo, hi = PlateauEnvelope().bounds(_inputs([np.log(4.0)], errors, plateau=0.5), 0.9)
    assert hi[0] > 1.0  # the plateau below the prediction: the calibrated upper bound stands


def test_an_unknown_method_or_a_bad_level_is_refused_by_name():
    with pytest.raises(ValueError, match="intervals: unknown interval method 'conformal'"):
        resolve_methods(["bootstrap", "conformal"])
    with pytest.raises(ValueError, match="level"):
        check_level(1.0)
    with pytest.raises(ValueError, match="level"):
        check_level(0)
    assert [m.name for m in resolve_methods("rolling_origin")] == ["rolling_origin"]


def test_plateau_band_spans_the_law_and_the_plateau_widened_by_the_late_training_noise():
    # Early residuals are large (a curve's noisy start), the later half small: only the later half sets the margin.
    residuals = np.r_[np.full(10, 0.5), np.linspace(-0.01, 0.01, 10)]
    inputs = IntervalInputs(np.array([1.0, 2.0]), np.log([2.0, 8.0]), np.array([1.2, 1.5]), train_log_residuals=residuals)
    lo, hi = PlateauBand().bounds(inputs, 0.9)
    q = conformal_rank_quantile(np.abs(residuals[10:]), 0.9)
    assert q == pytest.approx(0.01)
    # No margin grows with distance: the band is the same relative width near and far.
    assert np.allclose(lo, [1.0 * np.exp(-q), 1.5 * np.exp(-q)]) and np.allclose(hi, [1.2 * np.exp(q), 2.0 * np.exp(q)])
    with pytest.raises(ValueError, match="train_log_residuals"):
        PlateauBand().bounds(IntervalInputs(np.ones(1), np.ones(1), np.ones(1)), 0.9)
