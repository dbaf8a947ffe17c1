"""Posterior predictive bands: the posterior median of the law and its central interval, against the data."""

import numpy as np
import pandas as pd

from .._posterior import Posterior
from ._observed import check_extend, check_max_curves, compute, curves, layout_of, log_input, observed_rows
from ._output import check_path, finish, new_axes
from ._predicted import draw_predicted


def posterior(
    result: Posterior,
    data=None,
    *,
    level: float = 0.9,
    include_noise: bool = False,
    inputs=None,
    target: str | None = None,
    extend: float = 4.0,
    max_curves: int | None = 6,
    seed: int = 0,
    ax=None,
    path=None,
):
    """The posterior median prediction and its central `level` band (`result.predict(..., quantiles=...)`), in
    the layout of `js.plot.fit`: per model size run against compute for a law of N and D (solid over the size's
    runs, dashed beyond, each with its band), against the one input of a one-input law, or predicted (median,
    with the band as error bars) against actual otherwise. Returns the matplotlib Figure.

    `include_noise=True` draws where a new measurement would fall (the likelihood's noise added to each draw)
    rather than the law's own uncertainty. The rows are those of the point fit behind the posterior unless
    `data` is given (`target`: its column, default "loss"). `ax` and `path` as in `js.plot.fit`.

    (Sampling takes tens of seconds, so the example is not run as a doctest; tests/test_plot.py checks it.)

    >>> import jaxscale as js, numpy as np
    >>> data = {"x": [1.0, 2, 4, 8, 16, 32], "loss": [3.0, 2.4, 2.0, 1.75, 1.6, 1.5]}
    >>> draws = js.infer(js.PowerLaw, data, n_warmup=100, n_samples=100, n_chains=1)  # doctest: +SKIP
    >>> figure = js.plot.posterior(draws, level=0.8)  # doctest: +SKIP
    >>> median = figure.axes[0].lines[0]  # doctest: +SKIP
    >>> expected = draws.predict({"x": median.get_xdata()}, quantiles=(0.5,))["q0.5"]  # doctest: +SKIP
    >>> bool(np.allclose(median.get_ydata(), expected))  # doctest: +SKIP
    True
    """
    if not isinstance(result, Posterior):
        raise TypeError(f"result must be a Posterior from js.infer, got {type(result).__name__}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.9 for a 90% band), got {level!r}.")
    if result.groups:
        raise ValueError(f"result: this posterior has groups by {list(result.by)}; the band plot draws a posterior without groups (infer without by=).")
    if path is not None:
        check_path(path)
    extend, max_curves = check_extend(extend), check_max_curves(max_curves)
    point = result.point_fit
    law = point.law
    observed = observed_rows(law, result.likelihood, point.dataset, data, inputs, target)
    quantiles = ((1 - level) / 2, 0.5, (1 + level) / 2)

    def band(x: dict) -> np.ndarray:
        frame = result.predict(pd.DataFrame(x), quantiles=quantiles, include_noise=include_noise, seed=seed)
        return frame.to_numpy(float).T  # (3, points): lo, median, hi

    figure, (ax,) = new_axes(ax)
    layout = layout_of(law)
    what = "a new measurement" if include_noise else "the law"
    if layout == "scatter":
        lo, median, hi = band(observed.inputs)
        draw_predicted(ax, median, observed, errors=np.stack([lo, hi]))
        ax.set_title(f"{type(law).__name__}: posterior median and {level:.0%} interval of {what}, against actual", fontsize=10)
        return finish(figure, [ax], path)
    import matplotlib

    drawn = curves(law, observed, extend=extend, max_curves=max_curves)
    if layout == "compute":
        N = np.asarray(observed.inputs["N"], float)
        norm = matplotlib.colors.LogNorm(N.min(), max(N.max(), N.min() * 1.001))
        colour_of = lambda curve: matplotlib.colormaps["viridis"](norm(curve.value))
        ax.scatter(compute(observed.inputs), observed.target, c=N, norm=norm, cmap="viridis", s=12, edgecolor="none", alpha=0.8, zorder=2)
        ax.set(xscale="log", xlabel="training compute C = 6ND (FLOPs)")
    else:
        (name,) = tuple(law.inputs)
        colour_of = lambda curve: "C0"
        ax.scatter(observed.inputs[name], observed.target, s=12, color="0.35", edgecolor="none", alpha=0.8, zorder=2, label="data")
        ax.set(xscale="log" if log_input(law, name) else "linear", xlabel=name)
    # Every curve's points in one predict call, then split back per curve and part.
    parts = [(curve, x, inputs_at, style) for curve in drawn for x, inputs_at, style in ((curve.x_solid, curve.inputs_solid, "-"), (curve.x_dashed, curve.inputs_dashed, "--"))]
    joined = band({name: np.concatenate([part[2][name] for part in parts]) for name in parts[0][2]})
    bands = np.split(joined, np.cumsum([len(part[1]) for part in parts])[:-1], axis=-1)
    for (curve, x, _, style), (lo, median, hi) in zip(parts, bands):
        colour = colour_of(curve)
        ax.plot(x, median, style, color=colour, lw=1.5, label=(curve.label if layout == "compute" else "posterior median") if style == "-" else None,
                gid=f"{'solid' if style == '-' else 'dashed'}:{curve.value!r}")
        ax.fill_between(x, lo, hi, color=colour, alpha=0.18 if style == "-" else 0.1, lw=0)
    ax.set(yscale="log" if observed.log_target else "linear", ylabel=observed.label)
    ax.set_title(f"{type(law).__name__}: posterior median and {level:.0%} band of {what}\n(dashed: predicted beyond the data)", fontsize=10)
    ax.legend(fontsize=8)
    return finish(figure, [ax], path)
