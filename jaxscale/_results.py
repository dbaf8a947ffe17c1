"""What a run can end as: each restart's status code, and the errors and warnings a verb raises.

A leaf: it imports nothing of the package, so every floor can use it.
"""

import enum
import sys
import warnings


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


def warn(message: str, category: type[Warning] = FitWarning) -> None:
    """`warnings.warn` pointing at the user's line: the first caller outside jaxscale, however deep in the
    package the warning is raised (`evaluate` -> `fit` -> here reports the line that called `evaluate`)."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "jaxscale":
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def listed(names, shown: int | None = None) -> str:
    """Names as a phrase, "E", "E and A", "E, A and alpha"; past `shown` of them, the rest counted.

    >>> listed(["E", "A", "alpha"]), listed(list("abcdefg"), shown=3)
    ('E, A and alpha', 'a, b, c and 4 more')
    """
    names = list(names)
    if not names:
        return ""
    if shown is not None and len(names) > shown:
        return ", ".join(names[:shown]) + f" and {len(names) - shown} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
