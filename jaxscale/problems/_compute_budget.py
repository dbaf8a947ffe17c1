"""Problems with a compute budget: cost(N, D) = budget fixes log D at each N, and the loss is minimised."""

from collections.abc import Callable
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp

from ._abstract import require_one_law
from ._costs import six_nd
from ._reduced import AbstractNDProblem, require_n_and_d
from ._search import root_in_log_d
from ._values import check_amount, check_cost, check_cost_values


class AbstractComputeBudget(AbstractNDProblem):
    """A problem with a compute budget: cost(N, D) = budget fixes log D at each N; the loss is minimised.

    >>> import jaxscale as js
    >>> issubclass(js.problems.DataConstrained, js.problems.AbstractComputeBudget)
    True
    """

    swept: ClassVar[str] = "budget"
    budget: eqx.AbstractVar[float]

    def __check_init__(self):
        check_amount("budget", self.budget, unit=" FLOPs", example="1e24")
        check_cost(self.cost)

    def log_tokens(self, law, log_n):
        log_budget = jnp.log(self.budget)
        if self.cost is six_nd:  # the constraint solved in closed form
            return log_budget - jnp.log(6.0) - log_n
        return root_in_log_d(lambda d: jnp.log(self.cost(jnp.exp(log_n), jnp.exp(d))) - log_budget)

    def objective(self, law, log_n, log_d):
        return self.loss(law, log_n, log_d)

    def flops(self, n, d):
        return self.cost(n, d)


class ComputeOptimal(AbstractComputeBudget):
    """Minimise the loss L(N, D) subject to cost(N, D) = budget (FLOPs).

    With the default cost 6 N D and the Chinchilla law this is Hoffmann et al.'s compute-optimal allocation,
    N* = G (C/6)^(beta/(alpha+beta)). `risk` applies to a batch of laws (bootstrap refits, posterior draws):
    None allocates for each law separately; "mean" minimises the expected loss over the batch; a number q in
    (0, 1) minimises the q-quantile of the loss over the batch (e.g. 0.9: a pessimistic allocation).

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> f"{float(js.allocate(law, js.problems.ComputeOptimal(1e24)).N):.3g}"
    '9.72e+10'
    """

    budget: float
    cost: Callable = six_nd
    risk: str | float | None = None

    def __check_init__(self):
        quantile = isinstance(self.risk, (float, int)) and not isinstance(self.risk, bool) and 0 < self.risk < 1
        if not (self.risk is None or (isinstance(self.risk, str) and self.risk == "mean") or quantile):
            raise ValueError(f"risk must be None, 'mean' or a quantile in (0, 1), got {self.risk!r}.")

    def check(self, law):
        require_n_and_d(self, law)
        check_cost_values(type(self).__name__, self.cost, 1e9, 2e10)
        if self.risk is not None and not law.batch_shape:
            raise ValueError("risk needs a batch of laws (bootstrap refits or posterior draws); pass one, or risk=None.")

    def law_inputs(self, n, d):
        return {"N": n, "D": d}


class DataConstrained(AbstractComputeBudget):
    """Minimise the loss for a compute budget when only `unique_tokens` of distinct data exist (Muennighoff
    et al. 2023): D may exceed them, as repeated epochs (D / unique_tokens of them), which the law
    (`jaxscale.laws.DataConstrained`, input U) values less. The answer's epochs are `D / unique_tokens`.

    >>> import jaxscale as js
    >>> law = js.laws.DataConstrained(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28, R_D_star=15.4, R_N_star=5.3)
    >>> best = js.allocate(law, js.problems.DataConstrained(1e22, unique_tokens=1e10))
    >>> bool(float(best.D) / 1e10 > 10)  # many epochs of scarce data
    True
    """

    budget: float
    unique_tokens: float
    cost: Callable = six_nd
    risk: ClassVar[None] = None  # one allocation per law of a batch

    def __check_init__(self):
        check_amount("unique_tokens", self.unique_tokens, unit=" tokens", example="1e10")

    def check(self, law):
        require_one_law(law)
        check_cost_values(type(self).__name__, self.cost, 1e9, 2e10)
        if set(type(law).inputs) != {"N", "D", "U"}:
            raise ValueError(
                f"DataConstrained needs a law of N, D and unique tokens U (e.g. js.laws.DataConstrained), but "
                f"{type(law).__name__} takes inputs {list(type(law).inputs)}."
            )

    def law_inputs(self, n, d):
        return {"N": n, "D": d, "U": self.unique_tokens}
