"""Chinchilla Approaches 1 and 2 (`jaxscale.isoflop`).

Reference exponents: Porian et al. 2024, "Resolving Discrepancies in Compute-Optimal Scaling of Language
Models" (NeurIPS 2024, arXiv:2406.19146), their released analysis summaries (github.com/formll/resolving-scaling-
law-discrepancies, commit 0dc60d9, MIT), column `basic.n_exponent` of the per-configuration fits: N_opt ∝ C^a.
Their optima come from Akima-interpolated isoFLOP curves with a seed-noise bootstrap (estimator="interpolate");
the parabolas of Hoffmann et al. agree only roughly.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.interpolate

import jaxscale as js
from jaxscale.isoflop._akima import akima_evaluate, akima_slopes

PORIAN_A = {
    "rw/base/long/kaplan/kaplan/train": 0.8338,
    "rw/base/long/kaplan/standard/val": 0.7009,
    "rw/base/short/kaplan/standard/val": 0.6035,
    "rw/base/short/chinchilla/standard/val": 0.5714,
    "rw/tuned/short/const/standard/val": 0.4970,
    "rw/base/long/kaplan/attention/train": 0.7159,
    "rw/base/short/kaplan/attention/train": 0.6240,
    "rw/base/short/chinchilla/attention/train": 0.5778,
    "rw/tuned/short/const/attention/train": 0.5041,
    "rw/tuned/long/const/kaplan/train": 0.7081,
    "owt2/base/long/kaplan/kaplan/train": 0.8700,
    "owt2/base/long/kaplan/standard/val": 0.7000,
    "owt2/base/short/kaplan/standard/val": 0.6016,
    "owt2/base/short/chinchilla/standard/val": 0.5689,
    "owt2/tuned/short/const/standard/val": 0.5184,
}
LAW = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
TRUE_A = 0.36718 / (0.34731 + 0.36718)  # N_opt ∝ C^(beta / (alpha + beta)) for C = 6 N D


def isoflop_grid(budgets, n_sizes=9, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for c in budgets:
        n_opt = 0.6 * (c / 6) ** TRUE_A  # roughly centred on the optimum
        for n in n_opt * np.geomspace(0.1, 10, n_sizes):
            rows.append({"C": c, "N": n, "D": c / (6 * n)})
    frame = pd.DataFrame(rows)
    loss = np.asarray(LAW.predict(frame))
    return frame.assign(loss=loss * np.exp(noise * rng.standard_normal(len(frame))))


def test_approach_2_recovers_the_chinchilla_exponent():
    result = js.isoflop.profiles(isoflop_grid(np.geomspace(1e18, 1e22, 9), n_sizes=15), n_bootstrap=50)
    row = result.to_frame().iloc[0]
    # A parabola in log N is an approximation of the isoFLOP profile, so a is recovered to about 1%.
    assert row["a"] == pytest.approx(TRUE_A, abs=0.01)
    assert row["b"] == pytest.approx(1 - TRUE_A, abs=0.01)
    assert len(result.optima) == 9


def test_approach_2_interval_covers_the_truth_under_noise():
    row = js.isoflop.profiles(isoflop_grid(np.geomspace(1e18, 1e22, 9), noise=0.003), n_bootstrap=300).to_frame().iloc[0]
    assert row["a_lo"] < TRUE_A < row["a_hi"]
    assert row["a_hi"] - row["a_lo"] < 0.2


def test_approach_1_envelope_of_training_curves():
    rows = []
    for n in np.geomspace(1e7, 1e10, 16):
        for d in np.geomspace(1e8, 1e12, 60):
            rows.append({"N": n, "D": d, "C": 6 * n * d})
    curves = pd.DataFrame(rows)
    curves["loss"] = np.asarray(LAW.predict(curves))
    curves = curves[(curves["C"] > 1e18) & (curves["C"] < 1e21)]
    row = js.isoflop.envelope(curves, n_bins=12, n_bootstrap=100).to_frame().iloc[0]
    # The envelope picks among 16 discrete sizes, so the exponent is coarse.
    assert row["a"] == pytest.approx(TRUE_A, abs=0.08)


def test_porian_configurations_match_their_published_exponents():
    # The parabola has no minimum inside the sizes run at 21 small budgets: each is named, none silently dropped.
    with pytest.warns(js.FitWarning, match=r"21 budget\(s\) left out.*config='rw/base/long/kaplan/kaplan/train', C=1.25e\+16") as caught:
        result = js.isoflop.profiles(js.datasets.load("porian_isoflop"), by="config", n_bootstrap=200)
    assert len(caught) == 1
    assert (~result.optima["used"]).sum() == 21 and (result.optima["reason"] != "").sum() == 21
    frame = result.to_frame().set_index("config")
    difference = np.abs(frame["a"] - pd.Series(PORIAN_A))
    assert len(frame) == 15
    assert difference.median() < 0.03 and difference.max() < 0.1
    assert (frame["n_resamples_used"] > 150).all()


def test_budget_with_fewer_than_three_sizes_is_refused():
    frame = isoflop_grid([1e19, 1e20])
    frame = frame[(frame["C"] == 1e19) | (frame.groupby("C").cumcount() < 2)]
    with pytest.raises(ValueError, match=r"budget C=1e\+20 has only 2 distinct N values"):
        js.isoflop.profiles(frame)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"n_bootstrap": 0}, "n_bootstrap must be a positive integer"), ({"by": "family"}, r"by column\(s\) \['family'\]"), ({"level": 1.5}, "level")],
)
def test_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        js.isoflop.profiles(isoflop_grid([1e19, 1e20]), **kwargs)


def test_non_positive_size_is_refused():
    frame = isoflop_grid([1e19, 1e20])
    frame.loc[3, "N"] = 0.0
    with pytest.raises(ValueError, match="column 'N' has 1 rows <= 0"):
        js.isoflop.profiles(frame)


# Porian et al. 2024, Figure 1 and Table 2 ("Resolving Discrepancies in Compute-Optimal Scaling of Language
# Models", arXiv:2406.19146): the exponent a of N* ∝ C^a reproducing Kaplan et al.'s setup (non-embedding
# parameters and FLOPs, long warmup, Kaplan's decay, training loss) and with all their fixes (tuned AdamW, short
# warmup, constant learning rate, validation loss), on RefinedWeb and OpenWebText2.
PORIAN_HEADLINE = {
    "rw/base/long/kaplan/kaplan/train": 0.834,
    "owt2/base/long/kaplan/kaplan/train": 0.870,
    "rw/tuned/short/const/standard/val": 0.497,
    "owt2/tuned/short/const/standard/val": 0.518,
}
# Their seed-noise standard deviations (configs.py of their repository): 0.002 on RefinedWeb, 0.01 on OpenWebText2.
PORIAN_SEED_NOISE = {"rw": 0.002, "owt2": 0.01}


def porian_runs(configs):
    data = js.datasets.load("porian_isoflop")
    data = data[data["config"].isin(list(configs))]
    return data.assign(seed_noise=data["config"].str.split("/").str[0].map(PORIAN_SEED_NOISE))


def test_interpolating_estimator_gives_porian_et_al_headline_exponents():
    data = porian_runs(PORIAN_HEADLINE)
    # Every budget of these four has an interior optimum, as in Porian et al.'s fits (a FitWarning would fail here).
    result = js.isoflop.profiles(data, by="config", estimator="interpolate", seed_noise="seed_noise", n_bootstrap=1000)
    frame = result.to_frame().set_index("config")
    for config, published in PORIAN_HEADLINE.items():
        assert frame.loc[config, "a"] == pytest.approx(published, abs=0.02), config
        assert frame.loc[config, "a_lo"] < published < frame.loc[config, "a_hi"], config
    assert result.optima["used"].all() and (frame["n_resamples_used"] > 750).all()
    assert result.method == "approach 2 (interpolated isoFLOP profiles, seed-noise bootstrap)"


def test_akima_matches_scipy_on_rows_of_different_lengths():
    rng = np.random.default_rng(1)
    n_points, width = np.array([3, 5, 8, 4]), 8
    x, y = np.zeros((4, width)), np.zeros((2, 4, width))
    for b, n in enumerate(n_points):
        x[b] = np.pad(np.sort(rng.uniform(0, 5, n)), (0, width - n), mode="edge")
        y[:, b] = np.pad(rng.normal(size=(2, n)), ((0, 0), (0, width - n)), mode="edge")
    grid = np.stack([np.linspace(x[b, 0], x[b, n - 1], 50) for b, n in enumerate(n_points)])
    ours = akima_evaluate(x, y, akima_slopes(x, y, n_points), grid, n_points)
    for b, n in enumerate(n_points):
        for s in range(2):
            np.testing.assert_allclose(ours[s, b], scipy.interpolate.Akima1DInterpolator(x[b, :n], y[s, b, :n])(grid[b]), atol=1e-12)


def skewed_grid(budgets, n_sizes=15, noise=0.0, seed=0):
    """Sizes spanning 400x, with the true optimum drifting from near the smallest size to mid-grid as C grows."""
    alpha, beta = 0.34731, 0.36718
    scale = (alpha * 477.8 / (beta * 2143.9)) ** (1 / (alpha + beta))  # N_opt = scale (C/6)^a for this law
    rows = []
    for c, shift in zip(budgets, np.linspace(0.25, 0.04, len(budgets))):
        for n in scale * (c / 6) ** TRUE_A * shift * np.geomspace(1, 400, n_sizes):
            rows.append({"C": c, "N": n, "D": c / (6 * n)})
    frame = pd.DataFrame(rows)
    loss = np.asarray(LAW.predict(frame)) * np.exp(noise * np.random.default_rng(seed).standard_normal(len(frame)))
    return frame.assign(loss=loss)


def test_window_estimator_is_not_pulled_by_a_skewed_profile():
    data = skewed_grid(np.geomspace(1e18, 1e22, 9))
    parabola = js.isoflop.profiles(data, n_bootstrap=200).to_frame().iloc[0]
    window = js.isoflop.profiles(data, estimator="window", n_bootstrap=200)
    row = window.to_frame().iloc[0]
    # A parabola over 400x of sizes misses the exponent (its interval too); five sizes around the best do not.
    assert abs(parabola["a"] - TRUE_A) > 0.01 and not parabola["a_lo"] < TRUE_A < parabola["a_hi"]
    assert row["a"] == pytest.approx(TRUE_A, abs=0.002) and row["b"] == pytest.approx(1 - TRUE_A, abs=0.002)
    assert row["a_lo"] <= TRUE_A <= row["a_hi"]
    assert "5 sizes around each best run" in window.method and window.optima["used"].all()
    wider = js.isoflop.profiles(data, estimator="window", window=7, n_bootstrap=50).to_frame().iloc[0]
    assert "7 sizes" in js.isoflop.profiles(data, estimator="window", window=7, n_bootstrap=5).method
    assert abs(wider["a"] - TRUE_A) < abs(parabola["a"] - TRUE_A)


def test_interpolating_estimator_recovers_the_chinchilla_exponent():
    row = js.isoflop.profiles(
        isoflop_grid(np.geomspace(1e18, 1e22, 9), n_sizes=15), estimator="interpolate", seed_noise=0.001, n_bootstrap=200
    ).to_frame().iloc[0]
    assert row["a"] == pytest.approx(TRUE_A, abs=0.005) and row["a_lo"] < TRUE_A < row["a_hi"]
    assert row["n_resamples_used"] == 200


@pytest.mark.parametrize("estimator, options", [("parabola", {}), ("window", {}), ("interpolate", {"seed_noise": 0.001})])
def test_budget_whose_optimum_is_below_its_sizes_is_named_and_left_out(estimator, options):
    data = isoflop_grid([1e18, 3e18, 1e19, 3e19, 1e20, 3e20, 1e21], n_sizes=15)
    # At C=1e20 run only the sizes above the optimum: that profile's minimum is at (or below) its smallest size.
    data = data[(data["C"] != 1e20) | (data.groupby("C").cumcount() >= 9)]
    with pytest.warns(js.FitWarning, match=r"1 budget\(s\) left out.*C=1e\+20 \(N: optimum below the smallest N") as caught:
        result = js.isoflop.profiles(data, estimator=estimator, n_bootstrap=50, **options)
    assert len(caught) == 1
    optima = result.optima.set_index("C")
    assert not optima.loc[1e20, "used"] and np.isnan(optima.loc[1e20, "N_opt"])
    assert "below the smallest N" in optima.loc[1e20, "reason"]
    assert optima.drop(index=1e20)["used"].all() and (optima.drop(index=1e20)["reason"] == "").all()
    assert result.to_frame()["n_points"].iloc[0] == 6
    assert result.to_frame()["a"].iloc[0] == pytest.approx(TRUE_A, abs=0.01)


def test_group_is_named_in_the_warning():
    data = isoflop_grid(np.geomspace(1e18, 1e21, 4), n_sizes=9)
    data = pd.concat([data.assign(variant="a"), data[data.groupby("C").cumcount() >= 5].assign(variant="b")])
    with pytest.warns(js.FitWarning, match=r"4 budget\(s\).*variant='b', C=1e\+18 \(N: optimum below"):
        result = js.isoflop.profiles(data, by="variant", estimator="window", n_bootstrap=20)
    assert result.optima.groupby("variant")["used"].sum().to_dict() == {"a": 4, "b": 0}


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"estimator": "spline"}, ValueError, r"estimator must be one of \('parabola', 'window', 'interpolate'\), got 'spline'"),
        ({"estimator": "window", "window": 2}, ValueError, "window must be an integer >= 3"),
        ({"estimator": "window", "window": 4.5}, ValueError, "window must be an integer >= 3"),
        ({"window": 5}, ValueError, "window= applies only to estimator='window'"),
        ({"estimator": "interpolate"}, ValueError, "estimator='interpolate' needs seed_noise="),
        ({"seed_noise": 0.01}, ValueError, "seed_noise= applies only to estimator='interpolate'"),
        ({"estimator": "interpolate", "seed_noise": -0.01}, ValueError, "seed_noise must be finite and >= 0"),
        ({"estimator": "interpolate", "seed_noise": "noise"}, ValueError, "seed_noise column 'noise' is missing"),
        ({"estimator": "interpolate", "seed_noise": [0.01]}, TypeError, "seed_noise must be a number, a column name"),
    ],
)
def test_bad_estimator_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        js.isoflop.profiles(isoflop_grid([1e19, 1e20]), **kwargs)


def test_interpolation_needs_a_positive_loss():
    frame = isoflop_grid([1e19, 1e20])
    frame.loc[2, "loss"] = -1.0
    with pytest.raises(ValueError, match="column 'loss' has 1 rows <= 0"):
        js.isoflop.profiles(frame, estimator="interpolate", seed_noise=0.01)
    js.isoflop.profiles(frame, n_bootstrap=5)  # a parabola takes no log of the loss


def test_seed_noise_may_be_a_function_of_the_loss_and_repeated_sizes_are_averaged():
    data = isoflop_grid(np.geomspace(1e18, 1e21, 4), n_sizes=11)
    twice = pd.concat([data, data])  # two "seeds" of every run, identical: the same optima as one
    once = js.isoflop.profiles(data, estimator="interpolate", seed_noise=lambda loss: 0.001 * loss, n_bootstrap=50, seed=3)
    doubled = js.isoflop.profiles(twice, estimator="interpolate", seed_noise=lambda loss: 0.001 * loss, n_bootstrap=50, seed=3)
    assert doubled.optima["N_opt"].to_numpy() == pytest.approx(once.optima["N_opt"].to_numpy(), rel=0.05)
