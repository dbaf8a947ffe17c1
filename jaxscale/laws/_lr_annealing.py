import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constraints import Interval, Positive
from .._law import AbstractLaw
from ._schedule_fit_starts import linear_starts


class LRAnnealing(AbstractLaw):
    """The learning-rate annealing law of Tissue et al. 2024 ("Scaling Law with Learning Rate Annealing",
    arXiv:2408.11029, Eq. 1): the loss at step s

        L(s) = L0 + A S1^(-alpha) - C S2,  S1 = sum_{i <= s} eta_i,
        S2 = sum_{i <= s} m_i,  m_i = lam m_{i-1} + (eta_{i-1} - eta_i),

    the annealing area with momentum decay `lam` (the paper uses 0.999; here it is fitted). Summed in closed
    form, S2 = sum_{k <= s} (eta_{k-1} - eta_k) (1 - lam^(s-k+1)) / (1 - lam). Inputs from
    `js.schedules.curve_inputs` (`lr_area`, and the knots `lr_drop`, `drop_lag`); warmup drops not counted.

    >>> import jaxscale as js
    >>> law = js.laws.LRAnnealing(L0=3.0, A=0.5, alpha=0.5, C=1.0, lam=0.999)
    >>> x = js.schedules.schedule_inputs(js.schedules.Constant(peak=3e-4, total=1000, warmup=100), [999])
    >>> round(float(law(x)[0]), 4)
    3.9366
    """

    inputs = ("lr_area", "lr_drop", "drop_lag")
    sequence_inputs = ("lr_drop", "drop_lag")
    positive_inputs = ("lr_area",)
    constraints = {"L0": Positive(), "A": Positive(), "alpha": Positive(), "C": Positive(), "lam": Interval(0.9, 1.0)}
    L0: Array
    A: Array
    alpha: Array
    C: Array
    lam: Array

    def __call__(self, x):
        return self.L0 + self.A * jnp.exp(-self.alpha * jnp.log(x["lr_area"])) - self.C * self.annealing_area(x)

    def annealing_area(self, x) -> Array:
        """S2 at each row."""
        log_lam = jnp.log(self.lam)
        return jnp.sum(x["lr_drop"] * -jnp.expm1(x["drop_lag"] * log_lam), axis=-1) / (1.0 - self.lam)

    def default_starts(self, target, inputs):
        """L0, A and C by least squares on a grid of (alpha, lam); the 24 best grid points."""
        s1, drop, lag = (np.asarray(inputs[k]) for k in ("lr_area", "lr_drop", "drop_lag"))

        def columns(p):
            s2 = np.sum(drop * -np.expm1(lag * np.log(p["lam"])), axis=-1) / (1 - p["lam"])
            return [s1 ** -p["alpha"], -s2]

        grid = {"alpha": np.linspace(0.1, 1.0, 10), "lam": np.array([0.99, 0.995, 0.999, 0.9995, 0.9999])}
        points = linear_starts(target, columns, grid, 24)
        names = {"L0": "c0", "A": "c1", "C": "c2"}
        return type(self)(**{n: jnp.asarray([p[names.get(n, n)] for p in points]) for n in self.parameter_names()})
