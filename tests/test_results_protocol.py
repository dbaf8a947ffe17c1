"""One multi-start strategy and one fit-result protocol: a grouped fit is a stack of fits, every result has
`to_frame()` and `summary()`, and options are honoured or refused, never ignored."""

import warnings

import numpy as np
import pandas as pd
import pytest

import jaxscale as js


@pytest.fixture(scope="module")
def curves():
    rng = np.random.default_rng(0)
    frames = []
    for name, (E, A, alpha) in {"a": (1.5, 300.0, 0.4), "b": (2.0, 50.0, 0.25)}.items():
        x = np.geomspace(1e3, 1e8, 20)
        frames.append(pd.DataFrame({"family": name, "x": x, "loss": (E + A * x**-alpha) * np.exp(0.002 * rng.standard_normal(20))}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def grouped(curves):
    return js.fit(js.PowerLaw, curves, by="family", loss=js.LogSquared())


def test_multistart_object_and_its_shorthand_give_the_same_fit(curves):
    one = curves[curves["family"] == "a"]
    solver = js.solvers.GaussNewton(max_steps=300)
    shorthand = js.fit(js.PowerLaw, one, loss=js.LogSquared(), solver=solver, n_refine=8, stop_when_agreed=None)
    strategy = js.fit(js.PowerLaw, one, loss=js.LogSquared(), multistart=js.MultiStart(solver, n_refine=8, stop_when_agreed=None))
    assert strategy.n_refined == shorthand.n_refined == 8
    np.testing.assert_array_equal(np.asarray(strategy.end_z), np.asarray(shorthand.end_z))


def test_multistart_and_shorthand_together_are_refused(curves):
    with pytest.raises(ValueError, match=r"either multistart= or its shorthand keywords \['n_refine'\]"):
        js.fit(js.PowerLaw, curves, multistart=js.MultiStart(), n_refine=4)


@pytest.mark.parametrize("options, message", [
    ({"n_refine": 0}, "n_refine must be a positive integer"),
    ({"stop_when_agreed": 0}, "stop_when_agreed must be a positive integer or None"),
    ({"agree_rtol": -1.0}, "agree_rtol must be a number >= 0"),
    ({"solver": "newton"}, "solver must be a jaxscale solver"),
])
def test_multistart_options_are_checked_eagerly(options, message):
    with pytest.raises((ValueError, TypeError), match=message):
        js.MultiStart(**options)


def test_progress_with_by_is_refused_not_ignored(curves):
    with pytest.raises(ValueError, match="progress=True shows one fit's refinement"):
        js.fit(js.PowerLaw, curves, by="family", progress=True)


def test_a_group_is_a_slice_of_the_stack(grouped):
    for g, key in enumerate(grouped.keys):
        alone = grouped[key]
        assert isinstance(alone, js.FitResult)
        np.testing.assert_array_equal(np.asarray(alone.end_z), np.asarray(grouped.end_z)[g])
        np.testing.assert_array_equal(np.asarray(alone.status), np.asarray(grouped.status)[g])
        row = grouped.to_frame().iloc[g]
        assert alone.to_frame()["alpha"].iloc[0] == pytest.approx(row["alpha"], rel=1e-12)


def test_every_fit_result_has_to_frame_summary_and_problems(grouped):
    alone = grouped["a"]
    summary = alone.summary()
    assert list(summary.index) == ["E", "A", "alpha"] and list(summary.columns) == ["estimate", "se", "constraint", "on_boundary", "identified"]
    assert summary.loc["alpha", "estimate"] == pytest.approx(float(alone.law.alpha))
    assert alone.problems().empty and list(alone.problems().columns) == ["problem"]
    across = grouped.summary()
    assert list(across.columns) == ["median", "q0.05", "q0.95", "min", "max"]
    assert across.loc["alpha", "min"] == pytest.approx(grouped.to_frame()["alpha"].min())
    assert list(grouped.problems().columns) == ["family", "problem"]
    assert isinstance(grouped, js.AbstractFitResult) and isinstance(alone, js.AbstractFitResult)


def test_grouped_problems_name_the_group_with_a_parameter_on_its_bound(curves):
    """Group 'b' is fitted with alpha capped below its true 0.25: the cap binds, and problems() says so."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        fits = js.fit(js.PowerLaw, curves, by="family", loss=js.LogSquared(), bounds={"alpha": (0.26, 0.6)})
    problems = fits.problems()
    on_bound = problems[problems["problem"].str.contains("boundary")]
    assert list(on_bound["family"]) == ["b"] and "alpha=0.26" in on_bound["problem"].iloc[0]
    assert any("result.problems() lists them" in str(w.message) for w in caught)


def test_status_codes_are_one_enum():
    assert [r.name for r in js.RESULTS] == ["converged", "max_steps", "non_finite", "not_refined", "stopped_early"]
    assert all(isinstance(r.message, str) and r.message for r in js.RESULTS)


def test_isoflop_budget_is_a_deprecated_spelling_of_compute():
    data = js.datasets.load("porian_isoflop")
    data = data[data["config"] == "rw/base/short/chinchilla/standard/val"]
    new = js.isoflop.profiles(data, compute="C", n_bootstrap=20)
    with pytest.warns(DeprecationWarning, match="compute="):
        old = js.isoflop.profiles(data, budget="C", n_bootstrap=20)
    pd.testing.assert_frame_equal(new.to_frame(), old.to_frame())
    summary = new.summary()
    assert list(summary["exponent"]) == ["a", "b"] and summary["estimate"].iloc[0] == pytest.approx(new.to_frame()["a"].iloc[0])


def test_warnings_point_at_the_callers_line_however_deep_they_are_raised(curves):
    """A FitWarning raised inside `fit`, called by `evaluate`, names this file, not jaxscale/_fit.py."""
    train = (curves["x"] < 1e7).to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        js.evaluate(js.PowerLaw, curves, train=train, by="family", loss=js.LogSquared(), bounds={"alpha": (0.26, 0.6)})
        js.fit(js.PowerLaw, curves[curves["family"] == "b"], loss=js.LogSquared(), bounds={"alpha": (0.26, 0.6)})
    fit_warnings = [w for w in caught if issubclass(w.category, js.FitWarning)]
    assert len(fit_warnings) >= 2 and any("groups have something to check" in str(w.message) for w in fit_warnings)
    assert all(w.filename == __file__ for w in fit_warnings), [w.filename for w in fit_warnings]


def test_a_law_shows_its_values():
    assert repr(js.PowerLaw(E=1.5, A=300.0, alpha=0.4)) == "PowerLaw(E=1.5, A=300, alpha=0.4)"
    batch = js.starts.grid(js.PowerLaw, E=[1.0, 2.0, 3.0], A=[10.0, 20.0, 30.0], alpha=[0.1])
    assert repr(batch) == "PowerLaw(E=float64[9] (median 2), A=float64[9] (median 20), alpha=float64[9] (median 0.1))"
    assert repr(js.BrokenPowerLaw.template(n_breaks=2)).startswith("BrokenPowerLaw(a=")
