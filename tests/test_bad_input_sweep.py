"""A sweep of bad input over every public verb and every CLI command (issue 14, part 1: no silent failure).

Each case is refused with a ValueError / TypeError that names the argument or column (and how to fix it),
raised before anything is compiled; CLI commands exit non-zero with one `jaxscale: error: ...` line on stderr,
never a traceback, and leave no partial file. The few cases that need a fitted result share small fixtures.
"""

import math
import os
import signal

import equinox as eqx
import numpy as np
import pandas as pd
import pytest

import jaxscale as js
from jaxscale._compile_timer import compile_timer
from jaxscale.cli import main

CHINCHILLA = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
P = js.problems


class _TooSlow(BaseException):
    """Raised by the per-case alarm: a bad input that runs for long instead of failing fast."""


@pytest.fixture(autouse=True)
def _fail_fast():
    # A bad input must be refused at once; one that starts real work is cut off and fails, not left to run.
    def stop(signum, frame):
        raise _TooSlow("still running after 60 s: this bad input was not refused upfront")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _frame(n=20):
    return js.datasets.load("chinchilla", subset="epoch").head(n).copy()


def _power_frame(n=12, seed=0):
    x = np.geomspace(1e6, 1e9, n)
    loss = 1.5 + 300.0 * x ** -0.3 * (1 + 0.01 * np.random.default_rng(seed).standard_normal(n))
    return pd.DataFrame({"x": x, "loss": loss})


def _refused(call, match, error=(ValueError, TypeError)):
    """`call()` raises `error` matching `match` before any XLA compile."""
    js.Chinchilla.template()  # warm the few eager ops that build a template
    js.PowerLaw.template()
    with compile_timer() as timer, pytest.raises(error, match=match):
        call()
    assert timer.compiles == 0, f"{timer.compiles} compiles before the error"


# --------------------------------------------------------------------------------------------- laws with bad values
LAW_CASES = {
    "chinchilla_nan_E": (lambda: js.Chinchilla(E=np.nan, A=477.8, B=2143.9, alpha=0.34, beta=0.37), r"E"),
    "chinchilla_negative_A": (lambda: js.Chinchilla(E=1.8, A=-1.0, B=2143.9, alpha=0.34, beta=0.37), r"A"),
    "chinchilla_inf_B": (lambda: js.Chinchilla(E=1.8, A=477.8, B=np.inf, alpha=0.34, beta=0.37), r"B"),
    "chinchilla_negative_alpha": (lambda: js.Chinchilla(E=1.8, A=477.8, B=2143.9, alpha=-0.3, beta=0.37), r"alpha"),
    "chinchilla_string_beta": (lambda: js.Chinchilla(E=1.8, A=477.8, B=2143.9, alpha=0.3, beta="0.37"), r"beta"),
    "powerlaw_nan_alpha": (lambda: js.PowerLaw(E=1.0, A=1.0, alpha=np.nan), r"alpha"),
    "powerlaw_negative_A": (lambda: js.PowerLaw(E=1.0, A=-2.0, alpha=0.3), r"A"),
}


@pytest.mark.parametrize("name", LAW_CASES)
def test_law_with_bad_values(name):
    make, match = LAW_CASES[name]
    _refused(make, match)


def test_law_with_nan_parameter_is_refused_by_allocate():
    # Whatever the law class accepts, allocate must not hand back NaN for a law with a NaN parameter.
    law = eqx.tree_at(lambda law: law.A, CHINCHILLA, np.nan)  # the class refuses it; a tree operation makes one
    _refused(lambda: js.allocate(law, P.ComputeOptimal(1e24)), r"A.*(NaN|finite)")


def test_law_with_negative_parameter_is_refused_by_allocate():
    law = eqx.tree_at(lambda law: law.A, CHINCHILLA, -477.8)
    _refused(lambda: js.allocate(law, P.ComputeOptimal(1e24)), r"A.*(> 0|positive|constraint)")


# --------------------------------------------------------------------------------------------- problems and allocate
PROBLEM_CASES = {
    "compute_optimal_inf": (lambda: P.ComputeOptimal(math.inf), r"budget.*finite"),
    "compute_optimal_nan": (lambda: P.ComputeOptimal(math.nan), r"budget"),
    "compute_optimal_zero": (lambda: P.ComputeOptimal(0.0), r"budget"),
    "compute_optimal_negative": (lambda: P.ComputeOptimal(-1e24), r"budget"),
    "compute_optimal_string": (lambda: P.ComputeOptimal("1e24"), r"budget"),
    "compute_optimal_bool": (lambda: P.ComputeOptimal(True), r"budget"),
    "budget_array_with_inf": (lambda: P.ComputeOptimal(np.array([1e22, np.inf])), r"budget.*finite"),
    "budget_array_with_nan": (lambda: P.ComputeOptimal(np.array([1e22, np.nan])), r"budget"),
    "budget_array_empty": (lambda: P.ComputeOptimal(np.array([])), r"budget.*empty"),
    "budget_2d": (lambda: P.ComputeOptimal(np.ones((2, 2)) * 1e22), r"budget.*(1-D|one-dimensional|scalar)"),
    "risk_bad_string": (lambda: P.ComputeOptimal(1e24, risk="median"), r"risk"),
    "risk_one": (lambda: P.ComputeOptimal(1e24, risk=1.0), r"risk"),
    "risk_bool": (lambda: P.ComputeOptimal(1e24, risk=True), r"risk"),
    "cost_not_callable": (lambda: P.ComputeOptimal(1e24, cost=6.0), r"cost must be a function of N and D"),
    "loss_target_inf": (lambda: P.LossTarget(math.inf), r"target.*finite"),
    "loss_target_nan": (lambda: P.LossTarget(math.nan), r"target"),
    "loss_target_zero": (lambda: P.LossTarget(0.0), r"target"),
    "loss_target_empty": (lambda: P.LossTarget(np.array([])), r"target.*empty"),
    "inference_tokens_negative": (lambda: P.InferenceAware(2.0, inference_tokens=-1.0), r"inference_tokens"),
    "inference_tokens_inf": (lambda: P.InferenceAware(2.0, inference_tokens=math.inf), r"inference_tokens.*finite"),
    "inference_tokens_nan": (lambda: P.InferenceAware(2.0, inference_tokens=math.nan), r"inference_tokens"),
    "inference_tokens_with_negative": (lambda: P.InferenceAware(2.0, inference_tokens=np.array([1e12, -1.0])), r"inference_tokens"),
    "data_constrained_unique_inf": (lambda: P.DataConstrained(1e22, unique_tokens=math.inf), r"unique_tokens.*finite"),
    "data_constrained_unique_zero": (lambda: P.DataConstrained(1e22, unique_tokens=0.0), r"unique_tokens"),
    "data_constrained_budget_inf": (lambda: P.DataConstrained(math.inf, unique_tokens=1e10), r"budget.*finite"),
    "mixture_iterations_zero": (lambda: P.OptimalMixture(N=1e8, D=1e9, iterations=0), r"iterations"),
    "mixture_iterations_negative": (lambda: P.OptimalMixture(N=1e8, D=1e9, iterations=-3), r"iterations"),
    "mixture_iterations_float": (lambda: P.OptimalMixture(N=1e8, D=1e9, iterations=2.5), r"iterations"),
    "mixture_iterations_bool": (lambda: P.OptimalMixture(N=1e8, D=1e9, iterations=True), r"iterations"),
    "mixture_combine_unknown": (lambda: P.OptimalMixture(N=1e8, D=1e9, combine="max"), r"combine"),
    "mixture_max_epochs_zero": (lambda: P.OptimalMixture(N=1e8, D=1e9, max_epochs=0.0), r"max_epochs"),
    "mixture_N_negative": (lambda: P.OptimalMixture(N=-1.0, D=1e9), r"\bN\b"),
    "precision_budget_inf": (lambda: P.ComputeOptimalPrecision(math.inf), r"budget.*finite"),
    "precision_bits_range_reversed": (lambda: P.ComputeOptimalPrecision(1e22, bits_range=(16.0, 2.0)), r"bits_range"),
    "post_training_N_inf": (lambda: P.PostTrainingPrecision(N=math.inf, post_training_bits=4.0), r"\bN\b"),
    "post_training_bits_zero": (lambda: P.PostTrainingPrecision(N=1e9, post_training_bits=0.0), r"post_training_bits"),
}


