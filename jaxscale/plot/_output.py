"""Where a plot is drawn and written: new or given axes, a checked output path, an atomic save, readable log ticks.

matplotlib is imported inside these functions only, so that `import jaxscale` does not load it; figures are
`matplotlib.figure.Figure`s made without pyplot, so nothing depends on (or changes) the interactive backend.
"""

import pathlib

import numpy as np

from .._output_file import check_writable, write_atomically


def check_path(path) -> pathlib.Path:
    """`path` as a `pathlib.Path` a figure can be written to, or a ValueError naming it and the fix.

    Checked before any work, so a bad path fails before a fit runs: the path is not a directory, its
    directory exists and is writable, and its extension is a format matplotlib writes (png, pdf, svg, ...).

    >>> import jaxscale as js
    >>> js.plot.check_path("fit.png").name
    'fit.png'
    """
    target = check_writable(path, "path")
    formats = _formats()
    suffix = target.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise ValueError(
            f"path {str(path)!r} has {'the extension ' + repr(target.suffix) if suffix else 'no extension'}, which names no format "
            f"matplotlib writes: end it in one of {', '.join('.' + f for f in sorted(formats))} (e.g. '.png')."
        )
    return target


def _formats() -> set[str]:
    from matplotlib.backend_bases import FigureCanvasBase

    return set(FigureCanvasBase.get_supported_filetypes())


def save(figure, path, dpi: int = 150) -> None:
    """Writes `figure` to `path` atomically, so the path holds either the old file or the whole new one."""
    target = check_path(path)
    write_atomically(target, lambda temporary: figure.savefig(temporary, format=target.suffix.lower().lstrip("."), dpi=dpi))


def new_axes(ax=None, n_panels: int = 1, *, ncols: int | None = None, panel_size=(6.0, 4.5)):
    """(figure, list of `n_panels` Axes): new ones on a new Figure (constrained layout), or the caller's `ax` (an
    Axes, or a sequence of at least `n_panels` of them), checked."""
    from matplotlib.axes import Axes

    if ax is None:
        from matplotlib.figure import Figure

        ncols = min(n_panels, ncols or n_panels)
        nrows = -(-n_panels // ncols)
        figure = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
        grid = figure.subplots(nrows, ncols, squeeze=False).ravel()
        for extra in grid[n_panels:]:
            extra.set_visible(False)
        return figure, list(grid[:n_panels])
    given = [ax] if isinstance(ax, Axes) else list(np.ravel(np.asarray(ax, dtype=object))) if not isinstance(ax, (str, bytes)) else [ax]
    if not all(isinstance(a, Axes) for a in given):
        raise TypeError(f"ax must be a matplotlib Axes{' or a sequence of them' if n_panels > 1 else ''}, got {type(ax).__name__}.")
    if len(given) < n_panels:
        raise ValueError(f"ax: this plot draws {n_panels} panels but {len(given)} Axes were given; pass {n_panels} (or leave ax out).")
    return given[0].figure, given[:n_panels]


def finish(figure, axes, path) -> object:
    """Readable log ticks on every log axis of `axes`, the figure saved to `path` if given; returns the figure."""
    for ax in axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log":
                readable_log_ticks(axis)
    if path is not None:
        save(figure, path)
    return figure


def readable_log_ticks(axis) -> None:
    """Log-axis tick labels a reader takes in at a glance: over less than about a decade and a half, plain
    numbers at 1, 2, 3, 5 (and halves over a narrow range) of each decade (2, 3, 5 rather than 3x10^0);
    over wider ranges, 10^k at the decades and no labels in between."""
    from matplotlib.ticker import FuncFormatter, LogFormatterSciNotation, LogLocator, NullFormatter

    lo, hi = sorted(abs(v) for v in axis.get_view_interval())
    if lo <= 0 or not np.isfinite(hi):
        return
    ratio = hi / lo
    if ratio < 30:
        subs = np.arange(1.0, 10.0, 0.5) if ratio < 4 else (1.0, 2.0, 3.0, 5.0)
        axis.set_major_locator(LogLocator(base=10, subs=subs))
        axis.set_major_formatter(FuncFormatter(lambda value, _: plain_number(value)))
    else:
        axis.set_major_locator(LogLocator(base=10))
        axis.set_major_formatter(LogFormatterSciNotation(base=10))
    axis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10)))
    axis.set_minor_formatter(NullFormatter())


def plain_number(value: float) -> str:
    """A tick value as people write it: 2, 3.5, 0.25; 2×10^20 (mathtext) beyond 1e4 or below 1e-3."""
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:g}"
    exponent = int(np.floor(np.log10(abs(value))))
    mantissa = value / 10.0**exponent
    head = "" if np.isclose(mantissa, 1) else f"{mantissa:g}\\times"
    return f"${head}10^{{{exponent}}}$"
