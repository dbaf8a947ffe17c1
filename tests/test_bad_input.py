"""Bad input raises a ValueError naming the problem and the fix, before anything is compiled."""

import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale._compile_timer import compile_timer


@pytest.fixture
def frame():
    return js.datasets.load("chinchilla", subset="epoch").head(20).copy()


def _fails(match, *args, **kwargs):
    # Warm the few tiny eager ops that build a law's template, so that any compile seen below would be the fit.
    js.Chinchilla.template()
    with compile_timer() as timer, pytest.raises(ValueError, match=match):
        js.fit(*args, **kwargs)
    assert timer.compiles == 0


def test_missing_column(frame):
    _fails(r"column 'D' is missing.*inputs=", js.Chinchilla, frame.drop(columns="D"))


def test_non_numeric_column(frame):
    frame["N"] = frame["N"].astype(object)
    frame.loc[3, "N"] = "seven"
    _fails(r"column 'N' is not numeric.*1 rows.*'seven'.*pd.to_numeric", js.Chinchilla, frame)


def test_nan_and_inf(frame):
    frame.loc[[2, 5], "loss"] = [np.nan, np.inf]
    _fails(r"column 'loss' has 2 rows with NaN or inf \(rows 2, 5\).*dropna", js.Chinchilla, frame)


def test_non_positive_where_a_log_is_taken(frame):
    frame.loc[[0, 1, 4], "N"] = [0.0, -1.0, 0.0]
    _fails(r"column 'N' has 3 rows <= 0 .*logarithm", js.Chinchilla, frame)


def test_non_positive_target_with_a_log_loss(frame):
    frame.loc[0, "loss"] = 0.0
    _fails(r"column 'loss' has 1 rows <= 0.*Squared", js.Chinchilla, frame)


def test_fewer_rows_than_parameters(frame):
    _fails(r"only 4 rows.*5 parameters", js.Chinchilla, frame.head(4))


def test_mismatched_lengths():
    _fails(r"column 'D' has 3 values but 'N' has 4", js.Chinchilla, {"N": [1, 2, 3, 4], "D": [1, 2, 3], "loss": [1, 2, 3, 4]})


def test_empty_frame(frame):
    _fails(r"empty", js.Chinchilla, frame.iloc[:0])


def test_unknown_law_name(frame):
    _fails(r"unknown law 'chinchila'.*known laws", "chinchila", frame)


def test_bounds_with_lo_not_below_hi(frame):
    _fails(r"bounds for 'alpha' need lo < hi, got \(1, 0.5\)", js.Chinchilla, frame, bounds={"alpha": (1.0, 0.5)})


def test_bounds_for_an_unknown_parameter(frame):
    _fails(r"'gamma'.*not parameters", js.Chinchilla, frame, bounds={"gamma": (0, 1)})


def test_negative_weights(frame):
    _fails(r"weights has 1 negative rows", js.Chinchilla, frame, weights=np.r_[-1.0, np.ones(19)])


def test_interval_constraint_checks_its_bounds():
    with pytest.raises(ValueError, match="lo < hi"):
        js.Interval(2.0, 1.0)


def test_all_restarts_failing_raises_fit_error(frame):
    # A law that can only predict NaN: every restart is non-finite, so fit raises instead of returning NaN.
    class Broken(js.PowerLaw):
        def log_predict(self, x):
            return np.nan * x["x"]

    data = pd.DataFrame({"x": np.arange(1.0, 11.0), "loss": np.linspace(2, 1, 10)})
    with pytest.raises(js.FitError, match="non-finite"):
        js.fit(Broken, data, n_refine=4)