@pytest.mark.parametrize("name", list(PROBLEM_CASES))
def test_problem_with_bad_values(name):
    make, match = PROBLEM_CASES[name]
    _refused(make, match)


ALLOCATE_CASES = {
    "n_range_inf": (dict(n_range=(1e3, math.inf)), r"n_range.*finite"),
    "n_range_nan": (dict(n_range=(math.nan, 1e12)), r"n_range"),
    "n_range_reversed": (dict(n_range=(1e12, 1e3)), r"n_range.*lo < hi"),
    "n_range_zero": (dict(n_range=(0.0, 1e12)), r"n_range.*0 < lo"),
    "n_range_one_number": (dict(n_range=1e12), r"n_range"),
    "n_range_three_numbers": (dict(n_range=(1e3, 1e6, 1e9)), r"n_range"),
    "n_range_strings": (dict(n_range=("a", "b")), r"n_range"),
    "d_range_inf": (dict(d_range=(1e3, math.inf)), r"d_range.*finite"),
    "d_range_reversed": (dict(d_range=(1e12, 1e3)), r"d_range.*lo < hi"),
    "d_range_negative": (dict(d_range=(-1.0, 1e12)), r"d_range.*0 <= lo"),
    "grid_zero": (dict(grid=0), r"grid"),
    "grid_one": (dict(grid=1), r"grid"),
    "grid_float": (dict(grid=10.5), r"grid"),
    "grid_bool": (dict(grid=True), r"grid"),
    "steps_negative": (dict(steps=-5), r"steps"),
    "steps_float": (dict(steps=3.5), r"steps"),
    "steps_bool": (dict(steps=True), r"steps"),
}


@pytest.mark.parametrize("name", list(ALLOCATE_CASES))
def test_allocate_search_options(name):
    options, match = ALLOCATE_CASES[name]
    _refused(lambda: js.allocate(CHINCHILLA, P.ComputeOptimal(1e24), **options), match)


@pytest.mark.parametrize("name", ["n_range_inf", "steps_negative", "grid_zero"])
def test_sensitivities_search_options(name):
    options, match = ALLOCATE_CASES[name]
    _refused(lambda: js.sensitivities(CHINCHILLA, P.ComputeOptimal(1e24), **options), match)


def test_allocate_law_not_a_law():
    _refused(lambda: js.allocate({"E": 1.0}, P.ComputeOptimal(1e24)), r"law")


def test_allocate_problem_not_a_problem():
    _refused(lambda: js.allocate(CHINCHILLA, 1e24), r"problem")


def test_allocate_law_without_n_and_d():
    _refused(lambda: js.allocate(js.PowerLaw(E=1.0, A=1.0, alpha=0.3), P.ComputeOptimal(1e24)), r"N and D")


def test_loss_target_below_irreducible_loss():
    _refused(lambda: js.allocate(CHINCHILLA, P.LossTarget(1.5)), r"irreducible loss E")


def test_loss_target_unreachable_inside_the_ranges():
    # 2.0 is reachable in general, but not with N and D both capped at 1e9 and 1e10: an error, not NaN.
    with pytest.raises(ValueError, match=r"n_range|d_range"):
        js.allocate(CHINCHILLA, P.LossTarget(2.0), n_range=(1e6, 1e9), d_range=(1e6, 1e10))


def test_allocation_violating_d_range_is_refused():
    # At 1e24 FLOPs every N in n_range needs D > 1e11, outside d_range: no answer, and it says so.
    with pytest.raises(ValueError, match=r"n_range|d_range"):
        js.allocate(CHINCHILLA, P.ComputeOptimal(1e24), n_range=(1e6, 1e9), d_range=(1e6, 1e11))


def test_allocation_inside_d_range_respects_it():
    best = js.allocate(CHINCHILLA, P.ComputeOptimal(1e24), d_range=(1e9, 1e12))
    assert float(best.D) <= 1e12 * (1 + 1e-6)
    assert np.isfinite(float(best.loss))


def test_cost_returning_negative_flops():
    problem = P.ComputeOptimal(1e24, cost=lambda N, D: -6.0 * N * D)
    _refused(lambda: js.allocate(CHINCHILLA, problem), r"cost.*(negative|> 0)")


def test_cost_returning_nan_flops():
    problem = P.LossTarget(2.0, cost=lambda N, D: np.nan * N * D)
    _refused(lambda: js.allocate(CHINCHILLA, problem), r"cost.*(NaN|finite)")


def test_risk_over_laws_where_one_is_nan():
    batch = js.Chinchilla(
        E=np.array([1.8, np.nan]), A=np.array([477.8, 477.8]), B=np.array([2143.9, 2143.9]),
        alpha=np.array([0.347, 0.347]), beta=np.array([0.367, 0.367]),
    )
    _refused(lambda: js.allocate(batch, P.ComputeOptimal(1e24, risk="mean")), r"parameter E .*NaN.*risk=")


