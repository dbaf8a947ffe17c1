"""A problem's numbers (loss targets, budgets, inference tokens, unique tokens, sizes) are traced arguments of the
compiled solve: after one call, allocating for ten new values compiles nothing, and each answer is the one a solve
compiled afresh for that value gives."""

import equinox as eqx
import jax
import numpy as np
import pytest

import jaxscale as js
from jaxscale._compile_timer import compile_timer
from jaxscale.problems import Search

CHINCHILLA = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)  # Hoffmann et al. 2022, Eq. 10
MUENNIGHOFF = js.laws.DataConstrained(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28, R_D_star=15.4, R_N_star=5.3)


def _mixture_law():
    return js.laws.ExpMixing.over(["web", "code"])(c=np.asarray(2.0), t=np.array([-1.0, 0.5]))


# name -> (law, problem of one value, 11 values); the first value warms the compiled solve.
CASES = {
    "loss target": (lambda: CHINCHILLA, lambda v: js.problems.LossTarget(v), np.linspace(2.0, 3.0, 11)),
    "budget": (lambda: CHINCHILLA, lambda v: js.problems.ComputeOptimal(v), np.geomspace(1e20, 1e25, 11)),
    "inference tokens": (lambda: CHINCHILLA, lambda v: js.problems.InferenceAware(2.2, inference_tokens=v), np.geomspace(1e10, 1e14, 11)),
    "inference tokens in the cost": (
        lambda: CHINCHILLA, lambda v: js.problems.ComputeOptimal(1e23, cost=js.problems.training_and_inference(v)), np.geomspace(1e10, 1e14, 11),
    ),
    "unique tokens": (lambda: MUENNIGHOFF, lambda v: js.problems.DataConstrained(1e22, unique_tokens=v), np.geomspace(1e9, 1e11, 11)),
    "precision budget": (lambda: js.laws.Precision.kumar_2024(), lambda v: js.problems.ComputeOptimalPrecision(v), np.geomspace(1e20, 1e23, 11)),
    "post-training N": (
        lambda: js.laws.Precision.kumar_2024(), lambda v: js.problems.PostTrainingPrecision(N=v, post_training_bits=4.0), np.geomspace(1e8, 1e9, 11),
    ),
    "mixture D": (lambda: _mixture_law(), lambda v: js.problems.OptimalMixture(D=v, unique_tokens={"web": 4e8}), np.geomspace(1e9, 2e9, 11)),
}
SLOW = {"inference tokens in the cost", "precision budget"}


def _fresh(law, problem):
    """The answer of a solve compiled anew for this one value (a new function: nothing cached, the value a constant)."""
    return eqx.filter_jit(lambda law: problem.solve(law, Search()))(law)


def _leaves(answer):
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(answer) if np.issubdtype(np.asarray(leaf).dtype, np.floating)]


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in CASES])
def test_ten_new_values_compile_nothing(name):
    make_law, make_problem, values = CASES[name]
    law = make_law()
    js.allocate(law, make_problem(float(values[0])))  # warm
    with compile_timer() as timer:
        answers = [js.allocate(law, make_problem(float(v))) for v in values[1:]]
    assert timer.compiles == 0, f"{name}: {timer.compiles} compiles for 10 new values"
    outside = [a.to_frame().iloc[0, 0] for a in answers]
    assert len(set(np.round(outside, 12))) == 10  # the values were really used: ten different answers
    # A fresh compile costs seconds: the last value's (sensitivities and risk= through traced values are in test_allocate.py).
    for got, want in zip(_leaves(answers[-1]), _leaves(_fresh(law, make_problem(float(values[-1]))))):
        np.testing.assert_allclose(got, want, rtol=1e-10)
