"""One entry point for every plot kind: `draw(result, kind)` picks the plot for the result, or the one named."""

from .._bootstrap_result import BootstrapResult
from .._fit_result import FitResult, GroupedFitResult
from .._posterior import Posterior
from .._shared_fit_result import SharedFitResult
from ..isoflop import IsoFlopResult
from ..problems import Allocation
from ._fit import fit
from ._frontier import frontier
from ._groups import groups
from ._isoflop import isoflop
from ._posterior import posterior
from ._predicted import predicted
from ._residuals import residuals

KINDS = {
    "fit": fit, "residuals": residuals, "predicted": predicted, "isoflop": isoflop,
    "frontier": frontier, "posterior": posterior, "groups": groups,
}
DEFAULT_KIND = (
    (FitResult, "fit"), (GroupedFitResult, "groups"), (SharedFitResult, "groups"), (IsoFlopResult, "isoflop"),
    (BootstrapResult, "frontier"), (Allocation, "frontier"), (Posterior, "posterior"),
)


def draw(result, kind: str | None = None, *args, **options):
    """The plot of `kind` (one of `KINDS`: "fit", "residuals", "predicted", "isoflop", "frontier", "posterior",
    "groups") for `result`, with that plot's arguments; returns the matplotlib Figure. Without `kind`, the
    natural plot of the result: a fit against its data for a `FitResult`, small multiples for a grouped fit,
    the profiles of an `IsoFlopResult`, the frontier of a `BootstrapResult` or `Allocation`, the bands of a
    `Posterior`.

    >>> import jaxscale as js
    >>> data = {"x": [1.0, 2, 4, 8, 16], "loss": [3.0, 2.4, 2.0, 1.7, 1.5]}
    >>> figure = js.plot.draw(js.fit(js.PowerLaw, data, n_refine=4), "residuals", against="x")
    >>> figure.axes[0].get_xlabel()
    'x'
    """
    if kind is None:
        kind = next((name for cls, name in DEFAULT_KIND if isinstance(result, cls)), None)
        if kind is None:
            raise TypeError(f"result: no plot for a {type(result).__name__}; pass a fit, grouped fit, bootstrap, posterior, allocation or isoFLOP result, or name kind= (one of {list(KINDS)}).")
    elif kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}.")
    return KINDS[kind](result, *args, **options)