def test_risk_with_a_single_law():
    _refused(lambda: js.allocate(CHINCHILLA, P.ComputeOptimal(1e24, risk="mean")), r"risk needs a batch")


def test_inference_tokens_as_an_array_work_elementwise():
    tokens = np.array([0.0, 1e12, 1e13])
    best = js.allocate(CHINCHILLA, P.InferenceAware(2.0, inference_tokens=tokens))
    n = np.asarray(best.N).reshape(-1)
    assert n.shape == (3,) and np.all(np.isfinite(n)) and n[0] > n[1] > n[2]


def test_sensitivities_of_a_batch_is_refused():
    batch = js.Chinchilla(E=np.array([1.8, 1.9]), A=np.array([477.8] * 2), B=np.array([2143.9] * 2),
                          alpha=np.array([0.347] * 2), beta=np.array([0.367] * 2))
    _refused(lambda: js.sensitivities(batch, P.ComputeOptimal(1e24)), r"one law")


# --------------------------------------------------------------------------------------------- fit
def _fit_call(**kwargs):
    frame = kwargs.pop("data", None)
    frame = _frame() if frame is None else frame
    law = kwargs.pop("law", js.Chinchilla)
    return lambda: js.fit(law, frame, **kwargs)


def _starts(**change):
    values = dict(E=1.8, A=400.0, B=2000.0, alpha=0.3, beta=0.3) | change
    return js.Chinchilla(**{k: np.array([v, v]) for k, v in values.items()})


def _shuffled_weights():
    frame = _frame().sample(frac=1.0, random_state=0)
    weights = pd.Series(np.r_[np.zeros(10), np.ones(10)], index=np.arange(20))  # in 0..19 order, frame shuffled
    return frame, weights


FIT_CASES = {
    "complex_column": (lambda f: f.assign(N=f["N"].astype(complex)), {}, r"column 'N'.*(complex|numeric)"),
    "bool_column": (lambda f: f.assign(N=f["N"] > 1e9), {}, r"column 'N'"),
    "float32_overflow": (lambda f: f.assign(D=f["D"] * 1e30), dict(dtype=np.float32), r"column 'D'.*float32"),
    "target_missing": (None, dict(target="perplexity"), r"perplexity"),
    "target_not_a_string": (None, dict(target=3), r"target"),
    "inputs_unknown_column": (None, dict(inputs={"N": "params"}), r"params"),
    "inputs_unknown_input": (None, dict(inputs={"Q": "N"}), r"Q"),
    "weights_wrong_length": (None, dict(weights=np.ones(7)), r"weights.*7"),
    "weights_nan": (None, dict(weights=np.r_[np.nan, np.ones(19)]), r"weights.*NaN"),
    "weights_inf": (None, dict(weights=np.r_[np.inf, np.ones(19)]), r"weights.*(inf|finite)"),
    "weights_all_zero": (None, dict(weights=np.zeros(20)), r"weight"),
    "weights_string_column": (None, dict(weights="no_such_column"), r"no_such_column"),
    "weights_series_other_index": (None, dict(weights=pd.Series(np.ones(20), index=np.arange(100, 120))), r"weights.*index"),
    "n_refine_zero": (None, dict(n_refine=0), r"n_refine"),
    "n_refine_negative": (None, dict(n_refine=-5), r"n_refine"),
    "n_refine_bool": (None, dict(n_refine=True), r"n_refine"),
    "n_refine_float": (None, dict(n_refine=2.5), r"n_refine"),
    "agree_rtol_negative": (None, dict(agree_rtol=-1e-3), r"agree_rtol"),
    "agree_rtol_nan": (None, dict(agree_rtol=math.nan), r"agree_rtol"),
    "stop_when_agreed_zero": (None, dict(stop_when_agreed=0), r"stop_when_agreed"),
    "stop_when_agreed_bool": (None, dict(stop_when_agreed=True), r"stop_when_agreed"),
    "fixed_unknown": (None, dict(fixed={"gamma": 1.0}), r"gamma"),
    "fixed_nan": (None, dict(fixed={"E": math.nan}), r"E"),
    "fixed_outside_constraint": (None, dict(fixed={"A": -3.0}), r"A"),
    "fixed_string": (None, dict(fixed={"E": "1.7"}), r"E"),
    "tied_unknown": (None, dict(tied={"beta": "gamma"}), r"gamma"),
    "tied_to_itself": (None, dict(tied={"beta": "beta"}), r"beta"),
    "bounds_inf_and_nan": (None, dict(bounds={"alpha": (math.nan, 1.0)}), r"alpha"),
    "bounds_not_a_pair": (None, dict(bounds={"alpha": 0.5}), r"alpha"),
    "bounds_outside_constraint": (None, dict(bounds={"A": (-5.0, -1.0)}), r"A"),
    "loss_not_a_loss": (None, dict(loss="huber"), r"loss"),
    "solver_not_a_solver": (None, dict(solver="lbfgs"), r"solver"),
    "by_unknown_column": (None, dict(by="family"), r"family"),
    "shared_without_by": (None, dict(shared="E"), r"shared.*by"),
    "dtype_int": (None, dict(dtype=np.int32), r"dtype"),
    "start_outside_constraint": (None, dict(starts=_starts(A=-400.0)), r"start.*A"),
    "start_nan": (None, dict(starts=_starts(E=math.nan)), r"starting points are NaN/inf"),
    "start_inf": (None, dict(starts=_starts(B=math.inf)), r"starting points are NaN/inf"),
    "starts_as_a_list": (None, dict(starts=[dict(E=1.8, A=400.0)]), r"starts must be a batch"),
    "starts_wrong_type": (None, dict(starts="grid"), r"starts"),
    "law_not_a_law": (None, dict(law=3.0), r"law"),
    "law_instance_with_nan": (None, dict(law=eqx.tree_at(lambda law: law.E, js.Chinchilla(E=1.0, A=1.0, B=1.0, alpha=0.3, beta=0.3), np.nan)), r"E"),
}


@pytest.mark.parametrize("name", list(FIT_CASES))
def test_fit(name):
    change, kwargs, match = FIT_CASES[name]
    frame = _frame() if change is None else change(_frame())
    _refused(_fit_call(data=frame, **kwargs), match)


def test_fit_data_not_a_table():
    _refused(lambda: js.fit(js.Chinchilla, "chinchilla.csv"), r"DataFrame")


def test_fit_data_none():
    _refused(lambda: js.fit(js.Chinchilla, None), r"DataFrame")


