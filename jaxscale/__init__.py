"""jaxscale: fit, quantify and act on scaling laws, in JAX.

Importing jaxscale turns on JAX's 64-bit mode (`jax_enable_x64`), because scaling-law surfaces such as
Chinchilla's are badly conditioned in float32; pass `dtype=jnp.float32` to `fit` to work in float32.
"""

import jax

jax.config.update("jax_enable_x64", True)

from . import datasets, isoflop, laws, losses, problems, solvers, starts  # noqa: E402
from ._allocate import Allocation, allocate, sensitivities  # noqa: E402
from ._bootstrap import bootstrap  # noqa: E402
from ._bootstrap_result import BootstrapResult  # noqa: E402
from ._constraints import AbstractConstraint, Interval, Positive, Real  # noqa: E402
from ._dataset import Dataset  # noqa: E402
from ._evaluate import Extrapolation, evaluate  # noqa: E402
from ._fit import fit  # noqa: E402
from ._fit_result import FitResult  # noqa: E402
from ._results import RESULTS, FitError, FitWarning  # noqa: E402
from ._grouped import GroupedFitResult  # noqa: E402
from ._infer import infer  # noqa: E402
from ._law import AbstractLaw, AbstractLogLaw  # noqa: E402
from ._posterior import Posterior  # noqa: E402
from .laws import BrokenPowerLaw, Chinchilla, Kaplan, PowerLaw  # noqa: E402
from .losses import LogHuber, LogSquared, Squared  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "AbstractConstraint",
    "AbstractLaw",
    "Allocation",
    "BootstrapResult",
    "BrokenPowerLaw",
    "Chinchilla",
    "Dataset",
    "Extrapolation",
    "FitError",
    "FitResult",
    "FitWarning",
    "GroupedFitResult",
    "Interval",
    "Kaplan",
    "LogHuber",
    "LogSquared",
    "Positive",
    "Posterior",
    "PowerLaw",
    "Real",
    "Squared",
    "allocate",
    "bootstrap",
    "datasets",
    "evaluate",
    "fit",
    "infer",
    "isoflop",
    "laws",
    "losses",
    "problems",
    "sensitivities",
    "solvers",
    "starts",
]
