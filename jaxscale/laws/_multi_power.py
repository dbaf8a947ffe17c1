import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLaw
from ._schedule_fit_starts import linear_starts

_TINY_LR = 1e-12  # a drop to a learning rate of exactly 0 has eta^-gamma = inf and G = 1: keep it finite


class MultiPowerLaw(AbstractLaw):
    """The Multi-Power Law of Luo et al. 2025 ("A Multi-Power Law for Loss Curve Prediction Across Learning
    Rate Schedules", ICLR 2025, Eq. 5): the loss at step t of a run with learning rates eta_0, eta_1, ...

        L(t) = L0 + A S1(t)^(-alpha) - LD(t),
        LD(t) = B sum_{k <= t} (eta_{k-1} - eta_k) G(eta_k^(-gamma) S_k(t)),  G(x) = 1 - (C x + 1)^(-beta),

    with S1(t) the learning rate summed over every step up to t and S_k(t) = S1(t) - S1(k-1) the sum from step
    k to t. Inputs come from `js.schedules.curve_inputs` (`lr_area` = S1(t); the knots `lr_drop`, `lr_after`,
    `drop_area`); drops during warmup are not counted. Fit one law to several schedules of one model size.

    >>> import jaxscale as js
    >>> law = js.laws.MultiPowerLaw(L0=3.0, A=0.5, alpha=0.5, B=300.0, C=2.0, beta=0.5, gamma=0.5)
    >>> x = js.schedules.schedule_inputs(js.schedules.Constant(peak=3e-4, total=1000, warmup=100), [999])
    >>> round(float(law(x)[0]), 4)  # no drop: L0 + A S1^-alpha, S1 = 950 * 3e-4
    3.9366
    """

    inputs = ("lr_area", "lr_drop", "lr_after", "drop_area")
    sequence_inputs = ("lr_drop", "lr_after", "drop_area")
    positive_inputs = ("lr_area",)
    constraints = {
        "L0": Positive(), "A": Positive(), "alpha": Positive(), "B": Positive(), "C": Positive(), "beta": Positive(), "gamma": Positive(),
    }
    L0: Array
    A: Array
    alpha: Array
    B: Array
    C: Array
    beta: Array
    gamma: Array

    def __call__(self, x):
        return self.L0 + self.A * jnp.exp(-self.alpha * jnp.log(x["lr_area"])) - self.loss_drop(x)

    def loss_drop(self, x) -> Array:
        """LD(t), the loss reduction from learning-rate decay, at each row."""
        lr = jnp.maximum(x["lr_after"], _TINY_LR)
        scaled = jnp.exp(-self.gamma * jnp.log(lr)) * x["drop_area"]
        g = -jnp.expm1(-self.beta * jnp.log1p(self.C * scaled))
        return self.B * jnp.sum(x["lr_drop"] * g, axis=-1)

    def default_starts(self, target, inputs):
        """L0, A and B by least squares on a grid of (alpha, C, beta, gamma), as the paper starts from a linear
        surrogate and C = 1, beta = gamma = 0.5; the 48 best grid points."""
        s1 = np.asarray(inputs["lr_area"])
        drop, lr, area = (np.asarray(inputs[k]) for k in ("lr_drop", "lr_after", "drop_area"))
        log_lr = np.log(np.maximum(lr, _TINY_LR))

        def columns(p):
            g = -np.expm1(-p["beta"] * np.log1p(p["C"] * np.exp(-p["gamma"] * log_lr) * area))
            return [s1 ** -p["alpha"], -np.sum(drop * g, axis=-1)]

        grid = {"alpha": np.linspace(0.15, 0.9, 6), "C": np.geomspace(0.1, 30, 5), "beta": np.array([0.3, 0.6, 1.2]), "gamma": np.array([0.3, 0.5, 0.7])}
        points = linear_starts(target, columns, grid, 48)
        names = {"L0": "c0", "A": "c1", "B": "c2"}
        return type(self)(**{n: jnp.asarray([p[names.get(n, n)] for p in points]) for n in self.parameter_names()})

    @classmethod
    def check_inputs(cls, columns):
        if np.any(np.asarray(columns["drop_area"]) <= 0):
            raise ValueError("drop_area must be > 0 in every knot (the learning rate summed since the drop): build the inputs with js.schedules.curve_inputs.")
