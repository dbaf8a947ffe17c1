"""Schedule-aware laws fitted to whole loss curves, predicted for schedules not run, and a schedule chosen by
gradient; Kaplan's L(N, S) and the Step Law recovered from synthetic data."""

import warnings

import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale import schedules as S

try:
    from jaxscale import choose_schedule, predict_curve
except ImportError:  # until the root face exports them
    from jaxscale._curve_prediction import predict_curve
    from jaxscale._schedule_choice import choose_schedule

PEAK, TOTAL, WARMUP = 1e-3, 6000, 200
RUNS = {
    "constant": S.Constant(peak=PEAK, total=TOTAL, warmup=WARMUP),
    "cosine": S.Cosine(peak=PEAK, final=PEAK / 10, total=TOTAL, warmup=WARMUP),
    "wsd": S.WSD(peak=PEAK, final=PEAK / 20, decay_fraction=0.25, total=TOTAL, warmup=WARMUP),
    "two_stage": S.TwoStage(first=PEAK, second=PEAK / 5, switch=3000, total=TOTAL, warmup=WARMUP),
}
HELD_OUT = S.WSD(peak=PEAK, final=PEAK / 100, decay_fraction=0.4, shape="sqrt", total=TOTAL, warmup=WARMUP)
MPL = js.laws.MultiPowerLaw(L0=2.8, A=0.6, alpha=0.45, B=400.0, C=2.0, beta=0.5, gamma=0.5)


def _synthetic(law, noise=2e-4, seed=0):
    steps = np.arange(WARMUP + 100, TOTAL, 100)
    frame = pd.concat([pd.DataFrame({"run": name, "step": steps}) for name in RUNS], ignore_index=True)
    x = S.curve_inputs(frame, RUNS, curve="run")
    clean = law.predict(x)
    x["loss"] = clean * np.exp(noise * np.random.default_rng(seed).standard_normal(len(x)))
    return x


