"""jaxscale: fit, quantify and act on scaling laws, in JAX.

Importing jaxscale turns on JAX's 64-bit mode (`jax_enable_x64`), because scaling-law surfaces such as
Chinchilla's are badly conditioned in float32; pass `dtype=jnp.float32` to `fit` to work in float32. It also
turns on JAX's persistent compilation cache in a user cache directory (`JAXSCALE_COMPILATION_CACHE=0` turns
it off; `JAXSCALE_CACHE_DIR` moves it), so a second process does not compile the same programs again.
"""

import importlib.metadata

import jax

jax.config.update("jax_enable_x64", True)

from . import _compilation_cache

_compilation_cache.enable(jax.config)

from . import datasets, intervals, isoflop, laws, likelihoods, losses, plot, problems, schedules, solvers, starts
from ._allocate import Allocation, allocate, sensitivities
from ._backtest import backtest
from ._backtest_result import BacktestResult
from ._bootstrap import bootstrap
from ._bootstrap_result import BootstrapResult
from ._chain import ChainStep, chain, chain_tasks
from ._chain_result import ChainResult
from ._checkpoints import final_checkpoints, smooth_checkpoints
from ._compare import compare
from ._compare_result import Comparison
from ._constraints import AbstractConstraint, Interval, Positive, Real
from ._curve_prediction import predict_curve
from ._dataset import Dataset
from ._evaluate import Extrapolation, evaluate
from ._fit import fit
from ._fit_result import AbstractFitResult, FitResult, GroupedFitResult
from ._infer import infer
from ._law import AbstractLaw, AbstractLogLaw
from ._multistart import MultiStart
from ._observational import observational_scaling
from ._observational_result import ObservationalResult
from ._posterior import Posterior
from ._results import RESULTS, FitError, FitWarning
from ._schedule_choice import ScheduleChoice, choose_schedule
from ._shared_fit_result import SharedFitResult
from .laws import AbstractBoundedLaw, BrokenPowerLaw, Chinchilla, Kaplan, PowerLaw
from .likelihoods import AbstractLikelihood, Bernoulli, Beta, BetaBinomial, Binomial, LogNormal, LogStudentT, Normal, StudentT
from .losses import LogHuber, LogSquared, Squared

__version__ = importlib.metadata.version("jaxscale")

__all__ = [
    "AbstractBoundedLaw",
    "AbstractConstraint",
    "AbstractFitResult",
    "AbstractLogLaw",
    "AbstractLaw",
    "AbstractLikelihood",
    "Allocation",
    "BacktestResult",
    "Bernoulli",
    "Beta",
    "BetaBinomial",
    "Binomial",
    "BootstrapResult",
    "BrokenPowerLaw",
    "ChainResult",
    "ChainStep",
    "Chinchilla",
    "Comparison",
    "Dataset",
    "Extrapolation",
    "FitError",
    "FitResult",
    "FitWarning",
    "GroupedFitResult",
    "Interval",
    "Kaplan",
    "LogHuber",
    "LogNormal",
    "LogSquared",
    "LogStudentT",
    "MultiStart",
    "Normal",
    "ObservationalResult",
    "Positive",
    "Posterior",
    "PowerLaw",
    "RESULTS",
    "Real",
    "ScheduleChoice",
    "SharedFitResult",
    "Squared",
    "StudentT",
    "allocate",
    "backtest",
    "bootstrap",
    "chain",
    "chain_tasks",
    "choose_schedule",
    "compare",
    "datasets",
    "evaluate",
    "final_checkpoints",
    "fit",
    "infer",
    "intervals",
    "isoflop",
    "laws",
    "likelihoods",
    "losses",
    "observational_scaling",
    "plot",
    "predict_curve",
    "problems",
    "schedules",
    "sensitivities",
    "smooth_checkpoints",
    "solvers",
    "starts",
]
