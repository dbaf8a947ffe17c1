"""What `jaxscale fit --plot` writes, for every kind of fit."""

from .._fit_result import GroupedFitResult
from .._shared_fit_result import SharedFitResult
from ._fit import fit
from ._groups import groups
from ._output import check_path


def plot_fit(result, data, path, inputs=None, target: str = "loss"):
    """`fit` for one fit, `groups` (small multiples) for a grouped or shared fit, saved to `path` (checked first:
    a missing directory or a directory is a ValueError before anything is drawn); returns the Figure.

    >>> import jaxscale as js, tempfile, os
    >>> law = js.PowerLaw(E=1.0, A=2.0, alpha=0.5)
    >>> data = {"x": [1.0, 2, 4, 8, 16], "loss": [3.0, 2.4, 2.0, 1.7, 1.5]}
    >>> result = js.fit(js.PowerLaw, data, n_refine=4)
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.png")
    >>> figure = js.plot.plot_fit(result, data, path)
    >>> os.path.getsize(path) > 0
    True
    """
    check_path(path)
    if isinstance(result, (GroupedFitResult, SharedFitResult)):
        return groups(result, data, inputs=inputs, target=target, path=path)
    return fit(result, data, inputs=inputs, target=target, path=path)
