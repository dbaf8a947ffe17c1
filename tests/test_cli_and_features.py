import re

import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd
import pytest
import scipy.special

import jaxscale as js
from jaxscale.cli import main


def test_cli_fits_the_builtin_chinchilla_data(capsys, tmp_path):
    assert main(["fit", "chinchilla", "--plot", str(tmp_path / "fit.png")]) == 0
    out = capsys.readouterr().out
    assert "objective: 0.00101827" in out and "4500 screened" in out
    assert (tmp_path / "fit.png").stat().st_size > 10_000


def test_cli_fits_a_csv_with_mapped_columns(capsys, tmp_path):
    df = js.datasets.load("chinchilla", subset="epoch").rename(columns={"N": "params", "D": "tokens"})
    df.to_csv(tmp_path / "runs.csv", index=False)
    assert main(["fit", str(tmp_path / "runs.csv"), "--law", "chinchilla", "--input", "N=params", "--input", "D=tokens"]) == 0
    assert "objective: 0.00101827" in capsys.readouterr().out


def test_cli_reports_bad_input_without_a_traceback(capsys):
    assert main(["fit", "chinchilla", "--law", "nope"]) == 2
    assert "unknown law 'nope'" in capsys.readouterr().err


def test_log_huber_matches_scipy():
    r = np.linspace(-0.01, 0.01, 101)
    np.testing.assert_allclose(js.LogHuber(1e-3).penalty(jnp.asarray(r)), scipy.special.huber(1e-3, r), rtol=1e-12)


def test_user_defined_law_from_the_readme():
    class Exponential(js.AbstractLaw):
        inputs = ("t",)
        constraints = {"c": js.Positive(), "k": js.Positive(), "rate": js.Positive()}
        c: jnp.ndarray
        k: jnp.ndarray
        rate: jnp.ndarray

        def __call__(self, x):
            return self.c + self.k * jnp.exp(-self.rate * x["t"])

    t = np.linspace(0.5, 10.0, 30)
    df = pd.DataFrame({"t": t, "y": 0.5 + 2.0 * np.exp(-0.7 * t)})
    res = js.fit(Exponential, df, target="y", loss=js.Squared(), starts=js.starts.sobol(Exponential, 256, {"c": (0.1, 1), "k": (0.1, 10), "rate": (0.1, 3)}))
    assert float(res.law.rate) == pytest.approx(0.7, rel=1e-6)
    assert float(res.law.c) == pytest.approx(0.5, rel=1e-6)


# Noise-free data: objectives near 1e-16 make "restarts agree within rtol" meaningless, so that warning is off.
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
@pytest.mark.parametrize("optimizer", [optax.lbfgs(), optax.adam(0.05)], ids=["lbfgs", "adam"])
def test_optax_solvers_fit_a_power_law(optimizer):
    x = np.geomspace(1e3, 1e8, 30)
    df = pd.DataFrame({"x": x, "loss": 1.5 + 300.0 * x**-0.4})
    solver = js.solvers.OptaxSolver(optimizer, max_steps=3000, gtol=1e-7)
    res = js.fit(js.PowerLaw, df, loss=js.LogSquared(), solver=solver, n_refine=8)
    assert float(res.law.alpha) == pytest.approx(0.4, rel=1e-2)
    assert float(res.law.E) == pytest.approx(1.5, rel=1e-2)


def test_bounds_constrain_the_fit():
    df = js.datasets.load("chinchilla", subset="epoch")
    with pytest.warns(js.FitWarning, match="boundary"):
        res = js.fit(js.Chinchilla, df, bounds={"alpha": (0.1, 0.3)})
    assert 0.1 < float(res.law.alpha) <= 0.3


