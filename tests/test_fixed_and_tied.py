"""Parameters held fixed or tied to another: the fit searches only the free ones and equals a fit of the
reduced law written by hand (Muennighoff et al. 2023 fit alpha = beta; studies take E from a larger fit)."""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array

import jaxscale as js

EPOCH = js.datasets.load("chinchilla", subset="epoch")


class OneExponent(js.AbstractLogLaw):
    """Chinchilla with alpha = beta, written out: E + A / N^alpha + B / D^alpha."""

    inputs = ("N", "D")
    constraints = {"E": js.Positive(), "A": js.Positive(), "B": js.Positive(), "alpha": js.Positive()}
    E: Array
    A: Array
    B: Array
    alpha: Array

    def log_predict(self, x):
        terms = jnp.stack([jnp.log(self.A) - self.alpha * jnp.log(x["N"]), jnp.log(self.B) - self.alpha * jnp.log(x["D"]), jnp.log(self.E) * jnp.ones_like(x["N"])])
        return jnp.log(jnp.sum(jnp.exp(terms - terms.max(0)), axis=0)) + terms.max(0)


class KnownE(js.AbstractLogLaw):
    """Chinchilla with E held at 1.69 (Hoffmann et al.'s published value), written out."""

    inputs = ("N", "D")
    constraints = {"A": js.Positive(), "B": js.Positive(), "alpha": js.Positive(), "beta": js.Positive()}
    A: Array
    B: Array
    alpha: Array
    beta: Array

    def log_predict(self, x):
        return js.Chinchilla(E=1.69, A=self.A, B=self.B, alpha=self.alpha, beta=self.beta).log_predict(x)


def _grid(law, **values):
    return js.starts.grid(law, **values)


EXPS = np.arange(0.0, 2.01, 0.5) + 1e-9
COEFS = np.exp(np.arange(0.0, 25.1, 5.0))
ENERGIES = np.exp(np.arange(-1.0, 1.01, 0.5))


def _quiet_fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)  # the reduced laws sit on bounds at some restarts
        return js.fit(*args, **kwargs)


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_tied_exponents_equal_the_four_parameter_law():
    starts = _grid(OneExponent, E=ENERGIES, A=COEFS, B=COEFS, alpha=EXPS)
    by_hand = _quiet_fit(OneExponent, EPOCH, starts=starts, n_refine=32)
    tied_starts = _grid(js.Chinchilla, E=ENERGIES, A=COEFS, B=COEFS, alpha=EXPS, beta=[0.5])
    tied = _quiet_fit(js.Chinchilla, EPOCH, starts=tied_starts, n_refine=32, tied={"beta": "alpha"})
    assert tied.parameterization.size == 4
    assert tied.objective == pytest.approx(by_hand.objective, rel=1e-10)
    assert float(tied.law.beta) == float(tied.law.alpha)
    assert float(tied.law.alpha) == pytest.approx(float(by_hand.law.alpha), rel=1e-6)
    assert tied.summary().loc["beta", "constraint"] == "tied to alpha"


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_fixed_e_equals_fitting_the_reduced_law():
    by_hand = _quiet_fit(KnownE, EPOCH, starts=_grid(KnownE, A=COEFS, B=COEFS, alpha=EXPS, beta=EXPS), n_refine=32)
    fixed = _quiet_fit(js.Chinchilla, EPOCH, n_refine=32, fixed={"E": 1.69})
    assert fixed.parameterization.size == 4
    assert fixed.objective == pytest.approx(by_hand.objective, rel=1e-10)
    for name in ("A", "B", "alpha", "beta"):
        assert float(getattr(fixed.law, name)) == pytest.approx(float(getattr(by_hand.law, name)), rel=1e-5)
    assert fixed.to_frame()["E"].iloc[0] == 1.69 and float(fixed.law.E) == 1.69
    assert fixed.summary().loc["E", "constraint"] == "fixed"


@pytest.mark.slow  # a bootstrap and an evaluate (~10 s)
def test_bootstrap_and_evaluate_respect_a_fixed_parameter():
    boot = js.bootstrap(js.Chinchilla, EPOCH, n=50, seed=0, fixed={"E": 1.69})
    assert np.all(boot.values["E"] == 1.69) and boot.standard_errors()["E"] < 1e-12
    assert boot.standard_errors()["alpha"] > 0
    ext = js.evaluate(js.Chinchilla, EPOCH, below={"C": 1e21}, fixed={"E": 1.69})
    assert float(ext.fits.law.E) == 1.69


@pytest.mark.parametrize("options, message", [
    ({"fixed": {"F": 1.0}}, r"fixed names \['F'\], which are not parameters of Chinchilla"),
    ({"tied": {"gamma": "alpha"}}, r"tied names \['gamma'\]"),
    ({"fixed": {"E": -1.0}}, r"fixed\['E'\] = -1.0 is outside its constraint \(positive\)"),
    ({"fixed": {"E": [1.0, 2.0]}}, r"fixed\['E'\] has shape \(2,\), but the parameter has shape \(\)"),
    ({"tied": {"beta": "alpha", "alpha": "beta"}}, "ties to a parameter that is itself tied"),
    ({"tied": {"beta": "delta"}}, r"tied\['beta'\] = 'delta' is not a parameter"),
    ({"tied": {"alpha": "E"}, "bounds": {"alpha": (0.0, 1.0)}}, "different shapes or constraints"),
    ({"fixed": {"E": 1.7}, "tied": {"E": "A"}}, "both fixed and tied"),
    ({"fixed": {"E": 1.7}, "bounds": {"E": (1.0, 2.0)}}, "both fixed and bounded"),
    ({"tied": {"beta": "E"}, "fixed": {"E": 1.7}}, "ties to a fixed parameter"),
    ({"fixed": {"E": 1.7, "A": 400.0, "B": 400.0, "alpha": 0.3, "beta": 0.3}}, "leave at least one free"),
])
def test_bad_fixed_and_tied_are_refused_before_compiling(options, message):
    from jaxscale._compile_timer import compile_timer

    with compile_timer() as timer, pytest.raises(ValueError, match=message):
        js.fit(js.Chinchilla, EPOCH, **options)
    assert timer.compiles == 0


@pytest.mark.slow  # a Laplace posterior (~11 s)
def test_infer_samples_only_the_free_parameters_and_reports_the_others():
    post = js.infer(js.Chinchilla, EPOCH, fixed={"E": 1.69}, tied={"beta": "alpha"}, method="laplace", n_samples=1000, n_chains=2)
    assert np.all(post.samples["E"] == 1.69)
    np.testing.assert_array_equal(post.samples["beta"], post.samples["alpha"])
    summary = post.summary()
    assert summary.loc["alpha", "sd"] > 0 and summary.loc["E", "sd"] < 1e-12
    assert float(post.laws.beta[0]) == float(post.laws.alpha[0])
    with pytest.raises(ValueError, match="priors apply to free parameters only"):
        js.infer(js.Chinchilla, EPOCH, fixed={"E": 1.69}, priors={"E": js.Positive().default_prior()})


def test_cli_fix_and_tie(capsys):
    from jaxscale.cli import main

    assert main(["fit", "chinchilla", "--fix", "E=1.69", "--tie", "beta=alpha"]) == 0
    header, values = capsys.readouterr().out.splitlines()[1:3]
    row = dict(zip(header.split(), map(float, values.split())))
    assert row["E"] == 1.69 and row["alpha"] == row["beta"]
    assert main(["fit", "chinchilla", "--tie", "beta=gamma"]) == 2
    assert "tied['beta'] = 'gamma' is not a parameter" in capsys.readouterr().err
