"""Starting points for multi-start fits. Each function returns a *batch of laws* (leading axis = starts).

Positive parameters are sampled log-uniformly, all others uniformly, within the given ranges. The samplers
live in `jaxscale._starts` (below the laws, which draw their default starts with them); Chinchilla's
published grid lives with Chinchilla.
"""

from ._starts import grid, sobol, sobol_per_group, uniform
from .laws import Chinchilla


def hoffmann_grid():
    """The 4,500 starting points of Hoffmann et al. 2022 for `Chinchilla` (`Chinchilla.hoffmann_grid()`).

    >>> import jaxscale as js
    >>> js.starts.hoffmann_grid().batch_shape
    (4500,)
    """
    return Chinchilla.hoffmann_grid()


__all__ = ["grid", "hoffmann_grid", "sobol", "sobol_per_group", "uniform"]
