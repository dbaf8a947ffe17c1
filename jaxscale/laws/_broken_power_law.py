import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constraints import Positive, Real
from .._law import AbstractLogLaw


class BrokenPowerLaw(AbstractLogLaw):
    """The smoothly broken power law of Caballero et al. 2022 ("Broken Neural Scaling Laws", BNSL):

        y = a + b * x^(-c0) * prod_{i=1..n} (1 + (x / d_i)^(1 / f_i))^(-c_i * f_i)

    With n breaks, `c`, `d` and `f` are vectors of length n: break i sits near x = d_i, changes the slope
    (in log-log space) by c_i, and f_i sets its sharpness. Computed in log space as
    logaddexp(log a, log b - c0 log x - sum_i c_i f_i softplus((log x - log d_i) / f_i)).
    `BrokenPowerLaw.template(n_breaks=2)` is the unfitted two-break law to pass to `fit`.

    >>> import jaxscale as js, jax.numpy as jnp
    >>> law = js.BrokenPowerLaw(a=0.1, b=1.0, c0=0.0, c=jnp.array([0.5]), d=jnp.array([100.0]), f=jnp.array([0.1]))
    >>> round(float(law.predict({"x": [1e4]})[0]), 3)  # past the break: 0.1 + (1e4 / 100)^-0.5
    0.2
    """

    inputs = ("x",)
    constraints = {"a": Positive(), "b": Positive(), "c0": Real(), "c": Real(), "d": Positive(), "f": Positive()}
    a: Array
    b: Array
    c0: Array
    c: Array
    d: Array
    f: Array


    def log_predict(self, x):
        log_x = jnp.log(x["x"])[..., None]
        breaks = self.c * self.f * jax.nn.softplus((log_x - jnp.log(self.d)) / self.f)
        return jnp.logaddexp(jnp.log(self.a), jnp.log(self.b) - self.c0 * log_x[..., 0] - breaks.sum(-1))

    @classmethod
    def template(cls, n_breaks: int = 1) -> "BrokenPowerLaw":
        if not (isinstance(n_breaks, (int, np.integer)) and n_breaks >= 1):
            raise ValueError(f"n_breaks must be a positive integer, got {n_breaks!r}; use PowerLaw for no break.")
        one = jnp.ones(())
        return cls(a=one, b=one, c0=0 * one, c=jnp.zeros(n_breaks), d=jnp.ones(n_breaks), f=jnp.ones(n_breaks))

    def start_ranges(self, target, inputs):
        x, y = inputs["x"], target
        return {
            "a": (1e-3 * y.min(), y.min()),
            "b": (1e-2 * (y.max() - y.min() + 1e-12), 1e2 * y.max() * x.max() ** 0.5),
            "c0": (0.0, 1.0),
            "c": (-0.5, 1.0),
            "d": (x.min(), x.max()),
            "f": (0.05, 3.0),
        }
