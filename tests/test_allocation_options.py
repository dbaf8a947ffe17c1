"""`allocate`'s options are honoured or refused, never ignored; and new problems plug in from outside the package.

For each of the seven shipped problems, each of n_range, d_range, grid and steps either changes the answer as
it should (a tight n_range caps N, a d_range caps D, grid and steps move an unconverged answer) or is a
ValueError naming it. Then two problems written here, touching no package file: one over a new variable
(`AbstractProblem`) and one in N and D (`AbstractNDProblem`), which get `allocate`, `to_frame()`,
`summary()` and `sensitivities` from the package.
"""

import functools
from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxscale as js
from jaxscale.problems import (
    AbstractAllocation,
    AbstractNDProblem,
    AbstractProblem,
    ComputeOptimal,
    ComputeOptimalPrecision,
    DataConstrained,
    InferenceAware,
    LossTarget,
    OptimalMixture,
    PostTrainingPrecision,
    Search,
    minimize_1d,
    over_values_and_laws,
    six_nd,
)

EPOCH = dict(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
LAW = js.Chinchilla(**EPOCH)
MUENNIGHOFF = js.laws.DataConstrained(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28, R_D_star=15.4, R_N_star=5.3)
KUMAR = js.laws.Precision.kumar_2024()
MIXTURE = js.laws.ExpMixing.over(["web", "code", "books"])(c=jnp.asarray(2.0), t=jnp.array([-1.0, 0.5, -0.2]))

# The problems whose answer has an N and a D that n_range and d_range bound.
N_AND_D = {
    "ComputeOptimal": (LAW, ComputeOptimal(1e24)),
    "DataConstrained": (MUENNIGHOFF, DataConstrained(1e22, unique_tokens=1e10)),
    "LossTarget": (LAW, LossTarget(2.0)),
    "InferenceAware": (LAW, InferenceAware(2.0, inference_tokens=1e13)),
    "ComputeOptimalPrecision": (KUMAR, ComputeOptimalPrecision(1e21)),
}
# Every problem searched by grid-plus-Newton: grid and steps must move an answer they leave unconverged.
SEARCHED = {**N_AND_D, "PostTrainingPrecision": (KUMAR, PostTrainingPrecision(N=1e8, post_training_bits=4.0))}
# Compiling the precision problem's nested search several times over takes ~25 s: in the slow run.
SLOW = {"ComputeOptimalPrecision"}


def _cases(names):
    return [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in names]


REFUSED = [
    ("PostTrainingPrecision", KUMAR, PostTrainingPrecision(N=1e8, post_training_bits=4.0), "n_range", (1e6, 1e9)),
    ("PostTrainingPrecision", KUMAR, PostTrainingPrecision(N=1e8, post_training_bits=4.0), "d_range", (1e6, 1e9)),
    *(("OptimalMixture", MIXTURE, OptimalMixture(), option, value)
      for option, value in (("n_range", (1e6, 1e9)), ("d_range", (1e6, 1e9)), ("grid", 8), ("steps", 5))),
]


@functools.cache
def free(name):
    """Each problem's answer with the default search (made inside a test, so under its dtype settings)."""
    law, problem = SEARCHED[name]
    return js.allocate(law, problem)


@pytest.mark.parametrize("name", _cases(N_AND_D))
def test_a_tight_n_range_caps_n(name):
    law, problem = N_AND_D[name]
    # Half the free optimum: low enough to bind, high enough that a loss target stays reachable.
    cap = float(free(name).N) / 2
    capped = js.allocate(law, problem, n_range=(1e3, cap))
    assert float(capped.N) == pytest.approx(cap, rel=1e-9)


@pytest.mark.parametrize("name", _cases(N_AND_D))
def test_a_d_range_caps_d(name):
    law, problem = N_AND_D[name]
    cap = float(free(name).D) / 2
    capped = js.allocate(law, problem, d_range=(1.0, cap))
    assert 0.999 * cap < float(capped.D) <= cap


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
@pytest.mark.parametrize("name", _cases(SEARCHED))
def test_grid_and_steps_each_change_an_unconverged_answer(name):
    law, problem = SEARCHED[name]
    unknown = "D" if name == "PostTrainingPrecision" else "N"  # what the one-variable search chooses
    coarse = float(getattr(js.allocate(law, problem, grid=3, steps=0), unknown))
    more_points = float(getattr(js.allocate(law, problem, steps=0), unknown))
    more_steps = float(getattr(js.allocate(law, problem, grid=3), unknown))
    assert coarse != pytest.approx(more_points, rel=1e-3)  # grid read
    assert coarse != pytest.approx(more_steps, rel=1e-3)  # steps read
    # With the steps, three grid points find the same optimum as 64.
    assert more_steps == pytest.approx(float(getattr(free(name), unknown)), rel=1e-6)


@pytest.mark.parametrize("name, law, problem, option, value", REFUSED, ids=[f"{r[0]}-{r[3]}" for r in REFUSED])
def test_an_option_the_problem_does_not_read_is_refused_by_name(name, law, problem, option, value):
    with pytest.raises(ValueError, match=f"{name} does not read {option}: it reads"):
        js.allocate(law, problem, **{option: value})


def test_every_shipped_problem_reads_or_refuses_every_option():
    """The tests above cover every (problem, option) pair: honoured where `reads` has it, refused elsewhere."""
    options = {"n_range", "d_range", "grid", "steps"}
    honoured = {name: set(options) for name in N_AND_D} | {"PostTrainingPrecision": {"grid", "steps"}, "OptimalMixture": set()}
    refused = {name: {option for n, _, _, option, _ in REFUSED if n == name} for name in honoured}
    problems = {type(problem) for _, problem in SEARCHED.values()} | {OptimalMixture}
    assert {cls.__name__ for cls in problems} == set(honoured) and len(problems) == 7
    for cls in problems:
        assert set(cls.reads) == honoured[cls.__name__] == options - refused[cls.__name__]


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(n_range=(1e9, 1e6)), r"n_range must be \(lo, hi\) with 0 < lo < hi"),
        (dict(n_range=(1e3, np.inf)), "n_range must be finite"),
        (dict(n_range=1e9), r"n_range must be \(lo, hi\)"),
        (dict(d_range=(-1.0, 1e9)), r"d_range must be \(lo, hi\) with 0 <= lo < hi"),
        (dict(grid=1), "grid must be an integer >= 2"),
        (dict(grid=4.5), "grid must be an integer >= 2"),
        (dict(steps=-1), "steps must be an integer >= 0"),
    ],
)
def test_bad_search_options_are_named_before_anything_compiles(options, message):
    with pytest.raises(ValueError, match=message):
        js.allocate(LAW, ComputeOptimal(1e24), **options)
    with pytest.raises(ValueError, match=message):
        Search(**options)


