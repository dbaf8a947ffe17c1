"""Scaling laws as Equinox modules. `get(name)` looks one up by its name (as the CLI does)."""

from ._broken_power_law import BrokenPowerLaw
from ._chinchilla import Chinchilla
from ._data_constrained import DataConstrained
from ._exp_mixing import ExpMixing
from ._floating_point_precision import FloatingPointPrecision
from ._kaplan import Kaplan
from ._mixture import AbstractMixtureLaw
from ._mixture_additive import MixtureAdditive
from ._mixture_joint import MixtureJoint
from ._overtraining import Overtraining
from ._power_law import PowerLaw
from ._precision import Precision
from ._registry import BY_NAME, get, resolve

__all__ = [
    "AbstractMixtureLaw", "BY_NAME", "BrokenPowerLaw", "Chinchilla", "DataConstrained", "ExpMixing", "FloatingPointPrecision",
    "Kaplan", "MixtureAdditive", "MixtureJoint", "Overtraining", "PowerLaw", "Precision", "get", "resolve",
]