@pytest.fixture(scope="module")
def mpl_fit():
    data = _synthetic(MPL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        return js.fit(js.laws.MultiPowerLaw, data, n_refine=4), data


def test_the_multi_power_law_recovers_a_held_out_schedule_from_four_runs(mpl_fit):
    result, _ = mpl_fit
    assert abs(float(result.law.L0) - 2.8) < 0.1 and abs(float(result.law.alpha) - 0.45) < 0.08
    truth, fitted = predict_curve(MPL, HELD_OUT), predict_curve(result, HELD_OUT)
    assert np.max(np.abs(fitted["loss"] - truth["loss"]) / truth["loss"]) < 2e-3
    # The decay lowers the loss: the held-out curve ends below the constant run's end.
    assert fitted["loss"].iloc[-1] < predict_curve(MPL, RUNS["constant"], steps=[TOTAL - 1])["loss"].iloc[0] - 0.01


@pytest.mark.slow
def test_predict_curve_gives_a_bootstrap_band_around_the_prediction(mpl_fit):
    result, _ = mpl_fit
    boot = js.bootstrap(result, n=16, seed=0)
    curve = predict_curve(boot, HELD_OUT, steps=np.arange(1000, TOTAL, 500))
    assert list(curve.columns) == ["step", "lr", "loss", "lo", "hi"]
    assert np.all(curve["lo"] <= curve["loss"] + 1e-9) and np.all(curve["loss"] <= curve["hi"] + 1e-9)
    assert np.all(curve["hi"] - curve["lo"] < 0.02)


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_choose_schedule_beats_every_run_schedule_and_finds_the_grid_optimum():
    family = S.WSD(peak=PEAK, final=PEAK / 20, decay_fraction=0.25, total=TOTAL, warmup=WARMUP)
    choice = choose_schedule(MPL, family, {"decay_fraction": (0.02, 0.98), "final": (1e-6, PEAK)}, baselines=RUNS, steps=100)
    assert choice.final_loss < min(choice.baselines.values())
    # A brute-force grid over the decay fraction at the chosen final LR (one knot per step: exact) finds nothing lower.
    grid = [S.WSD(peak=PEAK, final=choice.values["final"], decay_fraction=f, total=TOTAL, warmup=WARMUP) for f in np.linspace(0.05, 0.95, 19)]
    losses = [predict_curve(MPL, s, steps=[TOTAL - 1], n_knots=TOTAL)["loss"].iloc[0] for s in grid]
    assert min(losses) - 2e-4 < choice.final_loss <= min(losses) + 1e-5
    assert "decay_fraction" in choice.to_frame().index and "WSD" in repr(choice)


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_the_lr_annealing_law_recovers_its_parameters():
    truth = js.laws.LRAnnealing(L0=2.8, A=0.6, alpha=0.45, C=0.6, lam=0.999)
    data = _synthetic(truth, noise=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        law = js.fit("lr_annealing", data, n_refine=4).law
    for name, rtol in (("L0", 0.02), ("alpha", 0.1), ("C", 0.1), ("lam", 3e-4)):
        assert abs(float(getattr(law, name)) / float(getattr(truth, name)) - 1) < rtol, name


@pytest.mark.slow
def test_rows_stay_the_unit_one_fit_per_group_with_by():
    data = pd.concat([_synthetic(MPL).assign(size="a"), _synthetic(MPL.__class__(**{**_params(MPL), "L0": 3.0})).assign(size="b")], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        result = js.fit(js.laws.LRAnnealing, data, by="size", n_refine=2)
    l0 = result.to_frame()["L0"].to_numpy()
    assert l0[1] - l0[0] == pytest.approx(0.2, abs=0.05)


def _params(law):
    return {n: float(getattr(law, n)) for n in law.parameter_names()}


@pytest.mark.slow
def test_kaplan_steps_recovers_its_parameters_and_the_critical_batch_slows_training():
    truth = js.laws.KaplanSteps.published()
    n, s, b = (a.ravel() for a in np.meshgrid(np.geomspace(1e6, 1e9, 6), np.geomspace(2e3, 2e5, 6), np.geomspace(3e4, 3e7, 5)))
    loss = truth.predict({"N": n, "S": s, "B": b}) * np.exp(5e-4 * np.random.default_rng(0).standard_normal(len(n)))
    # Fixed point: the loss solves L = f(L) (a small batch needs more steps for the same loss).
    assert np.all(np.diff(truth.predict({"N": [1e8] * 3, "S": [1e4] * 3, "B": [1e9, 1e6, 1e5]})) > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        law = js.fit("kaplan_steps", pd.DataFrame({"N": n, "S": s, "B": b, "loss": loss})).law
    for name in ("alpha_S", "alpha_B", "alpha_N"):
        assert abs(float(getattr(law, name)) / float(getattr(truth, name)) - 1) < 0.15, name


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_the_step_law_is_refitted_from_its_own_predictions():
    """Li et al. 2025, Eq. 1: eta_opt = 1.79 N^-0.713 D^0.307, B_opt = 0.58 D^0.571."""
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(6e7, 1e9, 5), np.geomspace(2e9, 1e11, 5)))
    noise = np.exp(0.02 * np.random.default_rng(1).standard_normal(len(n)))
    lr = js.laws.StepLawLR.published().predict({"N": n, "D": d}) * noise
    law = js.fit("step_law_lr", {"N": n, "D": d, "loss": lr}).law
    assert abs(float(law.a) + 0.713) < 0.05 and abs(float(law.b) - 0.307) < 0.05
    batch = js.laws.StepLawBatch.published().predict({"D": d}) * noise
    assert abs(float(js.fit("step_law_batch", {"D": d, "loss": batch}).law.b) - 0.571) < 0.03


@pytest.mark.slow
def test_the_paper_split_predicts_held_out_schedules_within_half_a_percent():
    """Luo et al. 2025's protocol: fit per size on cosine_24000, constant_24000, wsdcon_9; predict the other six."""
    df = js.datasets.load("multipower")
    x = S.curve_inputs(df[df["size"] == "400M"], js.datasets.multipower_schedules(), curve="run", key="schedule")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        result = js.fit(js.laws.MultiPowerLaw, x[x["split"] == "fit"], loss=js.LogHuber(1e-3))
    test = x[x["split"] == "test"]
    assert np.mean(np.abs(result.predict(test) - test["loss"]) / test["loss"]) < 5e-3
