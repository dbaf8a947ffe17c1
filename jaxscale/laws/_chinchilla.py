import jax.numpy as jnp
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLaw


class Chinchilla(AbstractLaw):
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, "Training Compute-Optimal LLMs").

    N is the number of parameters and D the number of training tokens. Computed as
    log L = logsumexp(log A - alpha log N, log B - beta log D, log E), the numerically stable form of
    Epoch AI's replication (Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt"), who fit
    A = 482.0, B = 2085.4, E = 1.817, alpha = 0.348, beta = 0.366 to the published points.

    The default starting points are the 4,500-point grid of Hoffmann et al. (`jaxscale.starts.hoffmann_grid`).

    >>> import jaxscale as js
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> round(float(law.predict({"N": [70e9], "D": [1.4e12]})[0]), 3)
    1.973
    """

    inputs = ("N", "D")
    constraints = {"E": Positive(), "A": Positive(), "B": Positive(), "alpha": Positive(), "beta": Positive()}
    E: Array
    A: Array
    B: Array
    alpha: Array
    beta: Array

    def __call__(self, x):
        return jnp.exp(self.log_predict(x))

    def log_predict(self, x):
        n_term = jnp.log(self.A) - self.alpha * jnp.log(x["N"])
        d_term = jnp.log(self.B) - self.beta * jnp.log(x["D"])
        return jnp.logaddexp(jnp.logaddexp(n_term, d_term), jnp.log(self.E))

    def start_ranges(self, target, inputs):
        return {"E": (0.1 * target.min(), target.min()), "A": (1.0, 1e11), "B": (1.0, 1e11), "alpha": (0.05, 1.5), "beta": (0.05, 1.5)}

    def default_starts(self, target, inputs):
        from ..starts import hoffmann_grid

        return hoffmann_grid()
