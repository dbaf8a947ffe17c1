"""The likelihoods `infer(likelihood=...)` and the CLI accept by name."""

from ._abstract import AbstractLikelihood
from ._normal import LogNormal
from ._student_t import LogStudentT

LIKELIHOODS: dict[str, AbstractLikelihood] = {"normal": LogNormal(), "student_t": LogStudentT()}


def resolve_likelihood(likelihood) -> AbstractLikelihood:
    """`infer`'s `likelihood` argument as an observation model: a name of `LIKELIHOODS` or an instance.

    >>> resolve_likelihood("student_t")
    LogStudentT()
    """
    if isinstance(likelihood, AbstractLikelihood):
        return likelihood
    if isinstance(likelihood, type) and issubclass(likelihood, AbstractLikelihood):
        raise TypeError(f"likelihood must be an instance: pass {likelihood.__name__}(), not the class.")
    if isinstance(likelihood, str):
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {list(LIKELIHOODS)} or an AbstractLikelihood such as js.Binomial(trials='n'), "
                f"got {likelihood!r}."
            )
        return LIKELIHOODS[likelihood]
    raise TypeError(
        f"likelihood must be one of {list(LIKELIHOODS)} or an AbstractLikelihood such as js.Binomial(trials='n'), "
        f"got a {type(likelihood).__name__}."
    )
