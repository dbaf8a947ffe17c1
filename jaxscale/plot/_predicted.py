"""Predicted against actual, with the line y = x: how far each row's prediction is from its measurement."""

import numpy as np

from .._fit_result import FitResult
from ._observed import Observed, observed_rows, predict
from ._output import check_path, finish, new_axes


def predicted(result: FitResult, data=None, *, inputs=None, target: str | None = None, ax=None, path=None):
    """Each row's prediction by `result`'s fitted law (y) against its measurement (x), with the line y = x;
    returns the matplotlib Figure. Log axes for a positive target, linear for a bounded one (an accuracy).

    The rows are those fitted unless `data` is given (`target`: its column, default "loss"; `inputs`: law input
    -> column). `ax` draws into an existing Axes; `path` saves the figure there, atomically.

    >>> import jaxscale as js
    >>> data = {"x": [1.0, 2, 4, 8, 16], "loss": [3.0, 2.4, 2.0, 1.7, 1.5]}
    >>> figure = js.plot.predicted(js.fit(js.PowerLaw, data, n_refine=4))
    >>> [line.get_label() for line in figure.axes[0].lines]
    ['y = x']
    """
    if not isinstance(result, FitResult):
        raise TypeError(f"result must be a FitResult from js.fit, got {type(result).__name__} (a grouped fit: use js.plot.groups).")
    if path is not None:
        check_path(path)
    law = result.law
    observed = observed_rows(law, result.loss, result.dataset, data, inputs, target)
    figure, (ax,) = new_axes(ax, panel_size=(5.0, 5.0))
    draw_predicted(ax, predict(law, observed.inputs), observed)
    ax.set_title(f"{type(law).__name__}: predicted against actual", fontsize=10)
    return finish(figure, [ax], path)


def draw_predicted(ax, prediction: np.ndarray, observed: Observed, errors=None) -> None:
    """Points (actual, predicted), optional vertical error bars (2, n) around the prediction, and y = x."""
    actual = observed.target
    if errors is None:
        ax.scatter(actual, prediction, s=14, color="C0", alpha=0.75, edgecolor="none", label="rows", zorder=2)
    else:
        spread = np.abs(np.asarray(errors) - prediction[None])
        ax.errorbar(actual, prediction, yerr=spread, fmt="o", ms=3, color="C0", ecolor="C0", elinewidth=0.8, alpha=0.8, label="rows", zorder=2)
    values = np.concatenate([actual, prediction])
    values = values[np.isfinite(values)]
    lo, hi = float(values.min()), float(values.max())
    log = observed.log_target and lo > 0
    pad = (hi / lo) ** 0.05 if log else None
    edge = (lo / pad, hi * pad) if log else (lo - 0.05 * (hi - lo or 1), hi + 0.05 * (hi - lo or 1))
    ax.plot(edge, edge, "-", color="0.3", lw=1.0, label="y = x", zorder=1)
    scale = "log" if log else "linear"
    ax.set(xscale=scale, yscale=scale, xlim=edge, ylim=edge, xlabel=f"actual {observed.label}", ylabel=f"predicted {observed.label}")
    ax.set_aspect("equal", adjustable="box")