def test_cli_bootstrap_prints_standard_errors(capsys):
    assert main(["bootstrap", "chinchilla", "-n", "50", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "50 resamples (seed 1)" in out and "alpha" in out and "a = beta / (alpha + beta)" in out


def test_cli_isoflop_by_configuration(capsys):
    assert main(["isoflop", "porian_isoflop", "--by", "config", "-n", "50"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^warning: .*21 budget\(s\) left out", out, re.M)
    table = out.split("warning:")[0]
    assert "approach 2" in table and table.count("/val") + table.count("/train") == 15


def test_cli_fit_by_group(capsys, tmp_path):
    x = np.geomspace(1e3, 1e8, 15)
    df = pd.concat([pd.DataFrame({"family": f, "x": x, "loss": 1.0 + k * 100 * x**-0.3}) for k, f in ((1, "a"), (2, "b"))])
    df.to_csv(tmp_path / "curves.csv", index=False)
    assert main(["fit", str(tmp_path / "curves.csv"), "--law", "power_law", "--by", "family"]) == 0
    out = capsys.readouterr().out
    assert "fitting 2 groups" in out
    # One table row per family, each with its own A (100 and 200 made the data, noise-free).
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in (["a"], ["b"])}
    header = next(line.split() for line in out.splitlines() if line.split()[:1] == ["family"])
    A = {family: float(row[header.index("A")]) for family, row in rows.items()}
    assert A["a"] == pytest.approx(100.0, rel=1e-3) and A["b"] == pytest.approx(200.0, rel=1e-3)


def test_cli_fit_by_missing_column(capsys):
    assert main(["fit", "chinchilla", "--by", "family"]) == 2
    assert "by column(s) ['family'] not in the data" in capsys.readouterr().err


def test_cli_allocate_one_budget(capsys):
    assert main(["allocate", "chinchilla", "--budget", "1e24", "-n", "40"]) == 0
    out = capsys.readouterr().out
    assert "Compute-optimal allocation" in out and "9.718e+10" in out


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_cli_allocate_frontier_with_plot(capsys, tmp_path):
    assert main(["allocate", "chinchilla", "--frontier", "1e20:1e26", "--points", "3", "-n", "30", "--plot", str(tmp_path / "f.png")]) == 0
    assert capsys.readouterr().out.count("e+2") >= 3
    assert (tmp_path / "f.png").stat().st_size > 10_000


def test_cli_allocate_needs_a_budget(capsys):
    assert main(["allocate", "chinchilla"]) == 2
    assert "exactly one of --budget" in capsys.readouterr().err


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
def test_cli_infer_prints_summary_and_the_band_at_1e24(capsys):
    assert main(["infer", "chinchilla", "--samples", "200", "--chains", "2"]) == 0
    out = capsys.readouterr().out
    assert "alpha" in out and "r_hat" in out and "compute-optimal point for 1e+24 FLOPs" in out and "90% interval" in out


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
def test_cli_infer_hierarchical_prints_each_groups_band(capsys):
    argv = ["infer", "gadre_overtraining", "--law", "overtraining", "--by", "corpus", "--pooled", "eta", "--independent", "E,a,b",
            "--samples", "100", "--chains", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "eta_scale" in out and "E[rpj]" in out
    assert all(f"{corpus}: loss" in out for corpus in ("c4_original", "rpj", "rw_original"))


def test_gadre_overtraining_dataset_has_the_papers_grid():
    df = js.datasets.load("gadre_overtraining")
    assert len(df) == 104 and sorted(df["corpus"].unique()) == ["c4_original", "rpj", "rw_original"]
    assert sorted(df["N"].unique().round(-5)) == [10600000.0, 78900000.0, 153700000.0, 411600000.0, 1439800000.0, 6889400000.0]
    np.testing.assert_allclose(df["M"], df["D"] / df["N"], rtol=1e-6)
    assert (df["N"] > 1e9).sum() == 9 and df["loss"].between(2.0, 8.0).all()


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_cli_allocate_precision_with_kumars_law(capsys):
    assert main(["allocate", "kumar_2024", "--precision", "--budget", "1e21"]) == 0
    out = capsys.readouterr().out
    assert "training bits" in out and " 7.002 " in out


@pytest.mark.slow  # fits and optimizes RegMix's mixture law (~10 s)
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
def test_cli_mixture_fit_and_optimize_on_regmix(capsys):
    assert main(["mixture", "fit", "regmix", "--law", "exp_mixing"]) == 0
    assert re.search(r"Spearman rho on the 256 held-out 1M runs: 9\d\.\d\d", capsys.readouterr().out)
    argv = ["mixture", "optimize", "regmix", "--law", "exp_mixing", "--tokens", "1e9", "--unique-tokens", "pile_cc=5e8"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"pile_cc\s+0\.500", out)
    # Two of the 17 domains are not a mixture: the error says so, before fitting.
    assert main(argv + ["--domains", "pile_cc,arxiv"]) == 2
    assert "mixture weights must sum to 1 in every row; 511 row(s) do not" in capsys.readouterr().err
