"""`PlateauIntersection`: the band and the envelope intersected, each at half the miss rate (Bonferroni)."""

import numpy as np

from jaxscale.intervals import IntervalInputs, PlateauBand, PlateauEnvelope, PlateauIntersection, resolve_methods


def _inputs(prediction, plateau, residuals, errors):
    n = len(prediction)
    return IntervalInputs(
        np.asarray(prediction, float), np.log(np.full(n, 4.0)), np.asarray(plateau, float), train_log_residuals=np.asarray(residuals, float),
        inner_log_errors=np.asarray(errors, float), inner_log_distances=np.full(len(errors), np.log(2.0)),
    )


def test_it_is_the_intersection_of_band_and_envelope_each_at_one_minus_half_the_miss_rate():
    rng = np.random.default_rng(0)
    inputs = _inputs([1.0, 1.1], [1.3, 1.2], rng.normal(0, 0.02, 30), rng.normal(0.02, 0.05, 40))
    lo, hi = PlateauIntersection().bounds(inputs, 0.9)
    band, envelope = PlateauBand().bounds(inputs, 0.95), PlateauEnvelope().bounds(inputs, 0.95)
    assert np.allclose(lo, np.maximum(band[0], envelope[0])) and np.allclose(hi, np.minimum(band[1], envelope[1]))
    # Never wider than either component at the split level; at the first point the envelope caps the upper end
    # at the plateau itself (the band adds a noise margin above it).
    assert (hi - lo <= band[1] - band[0] + 1e-12).all() and (hi - lo <= envelope[1] - envelope[0] + 1e-12).all()
    assert hi[0] == 1.3 < band[1][0]
    assert [m.name for m in resolve_methods("plateau_intersection")] == ["plateau_intersection"]


def test_it_always_contains_the_prediction():
    rng = np.random.default_rng(1)
    for _ in range(20):
        prediction = rng.uniform(0.5, 2.0, 3)
        inputs = _inputs(prediction, prediction * rng.uniform(0.8, 1.5, 3), rng.normal(0, 0.05, 12), rng.normal(0, 0.3, 15))
        lo, hi = PlateauIntersection().bounds(inputs, float(rng.uniform(0.5, 0.99)))
        assert (lo <= prediction).all() and (prediction <= hi).all()
