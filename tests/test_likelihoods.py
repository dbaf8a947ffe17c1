"""Observation models for `js.infer`: names and objects agree, the noise starts where the point fit says, a
likelihood written here (touching no package file) runs end to end, deprecated spellings still work, and a
posterior's draws come out as a table."""

import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest

import jaxscale as js

SHORT = dict(n_warmup=100, n_samples=100, n_chains=2, seed=5)


@pytest.fixture(scope="module")
def epoch_df():
    return js.datasets.load("chinchilla", subset="epoch")


@pytest.fixture(scope="module")
def student_t(epoch_df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)  # chains this short have a low effective sample size
        return js.infer(js.Chinchilla, epoch_df, likelihood="student_t", **SHORT)


class LogLaplace(js.AbstractLikelihood):
    """log y ~ Laplace(log prediction, b): tails between the log-normal's and the log-Student-t's."""

    target_support = js.Positive()
    scale_site: str = eqx.field(static=True, default="b")

    def point_loss(self):
        return js.LogSquared()

    def noise_priors(self):
        return {self.scale_site: dist.HalfNormal(0.1)}

    def location(self, law, x):
        return law.log_predict(x)

    def log_prob(self, location, y, noise, extra):
        return dist.Laplace(location, noise[self.scale_site]).log_prob(jnp.log(y))

    def sample(self, key, location, noise, extra):
        return jnp.exp(location + noise[self.scale_site] * jax.random.laplace(key, jnp.shape(location)))

    def to_target(self, location, extra):
        return jnp.exp(location)

    def initial_noise(self, location, y, weights, extra):
        # The maximum-likelihood b at the fit: the weighted mean absolute log residual.
        return {self.scale_site: jnp.sum(weights * jnp.abs(location - jnp.log(y))) / jnp.sum(weights)}


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_a_name_and_its_object_give_the_same_posterior(epoch_df, student_t):
    assert student_t.likelihood == js.LogStudentT() and "LogStudentT likelihood" in repr(student_t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        by_object = js.infer(js.Chinchilla, epoch_df, likelihood=js.LogStudentT(), **SHORT)
    assert set(by_object.samples) == set(student_t.samples) == {"E", "A", "B", "alpha", "beta", "sigma", "nu"}
    for site, draws in student_t.samples.items():
        np.testing.assert_array_equal(by_object.samples[site], draws)


class _Started(Exception):
    """Raised by the recording `initial_noise` below to stop `infer` before it samples."""


def test_infer_starts_sigma_at_the_weighted_rms_of_the_point_fits_log_residuals(epoch_df, monkeypatch):
    weights = np.linspace(0.5, 2.0, len(epoch_df))
    original, seen = js.LogNormal.initial_noise, {}

    def recording(self, location, y, w, extra):
        seen.update(original(self, location, y, w, extra))
        raise _Started

    monkeypatch.setattr(js.LogNormal, "initial_noise", recording)
    with pytest.raises(_Started):
        js.infer(js.Chinchilla, epoch_df, weights=weights)
    point = js.fit(js.Chinchilla, epoch_df, weights=weights, loss=js.LogSquared())
    r = np.log(point.predict(epoch_df)) - np.log(epoch_df["loss"].to_numpy())
    rms = np.sqrt(np.average(r**2, weights=weights))
    assert float(seen["sigma"]) == pytest.approx(rms, rel=1e-6)
    # LogSquared's penalty is r^2, not r^2 / 2: reading its objective as half the squares started sigma
    # sqrt(2) too large.
    assert rms == pytest.approx(np.sqrt(point.objective / weights.sum()), rel=1e-6)


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
def test_a_likelihood_defined_outside_the_package_runs_through_infer_and_predict(epoch_df):
    post = js.infer(js.Chinchilla, epoch_df, likelihood=LogLaplace(), **SHORT)
    assert "b" in post.samples and "sigma" not in post.samples and "LogLaplace likelihood" in repr(post)
    summary = post.summary()
    assert 0.3 < summary.loc["alpha", "mean"] < 0.4
    r = np.log(post.point_fit.predict(epoch_df)) - np.log(epoch_df["loss"].to_numpy())
    assert 0.5 * np.mean(np.abs(r)) < summary.loc["b", "mean"] < 1.5 * np.mean(np.abs(r))
    at = {"N": [7e10], "D": [1.4e12]}
    band, noisy = post.predict(at), post.predict(at, include_noise=True)
    assert np.all(np.isfinite(noisy.to_numpy())) and (noisy.to_numpy() > 0).all()
    assert noisy["q0.95"].iloc[0] - noisy["q0.05"].iloc[0] > band["q0.95"].iloc[0] - band["q0.05"].iloc[0]


def test_a_noise_site_named_like_a_parameter_is_an_error(epoch_df):
    with pytest.raises(ValueError, match=r"noise sites \['alpha'\] have the names of sites of the law's parameters"):
        js.infer(js.Chinchilla, epoch_df, likelihood=LogLaplace(scale_site="alpha"))


@pytest.mark.parametrize(
    "likelihood, error, message",
    [
        ("cauchy", ValueError, r"likelihood must be one of \['normal', 'student_t'\] or an AbstractLikelihood"),
        (3, TypeError, "likelihood must be one of .* got a int"),
        (js.LogNormal, TypeError, r"pass LogNormal\(\), not the class"),
    ],
)
def test_bad_likelihood_is_an_error_naming_the_argument(epoch_df, likelihood, error, message):
    with pytest.raises(error, match=message):
        js.infer(js.Chinchilla, epoch_df, likelihood=likelihood)


def test_a_noise_scale_must_be_positive():
    with pytest.raises(ValueError, match="sigma_scale must be a number > 0"):
        js.LogStudentT(sigma_scale=0.0)


@pytest.mark.slow  # two more NUTS runs (~10 s)
@pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")
def test_deprecated_infer_spellings_warn_and_give_the_same_draws(epoch_df, student_t):
    old = dict(num_warmup=SHORT["n_warmup"], num_samples=SHORT["n_samples"], num_chains=SHORT["n_chains"], seed=SHORT["seed"])
    with pytest.warns(DeprecationWarning) as caught:
        post = js.infer(js.Chinchilla, epoch_df, likelihood="student_t", **old)
    messages = {str(w.message) for w in caught if w.category is DeprecationWarning}
    assert messages == {f"infer(num_{name}=...) is deprecated; use n_{name}=... instead." for name in ("warmup", "samples", "chains")}
    np.testing.assert_array_equal(post.samples["alpha"], student_t.samples["alpha"])
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="pass only n_samples"):
        js.infer(js.Chinchilla, epoch_df, num_samples=100, n_samples=200)


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_deprecated_posterior_spellings_warn_and_give_the_same_answer(student_t):
    with pytest.warns(DeprecationWarning, match=r"use summary\(level=...\)"):
        old = student_t.summary(prob=0.8)
    assert old.equals(student_t.summary(level=0.8)) and "q0.1" in old.columns
    with pytest.warns(DeprecationWarning, match="use Posterior.n_draws"):
        assert student_t.num_draws == student_t.n_draws == 200


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_to_frame_has_a_row_per_draw_and_a_column_per_summary_row(student_t):
    frame = student_t.to_frame()
    assert frame.shape == (200, 2 + 7)
    assert list(frame.columns[:2]) == ["chain", "draw"] and list(frame.columns[2:]) == list(student_t.summary().index)
    assert frame["chain"].tolist() == [0] * 100 + [1] * 100 and frame["draw"].tolist() == list(range(100)) * 2
    # Rows follow the order of `laws` (chains x draws flattened).
    np.testing.assert_array_equal(frame["alpha"].to_numpy(), np.asarray(student_t.laws.alpha))
    np.testing.assert_array_equal(frame["nu"].to_numpy(), student_t.samples["nu"].reshape(-1))


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_predict_reads_renamed_inputs_like_fit_result_predict(student_t):
    at = {"N": [7e10, 7e11], "D": [1.4e12, 1.4e13]}
    renamed = {"params": at["N"], "tokens": at["D"]}
    # 7e11 and 1.4e13 are 43-44x Epoch's largest N and D: the reach is measured through the renamed columns too.
    with pytest.warns(js.FitWarning, match=r"reaches 44\.1x the largest fitted D"):
        same = student_t.predict(renamed, inputs={"N": "params", "D": "tokens"}, include_noise=True)
    with pytest.warns(js.FitWarning, match=r"reaches 44\.1x the largest fitted D"):
        assert same.equals(student_t.predict(at, include_noise=True))
    with pytest.raises(ValueError, match="column 'N' is missing"):
        student_t.predict(renamed)
    with pytest.raises(ValueError, match="rows <= 0"):
        student_t.predict({"N": [-1.0], "D": [1e12]})
