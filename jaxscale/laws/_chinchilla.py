import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constraints import Positive
from .._law import AbstractLogLaw
from .._starts import grid


class Chinchilla(AbstractLogLaw):
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, "Training Compute-Optimal LLMs").

    N is the number of parameters and D the number of training tokens. Computed as
    log L = logsumexp(log A - alpha log N, log B - beta log D, log E), the numerically stable form of
    Epoch AI's replication (Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt"), who fit
    A = 482.0, B = 2085.4, E = 1.817, alpha = 0.348, beta = 0.366 to the published points.

    The default starting points are the 4,500-point grid of Hoffmann et al. (`Chinchilla.hoffmann_grid()`, also `jaxscale.starts.hoffmann_grid()`).

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


    def log_predict(self, x):
        n_term = jnp.log(self.A) - self.alpha * jnp.log(x["N"])
        d_term = jnp.log(self.B) - self.beta * jnp.log(x["D"])
        return jnp.logaddexp(jnp.logaddexp(n_term, d_term), jnp.log(self.E))

    def start_ranges(self, target, inputs):
        return {"E": (0.1 * target.min(), target.min()), "A": (1.0, 1e11), "B": (1.0, 1e11), "alpha": (0.05, 1.5), "beta": (0.05, 1.5)}

    def default_starts(self, target, inputs):
        return type(self).hoffmann_grid()

    @classmethod
    def hoffmann_grid(cls) -> "Chinchilla":
        """The 4,500 starting points of Hoffmann et al. 2022, as used by Epoch AI's replication.

        alpha, beta in {0, 0.5, ..., 2}; e in {-1, -0.5, ..., 1}; a, b in {0, 5, ..., 25}, with E = exp(e),
        A = exp(a), B = exp(b). Points with alpha or beta = 0 sit on the boundary of their positive constraint
        and are moved just inside it.
        """
        exps = np.arange(0.0, 2.01, 0.5)
        return grid(
            cls,
            E=np.exp(np.arange(-1.0, 1.01, 0.5)),
            A=np.exp(np.arange(0.0, 25.1, 5.0)),
            B=np.exp(np.arange(0.0, 25.1, 5.0)),
            alpha=exps,
            beta=exps,
        )
