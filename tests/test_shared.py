"""`fit(..., by=..., shared=[...])`: one value of the shared parameters for every group, the others per group,
found by ONE joint minimisation of the summed objective (one compiled program), not by separate fits.

On Gadre et al.'s three corpora (Overtraining law, their Eq. 4): a joint fit with one E can only do worse than
three free fits, and it does exactly as well as three fits holding E at the joint value.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale._bootstrap import _strata_slots, _stratified_counts

LAW = js.laws.Overtraining
GADRE = js.datasets.load("gadre_overtraining")
CORPORA = ("c4_original", "rpj", "rw_original")


@pytest.fixture(scope="module")
def joint():
    return js.fit(LAW, GADRE, by="corpus", shared=["E"])


@pytest.fixture(scope="module")
def separate():
    return js.fit(LAW, GADRE, by="corpus")


@pytest.fixture(scope="module")
def at_joint_e(joint):
    return js.fit(LAW, GADRE, by="corpus", fixed={"E": float(joint.law.E[0])})


def test_one_e_for_all_corpora_and_the_other_parameters_per_corpus(joint):
    assert isinstance(joint, js.AbstractFitResult) and isinstance(joint, js.SharedFitResult)
    assert joint.keys == CORPORA and len(joint) == 3
    frame = joint.to_frame()
    assert list(frame["corpus"]) == list(CORPORA)
    assert frame["E"].nunique() == 1 and (frame["shared"] == "E").all()
    for name in ("a", "b", "eta"):
        assert frame[name].nunique() == 3, name
    assert frame["objective"].sum() == pytest.approx(joint.objective, rel=1e-12)
    assert (frame["joint_objective"] == joint.objective).all()
    law = joint["rpj"]
    assert isinstance(law, LAW) and float(law.E) == frame["E"].iloc[0] and float(law.a) == frame["a"].iloc[1]
    assert joint.law.batch_shape == (3,) and np.all(np.asarray(joint.law.E) == float(law.E))
    summary = joint.summary()
    assert summary.loc["E", "role"] == "shared" and summary.loc["eta", "role"] == "per group"
    assert summary.loc["E", "min"] == summary.loc["E", "max"]
    assert list(joint.problems().columns) == ["corpus", "problem"] and joint.problems().empty
    assert "sharing ['E']" in repr(joint)


def test_it_is_one_joint_program(joint):
    """One vector: E once and (a, b, eta) once per corpus; a second identical fit compiles nothing."""
    assert joint.parameterization.size == 1 + 3 * 3
    assert joint.parameterization.flat_names()[:2] == ["E", "a[0]"]
    assert joint.start_z.shape == (LAW.default_n_starts, 10) and joint.end_z.shape[-1] == 10
    again = js.fit(LAW, GADRE, by="corpus", shared=["E"])
    assert again.compile_seconds == 0.0
    assert again.objective == joint.objective


def test_the_joint_objective_is_no_better_than_separate_fits(joint, separate):
    """Sharing E is a constraint: the summed free fits reach a lower (or equal) objective."""
    free_es = separate.to_frame()["E"]
    assert free_es.max() - free_es.min() > 0.05  # the corpora's own Es differ, so sharing costs something
    assert joint.objective >= separate.objective.sum() * (1 - 1e-12)
    assert joint.objective <= 1.05 * separate.objective.sum()


def test_the_joint_fit_equals_separate_fits_holding_e_at_its_value(joint, at_joint_e):
    """With E held at the joint E, each corpus's own fit lands on the joint's per-corpus parameters: the joint
    minimisation found the optimum, not a worse point."""
    assert at_joint_e.objective.sum() == pytest.approx(joint.objective, rel=1e-8)
    np.testing.assert_allclose(joint.group_objective, at_joint_e.objective, rtol=1e-8)
    mine, theirs = joint.to_frame(), at_joint_e.to_frame()
    for name in ("a", "b", "eta"):
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-5, err_msg=name)


def test_predict_uses_each_rows_group(joint):
    predicted = joint.predict(GADRE)
    rows = (GADRE["corpus"] == "rpj").to_numpy()
    np.testing.assert_allclose(predicted[rows], joint["rpj"].predict(GADRE[rows]), rtol=1e-12)
    assert np.median(np.abs(np.log(predicted) - np.log(GADRE["loss"]))) < 0.02  # a good fit of most rows


def test_shared_with_fixed_and_tied_recovers_the_truth():
    """Noise-free data of three groups with E = 1.8 shared, b = a per group and eta = 0.13: the default starts
    find the truth, with one shared E, one free a per group (b tied to it) and eta fixed."""
    truth = {"g1": 150.0, "g2": 250.0, "g3": 400.0}
    n = np.repeat([1e7, 8e7, 1.5e8, 4e8], 5)
    d = n * np.tile([5.0, 20.0, 80.0, 320.0, 640.0], 4)
    frames = [pd.DataFrame({"g": key, "N": n, "D": d, "loss": LAW(E=1.8, a=a, b=a, eta=0.13).predict({"N": n, "D": d})}) for key, a in truth.items()]
    fitted = js.fit(LAW, pd.concat(frames, ignore_index=True), by="g", shared="E", tied={"b": "a"}, fixed={"eta": 0.13})
    assert fitted.parameterization.size == 1 + 3
    frame = fitted.to_frame()
    np.testing.assert_allclose(frame["E"], 1.8, rtol=1e-6)
    np.testing.assert_allclose(frame["a"], list(truth.values()), rtol=1e-5)
    assert (frame["b"] == frame["a"]).all() and (frame["eta"] == 0.13).all()
    roles = fitted.summary()["role"]
    assert roles.to_dict() == {"E": "shared", "a": "per group", "b": "tied to a", "eta": "fixed"}


@pytest.mark.parametrize("options, message", [
    ({"shared": ["E"]}, r"shared=\['E'\] .* no groups were given: pass by='<column>'"),
    ({"by": "corpus", "shared": ["E", "L0"]}, r"shared names \['L0'\], which are not parameters of Overtraining; they are \['E', 'a', 'b', 'eta'\]"),
    ({"by": "corpus", "shared": ["E"], "fixed": {"E": 1.7}}, r"'E' is both fixed and shared: .* drop it from shared"),
    ({"by": "corpus", "shared": ["b"], "tied": {"b": "a"}}, r"shared names 'b', which is tied to 'a': .* share 'a' instead"),
    ({"by": "corpus", "shared": 3}, r"shared must be a parameter name or a list of them"),
])
def test_bad_shared_options_are_refused_before_compiling(options, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error", js.FitWarning)
        with pytest.raises((ValueError, TypeError), match=message):
            js.fit(LAW, GADRE, **options)


def test_bootstrap_of_a_shared_fit_resamples_within_each_group(joint):
    boot = js.bootstrap(joint, n=40, seed=0)
    frame = boot.to_frame()
    assert "E" in frame.columns and "a[2]" in frame.columns and np.isfinite(frame["E"]).all()
    # Within-group resampling keeps each group's row count in every resample.
    strata = joint.group_of_row()
    counts = np.asarray(_stratified_counts(jax.random.key(0), jnp.arange(5), *_strata_slots(strata)))
    for g in range(3):
        assert np.all(counts[:, strata == g].sum(axis=1) == np.sum(strata == g))
    assert boot.summary().loc["E", "lo"] < float(joint["c4_original"].E) < boot.summary().loc["E", "hi"]
    with pytest.raises(ValueError, match="derived= needs one law per resample"):
        js.bootstrap(joint, n=4, derived={"x": lambda law: law.E})
