"""`jaxscale curves fit` and `jaxscale curves predict`: schedule-aware laws from the command line."""

import argparse
import warnings

import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale import schedules as S
from jaxscale.cli import _common
from jaxscale.cli._curves import add, parse_schedule


def cli(argv):
    """The curves command as `jaxscale` runs it (output paths checked first), raising instead of exiting."""
    parser = argparse.ArgumentParser(prog="jaxscale")
    add(parser.add_subparsers(dest="command", required=True), _common.parents())
    args = parser.parse_args(argv)
    for flag in args.outputs:
        _common.check_output(getattr(args, flag, None), f"--{flag}", figure=flag == "plot")
    return args.run(args)


PEAK, WARMUP, TOTAL = 1e-3, 100, 3000
SPECS = {
    "constant": f"constant:peak={PEAK},total={TOTAL},warmup={WARMUP}",
    "cosine": f"cosine:peak={PEAK},final={PEAK / 10},total={TOTAL},warmup={WARMUP}",
    "wsd": f"wsd:peak={PEAK},final={PEAK / 20},decay_fraction=0.3,total={TOTAL},warmup={WARMUP}",
    "held": f"wsd:peak={PEAK},final={PEAK / 100},decay_fraction=0.5,shape=sqrt,total={TOTAL},warmup={WARMUP}",
}
TRUTH = js.laws.LRAnnealing(L0=2.8, A=0.6, alpha=0.45, C=0.6, lam=0.999)


@pytest.fixture(scope="module")
def curves_csv(tmp_path_factory):
    """Four synthetic runs of the LR-annealing law, each row naming its schedule by a spec."""
    steps = np.arange(WARMUP + 100, TOTAL, 100)
    frame = pd.concat([pd.DataFrame({"run": name, "schedule": spec, "step": steps}) for name, spec in SPECS.items()], ignore_index=True)
    x = S.curve_inputs(frame, {spec: parse_schedule(spec, {}) for spec in SPECS.values()}, curve="run", key="schedule")
    frame["loss"] = TRUTH.predict(x) * np.exp(1e-4 * np.random.default_rng(0).standard_normal(len(x)))
    path = tmp_path_factory.mktemp("curves") / "runs.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_fit_scores_a_held_out_schedule_of_a_csv(curves_csv, tmp_path, capsys):
    out = tmp_path / "fit.csv"
    assert cli(["curves", "fit", str(curves_csv), "--law", "lr_annealing", "--hold-out", "held", "--n-refine", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "3 fit curves" in text and "1 held out" in text and "held-out curves:" in text
    table = pd.read_csv(out)
    # Noise of 1e-4 (relative): the held-out schedule is predicted to well under 0.1%.
    assert table["PredE"].iloc[0] < 1e-3 and table["R2"].iloc[0] > 0.99
    assert table["L0"].iloc[0] == pytest.approx(2.8, abs=0.05)


def test_predict_gives_the_loss_of_an_unrun_schedule(curves_csv, tmp_path, capsys):
    out, plot = tmp_path / "curve.csv", tmp_path / "curve.png"
    held = "wsd:decay_fraction=0.5,final=1e-5,shape=sqrt"  # peak, warmup and total from the data's first schedule
    assert cli(["curves", "predict", str(curves_csv), "--law", "lr_annealing", "--hold-out", "held", "--schedule", held,
                "--steps", "500,2999", "-n", "0", "--n-refine", "2", "--out", str(out), "--plot", str(plot)]) == 0
    curve = pd.read_csv(out)
    truth = js.predict_curve(TRUTH, parse_schedule(SPECS["held"], {}), steps=[500, 2999]) if hasattr(js, "predict_curve") else None
    assert list(curve["step"]) == [500, 2999] and curve["lr"].iloc[-1] == pytest.approx(1e-5, rel=0.05)
    if truth is not None:
        np.testing.assert_allclose(curve["loss"], truth["loss"], rtol=1e-3)
    assert curve["loss"].iloc[1] < curve["loss"].iloc[0] - 0.1
    assert plot.stat().st_size > 10_000
    assert "WSD(total=3000, warmup=100, peak=0.001" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["--schedule", "step:total=10"], "the kind must be one of"),
    (["--schedule", "wsd:final=1e-5,total=24000"], "give decay_fraction"),
    (["--schedule", "wsd:decay_fraction=0.2,total=24000,colour=2"], "has no field ['colour']"),
    (["--schedule", "wsd:decay_fraction=x"], "with a number as the value"),
    (["--schedule", "constant:total=24000", "--steps", "0,100"], "--steps must lie in 1 .. 23999"),
    (["--schedule", "constant:total=24000", "--size", "7"], "--size '7' matches no rows"),
    (["--schedule", "constant:total=24000", "--law", "chinchilla"], "does not read a learning-rate schedule"),
    (["--schedule", "constant:total=24000", "--hold-out", "cosine_1"], "no such schedule"),
])
def test_bad_input_is_a_value_error_before_fitting(argv, message):
    with pytest.raises(ValueError, match=None) as error:
        cli(["curves", "predict", "multipower", *argv])
    assert message in str(error.value)


def test_a_csv_without_schedules_is_refused(tmp_path):
    path = tmp_path / "bare.csv"
    pd.DataFrame({"run": ["a", "a"], "step": [1, 2], "loss": [3.0, 2.9]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="needs a 'schedule' column of specs"):
        cli(["curves", "fit", str(path)])


def test_a_bad_plot_path_is_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="--plot"):
        cli(["curves", "fit", "multipower", "--plot", str(tmp_path / "missing" / "fit.png")])


@pytest.mark.slow
def test_fit_multipower_per_size_scores_the_paper_split(tmp_path, capsys):
    """Luo et al. 2025's split: fit on cosine_24000, constant_24000 and wsdcon_9 per size, score the other six."""
    out = tmp_path / "fit.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cli(["curves", "fit", "multipower", "--law", "multi_power", "--by", "size", "--n-refine", "2", "--out", str(out),
                    "--plot", str(tmp_path / "fit.png")]) == 0
    table = pd.read_csv(out).set_index("size")
    assert sorted(table.index) == ["100M", "25M", "400M"]
    # The paper's held-out curves are predicted to about 0.2-0.3% mean relative error (PredE) per size.
    assert np.all(table["PredE"] < 5e-3) and np.all(table["R2"] > 0.99)
    assert "held-out curves:" in capsys.readouterr().out


@pytest.mark.slow
def test_predict_multipower_with_a_bootstrap_band(tmp_path):
    out = tmp_path / "curve.csv"
    assert cli(["curves", "predict", "multipower", "--law", "multi_power", "--size", "400",
                "--schedule", "wsd:decay_fraction=0.2,final=3e-5,total=24000", "-n", "8", "--n-refine", "2", "--out", str(out)]) == 0
    curve = pd.read_csv(out)
    assert list(curve.columns) == ["step", "lr", "loss", "lo", "hi"] and curve["step"].iloc[-1] == 23999
    assert np.all(curve["lo"] <= curve["loss"] + 1e-9) and np.all(curve["loss"] <= curve["hi"] + 1e-9)
    # The decay lowers the loss: the last step is well below the last constant-LR step (19631).
    assert curve["loss"].iloc[-1] < curve["loss"].iloc[-2] - 0.05
    assert 2.6 < curve["loss"].iloc[-1] < 2.8


def test_the_command_is_registered_in_main(capsys):
    from jaxscale import cli as package

    assert package.main(["curves", "predict", "multipower", "--schedule", "step:total=10"]) == 2
    assert "the kind must be one of" in capsys.readouterr().err
