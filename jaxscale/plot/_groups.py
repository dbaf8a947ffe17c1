"""Grouped fits as small multiples: one panel per group, each its own law against its own rows."""

import jax
import numpy as np

from .._dataset import as_frame
from .._fit_result import GroupedFitResult
from .._groups import key_tuple
from .._results import warn
from .._shared_fit_result import SharedFitResult
from ._fit import draw_fit
from ._observed import check_extend, check_max_curves, observed_rows
from ._output import check_path, finish, new_axes


def groups(
    result: GroupedFitResult | SharedFitResult,
    data=None,
    *,
    keys=None,
    max_panels: int = 16,
    ncols: int | None = None,
    inputs=None,
    target: str | None = None,
    extend: float = 4.0,
    max_curves: int | None = 8,
    ax=None,
    path=None,
):
    """One panel per group of a grouped fit (`js.fit(..., by=...)`, with or without `shared=`), each drawn as
    `js.plot.fit` draws one fit: that group's law against that group's rows. Returns the matplotlib Figure.

    `keys` picks the groups to draw (default: all, in the result's order). More than `max_panels` groups are not
    drawn at once: the first `max_panels` are, the figure's title says how many of how many, and a warning
    names `keys=` and `max_panels=` to choose. `data`, `inputs`, `target`, `extend`, `max_curves` as in
    `js.plot.fit` (`data` needs the `by` columns); `ax` a sequence of Axes, one per panel; `path` saves the
    figure there, atomically.

    >>> import jaxscale as js, warnings
    >>> df = js.datasets.load("revisiting")
    >>> curves = df[df["curve"].isin(df["curve"].unique()[:3]) & (df["training"] == 1)]
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", js.FitWarning)  # few refined restarts: a quick example
    ...     result = js.fit(js.PowerLaw, curves, by="curve", n_refine=4)
    >>> figure = js.plot.groups(result)
    >>> len([ax for ax in figure.axes if ax.get_visible()])
    3
    """
    if not isinstance(result, (GroupedFitResult, SharedFitResult)):
        raise TypeError(f"result must be a grouped fit (js.fit(..., by=...)), got {type(result).__name__} (one fit: use js.plot.fit).")
    if isinstance(max_panels, bool) or not isinstance(max_panels, (int, np.integer)) or max_panels < 1:
        raise ValueError(f"max_panels must be a positive integer, got {max_panels!r}.")
    if ncols is not None and (isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1):
        raise ValueError(f"ncols must be a positive integer or None, got {ncols!r}.")
    if path is not None:
        check_path(path)
    extend, max_curves = check_extend(extend), check_max_curves(max_curves)
    chosen = _chosen(result, keys)
    total = len(chosen)
    if total > max_panels:
        warn(
            f"js.plot.groups: {total} groups but max_panels={max_panels}; drawing the first {max_panels}. Pass keys=[...] "
            f"to choose which, or a larger max_panels= to draw more."
        )
        chosen = chosen[:max_panels]
    frame = None if data is None else as_frame(data)
    if frame is not None:
        missing = [column for column in result.by if column not in frame.columns]
        if missing:
            raise ValueError(f"data lacks the by column(s) {missing} of this grouped fit; pass the frame that was fitted, or data=None for its own rows.")
    laws = result.law
    figure, axes = new_axes(ax, len(chosen), ncols=ncols or min(4, int(np.ceil(np.sqrt(len(chosen))))), panel_size=(4.2, 3.4))
    for panel, (ax_g, g) in enumerate(zip(axes, chosen)):
        law = jax.tree_util.tree_map(lambda a: a[g], laws)
        key = result.keys[g]
        if frame is None:
            observed = observed_rows(law, result.loss, result.dataset, None, inputs, target).rows(result.group_rows[g])
        else:
            observed = observed_rows(law, result.loss, None, frame[_rows_of(frame, result.by, key)], inputs, target)
        draw_fit(ax_g, law, observed, extend=extend, max_curves=max_curves, title=_title(result.by, key), colorbar=False, legend=panel == 0)
    head = f"{type(laws).__name__} fitted by {', '.join(result.by)}"
    figure.suptitle(f"{head}: {len(chosen)} of {total} groups drawn" if len(chosen) < total else f"{head}: {total} groups")
    return finish(figure, axes, path)


def _chosen(result, keys) -> list[int]:
    if keys is None:
        return list(range(len(result.keys)))
    wanted = [keys] if isinstance(keys, (str, tuple)) else list(keys)
    missing = [key for key in wanted if key not in result.keys]
    if missing:
        raise ValueError(f"keys: no group {missing[0]!r} in this fit; its groups are {list(result.keys)[:10]}{' ...' if len(result.keys) > 10 else ''}.")
    if not wanted:
        raise ValueError("keys is empty: name at least one group to draw (or keys=None for all).")
    return [result.keys.index(key) for key in wanted]


def _rows_of(frame, by, key) -> np.ndarray:
    selected = np.ones(len(frame), bool)
    for column, value in zip(by, key_tuple(key)):
        selected &= (frame[column] == value).to_numpy()
    return selected


def _title(by, key) -> str:
    text = "/".join(map(str, key_tuple(key)))
    return text if len(text) <= 40 else text[:37] + "..."