def test_fit_weights_series_in_another_index_order_is_aligned_by_index():
    # A Series of weights is matched to rows by index, never applied by position: zero weight on the rows of
    # one half gives the fit of the other half, whatever order the frame is in.
    frame = _power_frame()
    frame.loc[frame.index[:6], "loss"] *= 1.5  # the first half disagrees with the second
    weights = pd.Series(np.r_[np.zeros(6), np.ones(6)], index=frame.index)
    straight = js.fit(js.PowerLaw, frame, weights=weights, n_refine=2)
    shuffled = js.fit(js.PowerLaw, frame.sample(frac=1.0, random_state=0), weights=weights, n_refine=2)
    np.testing.assert_allclose(float(shuffled.law.E), float(straight.law.E), rtol=1e-4)


def test_fit_max_steps_negative_in_solver():
    _refused(lambda: js.solvers.DampedNewton(max_steps=-5), r"max_steps")


def test_fit_max_steps_float_in_solver():
    _refused(lambda: js.solvers.GaussNewton(max_steps=2.5), r"max_steps")


def test_fit_solver_tolerance_negative():
    _refused(lambda: js.solvers.DampedNewton(rtol=-1.0), r"rtol")


def test_multistart_n_refine_negative():
    _refused(lambda: js.MultiStart(n_refine=-1), r"n_refine")


def test_multistart_agree_rtol_nan():
    _refused(lambda: js.MultiStart(agree_rtol=math.nan), r"agree_rtol")


def test_starts_grid_with_zero_points():
    _refused(lambda: js.starts.sobol(js.Chinchilla, 0), r"number of starts must be a positive integer")


def test_starts_sobol_negative():
    _refused(lambda: js.starts.sobol(js.Chinchilla, -4), r"number of starts must be a positive integer")


def test_starts_uniform_seed_string():
    _refused(lambda: js.starts.uniform(js.Chinchilla, 8, seed="0"), r"seed")


def test_loss_delta_negative():
    _refused(lambda: js.LogHuber(delta=-1.0), r"delta")


def test_loss_delta_nan():
    _refused(lambda: js.LogHuber(delta=math.nan), r"delta")


def test_student_t_df_zero():
    _refused(lambda: js.LogStudentT(df=0.0), r"df")


def test_interval_with_inf():
    _refused(lambda: js.Interval(0.0, math.inf), r"(finite|inf)")


# --------------------------------------------------------------------------------------------- bootstrap
BOOTSTRAP_CASES = {
    "n_huge": (dict(n=10**9), r"n=1000000000.*(memory|chunk|GiB|large)"),
    "n_zero": (dict(n=0), r"\bn\b"),
    "n_negative": (dict(n=-10), r"\bn\b"),
    "n_bool": (dict(n=True), r"\bn\b"),
    "n_float": (dict(n=10.5), r"\bn\b"),
    "seed_string": (dict(seed="0"), r"seed"),
    "seed_float": (dict(seed=0.5), r"seed"),
    "seed_negative": (dict(seed=-1), r"seed"),
    "n_starts_zero": (dict(n_starts=0), r"n_starts"),
    "chunk_size_zero": (dict(chunk_size=0), r"chunk_size"),
    "derived_not_callable": (dict(derived={"a": 3.0}), r"derived"),
}


@pytest.mark.parametrize("name", list(BOOTSTRAP_CASES))
def test_bootstrap(name):
    kwargs, match = BOOTSTRAP_CASES[name]
    _refused(lambda: js.bootstrap(js.Chinchilla, _frame(), **kwargs), match)


def test_bootstrap_bad_fit_option_is_refused_upfront():
    _refused(lambda: js.bootstrap(js.Chinchilla, _frame(), n=4, n_refine=-5), r"n_refine")


# --------------------------------------------------------------------------------------------- evaluate
def _evaluate_frame():
    return _power_frame(16)


EVALUATE_CASES = {
    "train_mask_wrong_length": (lambda f: dict(train=np.ones(5, bool)), r"train.*5"),
    "train_mask_with_nan": (lambda f: dict(train=np.r_[np.nan, np.ones(15)]), r"train.*NaN"),
    "train_mask_not_bool": (lambda f: dict(train=np.arange(16) * 0.5), r"train"),
    "train_all_true": (lambda f: dict(train=np.ones(16, bool)), r"train.*held.?out"),
    "train_all_false": (lambda f: dict(train=np.zeros(16, bool)), r"train"),
    "train_series_other_index": (lambda f: dict(train=pd.Series(np.arange(16) < 10, index=np.arange(100, 116))), r"train.*index"),
    "below_unknown_column": (lambda f: dict(below={"Q": 1e8}), r"Q"),
    "below_nan": (lambda f: dict(below={"x": math.nan}), r"below"),
    "level_one": (lambda f: dict(level=1.0), r"level"),
    "n_resamples_zero": (lambda f: dict(n_resamples=0, intervals="bootstrap"), r"n_resamples"),
    "seed_string": (lambda f: dict(seed="1"), r"seed"),
    "target_missing": (lambda f: dict(target="acc"), r"acc"),
    "by_unknown": (lambda f: dict(by="curve"), r"curve"),
    "intervals_unknown": (lambda f: dict(intervals="conformal"), r"conformal"),
    "both_train_and_below": (lambda f: dict(train=np.arange(16) < 10, below={"x": 1e8}), r"train.*below|below.*train"),
    "neither_train_nor_below": (lambda f: dict(below=None, train=None), r"train.*below"),
}


@pytest.mark.parametrize("name", list(EVALUATE_CASES))
def test_evaluate(name):
    make, match = EVALUATE_CASES[name]
    frame = _evaluate_frame()
    options = make(frame)
    if "train" not in options and "below" not in options:
        options["train"] = np.arange(16) < 10
    _refused(lambda: js.evaluate(js.PowerLaw, frame, **options), match)


def test_evaluate_nan_in_held_out_target():
    frame = _evaluate_frame()
    frame.loc[15, "loss"] = np.nan
    _refused(lambda: js.evaluate(js.PowerLaw, frame, train=np.arange(16) < 10), r"loss.*NaN")


