"""The chained (two-step) prediction, `chain` / `chain_tasks`, and the checkpoint smoothing it uses."""

import warnings

import jax
import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale._chain import ChainStep, _lane_datasets, _run_counts, chain, chain_tasks
from jaxscale._checkpoints import final_checkpoints, moving_average, smooth_checkpoints


def _ladder(seed=0):
    """A synthetic ladder: 8 runs, 6 checkpoints each, task loss from a Chinchilla law, accuracy a sigmoid of it."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, (n, mult) in enumerate([(n, m) for n in (1e8, 2e8, 4e8, 8e8) for m in (20.0, 60.0)]):
        for step in range(1, 7):
            d = n * mult * step / 6
            bpb = 0.6 + 400 / n**0.3 + 900 / d**0.3
            acc = 0.25 + 0.6 / (1 + np.exp(3 * (bpb - 2.0))) + rng.normal(0, 0.003)
            rows.append({"run": f"r{i}", "step": step, "N": n, "D": d, "bpb": bpb * (1 + rng.normal(0, 0.002)), "acc": acc})
    return pd.DataFrame(rows)


def _steps(frame, **step2):
    finals = final_checkpoints(frame.dropna(subset=["run"]), ["bpb", "acc"], last=2)
    step2 = {"target": "acc", "inputs": {"L": "bpb"}, "loss": js.Squared()} | step2
    return ChainStep(js.Chinchilla, finals, target="bpb"), ChainStep(js.laws.SigmoidTaskLoss, frame, **step2)


def test_moving_average_is_expanding_then_trailing():
    assert np.allclose(moving_average([1.0, 3.0, 5.0, 7.0, 9.0], 3), [1.0, 2.0, 3.0, 5.0, 7.0])


def test_smoothing_skips_the_first_part_of_each_run_and_final_means_the_last_k():
    frame = _ladder()
    smoothed = smooth_checkpoints(frame, ["bpb", "acc"], skip_fraction=0.1, window=5)
    assert len(smoothed) == 8 * 5  # ceil(0.1 * 6) = 1 row dropped per run
    run0 = frame[frame["run"] == "r0"].sort_values("step")
    assert smoothed.loc[smoothed["run"] == "r0", "acc"].iloc[-1] == pytest.approx(run0["acc"].iloc[1:].mean())
    finals = final_checkpoints(frame.sample(frac=1.0, random_state=1), "bpb", last=3)  # order restored by step
    assert finals.loc[finals["run"] == "r0", "bpb"].item() == pytest.approx(run0["bpb"].iloc[-3:].mean())
    assert (finals["step"] == 6).all()


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_chain_predicts_through_both_steps_with_intervals_and_extrapolation():
    frame = _ladder()
    result = chain(*_steps(frame), n_bootstrap=40, seed=3)
    target = pd.DataFrame({"N": [3.2e9], "D": [3.2e9 * 20]})
    out = result.predict(target, level=0.9)
    row = out.iloc[0]
    # step 2 evaluated at step 1's prediction
    assert row["prediction"] == pytest.approx(float(result.step2.law.predict({"L": [row["intermediate"]]})[0]))
    assert row["lo"] < row["prediction"] < row["hi"] and row["intermediate_lo"] < row["intermediate"] < row["intermediate_hi"]
    truth = 0.25 + 0.6 / (1 + np.exp(3 * (0.6 + 400 / 3.2e9**0.3 + 900 / (6.4e10) ** 0.3 - 2.0)))
    assert abs(row["prediction"] - truth) < 0.03
    assert row["extrapolation_N"] == pytest.approx(4.0) and row["extrapolation_D"] == pytest.approx(6.4e10 / (8e8 * 60))
    assert result.n_resamples == 40 and result.ok.all() and result.n_runs == 8
    assert set(result.summary().index.get_level_values("step")) == {"step1", "step2"}
    assert len(result.to_frame()) == 40 and "ChainResult" in repr(result)


def test_chain_tasks_draws_the_same_runs_for_every_task():
    frame = _ladder()
    frame["bpb2"], frame["acc2"] = frame["bpb"], frame["acc"]
    one = _steps(frame)
    two = (ChainStep(js.Chinchilla, final_checkpoints(frame, ["bpb2"], last=2), target="bpb2"),
           ChainStep(js.laws.SigmoidTaskLoss, frame, target="acc2", inputs={"L": "bpb2"}, loss=js.Squared()))
    results = chain_tasks({"a": one, "b": two}, n_bootstrap=24, seed=5)
    a, b = (results[t].predict(pd.DataFrame({"N": [1.6e9], "D": [3.2e10]})) for t in "ab")
    assert np.allclose(a[["lo", "hi"]].to_numpy(), b[["lo", "hi"]].to_numpy(), rtol=1e-5)  # same data, same draws


def test_rows_without_a_run_keep_their_weight():
    # The anchor must agree with the data's law: an anchor at acc = 1 where the ladder's ceiling is 0.85 pins
    # `ceiling` on its bound (a correct FitWarning, which the test run turns into an error).
    frame = _ladder()
    at_zero = 0.25 + 0.6 / (1 + np.exp(-3 * 2.0))
    anchored = pd.concat([frame, pd.DataFrame({"bpb": [0.0], "acc": [at_zero], "run": [np.nan]})], ignore_index=True)
    result = chain(*_steps(anchored), n_bootstrap=8)
    assert result.n_runs == 8 and result.ok.all()  # the anchor is not a run
    assert result.step2.law.ceiling == pytest.approx(0.85, abs=0.01)
    # A lane's weights: its run's count in the resample, 1 for a row without a run (index -1), times the row's own weight.
    dataset = result.step2.dataset
    stacked = jax.tree_util.tree_map(lambda a: a[None], dataset)
    rows = np.where(anchored["run"].isna(), -1, anchored["run"].str[1:].astype(float)).astype(int)[None]
    key = jax.random.key(0)
    lanes = _lane_datasets(stacked, rows, key, np.array([0, 0]), np.array([3, 7]), 8)
    counts = np.asarray(_run_counts(key, np.array([3, 7]), 8))
    expected = np.where(rows[0] >= 0, counts[:, np.maximum(rows[0], 0)], 1.0) * np.asarray(dataset.weights)
    assert np.allclose(np.asarray(lanes.weights), expected) and np.all(np.asarray(lanes.weights)[:, -1] == 1.0)


# Bad input: every one a ValueError before anything compiles.

def test_a_task_missing_from_the_data_is_named():
    frame = _ladder()
    with pytest.raises(ValueError, match="'acc_mmlu' is not in its data"):
        chain(*_steps(frame, target="acc_mmlu"), n_bootstrap=0)


def test_step_one_must_feed_step_two():
    frame = _ladder()
    frame["c4_loss"] = frame["bpb"]
    with pytest.raises(ValueError, match="does not read step 1's output"):
        chain(*_steps(frame, inputs={"L": "c4_loss"}), n_bootstrap=0)


def test_smoothing_that_leaves_a_run_empty():
    with pytest.raises(ValueError, match="leaves run 'r0' with no checkpoints"):
        smooth_checkpoints(_ladder(), "acc", skip_fraction=1.0)
    with pytest.raises(ValueError, match="window"):
        smooth_checkpoints(_ladder(), "acc", window=0)


def test_accuracies_outside_zero_one():
    frame = _ladder()
    frame["acc"] = 100 * frame["acc"]
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        chain(*_steps(frame), n_bootstrap=0)


def test_bad_options():
    frame = _ladder()
    with pytest.raises(ValueError, match="n_bootstrap"):
        chain(*_steps(frame), n_bootstrap=-1)
    with pytest.raises(ValueError, match="run"):
        chain(*_steps(frame), run="model")
    with pytest.raises(TypeError, match="ChainStep"):
        chain("chinchilla", _steps(frame)[1])


# The command line: `jaxscale downstream olmo_ladder --task <task> --target 13B`.

def _main(argv):
    from jaxscale.cli import main

    return main(argv)


@pytest.mark.slow
def test_cli_prints_the_chained_prediction_and_plots_both_steps(tmp_path, capsys):
    out, plot = tmp_path / "mmlu.csv", tmp_path / "mmlu.png"
    assert _main(["downstream", "olmo_ladder", "--task", "mmlu", "--target", "13B", "-n", "50", "--out", str(out), "--plot", str(plot)]) == 0
    printed = capsys.readouterr().out
    assert "13B-5T" in printed and "predicted accuracy" in printed and "extrapolation: 10.3x the largest N" in printed
    table = pd.read_csv(out)
    row = table.iloc[0]
    assert row["lo"] <= row["prediction"] <= row["hi"] and abs(row["prediction"] - row["actual_acc"]) / row["actual_acc"] < 0.05
    assert plot.stat().st_size > 10_000


def test_cli_refuses_an_unknown_task_or_target_before_fitting(capsys):
    assert _main(["downstream", "olmo_ladder", "--task", "mmlu_pro", "--target", "13B"]) == 2
    assert "is not a task of the OLMo ladder" in capsys.readouterr().err
    assert _main(["downstream", "olmo_ladder", "--task", "mmlu", "--target", "70B"]) == 2
    assert "--target '70B'" in capsys.readouterr().err
    assert _main(["downstream", "olmo_ladder", "--task", "mmlu", "--plot", "figure.xyz"]) == 2


@pytest.mark.slow  # two NUTS runs
def test_the_posterior_chain_carries_both_steps_draws_and_agrees_with_the_bootstrap():
    N = np.repeat([1e8, 2e8, 4e8, 8e8], 3)
    D = N * np.tile([20.0, 40.0, 80.0], 4)
    rng = np.random.default_rng(0)
    runs = pd.DataFrame({"run": np.arange(12), "N": N, "D": D, "bpb": (0.6 + 400 / N**0.3 + 900 / D**0.3) * np.exp(0.003 * rng.standard_normal(12))})
    runs["acc"] = 0.25 + 0.6 / (1 + np.exp(6 * (runs["bpb"] - 1.2))) + 0.005 * rng.standard_normal(12)
    first = js.ChainStep(js.Chinchilla, runs, target="bpb")
    second = js.ChainStep(js.laws.SigmoidTaskLoss, runs, target="acc", inputs={"L": "bpb"}, loss=js.Squared())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        posterior = js.chain(first, second, method="posterior", infer_options={"n_samples": 200, "n_warmup": 200, "n_chains": 2})
        boot = js.chain(first, second, n_bootstrap=200)
    target = pd.DataFrame({"N": [3.2e9], "D": [6.4e10]})
    a, b = posterior.predict(target).iloc[0], boot.predict(target).iloc[0]
    assert posterior.n_resamples == 400 and a["lo"] < a["prediction"] < a["hi"]
    assert a["prediction"] == pytest.approx(b["prediction"]) and abs(a["lo"] - b["lo"]) < 0.1 and abs(a["hi"] - b["hi"]) < 0.1
    with pytest.raises(ValueError, match="method must be"):
        js.chain(first, second, method="laplace")
    with pytest.raises(ValueError, match="infer_options"):
        js.chain(first, second, infer_options={"n_samples": 10})
