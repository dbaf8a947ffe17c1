"""Laws by name (as the CLI and `fit("chinchilla", ...)` take them), and what a verb's `law` argument means."""

from .._law import AbstractLaw
from ._broken_power_law import BrokenPowerLaw
from ._chinchilla import Chinchilla
from ._data_constrained import DataConstrained
from ._exp_mixing import ExpMixing
from ._floating_point_precision import FloatingPointPrecision
from ._gadre_top_one_error import GadreTopOneError
from ._kaplan import Kaplan
from ._kaplan_steps import KaplanSteps
from ._lr_annealing import LRAnnealing
from ._mixture_additive import MixtureAdditive
from ._mixture_joint import MixtureJoint
from ._multi_power import MultiPowerLaw
from ._overtraining import Overtraining
from ._power_law import PowerLaw
from ._precision import Precision
from ._sigmoid_compute import SigmoidCompute
from ._sigmoid_nd import SigmoidND
from ._sigmoid_task_loss import SigmoidTaskLoss
from ._step_law import StepLawBatch, StepLawLR

BY_NAME = {
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
    "sigmoid_compute": SigmoidCompute,
    "sigmoid_nd": SigmoidND,
    "sigmoid_task_loss": SigmoidTaskLoss,
    "gadre_top_one_error": GadreTopOneError,
    "multi_power": MultiPowerLaw,
    "multipower": MultiPowerLaw,
    "lr_annealing": LRAnnealing,
    "kaplan_steps": KaplanSteps,
    "step_law_lr": StepLawLR,
    "step_law_batch": StepLawBatch,
}


def get(name: str):
    """The law class called `name` (case and '-'/'_' insensitive), e.g. get("chinchilla").

    >>> import jaxscale as js
    >>> js.laws.get("Power-Law").__name__
    'PowerLaw'
    """
    key = name.lower().replace("-", "_")
    if key not in BY_NAME:
        raise ValueError(f"unknown law {name!r}; known laws are {sorted(BY_NAME)}. A custom law is a subclass of js.AbstractLaw.")
    return BY_NAME[key]


def resolve(law) -> AbstractLaw:
    """The single unfitted law a verb fits: from a law class (its template), an instance (fixing the structure,
    e.g. `BrokenPowerLaw.template(n_breaks=2)`) or a registered name."""
    if isinstance(law, str):
        law = get(law)
    if isinstance(law, type) and issubclass(law, AbstractLaw):
        return law.template()
    if isinstance(law, AbstractLaw):
        if law.batch_shape:
            raise ValueError(f"fit takes one law, not a batch of shape {law.batch_shape}; pass a batch as `starts`.")
        return law
    raise TypeError(f"law must be a law class, instance or name, got {type(law).__name__}.")
