"""Likelihoods as fit losses: each negative log-likelihood agrees with scipy's densities, the Normal ones reach the
least-squares law, counts are recovered, residuals and predictive draws come out in the target's units, the
solver follows the objective, and bad counts are refused before compiling."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

import jaxscale as js


@pytest.fixture(scope="module")
def epoch_df():
    return js.datasets.load("chinchilla", subset="epoch")


@pytest.fixture(scope="module")
def accuracy():
    """30 compute levels, 200 trials each, a floored sigmoid with floor 0.25."""
    truth = js.laws.SigmoidCompute(floor=0.25, ceiling=0.85, slope=0.9, log_c50=float(np.log(1e21)))
    C = np.geomspace(1e18, 1e24, 30)
    p = truth.predict({"C": C})
    k = np.random.default_rng(0).binomial(200, p)
    return truth, pd.DataFrame({"C": C, "k": k, "n": 200, "acc": k / 200})


@pytest.fixture(scope="module")
def binomial_fit(accuracy):
    return js.fit(js.laws.SigmoidCompute, accuracy[1], target="k", loss=js.Binomial(trials="n"), fixed={"floor": 0.25})


def _dataset(df, law, loss, target):
    return js.Dataset.from_frame(df, law, target=target, observation=loss)


def test_each_negative_log_likelihood_is_scipys(accuracy):
    truth, df = accuracy
    law = truth
    p = law.predict(df)
    cases = [
        (js.Binomial(trials="n"), "k", -st.binom.logpmf(df.k, df.n, p).sum()),
        (js.Binomial(trials="n", fractions=True), "acc", -st.binom.logpmf(df.k, df.n, p).sum()),
        (js.BetaBinomial(trials="n", concentration=7.0), "k", -st.betabinom.logpmf(df.k, df.n, 7 * p, 7 * (1 - p)).sum()),
        (js.Beta(precision=30.0, boundary="squeeze"), "acc", None),
        (js.Normal(sigma=0.05), "acc", -st.norm.logpdf(df.acc, p, 0.05).sum()),
        (js.StudentT(sigma=0.05, nu=3.0), "acc", -st.t.logpdf(df.acc, 3.0, p, 0.05).sum()),
    ]
    for loss, target, expected in cases:
        data = _dataset(df, law, loss, target)
        if expected is None:  # Beta sees the squeezed targets
            y = np.asarray(data.target)
            expected = -st.beta.logpdf(y, 30 * p, 30 * (1 - p)).sum()
        assert float(loss(law, data)) == pytest.approx(expected, rel=1e-10), type(loss).__name__
    bernoulli = pd.DataFrame({"C": df.C, "y": (df.k > 100).astype(float)})
    data = _dataset(bernoulli, law, js.Bernoulli(), "y")
    assert float(js.Bernoulli()(law, data)) == pytest.approx(-st.bernoulli.logpmf(bernoulli.y, p).sum(), rel=1e-10)


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_log_normal_fit_is_log_least_squares_with_sigma_the_rms_residual(epoch_df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        normal = js.fit(js.Chinchilla, epoch_df, loss=js.LogNormal())
    squares = js.fit(js.Chinchilla, epoch_df, loss=js.LogSquared())
    for name in ("E", "alpha", "beta"):
        assert float(getattr(normal.law, name)) == pytest.approx(float(getattr(squares.law, name)), rel=1e-5)
    rms = np.sqrt(squares.objective / len(epoch_df))
    assert normal.noise["sigma"] == pytest.approx(rms, rel=1e-5)
    assert list(normal.to_frame().columns[:6]) == ["E", "A", "B", "alpha", "beta", "sigma"]
    assert normal.summary().loc["sigma", "constraint"] == "positive"


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_normal_takes_targets_of_any_sign_and_reaches_the_least_squares_law():
    x = np.geomspace(1e3, 1e6, 20)
    y = -1.0 + 40.0 * x**-0.3 + 0.01 * np.random.default_rng(3).standard_normal(20)  # crosses zero
    df = pd.DataFrame({"x": x, "y": y})
    assert (y < 0).any()

    class Shifted(js.AbstractLaw):
        inputs = ("x",)
        constraints = {"c": js.Real(), "A": js.Positive(), "alpha": js.Positive()}
        c: jnp.ndarray
        A: jnp.ndarray
        alpha: jnp.ndarray

        def __call__(self, x):
            return self.c + self.A * x["x"] ** -self.alpha

    starts = js.starts.grid(Shifted, c=[-2.0, 0.0], A=[10.0, 100.0], alpha=[0.1, 0.5])
    normal = js.fit(Shifted, df, target="y", loss=js.Normal(), starts=starts)
    squares = js.fit(Shifted, df, target="y", loss=js.Squared(), starts=starts)
    assert float(normal.law.alpha) == pytest.approx(float(squares.law.alpha), rel=1e-6)
    assert normal.noise["sigma"] == pytest.approx(np.sqrt(squares.objective / 20), rel=1e-6)
    with pytest.raises(ValueError, match=r"column 'y' has \d+ rows <= 0"):
        js.fit(Shifted, df, target="y", loss=js.LogNormal())


def test_binomial_recovers_the_sigmoid_and_counts_equal_fractions(accuracy, binomial_fit):
    truth, df = accuracy
    law = binomial_fit.law
    assert float(law.floor) == 0.25 and binomial_fit.summary().loc["floor", "constraint"] == "fixed"
    assert float(law.ceiling) == pytest.approx(0.85, abs=0.02)
    assert float(law.slope) == pytest.approx(0.9, rel=0.15)
    assert float(law.log_c50) == pytest.approx(float(np.log(1e21)), abs=0.5)
    assert binomial_fit.noise == {}
    fractions = js.fit(js.laws.SigmoidCompute, df, target="acc", loss=js.Binomial(trials="n", fractions=True), fixed={"floor": 0.25})
    assert fractions.objective == pytest.approx(binomial_fit.objective, rel=1e-9)
    assert float(fractions.law.slope) == pytest.approx(float(law.slope), rel=1e-5)
    # A constant trials count instead of a column.
    constant = js.fit(js.laws.SigmoidCompute, df.drop(columns="n"), target="k", loss=js.Binomial(trials=200), fixed={"floor": 0.25})
    assert constant.objective == pytest.approx(binomial_fit.objective, rel=1e-9)


def test_the_default_solver_follows_the_objective(binomial_fit):
    assert js.MultiStart().solver_for(js.Binomial(trials="n")) == js.solvers.DampedNewton()
    assert js.MultiStart().solver_for(js.LogHuber()) == js.solvers.GaussNewton()
    assert binomial_fit.best_status == "converged"


def test_pearson_and_deviance_residuals_are_the_textbook_ones(accuracy, binomial_fit):
    _, df = accuracy
    p = binomial_fit.predict(df)
    pearson = binomial_fit.residuals("pearson")
    np.testing.assert_allclose(pearson, (df.k - df.n * p) / np.sqrt(df.n * p * (1 - p)), rtol=1e-10)
    deviance = binomial_fit.residuals("deviance")
    # The squared deviance residuals sum to the deviance: 2 (saturated - fitted) log-likelihood.
    saturated = st.binom.logpmf(df.k, df.n, df.k / df.n).sum()
    fitted = st.binom.logpmf(df.k, df.n, p).sum()
    assert np.sum(deviance**2) == pytest.approx(2 * (saturated - fitted), rel=1e-8)
    assert np.all(np.sign(deviance) == np.sign(df.k - df.n * p))
    with pytest.raises(ValueError, match="kind must be 'pearson' or 'deviance'"):
        binomial_fit.residuals("raw")


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_beta_binomial_recovers_a_and_b_and_pass_at_k_is_the_closed_form():
    a, b = 0.5, 4.0
    rng = np.random.default_rng(11)
    p = rng.beta(a, b, 2000)
    df = pd.DataFrame({"problem": np.arange(2000.0), "k": rng.binomial(100, p), "n": 100})

    class Constant(js.AbstractLaw):
        inputs = ("problem",)
        positive_inputs = ()
        constraints = {"p": js.Interval(0.0, 1.0)}
        p: jnp.ndarray

        def __call__(self, x):
            return self.p * jnp.ones_like(x["problem"])

    res = js.fit(Constant, df, target="k", loss=js.BetaBinomial(trials="n"))
    mean, concentration = float(res.law.p), res.noise["concentration"]
    assert mean * concentration == pytest.approx(a, rel=0.1)
    assert (1 - mean) * concentration == pytest.approx(b, rel=0.1)
    draws = np.asarray(res.fitted_loss.sample(jax.random.key(0), jnp.full(2000, mean), res.noise, {"trials": jnp.full(2000, 100.0)}))
    assert draws.min() >= 0 and draws.max() <= 100 and draws.var() == pytest.approx(df.k.var(), rel=0.2)


def test_beta_binomial_tends_to_the_binomial_without_cancelling_to_noise(accuracy):
    truth, df = accuracy
    data = _dataset(df, truth, js.Binomial(trials="n"), "k")
    binomial = float(js.Binomial(trials="n")(truth, data))
    for concentration in (1e7, 1e9, 1e30):  # past 1e8 the log-Beta terms would cancel to rounding noise
        nll = float(js.BetaBinomial(trials="n", concentration=concentration)(truth, data))
        assert nll == pytest.approx(binomial, rel=1e-3)


def test_pass_at_k_is_the_expectation_over_the_beta():
    a, b = 0.5, 4.0
    # pass@k = E[1 - (1 - p)^k] over p ~ Beta(a, b), by quadrature.
    for k in (1, 10, 1000):
        quadrature = st.beta(a, b).expect(lambda q: 1 - (1 - q) ** k)
        assert float(js.BetaBinomial.pass_at_k(k, a, b)) == pytest.approx(quadrature, rel=1e-6)


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_beta_refuses_exact_zeros_and_ones_unless_squeezed(accuracy):
    _, df = accuracy
    scores = df.assign(score=np.clip(df.acc, 0.0, 0.8).where(df.index != 0, 0.0))
    with pytest.raises(ValueError, match=r"column 'score' has 1 rows at exactly 0 or 1 .* js.Beta\(boundary='squeeze'\)"):
        js.fit(js.laws.SigmoidCompute, scores, target="score", loss=js.Beta())
    squeezed = js.Dataset.from_frame(scores, js.laws.SigmoidCompute, target="score", observation=js.Beta(boundary="squeeze"))
    n = len(scores)
    np.testing.assert_allclose(np.asarray(squeezed.target), (scores.score * (n - 1) + 0.5) / n)
    res = js.fit(js.laws.SigmoidCompute, scores, target="score", loss=js.Beta(boundary="squeeze"), fixed={"floor": 0.25})
    assert np.isfinite(res.objective) and res.noise["precision"] > 0


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_a_held_noise_value_is_not_fitted(epoch_df):
    held = js.fit(js.Chinchilla, epoch_df, loss=js.LogStudentT(nu=4.0, sigma=0.01))
    assert held.noise == {} and "nu" not in held.to_frame().columns
    free = js.LogStudentT(nu=4.0)
    assert list(free.noise_parameters()) == ["sigma"]


@pytest.mark.slow  # a heavier check; CI runs it after the default run
def test_infer_with_a_binomial_predicts_counts_out_of_the_trials(accuracy):
    _, df = accuracy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        post = js.infer(
            js.laws.SigmoidCompute, df, target="k", likelihood=js.Binomial(trials="n"), fixed={"floor": 0.25},
            n_warmup=150, n_samples=150, n_chains=2, seed=1,
        )
    assert set(post.samples) == {"floor", "ceiling", "slope", "log_c50"}
    assert 0.8 < post.summary().loc["ceiling", "mean"] < 0.9
    new = pd.DataFrame({"C": [1e20, 1e22], "n": [200, 50]})
    band = post.predict(new)
    noisy = post.predict(new, include_noise=True, quantiles=(0.0, 1.0))
    assert (noisy["q0"] >= 0).all() and (noisy["q1"] <= new.n).all()
    assert np.all(noisy.to_numpy() == np.round(noisy.to_numpy()))  # counts
    assert band["q0.5"].iloc[1] < 50 and band["q0.5"].iloc[1] > 30  # expected successes out of 50
    with pytest.raises(ValueError, match="trials column 'n' is missing"):
        post.predict(new.drop(columns="n"))


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_bootstrap_and_groups_run_with_a_likelihood(accuracy, binomial_fit):
    _, df = accuracy
    boot = js.bootstrap(binomial_fit, n=64, seed=0)
    summary = boot.summary()
    assert summary.loc["ceiling", "lo"] < float(binomial_fit.law.ceiling) < summary.loc["ceiling", "hi"]
    two = pd.concat([df.assign(curve="a"), df.assign(curve="b", k=np.minimum(df.k + 5, 200))])
    grouped = js.fit(js.laws.SigmoidCompute, two, target="k", loss=js.Binomial(trials="n"), fixed={"floor": 0.25}, by="curve")
    assert grouped["a"].objective == pytest.approx(binomial_fit.objective, rel=1e-6)
    assert float(grouped["b"].law.ceiling) > float(grouped["a"].law.ceiling)


def test_float32_fits_a_binomial(accuracy, binomial_fit):
    _, df = accuracy
    res = js.fit(js.laws.SigmoidCompute, df, target="k", loss=js.Binomial(trials="n"), fixed={"floor": 0.25}, dtype=jnp.float32)
    assert res.objective == pytest.approx(binomial_fit.objective, rel=1e-4)


BAD_COUNTS = [
    (dict(k=[1, 2, 300]), js.Binomial(trials="n"), r"column 'k' has 1 rows with more successes than trials \(column 'n'\) \(rows 2\)"),
    (dict(k=[-1, 2, 3]), js.Binomial(trials="n"), r"column 'k' has 1 negative rows \(rows 0\): successes are counts >= 0"),
    (dict(k=[1.5, 2, 3]), js.Binomial(trials="n"), r"column 'k' has 1 rows that are not whole numbers .* pass fractions=True"),
    (dict(k=[0.5, 1.2, 0.1]), js.Binomial(trials="n", fractions=True), r"column 'k' has 1 rows outside \[0, 1\] \(rows 1\)"),
    (dict(n=[0, 200, 200]), js.Binomial(trials="n"), r"column 'n' has 1 rows with trials <= 0"),
    (dict(n=[200.5, 200, 200]), js.Binomial(trials="n"), r"column 'n' has 1 rows whose trials are not whole numbers"),
    (dict(k=[1, 2, 300]), js.BetaBinomial(trials="n"), r"more successes than trials"),
    (dict(k=[0, 1, 2]), js.Bernoulli(), r"column 'k' has 1 rows that are neither 0 nor 1 \(rows 2\)"),
    (dict(k=[0.2, 1.0, 0.3]), js.Beta(), r"column 'k' has 1 rows at exactly 0 or 1 \(rows 1\)"),
    (dict(k=[0.2, 1.3, 0.3]), js.Beta(boundary="squeeze"), r"column 'k' has 1 rows outside \[0, 1\]"),
]


@pytest.mark.parametrize("columns, loss, message", BAD_COUNTS)
def test_bad_counts_are_refused_before_compiling_naming_the_column(columns, loss, message):
    df = pd.DataFrame({"C": [1e19, 1e20, 1e21], "k": [1, 2, 3], "n": [200, 200, 200]}).assign(**columns)
    with pytest.raises(ValueError, match=message):
        js.Dataset.from_frame(df, js.laws.SigmoidCompute, target="k", observation=loss)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: js.Binomial(trials=0), r"trials must be a column name or a whole number >= 1"),
        (lambda: js.Binomial(trials=2.5), r"trials must be a column name or a whole number >= 1"),
        (lambda: js.Binomial(trials=True), r"trials must be a column name or a whole number >= 1"),
        (lambda: js.Beta(boundary="clip"), r"boundary must be 'error' or 'squeeze'"),
        (lambda: js.BetaBinomial(trials="n", concentration=-1.0), r"concentration must be a number > 0"),
        (lambda: js.StudentT(nu=0.0), r"nu must be a number > 0"),
        (lambda: js.Normal(sigma_scale="wide"), r"sigma_scale must be a number > 0"),
    ],
)
def test_bad_likelihood_settings_are_errors_naming_the_setting(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_likelihood_given_to_gauss_newton_or_as_a_class_is_refused(accuracy):
    _, df = accuracy
    with pytest.raises(ValueError, match=r"GaussNewton needs a loss with residual structure .* or no solver"):
        js.fit(js.laws.SigmoidCompute, df, target="k", loss=js.Binomial(trials="n"), solver=js.solvers.GaussNewton())
    with pytest.raises(TypeError, match=r"pass Binomial\(...\), not the class"):
        js.fit(js.laws.SigmoidCompute, df, target="k", loss=js.Binomial)
    with pytest.raises(ValueError, match=r"fixed names \['nu'\], which are not parameters .* js.StudentT\(nu=4.0\)"):
        js.fit(js.laws.SigmoidCompute, df, target="acc", loss=js.StudentT(), fixed={"nu": 4.0})
    without_trials = js.Dataset.from_frame(df, js.laws.SigmoidCompute, target="acc")
    with pytest.raises(ValueError, match=r"the Dataset lacks the extra columns \['trials'\] that Binomial reads"):
        js.fit(js.laws.SigmoidCompute, without_trials, loss=js.Binomial(trials="n"))
