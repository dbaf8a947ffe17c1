"""isoFLOP profiles (loss against model size at each compute budget) with their optima, and the power laws
N_opt = k C^a and D_opt = k_D C^b fitted through those optima."""

import numpy as np
import pandas as pd

from .._dataset import as_frame
from .._groups import key_tuple
from ..isoflop import IsoFlopResult
from ._output import check_path, finish, new_axes


def isoflop(
    result: IsoFlopResult,
    data,
    *,
    compute: str = "C",
    size: str = "N",
    tokens: str = "D",
    target: str = "loss",
    group=None,
    ax=None,
    path=None,
):
    """Two panels from `js.isoflop.profiles`: left, each budget's runs (`target` against `size`, one colour per
    budget) with its optimum N_opt marked (a star where the power laws used it, a cross where not); right, the
    optima N_opt and D_opt against compute with the fitted N_opt = k C^a and D_opt = k_D C^b. Returns the Figure.

    `data` is the runs table given to `profiles`, with the same column names (`compute`, `size`, `tokens`,
    `target`). For a result with groups (`by=`), `group` picks one (its key, as in `result.to_frame()`). `ax`: two
    Axes to draw into; `path`: save the figure there, atomically.

    >>> import jaxscale as js, numpy as np
    >>> df = js.datasets.load("porian_isoflop")
    >>> runs = df[df["config"] == "rw/base/short/chinchilla/standard/val"]
    >>> result = js.isoflop.profiles(runs, n_bootstrap=20)
    >>> figure = js.plot.isoflop(result, runs)
    >>> fitted = figure.axes[1].lines[0]
    >>> row = result.to_frame().iloc[0]
    >>> bool(np.allclose(fitted.get_ydata(), row["k"] * fitted.get_xdata() ** row["a"]))
    True
    """
    if not isinstance(result, IsoFlopResult):
        raise TypeError(f"result must be the IsoFlopResult of js.isoflop.profiles, got {type(result).__name__}.")
    if result.method.startswith("approach 1"):
        raise ValueError("result is an envelope (approach 1) result, which has no isoFLOP profiles to draw: pass the result of js.isoflop.profiles.")
    if path is not None:
        check_path(path)
    frame = as_frame(data)
    missing = [column for column in (compute, size, tokens, target, *result.by) if column not in frame.columns]
    if missing:
        raise ValueError(f"data lacks the column(s) {missing} that the profiles were fitted on; pass the same runs table (or name the columns: compute=, size=, tokens=, target=).")
    row, optima, frame = _one_group(result, frame, group)
    figure, (profiles_ax, optima_ax) = new_axes(ax, 2, panel_size=(6.0, 4.5))
    _draw_profiles(profiles_ax, frame, optima, compute, size, target)
    _draw_optima(optima_ax, row, optima, compute, size, tokens)
    return finish(figure, [profiles_ax, optima_ax], path)


def _one_group(result, frame, group):
    """The summary row, the optima and the runs of the group to draw."""
    table, optima = result.to_frame(), result.optima
    if not result.by:
        if group is not None:
            raise ValueError("group: this result has no groups (profiles was called without by=); drop group=.")
        return table.iloc[0], optima, frame
    keys = [key_tuple(k) for k in table[list(result.by)].itertuples(index=False, name=None)]
    if group is None:
        if len(keys) > 1:
            shown = [_shown(k) for k in keys[:5]]
            raise ValueError(
                f"group: this result has {len(keys)} groups by {list(result.by)}; pick one with group=, e.g. "
                f"group={shown[0]!r} (groups: {shown}{' ...' if len(keys) > 5 else ''})."
            )
        wanted = keys[0]
    else:
        wanted = key_tuple(group)
        if wanted not in keys:
            raise ValueError(f"group: no group {group!r} in this result; its groups by {list(result.by)} are {[_shown(k) for k in keys[:10]]}{' ...' if len(keys) > 10 else ''}.")
    def rows(table):
        selected = np.ones(len(table), bool)
        for column, value in zip(result.by, wanted):
            selected &= (table[column] == value).to_numpy()
        return table[selected]
    return rows(table).iloc[0], rows(optima), rows(frame)


def _shown(key):
    return key[0] if len(key) == 1 else key


def _draw_profiles(ax, frame, optima, compute, size, target) -> None:
    import matplotlib

    budgets = np.sort(optima[compute].to_numpy(float))
    norm = matplotlib.colors.LogNorm(budgets.min(), budgets.max()) if len(budgets) > 1 else None
    cmap = matplotlib.colormaps["plasma"]
    for budget in budgets:
        colour = cmap(0.85 * norm(budget)) if norm is not None else "C0"
        runs = frame[np.isclose(frame[compute].to_numpy(float), budget, rtol=1e-12, atol=0)]
        # Runs of one size (seeds) are averaged, so the line follows the profile rather than the noise.
        profile = runs.groupby(size, sort=True)[target].mean()
        ax.plot(profile.index, profile.to_numpy(), "-", color=colour, lw=0.9, alpha=0.8, gid=f"profile:{budget!r}")
        ax.scatter(runs[size], runs[target], s=10, color=colour, edgecolor="none", alpha=0.8)
        at = optima[optima[compute] == budget].iloc[0]
        n_opt = float(at[f"{size}_opt"])
        if np.isfinite(n_opt):
            loss_there = float(np.interp(np.log(n_opt), np.log(profile.index.to_numpy(float)), profile.to_numpy()))
            marker = dict(marker="*", s=120, facecolor=colour, edgecolor="k", linewidth=0.6) if at["used"] else dict(marker="X", s=60, facecolor="white", edgecolor=colour)
            ax.scatter([n_opt], [loss_there], zorder=3, **marker)
    ax.set(xscale="log", yscale="log", xlabel=f"parameters {size}", ylabel=target)
    ax.set_title(f"isoFLOP profiles at {len(budgets)} budgets (stars: optima used, crosses: left out)", fontsize=10)
    if norm is not None:
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=matplotlib.colors.ListedColormap(cmap(np.linspace(0, 0.85, 256))))
        ax.figure.colorbar(mappable, ax=ax, label=f"compute {compute} (FLOPs)")


def _draw_optima(ax, row, optima: pd.DataFrame, compute, size, tokens) -> None:
    used = optima["used"].to_numpy(bool)
    c = optima[compute].to_numpy(float)
    line_c = np.geomspace(c[used].min() if used.any() else c.min(), c.max() if not used.any() else c[used].max(), 64)
    for column, exponent, coefficient, colour, name in ((f"{size}_opt", "a", "k", "C0", size), (f"{tokens}_opt", "b", "k_D", "C1", tokens)):
        values = optima[column].to_numpy(float)
        if np.isfinite(row[exponent]) and np.isfinite(row[coefficient]):
            ax.plot(line_c, row[coefficient] * line_c ** row[exponent], "-", color=colour, lw=1.5,
                    label=f"{name}_opt = {row[coefficient]:.3g} C^{row[exponent]:.3f}", gid=f"power law:{name}")
        ax.scatter(c[used], values[used], color=colour, s=22, zorder=3)
        ax.scatter(c[~used], values[~used], facecolor="white", edgecolor=colour, s=22, zorder=3, label=f"{name}_opt left out" if (~used).any() else None)
    ax.set(xscale="log", yscale="log", xlabel=f"compute {compute} (FLOPs)", ylabel="optimal parameters / tokens")
    ax.legend(fontsize=8)
    ax.set_title("optima and fitted power laws", fontsize=10)
