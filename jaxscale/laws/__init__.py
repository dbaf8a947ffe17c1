"""Scaling laws as Equinox modules. `get(name)` looks one up by its name (as the CLI does)."""

from ._broken_power_law import BrokenPowerLaw
from ._chinchilla import Chinchilla
from ._data_constrained import DataConstrained
from ._exp_mixing import ExpMixing
from ._floating_point_precision import FloatingPointPrecision
from ._kaplan import Kaplan
from ._mixture_additive import MixtureAdditive
from ._mixture_joint import MixtureJoint
from ._overtraining import Overtraining
from ._power_law import PowerLaw
from ._precision import Precision

_BY_NAME = {
    "power_law": PowerLaw,
    "chinchilla": Chinchilla,
    "kaplan": Kaplan,
    "broken_power_law": BrokenPowerLaw,
    "bnsl": BrokenPowerLaw,
    "data_constrained": DataConstrained,
    "overtraining": Overtraining,
    "exp_mixing": ExpMixing,
    "precision": Precision,
    "floating_point_precision": FloatingPointPrecision,
    "mixture_additive": MixtureAdditive,
    "mixture_joint": MixtureJoint,
}


def get(name: str):
    """The law class called `name` (case and '-'/'_' insensitive), e.g. get("chinchilla")."""
    key = name.lower().replace("-", "_")
    if key not in _BY_NAME:
        raise ValueError(f"unknown law {name!r}; known laws are {sorted(_BY_NAME)}. A custom law is a subclass of js.AbstractLaw.")
    return _BY_NAME[key]


__all__ = ["BrokenPowerLaw", "Chinchilla", "DataConstrained", "ExpMixing", "FloatingPointPrecision", "Kaplan", "MixtureAdditive", "MixtureJoint", "Overtraining", "PowerLaw", "Precision", "get"]
