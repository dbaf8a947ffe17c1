"""The picture of a `Comparison`: loss against compute per variant, and the compute multiplier with its band."""

import numpy as np


def plot_comparison(comparison, band: np.ndarray, level: float, path: str | None = None):
    """Two panels for `comparison` (a `Comparison`); `band` is (2, variants, curve points) of the multiplier.
    Returns the matplotlib Figure, saved to `path` if given."""
    from matplotlib.figure import Figure  # only here: matplotlib is optional

    keys = list(comparison.fit.keys)
    fig = Figure(figsize=(11, 4.5))
    loss_ax, multiplier_ax = fig.subplots(1, 2)
    colours = {key: f"C{g}" for g, key in enumerate(keys)}
    curve = comparison.curve_compute
    for g, key in enumerate(keys):
        rows = comparison.run_variant == g
        loss_ax.scatter(comparison.run_compute[rows], comparison.run_loss[rows], s=10, alpha=0.35, color=colours[key])
        style = "--" if key == comparison.baseline else "-"
        loss_ax.plot(curve, comparison.curve_loss[g], style, color=colours[key], label=f"{key}{' (baseline)' if key == comparison.baseline else ''}")
    for c in comparison.at:
        loss_ax.axvline(c, color="0.7", lw=0.8, ls=":")
    what = "compute-optimal loss (lines) and runs" if comparison.kind == "compute-optimal" else "loss (lines) and runs"
    loss_ax.set(xscale="log", yscale="log", xlabel="compute C (FLOPs)", ylabel="loss", title=what)
    loss_ax.legend(fontsize=8)

    for i, key in enumerate(comparison.variants):
        colour = colours[key]
        multiplier_ax.plot(curve, np.exp(comparison.curve_log_multiplier[i]), color=colour, label=str(key))
        multiplier_ax.fill_between(curve, band[0, i], band[1, i], color=colour, alpha=0.2, lw=0)
        if np.isfinite(comparison.crossover[i]):
            multiplier_ax.axvline(comparison.crossover[i], color=colour, lw=0.8, ls="--")
        estimate = np.exp(comparison.log_multiplier[i])
        multiplier_ax.scatter(comparison.at, estimate, color=colour, zorder=3, s=18)
    multiplier_ax.axhline(1.0, color="0.3", lw=0.8)
    multiplier_ax.set(
        xscale="log", yscale="log", xlabel="compute C (FLOPs)", ylabel=f"compute multiplier over {comparison.baseline!r}",
        title=f"effective compute multiplier ({level:.0%} band)",
    )
    multiplier_ax.legend(fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