def test_flops_is_the_cost_the_problem_minimises_or_is_bound_by():
    tokens = 1e13
    aware = free("InferenceAware")
    assert float(aware.training_flops) == pytest.approx(float(6 * aware.N * aware.D), rel=1e-12)
    assert float(aware.flops) == pytest.approx(float(aware.training_flops + 2 * aware.N * tokens), rel=1e-12)
    budget = free("ComputeOptimal")
    assert float(budget.flops) == float(budget.training_flops) == pytest.approx(1e24, rel=1e-10)
    # A loss target's FLOPs are its own cost, not 6 N D.
    cost = lambda N, D: 6 * (N + 5e8) * D
    custom = js.allocate(LAW, LossTarget(2.0, cost=cost))
    assert float(custom.flops) == float(custom.training_flops) == pytest.approx(float(cost(custom.N, custom.D)), rel=1e-12)
    assert list(custom.to_frame().columns) == ["N", "D", "tokens_per_parameter", "loss", "flops", "training_flops"]


@pytest.mark.slow  # moved out of the default run to keep it under 10 minutes on 2 cores
def test_every_result_has_a_frame_and_a_summary():
    mixture = js.allocate(MIXTURE, OptimalMixture(D=np.array([1e9, 2e9]), unique_tokens={"web": 4e8}))
    for result in (*map(free, SEARCHED), mixture):
        frame, summary = result.to_frame(), result.summary(level=0.5)
        assert isinstance(result, AbstractAllocation) and list(summary.index) == list(frame.columns)
        assert np.all(summary["lo"] <= summary["median"]) and np.all(summary["median"] <= summary["hi"])
    assert list(mixture.to_frame().columns) == ["web", "code", "books", "loss"] and len(mixture.to_frame()) == 2
    with pytest.raises(ValueError, match="level must be in"):
        mixture.summary(level=95)


def test_sensitivities_refuse_a_problem_not_in_n_and_d():
    with pytest.raises(ValueError, match="PostTrainingPrecision is not one"):
        js.sensitivities(KUMAR, PostTrainingPrecision(N=1e8, post_training_bits=4.0))
    with pytest.raises(ValueError, match="OptimalMixture does not read grid"):
        js.sensitivities(MIXTURE, OptimalMixture(), grid=8)


# A new problem over one new variable, the number of epochs: written here, solved by the package's minimiser.


class EpochAllocation(AbstractAllocation):
    """The best number of epochs for each model size, the tokens they make and the loss there."""

    N: jax.Array
    epochs: jax.Array
    D: jax.Array
    loss: jax.Array

    def columns(self):
        return {"N": self.N, "epochs": self.epochs, "D": self.D, "loss": self.loss}


class BestEpochs(AbstractProblem):
    """How many epochs of `unique_tokens` an N-parameter model should train for, when every e-fold of
    training compute costs `price` in loss units: minimise L(N, epochs * U, U) + price * log(epochs)."""

    reads: ClassVar[tuple[str, ...]] = ("grid", "steps")
    N: float
    unique_tokens: float
    price: float
    max_epochs: float = 100.0

    def check(self, law):
        if set(type(law).inputs) != {"N", "D", "U"}:
            raise ValueError(f"BestEpochs needs a law of N, D and unique tokens U, got inputs {list(type(law).inputs)}.")

    def solve(self, law, search):
        return _solve_epochs(law, self, jnp.asarray(self.N, float), search.grid, search.steps, bool(law.batch_shape))


