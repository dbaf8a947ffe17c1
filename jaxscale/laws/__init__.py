"""Scaling laws as Equinox modules. `get(name)` looks one up by its name (as the CLI does)."""

from ._broken_power_law import BrokenPowerLaw
from ._chinchilla import Chinchilla
from ._data_constrained import DataConstrained
from ._exp_mixing import ExpMixing
from ._floating_point_precision import FloatingPointPrecision
from ._gadre_top_one_error import GadreTopOneError
from ._kaplan import Kaplan
from ._kaplan_steps import KaplanSteps
from ._link import AbstractBoundedLaw, bounded_logit, bounded_sigmoid
from ._lr_annealing import LRAnnealing
from ._mixture import AbstractMixtureLaw
from ._mixture_additive import MixtureAdditive
from ._mixture_joint import MixtureJoint
from ._multi_power import MultiPowerLaw
from ._overtraining import Overtraining
from ._power_law import PowerLaw
from ._precision import Precision
from ._registry import BY_NAME, get, resolve
from ._sigmoid_compute import SigmoidCompute
from ._sigmoid_nd import SigmoidND
from ._sigmoid_task_loss import SigmoidTaskLoss
from ._step_law import StepLawBatch, StepLawLR

__all__ = [
    "AbstractBoundedLaw", "AbstractMixtureLaw", "BY_NAME", "BrokenPowerLaw", "Chinchilla", "DataConstrained", "ExpMixing",
    "FloatingPointPrecision", "GadreTopOneError", "Kaplan", "KaplanSteps", "LRAnnealing", "MixtureAdditive", "MixtureJoint",
    "MultiPowerLaw", "Overtraining", "PowerLaw", "Precision", "SigmoidCompute", "SigmoidND", "SigmoidTaskLoss", "StepLawBatch", "StepLawLR", "bounded_logit", "bounded_sigmoid", "get", "resolve",
]
