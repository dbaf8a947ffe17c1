"""What a run can end as: each restart's status code, and the errors and warnings a verb raises.

A leaf: it imports nothing of the package, so every floor can use it.
"""

import enum


class RESULTS(enum.IntEnum):
    """Per-restart outcome of a refine loop, stored as an integer array (`FitResult.status`).

    >>> from jaxscale import RESULTS
    >>> RESULTS(2).name, RESULTS.non_finite.message
    ('non_finite', 'the objective or the point became NaN or inf')
    """

    converged = 0
    max_steps = 1
    non_finite = 2
    not_refined = 3
    stopped_early = 4

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    RESULTS.converged: "converged",
    RESULTS.max_steps: "took the solver's max_steps without converging",
    RESULTS.non_finite: "the objective or the point became NaN or inf",
    RESULTS.not_refined: "screened, but not among the starts refined",
    RESULTS.stopped_early: "stopped once enough converged restarts agreed on the best objective",
}


def status_names(codes) -> list[str]:
    """The status name of each code in `codes` (any iterable of integers)."""
    return [RESULTS(int(code)).name for code in codes]


class FitError(RuntimeError):
    """No restart of a fit (or of every group, or of every bootstrap refit) reached a finite objective."""


class FitWarning(UserWarning):
    """A fit finished, but something about it deserves a look (few restarts agree, a parameter on a bound)."""
