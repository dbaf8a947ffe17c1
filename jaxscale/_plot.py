"""Plot of a fitted (N, D) law against its data: loss against compute, one curve per model size."""

import numpy as np


def plot_fit(result, data, path: str, inputs=None, target: str = "loss", n_curves: int = 6) -> None:
    """Saves loss vs compute C = 6 N D for the data (coloured by N) and the fitted law along a few N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inputs = dict(inputs or {})
    N = np.asarray(data[inputs.get("N", "N")], float)
    D = np.asarray(data[inputs.get("D", "D")], float)
    y = np.asarray(data[target], float)
    C = 6 * N * D
    fig, ax = plt.subplots(figsize=(7, 5))
    norm = matplotlib.colors.LogNorm(N.min(), N.max())
    points = ax.scatter(C, y, c=N, norm=norm, cmap="viridis", s=14, edgecolor="none", label="data")
    grid = np.geomspace(C.min() / 2, C.max() * 2, 200)
    for size in np.quantile(N, np.linspace(0, 1, n_curves)):
        curve = result.law.predict({"N": np.full_like(grid, size), "D": grid / (6 * size)})
        ax.plot(grid, curve, color=plt.cm.viridis(norm(size)), lw=1.2)
    ax.set(xscale="log", yscale="log", xlabel="training compute C = 6ND (FLOPs)", ylabel=target)
    ax.set_title(f"{type(result.law).__name__} fit (lines: fixed N, varying D)")
    fig.colorbar(points, ax=ax, label="parameters N")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
