"""Residuals of a fit, against the fitted value or one of the law's inputs."""

import numpy as np

from .._fit_result import FitResult
from ._observed import compute, log_input, observed_rows, predict
from ._output import check_path, finish, new_axes

KINDS = ("auto", "log", "raw", "pearson")


def residuals(
    result: FitResult,
    data=None,
    *,
    against: str = "fitted",
    kind: str = "auto",
    inputs=None,
    target: str | None = None,
    ax=None,
    path=None,
):
    """The residual of every row of `result`'s fit, against `against`: "fitted" (the prediction), "C" (compute
    6 N D, for a law of N and D) or any input of the law; returns the matplotlib Figure.

    `kind`: "log" is log(actual / predicted) (a relative error, for positive targets such as losses), "raw"
    actual - predicted (for bounded targets such as accuracies), "pearson" the likelihood's Pearson residual
    (actual - mean) / sd (a fit with a likelihood only); "auto" (default) is "log" for a positive target and
    "raw" otherwise. A horizontal line marks 0. `data`, `inputs`, `target`, `ax` and `path` as in `js.plot.fit`.

    >>> import jaxscale as js, numpy as np
    >>> data = {"x": [1.0, 2, 4, 8, 16], "loss": [3.0, 2.4, 2.0, 1.7, 1.5]}
    >>> result = js.fit(js.PowerLaw, data, n_refine=4)
    >>> figure = js.plot.residuals(result, against="x")
    >>> points = figure.axes[0].collections[0].get_offsets()
    >>> bool(np.allclose(points[:, 1], np.log(np.array(data["loss"]) / result.predict(data))))
    True
    """
    if not isinstance(result, FitResult):
        raise TypeError(f"result must be a FitResult from js.fit, got {type(result).__name__} (for a grouped fit, plot one group: result[key]).")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    law = result.law
    names = tuple(law.inputs)
    choices = ("fitted",) + (("C",) if set(names) == {"N", "D"} else ()) + names
    if against not in choices:
        raise ValueError(f"against must be one of {list(choices)} (the fitted value, or an input of {type(law).__name__}), got {against!r}.")
    if kind == "pearson" and (data is not None or not hasattr(result.fitted_loss, "pearson")):
        raise ValueError(
            "kind='pearson' needs a fit with a likelihood (e.g. loss=js.Normal()) and its own rows (data=None); "
            f"this fit's loss is {type(result.loss).__name__}{' and data was given' if data is not None else ''}. Use kind='log' or 'raw'."
        )
    if path is not None:
        check_path(path)
    observed = observed_rows(law, result.loss, result.dataset, data, inputs, target)
    fitted = predict(law, observed.inputs)
    if kind == "auto":
        kind = "log" if observed.log_target else "raw"
    if kind == "log":
        if not (np.all(observed.target > 0) and np.all(fitted > 0)):
            raise ValueError("kind='log' takes log(actual / predicted), but some targets or predictions are <= 0; use kind='raw'.")
        values, label = np.log(observed.target / fitted), f"log(actual / predicted {observed.label})"
    elif kind == "raw":
        values, label = observed.target - fitted, f"actual - predicted {observed.label}"
    else:
        values, label = np.asarray(result.residuals("pearson")), "Pearson residual (actual - mean) / sd"
    if against == "fitted":
        x, x_label, log_x = fitted, f"predicted {observed.label}", observed.log_target
    elif against == "C":
        x, x_label, log_x = compute(observed.inputs), "training compute C = 6ND (FLOPs)", True
    else:
        x, x_label, log_x = np.asarray(observed.inputs[against], float), against, log_input(law, against)
    if x.ndim != 1:
        raise ValueError(f"against={against!r} is a sequence input (one array per row): plot against 'fitted' instead.")
    figure, (ax,) = new_axes(ax, panel_size=(6.0, 4.0))
    ax.scatter(x, values, s=14, color="C0", alpha=0.75, edgecolor="none", zorder=2)
    ax.axhline(0.0, color="0.3", lw=1.0, zorder=1)
    ax.set(xscale="log" if log_x else "linear", xlabel=x_label, ylabel=label)
    ax.set_title(f"{type(law).__name__}: residuals of {len(values)} rows", fontsize=10)
    return finish(figure, [ax], path)