def test_evaluate_shuffled_frame_with_a_series_mask_is_aligned_by_index():
    # A boolean Series mask follows the frame's index; on a shuffled frame it must not be applied by position.
    frame = _evaluate_frame()
    mask = pd.Series(frame["x"] < 2e8, index=frame.index)
    shuffled = frame.sample(frac=1.0, random_state=0)
    straight = js.evaluate(js.PowerLaw, frame, train=mask, n_refine=2)
    mixed = js.evaluate(js.PowerLaw, shuffled, train=mask, n_refine=2)
    a = straight.predictions.sort_values("x")["prediction"].to_numpy()
    b = mixed.predictions.sort_values("x")["prediction"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_evaluate_shuffled_frame_with_an_array_mask_of_other_index_is_refused():
    frame = _evaluate_frame().sample(frac=1.0, random_state=0)
    mask = pd.Series(np.arange(16) < 10, index=np.arange(16) + 1000)
    _refused(lambda: js.evaluate(js.PowerLaw, frame, train=mask), r"train.*index")


# --------------------------------------------------------------------------------------------- infer
INFER_CASES = {
    "by_without_pooled_or_independent": (dict(by="group"), r"pooled|independent"),
    "pooled_without_by": (dict(pooled=["E"]), r"by"),
    "pooled_unknown_parameter": (dict(by="group", pooled=["gamma"]), r"gamma"),
    "prior_wrong_shape": (dict(priors={"E": "wrong_shape"}), r"prior of E .*shape"),
    "prior_an_array": (dict(priors={"E": np.ones(3)}), r"prior of E must be a NumPyro distribution"),
    "prior_unknown_parameter": (dict(priors={"gamma": 1.0}), r"gamma"),
    "prior_not_a_distribution": (dict(priors={"E": "normal"}), r"prior.*E"),
    "method_unknown": (dict(method="vi"), r"method"),
    "n_samples_zero": (dict(n_samples=0), r"n_samples"),
    "n_samples_bool": (dict(n_samples=True), r"n_samples"),
    "n_warmup_negative": (dict(n_warmup=-1), r"n_warmup"),
    "n_chains_zero": (dict(n_chains=0), r"n_chains"),
    "n_chains_float": (dict(n_chains=2.5), r"n_chains"),
    "target_accept_one": (dict(target_accept=1.0), r"target_accept"),
    "seed_string": (dict(seed="0"), r"seed"),
    "seed_float": (dict(seed=1.5), r"seed"),
    "likelihood_unknown": (dict(likelihood="cauchy"), r"likelihood"),
    "population_scale_negative": (dict(by="group", pooled=["E"], population_scale=-1.0), r"population_scale"),
    "weights_nan": (dict(weights=np.r_[np.nan, np.ones(11)]), r"weights"),
    "fixed_unknown": (dict(fixed={"gamma": 1.0}), r"gamma"),
    "target_missing": (dict(target="acc"), r"acc"),
}


@pytest.mark.parametrize("name", list(INFER_CASES))
def test_infer(name):
    kwargs, match = INFER_CASES[name]
    frame = _power_frame().assign(group=np.repeat(["a", "b"], 6))
    if isinstance(kwargs.get("priors", {}).get("E"), str):
        import numpyro.distributions as dist

        kwargs["priors"] = {"E": dist.LogNormal(np.zeros(3), 1.0)}
    _refused(lambda: js.infer(js.PowerLaw, frame, n_warmup=kwargs.pop("n_warmup", 10), n_samples=kwargs.pop("n_samples", 10), **kwargs), match)


# --------------------------------------------------------------------------------------------- fitted results
@pytest.fixture(scope="module")
def power_fit():
    return js.fit(js.PowerLaw, _power_frame(), n_refine=2)


@pytest.fixture(scope="module")
def power_posterior():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        return js.infer(js.PowerLaw, _power_frame(), method="laplace", n_samples=50, seed=0)


PREDICT_CASES = {
    "zero": (pd.DataFrame({"x": [0.0, 1e8]}), r"'x'.*<= 0"),
    "nan": (pd.DataFrame({"x": [np.nan, 1e8]}), r"'x'.*NaN"),
    "inf": (pd.DataFrame({"x": [np.inf, 1e8]}), r"'x'.*(NaN|inf)"),
    "missing_column": (pd.DataFrame({"N": [1e8]}), r"'x'"),
    "string": (pd.DataFrame({"x": ["big"]}), r"'x'.*numeric"),
    "complex": (pd.DataFrame({"x": np.array([1e8 + 1j])}), r"'x'"),
}


@pytest.mark.parametrize("name", list(PREDICT_CASES))
def test_fit_result_predict(power_fit, name):
    data, match = PREDICT_CASES[name]
    _refused(lambda: power_fit.predict(data), match)


@pytest.mark.parametrize("name", list(PREDICT_CASES))
def test_posterior_predict(power_posterior, name):
    data, match = PREDICT_CASES[name]
    _refused(lambda: power_posterior.predict(data), match)


@pytest.mark.parametrize("quantiles,match", [((0.05, 1.5), r"quantiles"), ((), r"quantiles"), ((math.nan,), r"quantiles")])
def test_posterior_predict_quantiles(power_posterior, quantiles, match):
    _refused(lambda: power_posterior.predict(pd.DataFrame({"x": [1e8]}), quantiles=quantiles), match)


def test_posterior_predict_seed_string(power_posterior):
    _refused(lambda: power_posterior.predict(pd.DataFrame({"x": [1e8]}), include_noise=True, seed="0"), r"seed")


def test_posterior_summary_level(power_posterior):
    _refused(lambda: power_posterior.summary(level=1.5), r"level")


# --------------------------------------------------------------------------------------------- isoflop
def _isoflop_frame():
    return js.datasets.load("porian_isoflop").copy()


def _no_minimum_frame():
    # Loss falls monotonically with N at every budget: no profile has an interior minimum.
    rows = [dict(C=c, N=n, D=c / (6 * n), loss=3.0 - 0.1 * np.log10(n) - 0.01 * np.log10(c))
            for c in (1e18, 1e19, 1e20) for n in np.geomspace(1e7, 1e9, 6)]
    return pd.DataFrame(rows)


ISOFLOP_CASES = {
    "no_profile_has_a_minimum": (lambda: js.isoflop.profiles(_no_minimum_frame(), n_bootstrap=10), r"minimum"),
    "compute_column_missing": (lambda: js.isoflop.profiles(_isoflop_frame(), compute="FLOPs"), r"FLOPs"),
    "size_column_missing": (lambda: js.isoflop.profiles(_isoflop_frame(), size="params"), r"params"),
    "estimator_unknown": (lambda: js.isoflop.profiles(_isoflop_frame(), estimator="spline"), r"estimator"),
    "window_too_small": (lambda: js.isoflop.profiles(_isoflop_frame(), estimator="window", window=2), r"window"),
    "n_bootstrap_zero": (lambda: js.isoflop.profiles(_isoflop_frame(), n_bootstrap=0), r"n_bootstrap"),
    "n_bootstrap_bool": (lambda: js.isoflop.profiles(_isoflop_frame(), n_bootstrap=True), r"n_bootstrap"),
    "level_zero": (lambda: js.isoflop.profiles(_isoflop_frame(), level=0.0), r"level"),
    "seed_string": (lambda: js.isoflop.profiles(_isoflop_frame(), seed="0"), r"seed"),
    "interpolate_without_seed_noise": (lambda: js.isoflop.profiles(_isoflop_frame(), estimator="interpolate"), r"seed_noise"),
    "nan_loss": (lambda: js.isoflop.profiles(_isoflop_frame().assign(loss=np.nan)), r"loss"),
    "negative_compute": (lambda: js.isoflop.profiles(_isoflop_frame().assign(C=-1.0)), r"'C'"),
    "envelope_n_bins_zero": (lambda: js.isoflop.envelope(_isoflop_frame(), n_bins=0), r"n_bins"),
    "envelope_n_bins_float": (lambda: js.isoflop.envelope(_isoflop_frame(), n_bins=3.5), r"n_bins"),
    "envelope_compute_missing": (lambda: js.isoflop.envelope(_isoflop_frame(), compute="FLOPs"), r"FLOPs"),
    "envelope_seed_float": (lambda: js.isoflop.envelope(_isoflop_frame(), seed=0.5), r"seed"),
}


@pytest.mark.parametrize("name", list(ISOFLOP_CASES))
def test_isoflop(name):
    call, match = ISOFLOP_CASES[name]
    _refused(call, match)


# --------------------------------------------------------------------------------------------- backtest, compare, chain
def _curve_frame():
    frame = js.datasets.load("revisiting")
    return frame[frame["curve"] == frame["curve"].iloc[0]].copy()


BACKTEST_CASES = {
    "cutoffs_empty": (dict(cutoffs=()), r"cutoffs"),
    "cutoffs_outside_unit_interval": (dict(cutoffs=(0.5, 1.5)), r"cutoffs"),
    "cutoffs_nan": (dict(cutoffs=(math.nan,)), r"cutoffs"),
    "axis_missing": (dict(axis="step"), r"step"),
    "horizon_unknown": (dict(horizon="next"), r"horizon"),
    "intervals_unknown": (dict(intervals=("conformal",)), r"conformal"),
    "level_above_one": (dict(level=2.0), r"level"),
    "n_resamples_negative": (dict(n_resamples=-1), r"n_resamples"),
    "n_resamples_bool": (dict(n_resamples=True), r"n_resamples"),
    "seed_string": (dict(seed="0"), r"seed"),
    "by_unknown": (dict(by="family"), r"family"),
}


@pytest.mark.parametrize("name", list(BACKTEST_CASES))
def test_backtest(name):
    kwargs, match = BACKTEST_CASES[name]
    _refused(lambda: js.backtest(js.PowerLaw, _curve_frame(), **kwargs), match)


def _compare_frame():
    frame = _frame(40)
    frame["arch"] = np.where(np.arange(40) % 2 == 0, "a", "b")
    return frame


COMPARE_CASES = {
    "variant_missing": (dict(variant="recipe", baseline="a", at=1e22), r"recipe"),
    "baseline_not_a_value": (dict(variant="arch", baseline="c", at=1e22), r"baseline.*'c'"),
    "at_inf": (dict(variant="arch", baseline="a", at=math.inf), r"at"),
    "at_negative": (dict(variant="arch", baseline="a", at=-1e22), r"at"),
    "shared_unknown": (dict(variant="arch", baseline="a", at=1e22, shared=("gamma",)), r"gamma"),
    "n_resamples_zero": (dict(variant="arch", baseline="a", at=1e22, n_resamples=0), r"n_resamples"),
    "seed_string": (dict(variant="arch", baseline="a", at=1e22, seed="0"), r"seed"),
    "level_zero": (dict(variant="arch", baseline="a", at=1e22, level=0.0), r"level"),
    "crossover_range_reversed": (dict(variant="arch", baseline="a", at=1e22, crossover_range=(1e24, 1e20)), r"crossover_range"),
    "n_range_inf": (dict(variant="arch", baseline="a", at=1e22, n_range=(1e3, math.inf)), r"n_range"),
    "grid_zero": (dict(variant="arch", baseline="a", at=1e22, grid=0), r"grid"),
    "steps_negative": (dict(variant="arch", baseline="a", at=1e22, steps=-5), r"steps"),
}


@pytest.mark.parametrize("name", list(COMPARE_CASES))
def test_compare(name):
    kwargs, match = COMPARE_CASES[name]
    _refused(lambda: js.compare(js.Chinchilla, _compare_frame(), **kwargs), match)


def _chain_frames():
    first = pd.DataFrame({"run": ["r1", "r2", "r3", "r4"], "C": [1e18, 1e19, 1e20, 1e21], "loss": [3.0, 2.7, 2.5, 2.35]})
    second = pd.DataFrame({"run": ["r1", "r2", "r3", "r4"], "loss": [3.0, 2.7, 2.5, 2.35], "acc": [0.3, 0.4, 0.5, 0.55]})
    return first, second


CHAIN_CASES = {
    "step_not_a_chain_step": (lambda a, b: js.chain("step", b), r"step1"),
    "n_bootstrap_zero": (lambda a, b: js.chain(a, b, n_bootstrap=0), r"n_bootstrap"),
    "seed_string": (lambda a, b: js.chain(a, b, seed="0"), r"seed"),
    "run_column_missing": (lambda a, b: js.chain(a, b, run="model"), r"model"),
    "n_starts_zero": (lambda a, b: js.chain(a, b, n_starts=0), r"n_starts"),
}


@pytest.mark.parametrize("name", list(CHAIN_CASES))
def test_chain(name):
    call, match = CHAIN_CASES[name]
    first, second = _chain_frames()
    step1 = js.ChainStep(js.PowerLaw, first, target="loss", inputs={"x": "C"})
    step2 = js.ChainStep(js.PowerLaw, second, target="acc", inputs={"x": "loss"})
    _refused(lambda: call(step1, step2), match)


def test_chain_step_target_missing():
    first, _ = _chain_frames()
    _refused(lambda: js.ChainStep(js.PowerLaw, first, target="accuracy"), r"accuracy")


# --------------------------------------------------------------------------------------------- observational scaling
def _obs_frame():
    rng = np.random.default_rng(0)
    n = 12
    return pd.DataFrame({
        "model": [f"m{i}" for i in range(n)], "family": np.repeat(["f1", "f2", "f3"], 4),
        "C": np.geomspace(1e20, 1e24, n), "b1": rng.uniform(0.2, 0.8, n), "b2": rng.uniform(0.2, 0.8, n),
        "b3": rng.uniform(0.2, 0.8, n), "task": rng.uniform(0.2, 0.8, n),
    })


OBS_CASES = {
    "target_missing": (dict(target="nope"), r"nope"),
    "benchmark_missing": (dict(benchmarks=["b1", "zz"]), r"zz"),
    "benchmarks_empty": (dict(benchmarks=[]), r"benchmarks"),
    "cutoff_nan": (dict(cutoff=math.nan), r"cutoff"),
    "n_factors_zero": (dict(n_factors=0), r"n_factors"),
    "n_factors_too_many": (dict(n_factors=9), r"n_factors"),
    "n_bootstrap_zero": (dict(n_bootstrap=0), r"n_bootstrap"),
    "level_one": (dict(level=1.0), r"level"),
    "seed_string": (dict(seed="0"), r"seed"),
    "ceiling_below_floor": (dict(floor=0.9, ceiling=0.5), r"ceiling|floor"),
    "compute_missing": (dict(compute="FLOPs"), r"FLOPs"),
}


@pytest.mark.parametrize("name", list(OBS_CASES))
def test_observational_scaling(name):
    kwargs, match = OBS_CASES[name]
    options = dict(target="task", benchmarks=["b1", "b2", "b3"], cutoff=1e22, n_factors=2, n_bootstrap=20) | kwargs
    frame = _obs_frame()
    _refused(lambda: js.observational_scaling(frame, options.pop("target"), options.pop("benchmarks"), options.pop("cutoff"), **options), match)


# --------------------------------------------------------------------------------------------- datasets
DATASET_CASES = {
    "unknown_name": (lambda: js.datasets.load("chinchila"), r"chinchila"),
    "revisiting_subset_epoch": (lambda: js.datasets.load("revisiting", subset="epoch"), r"subset.*epoch"),
    "chinchilla_subset_unknown": (lambda: js.datasets.load("chinchilla", subset="best"), r"subset.*best"),
    "name_not_a_string": (lambda: js.datasets.load(3), r"name"),
}


@pytest.mark.parametrize("name", list(DATASET_CASES))
def test_datasets_load(name):
    call, match = DATASET_CASES[name]
    _refused(call, match)


# --------------------------------------------------------------------------------------------- plots
PLOT_PATH_CASES = {
    "missing_directory": (lambda tmp: os.path.join(tmp, "nope", "fit.png"), r"does not exist"),
    "onto_a_directory": (lambda tmp: tmp, r"is a directory"),
    "no_extension": (lambda tmp: os.path.join(tmp, "fit"), r"extension"),
    "unknown_extension": (lambda tmp: os.path.join(tmp, "fit.xyz"), r"extension"),
    "not_a_path": (lambda tmp: 3, r"path"),
}


@pytest.mark.parametrize("name", PLOT_PATH_CASES)
def test_plot_paths(power_fit, tmp_path, name):
    make, match = PLOT_PATH_CASES[name]
    path = make(str(tmp_path))
    _refused(lambda: js.plot.fit(power_fit, _power_frame(), path=path), match)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")], "a partial file was left"


def test_plot_fit_not_a_result():
    _refused(lambda: js.plot.fit("result"), r"result")


def test_plot_residuals_unknown_against(power_fit):
    _refused(lambda: js.plot.residuals(power_fit, _power_frame(), against="Q"), r"against|Q")


def test_plot_draw_unknown_kind(power_fit):
    _refused(lambda: js.plot.draw(power_fit, "violin"), r"kind|violin")


def test_plot_posterior_level(power_posterior):
    _refused(lambda: js.plot.posterior(power_posterior, _power_frame(), level=1.5), r"level")


def test_plot_frontier_not_an_allocation():
    _refused(lambda: js.plot.frontier(CHINCHILLA), r"budgets|Allocation")


def test_plot_fit_data_missing_column(power_fit):
    _refused(lambda: js.plot.fit(power_fit, pd.DataFrame({"N": [1.0], "loss": [1.0]})), r"'x'")


# --------------------------------------------------------------------------------------------- CLI
def _cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.err


def _cli_refuses(capsys, argv, match):
    js.Chinchilla.template()
    with compile_timer() as timer:
        code, err = _cli(capsys, *argv)
    assert code != 0, f"exit code 0 for {argv}"
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("jaxscale: error: "), err
    assert pytest.importorskip("re").search(match, lines[0]), lines[0]
    return timer


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "small.csv"
    _frame(30).to_csv(path, index=False)
    return str(path)


CLI_CASES = {
    "fit_missing_file": (lambda d, csv: ["fit", os.path.join(d, "absent.csv")], r"absent.csv"),
    "fit_unknown_law": (lambda d, csv: ["fit", csv, "--law", "chinchila"], r"chinchila"),
    "fit_plot_missing_directory": (lambda d, csv: ["fit", csv, "--plot", os.path.join(d, "nope", "fit.png")], r"--plot.*does not exist"),
    "fit_plot_onto_directory": (lambda d, csv: ["fit", csv, "--plot", d], r"--plot.*directory"),
    "fit_plot_bad_extension": (lambda d, csv: ["fit", csv, "--plot", os.path.join(d, "fit.xyz")], r"--plot.*extension"),
    "fit_out_missing_directory": (lambda d, csv: ["fit", csv, "--out", os.path.join(d, "nope", "fit.csv")], r"--out.*does not exist"),
    "fit_out_onto_directory": (lambda d, csv: ["fit", csv, "--out", d], r"--out.*directory"),
    "fit_missing_target": (lambda d, csv: ["fit", csv, "--target", "perplexity"], r"perplexity"),
    "fit_bad_input_mapping": (lambda d, csv: ["fit", csv, "--input", "N"], r"--input"),
    "fit_bad_fix": (lambda d, csv: ["fit", csv, "--fix", "E=abc"], r"--fix"),
    "fit_fix_unknown": (lambda d, csv: ["fit", csv, "--fix", "gamma=1"], r"gamma"),
    "fit_delta_negative": (lambda d, csv: ["fit", csv, "--delta", "-1"], r"--delta"),
    "fit_delta_nan": (lambda d, csv: ["fit", csv, "--delta", "nan"], r"--delta"),
    "fit_n_refine_zero": (lambda d, csv: ["fit", csv, "--n-refine", "0"], r"--n-refine"),
    "fit_by_unknown": (lambda d, csv: ["fit", csv, "--by", "family"], r"family"),
    "fit_empty_csv": (lambda d, csv: ["fit", _write(d, "empty.csv", "")], r"CSV|empty"),
    "fit_not_a_csv": (lambda d, csv: ["fit", _write(d, "junk.csv", "\x00\x01\x02garbage\n\"unterminated")], r"CSV|column"),
    "fit_header_only": (lambda d, csv: ["fit", _write(d, "header.csv", "N,D,loss\n")], r"empty|rows"),
    "fit_text_in_column": (lambda d, csv: ["fit", _write(d, "text.csv", "N,D,loss\n1e8,1e9,3.0\nbig,1e10,2.9\n1e9,1e10,2.8\n1e9,2e10,2.7\n2e9,1e10,2.6\n3e9,1e11,2.5\n")], r"'N'"),
    "bootstrap_n_zero": (lambda d, csv: ["bootstrap", csv, "-n", "0"], r"\bn\b|-n"),
    "bootstrap_n_huge": (lambda d, csv: ["bootstrap", csv, "-n", "1000000000"], r"-n 1000000000 would hold .* GiB"),
    "bootstrap_missing_file": (lambda d, csv: ["bootstrap", os.path.join(d, "absent.csv")], r"absent.csv"),
    "bootstrap_out_onto_directory": (lambda d, csv: ["bootstrap", csv, "--out", d], r"--out.*directory"),
    "bootstrap_unknown_law": (lambda d, csv: ["bootstrap", csv, "--law", "nope"], r"nope"),
    "isoflop_missing_file": (lambda d, csv: ["isoflop", os.path.join(d, "absent.csv")], r"absent.csv"),
    "isoflop_compute_missing": (lambda d, csv: ["isoflop", "porian_isoflop", "--compute", "FLOPs"], r"FLOPs"),
    "isoflop_no_minimum": (lambda d, csv: ["isoflop", _write_frame(d, "mono.csv", _no_minimum_frame()), "-n", "10"], r"minimum"),
    "isoflop_out_missing_directory": (lambda d, csv: ["isoflop", "porian_isoflop", "--out", os.path.join(d, "nope", "x.csv")], r"--out.*does not exist"),
    "isoflop_window_with_approach_1": (lambda d, csv: ["isoflop", "porian_isoflop", "--approach", "1", "--window", "3"], r"approach"),
    "isoflop_n_bootstrap_zero": (lambda d, csv: ["isoflop", "porian_isoflop", "-n", "0"], r"n_bootstrap|-n"),
    "allocate_budget_inf": (lambda d, csv: ["allocate", csv, "--budget", "inf"], r"budget"),
    "allocate_budget_negative": (lambda d, csv: ["allocate", csv, "--budget=-1e24"], r"budget"),
    "allocate_budget_nan": (lambda d, csv: ["allocate", csv, "--budget", "nan"], r"budget"),
    "allocate_loss_target_nan": (lambda d, csv: ["allocate", csv, "--loss-target", "nan"], r"loss.target|target"),
    "allocate_inference_tokens_negative": (lambda d, csv: ["allocate", csv, "--inference-tokens", "-5", "--loss-target", "2.5"], r"inference.tokens"),
    "allocate_frontier_malformed": (lambda d, csv: ["allocate", csv, "--frontier", "1e20"], r"--frontier"),
    "allocate_frontier_reversed": (lambda d, csv: ["allocate", csv, "--frontier", "1e24:1e20"], r"--frontier"),
    "allocate_points_zero": (lambda d, csv: ["allocate", csv, "--frontier", "1e20:1e24", "--points", "0"], r"--points"),
    "allocate_plot_missing_directory": (lambda d, csv: ["allocate", csv, "--plot", os.path.join(d, "nope", "a.png")], r"--plot.*does not exist"),
    "allocate_out_onto_directory": (lambda d, csv: ["allocate", csv, "--out", d], r"--out.*directory"),
    "allocate_unknown_law": (lambda d, csv: ["allocate", csv, "--budget", "1e24", "--law", "nope"], r"nope"),
    "infer_missing_file": (lambda d, csv: ["infer", os.path.join(d, "absent.csv")], r"absent.csv"),
    "infer_by_without_pooled": (lambda d, csv: ["infer", csv, "--by", "N"], r"pooled|independent"),
    "infer_samples_zero": (lambda d, csv: ["infer", csv, "--samples", "0"], r"samples"),
    "infer_chains_zero": (lambda d, csv: ["infer", csv, "--chains", "0"], r"chains"),
    "infer_seed_negative": (lambda d, csv: ["infer", csv, "--seed=-1"], r"seed"),
    "infer_out_onto_directory": (lambda d, csv: ["infer", csv, "--out", d], r"--out.*directory"),
    "infer_unknown_law": (lambda d, csv: ["infer", csv, "--law", "nope"], r"nope"),
    "backtest_missing_file": (lambda d, csv: ["backtest", os.path.join(d, "absent.csv")], r"absent.csv"),
    "backtest_cutoffs_malformed": (lambda d, csv: ["backtest", "revisiting", "--cutoffs", "0.5,abc"], r"--cutoffs|cutoffs"),
    "backtest_level_out_of_range": (lambda d, csv: ["backtest", "revisiting", "--level", "2"], r"level"),
    "backtest_unknown_law": (lambda d, csv: ["backtest", "revisiting", "--law", "nope"], r"nope"),
    "backtest_axis_missing": (lambda d, csv: ["backtest", "revisiting", "--axis", "step"], r"step"),
    "backtest_out_missing_directory": (lambda d, csv: ["backtest", "revisiting", "--out", os.path.join(d, "nope", "b.csv")], r"--out.*does not exist"),
    "compare_variant_missing": (lambda d, csv: ["compare", csv, "--variant", "arch", "--baseline", "a", "--at", "1e22"], r"arch"),
    "compare_at_not_a_number": (lambda d, csv: ["compare", csv, "--variant", "N", "--baseline", "a", "--at", "big"], r"--at|at"),
    "compare_plot_onto_directory": (lambda d, csv: ["compare", csv, "--variant", "N", "--baseline", "a", "--at", "1e22", "--plot", d], r"--plot.*directory"),
    "compare_missing_file": (lambda d, csv: ["compare", os.path.join(d, "absent.csv"), "--variant", "v", "--baseline", "a", "--at", "1e22"], r"absent.csv"),
    "mixture_fit_missing_file": (lambda d, csv: ["mixture", "fit", os.path.join(d, "absent.csv")], r"absent.csv"),
    "mixture_optimize_missing_file": (lambda d, csv: ["mixture", "optimize", os.path.join(d, "absent.csv")], r"absent.csv"),
}


def _write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        handle.write(text)
    return path


def _write_frame(directory, name, frame):
    path = os.path.join(directory, name)
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_cli(capsys, tmp_path, small_csv, name):
    make, match = CLI_CASES[name]
    argv = make(str(tmp_path), small_csv)
    before = set(os.listdir(tmp_path))
    _cli_refuses(capsys, argv, match)
    after = set(os.listdir(tmp_path))
    assert after == before, f"files left behind: {sorted(after - before)}"


def test_cli_no_arguments_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code != 0
    assert "Traceback" not in capsys.readouterr().err


def test_cli_unknown_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fitt", "chinchilla"])
    assert exit_info.value.code != 0
