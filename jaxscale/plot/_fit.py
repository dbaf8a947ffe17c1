"""The fitted law against its data: loss against compute with one curve per model size run, against the law's
one input, or predicted against actual for any other law."""

import numpy as np

from .._fit_result import FitResult, GroupedFitResult
from .._shared_fit_result import SharedFitResult
from ._observed import Observed, check_extend, check_max_curves, compute, curves, layout_of, log_input, observed_rows, predict, predict_curves
from ._output import check_path, finish, new_axes
from ._predicted import draw_predicted


def fit(
    result: FitResult,
    data=None,
    *,
    inputs=None,
    target: str | None = None,
    extend: float = 4.0,
    max_curves: int | None = 12,
    ax=None,
    path=None,
):
    """The fitted law of `result` (a `FitResult`) against the measurements; returns the matplotlib Figure.

    - A law of N and D (Chinchilla, Kaplan, ...): the target against training compute C = 6 N D, with one
      curve per model size run (the distinct N of the rows, or `max_curves` of them spread over their order,
      the title says how many), each solid over that size's own compute range and dashed beyond it, up to
      `extend` times its largest compute: the prediction there.
    - A law of one input (PowerLaw in x, SigmoidCompute in C): the target against that input, solid over the
      data, dashed beyond.
    - Any other law: predicted against actual, with the line y = x.
    A bounded target (an accuracy, a bounded law or a likelihood on an interval) is drawn on a linear axis,
    a positive one on log axes. The rows are those fitted (`result.dataset`) unless `data` is given (then
    `target` names its column, default "loss", and `inputs` maps law inputs to columns). `ax` draws into an
    existing Axes; `path` saves the figure there (atomically; a missing directory or a path that is a directory
    is a ValueError before anything is drawn).

    >>> import jaxscale as js
    >>> df = js.datasets.load("gadre_overtraining")
    >>> result = js.fit(js.Chinchilla, df[df["corpus"] == "c4_original"], n_refine=4)  # doctest: +SKIP
    >>> figure = js.plot.fit(result)  # doctest: +SKIP
    >>> sum(line.get_linestyle() == "-" for line in figure.axes[0].lines)  # one solid curve per model size  # doctest: +SKIP
    6
    """
    if not isinstance(result, FitResult):
        hint = " (a grouped fit: use js.plot.groups)" if isinstance(result, (GroupedFitResult, SharedFitResult)) else ""
        raise TypeError(f"result must be a FitResult from js.fit, got {type(result).__name__}{hint}.")
    if path is not None:
        check_path(path)
    extend, max_curves = check_extend(extend), check_max_curves(max_curves)
    law = result.law
    observed = observed_rows(law, result.loss, result.dataset, data, inputs, target)
    figure, (axes,) = new_axes(ax)
    draw_fit(axes, law, observed, extend=extend, max_curves=max_curves)
    return finish(figure, [axes], path)


def draw_fit(ax, law, observed: Observed, *, extend: float, max_curves: int | None, title: str | None = None, colorbar: bool = True, legend: bool = True) -> None:
    """Draws `law` against `observed` on `ax` in the law's layout (see `fit`)."""
    layout = layout_of(law)
    name = type(law).__name__
    if layout == "scatter":
        draw_predicted(ax, predict(law, observed.inputs), observed)
        ax.set_title(title or f"{name}: predicted against actual")
        return
    drawn = curves(law, observed, extend=extend, max_curves=max_curves)
    if layout == "compute":
        _draw_compute(ax, law, observed, drawn, colorbar)
        n_sizes = len(np.unique(observed.inputs["N"]))
        shown = f"{len(drawn)} of {n_sizes}" if len(drawn) < n_sizes else f"the {n_sizes}"
        ax.set_title(title or f"{name}: one curve at each of {shown} model sizes run\n(solid over its runs, dashed: predicted beyond)", fontsize=10)
    else:
        (input_name,) = tuple(law.inputs)
        ax.scatter(observed.inputs[input_name], observed.target, s=12, color="0.35", alpha=0.7, edgecolor="none", label="data", zorder=2)
        (curve,) = drawn
        ((solid, dashed),) = predict_curves(law, drawn)
        ax.plot(curve.x_solid, solid, "-", color="C0", lw=1.8, label=f"{name} fit")
        ax.plot(curve.x_dashed, dashed, "--", color="C0", lw=1.5, label="predicted beyond the data")
        ax.set_xscale("log" if log_input(law, input_name) else "linear")
        ax.set_xlabel("compute C (FLOPs)" if input_name == "C" else input_name)
        if legend:
            ax.legend(fontsize=8)
        ax.set_title(title or f"{name} fit (dashed: predicted beyond the data)", fontsize=10)
    ax.set_yscale("log" if observed.log_target else "linear")
    ax.set_ylabel(observed.label)


def _draw_compute(ax, law, observed: Observed, drawn, colorbar: bool) -> None:
    import matplotlib

    N = np.asarray(observed.inputs["N"], float)
    norm = matplotlib.colors.LogNorm(N.min(), N.max()) if N.max() > N.min() else matplotlib.colors.LogNorm(N.min() / 2, N.max() * 2)
    cmap = matplotlib.colormaps["viridis"]
    points = ax.scatter(compute(observed.inputs), observed.target, c=N, norm=norm, cmap=cmap, s=14, edgecolor="none", alpha=0.85, zorder=2)
    for curve, (solid, dashed) in zip(drawn, predict_curves(law, drawn)):
        colour = cmap(norm(curve.value))
        ax.plot(curve.x_solid, solid, "-", color=colour, lw=1.6, label=curve.label, gid=f"solid:{curve.value!r}")
        ax.plot(curve.x_dashed, dashed, "--", color=colour, lw=1.1, gid=f"dashed:{curve.value!r}")
    ax.set_xscale("log")
    ax.set_xlabel("training compute C = 6ND (FLOPs)")
    if colorbar:
        ax.figure.colorbar(points, ax=ax, label="parameters N")