@eqx.filter_jit
def _solve_epochs(law, problem, sizes, grid, steps, batched):
    u = problem.unique_tokens

    def one(law, n):
        loss = lambda log_e: law({"N": n, "D": jnp.exp(log_e) * u, "U": u})
        log_e = minimize_1d(lambda log_e: loss(log_e) + problem.price * log_e, 0.0, jnp.log(problem.max_epochs), grid, steps)
        return EpochAllocation(n, jnp.exp(log_e), jnp.exp(log_e) * u, loss(log_e))

    return over_values_and_laws(one, law, sizes, batched)


def test_a_new_problem_over_epochs_gets_allocate_to_frame_and_summary():
    sizes = np.array([3e8, 1e9])
    best = js.allocate(MUENNIGHOFF, BestEpochs(N=sizes, unique_tokens=1e9, price=0.03))
    epochs = np.exp(np.linspace(0.0, np.log(100.0), 200_001))
    for n, found in zip(sizes, np.asarray(best.epochs)):
        x = {"N": np.full_like(epochs, n), "D": epochs * 1e9, "U": np.full_like(epochs, 1e9)}
        brute = epochs[np.argmin(np.asarray(MUENNIGHOFF(x)) + 0.03 * np.log(epochs))]
        assert found == pytest.approx(brute, rel=1e-4) and 1 < found < 100  # interior
    assert list(best.to_frame().columns) == ["N", "epochs", "D", "loss"] and len(best.to_frame()) == 2
    # A batch of laws gives a distribution, summarised like any allocation.
    batch = jax.tree_util.tree_map(lambda p: p * jnp.linspace(0.9, 1.1, 16), MUENNIGHOFF)
    spread = js.allocate(batch, BestEpochs(N=1e9, unique_tokens=1e9, price=0.03)).summary()
    assert spread.loc["epochs", "lo"] < spread.loc["epochs", "median"] < spread.loc["epochs", "hi"]
    with pytest.raises(ValueError, match="BestEpochs does not read n_range: it reads only grid and steps"):
        js.allocate(MUENNIGHOFF, BestEpochs(N=1e9, unique_tokens=1e9, price=0.03), n_range=(1e6, 1e9))
    with pytest.raises(ValueError, match="BestEpochs needs a law of N, D and unique tokens U"):
        js.allocate(LAW, BestEpochs(N=1e9, unique_tokens=1e9, price=0.03))


# A new problem in N and D: the training tokens are fixed and every parameter has a serving price.


class PricedParameters(AbstractNDProblem):
    """D = `tokens` is given; choose N minimising L(N, D) + price * N / 1e9 (a serving price per billion
    parameters, in loss units). With Chinchilla, N* = (alpha A 1e9 / price)^(1 / (1 + alpha))."""

    swept: ClassVar[str] = "tokens"
    tokens: float
    price: float
    cost: Callable = six_nd
    risk: ClassVar[None] = None

    def check(self, law):
        if not {"N", "D"} <= set(type(law).inputs):
            raise ValueError(f"PricedParameters needs a law of N and D, got inputs {list(type(law).inputs)}.")

    def log_tokens(self, law, log_n):
        return jnp.log(self.tokens) + 0.0 * log_n

    def objective(self, law, log_n, log_d):
        return self.loss(law, log_n, log_d) + self.price * jnp.exp(log_n) / 1e9

    def flops(self, n, d):
        return self.cost(n, d)

    def law_inputs(self, n, d):
        return {"N": n, "D": d}


def test_a_new_problem_in_n_and_d_gets_allocate_and_sensitivities():
    alpha, A, price = EPOCH["alpha"], EPOCH["A"], 1e-3
    closed = (alpha * A * 1e9 / price) ** (1 / (1 + alpha))
    best = js.allocate(LAW, PricedParameters(np.array([1e11, 1e12]), price))
    np.testing.assert_allclose(np.asarray(best.N), closed, rtol=1e-9)
    np.testing.assert_allclose(np.asarray(best.D), [1e11, 1e12], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(best.flops), 6 * closed * np.array([1e11, 1e12]), rtol=1e-9)
    capped = js.allocate(LAW, PricedParameters(1e12, price), n_range=(1e3, closed / 2))
    assert float(capped.N) == pytest.approx(closed / 2, rel=1e-9)

    s = js.sensitivities(LAW, PricedParameters(1e12, price))
    assert s.loc["A", "log_N"] == pytest.approx(1 / (1 + alpha), rel=1e-6)
    exponent = ((1 + alpha) - alpha * np.log(alpha * A * 1e9 / price)) / (1 + alpha) ** 2
    assert s.loc["alpha", "log_N"] == pytest.approx(exponent, rel=1e-6)
    assert np.all(np.abs(s.loc[["E", "B", "beta"], "log_N"]) < 1e-12) and np.all(np.abs(s["log_D"]) < 1e-12)
