"""jaxscale: fit, quantify and act on scaling laws, in JAX.

Importing jaxscale turns on JAX's 64-bit mode (`jax_enable_x64`), because scaling-law surfaces such as
Chinchilla's are badly conditioned in float32; pass `dtype=jnp.float32` to `fit` to work in float32. It also
turns on JAX's persistent compilation cache in a user cache directory (`JAXSCALE_COMPILATION_CACHE=0` turns
it off; `JAXSCALE_CACHE_DIR` moves it), so a second process does not compile the same programs again.
"""

import importlib
import importlib.metadata

import jax

jax.config.update("jax_enable_x64", True)

from . import _compilation_cache

_compilation_cache.enable(jax.config)

# Every public name is imported on first use (PEP 562), so `import jaxscale` costs little more than
# `import jax` and a command loads only what it runs: plotting, NumPyro, optax and scipy.stats stay unloaded
# until asked for. `__all__`, `dir()` and `from jaxscale import fit` behave as with eager imports.
_SUBPACKAGES = ("datasets", "intervals", "isoflop", "laws", "likelihoods", "losses", "plot", "problems", "schedules", "solvers", "starts")
_NAMES_BY_MODULE = {
    "_allocate": ("Allocation", "allocate", "sensitivities"),
    "_backtest": ("backtest",),
    "_backtest_result": ("BacktestResult",),
    "_bootstrap": ("bootstrap",),
    "_bootstrap_result": ("BootstrapResult",),
    "_chain": ("ChainStep", "chain", "chain_tasks"),
    "_chain_result": ("ChainResult",),
    "_checkpoints": ("final_checkpoints", "smooth_checkpoints"),
    "_compare": ("compare",),
    "_compare_result": ("Comparison",),
    "_constraints": ("AbstractConstraint", "Interval", "Positive", "Real"),
    "_curve_prediction": ("predict_curve",),
    "_dataset": ("Dataset",),
    "_evaluate": ("Extrapolation", "evaluate"),
    "_fit": ("fit",),
    "_fit_result": ("AbstractFitResult", "FitResult", "GroupedFitResult"),
    "_infer": ("infer",),
    "_law": ("AbstractLaw", "AbstractLogLaw"),
    "_multistart": ("MultiStart",),
    "_observational": ("observational_scaling",),
    "_observational_result": ("ObservationalResult",),
    "_posterior": ("Posterior",),
    "_predict_interval": ("predict_interval",),
    "_results": ("RESULTS", "FitError", "FitWarning"),
    "_schedule_choice": ("ScheduleChoice", "choose_schedule"),
    "_shared_fit_result": ("SharedFitResult",),
    "laws": ("AbstractBoundedLaw", "BrokenPowerLaw", "Chinchilla", "Kaplan", "PowerLaw"),
    "likelihoods": ("AbstractLikelihood", "Bernoulli", "Beta", "BetaBinomial", "Binomial", "LogNormal", "LogStudentT", "Normal", "StudentT"),
    "losses": ("LogHuber", "LogSquared", "Squared"),
}
_MODULE_OF = {name: module for module, names in _NAMES_BY_MODULE.items() for name in names}


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        value = importlib.import_module(f".{name}", __name__)
    elif name in _MODULE_OF:
        value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'jaxscale' has no attribute {name!r}")
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
    "predict_interval",
    "problems",
    "schedules",
    "sensitivities",
    "smooth_checkpoints",
    "solvers",
    "starts",
]
