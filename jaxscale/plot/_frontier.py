"""The compute-optimal frontier: N* and D* against compute, with the band of a bootstrap's (or a posterior's) laws."""

import numpy as np

from .._allocate import allocate
from .._bootstrap_result import BootstrapResult
from .._fit_result import FitResult
from .._posterior import Posterior
from ..problems import Allocation, ComputeOptimal
from ._output import check_path, finish, new_axes


def frontier(result, budgets=None, *, level: float = 0.95, ax=None, path=None):
    """N* (parameters) and D* (tokens) against compute; returns the matplotlib Figure.

    `result` is one of:
    - a `BootstrapResult`: the lines are `js.allocate(result.full_fit.law, ComputeOptimal(budgets))`, the band
      the central `level` interval of `js.allocate(result.laws, ComputeOptimal(budgets))` over the refits;
    - a `Posterior`: the lines are the posterior median, the band the central `level` interval over draws;
    - a `FitResult`: the lines alone;
    - an `Allocation` you computed (from `js.allocate(laws, ComputeOptimal(budgets))`): `budgets` is then not
      given; a batch of laws gives the median lines and the band.
    `budgets` is an array of at least two compute budgets (FLOPs), e.g. `np.geomspace(1e20, 1e26, 25)`. The law
    must take N and D. `ax` draws into an existing Axes; `path` saves the figure there, atomically.

    >>> import jaxscale as js, numpy as np
    >>> law = js.Chinchilla(E=1.8172, A=477.8, B=2143.9, alpha=0.34731, beta=0.36718)
    >>> budgets = np.geomspace(1e20, 1e26, 7)
    >>> figure = js.plot.frontier(js.allocate(law, js.problems.ComputeOptimal(budgets)))
    >>> [line.get_label() for line in figure.axes[0].lines]
    ['N* (parameters)', 'D* (tokens)']
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95 for a 95% band), got {level!r}.")
    if path is not None:
        check_path(path)
    if isinstance(result, Allocation):
        if budgets is not None:
            raise ValueError("budgets: an Allocation already holds its budgets; drop budgets= (or pass the BootstrapResult instead).")
        line, spread, what = _lines_and_band(result)
    else:
        line, spread, what = _solve(result, _checked_budgets(budgets))
    c, N, D = line
    figure, (ax,) = new_axes(ax, panel_size=(6.0, 4.5))
    ax.plot(c, N, "-", color="C0", lw=1.8, label="N* (parameters)")
    ax.plot(c, D, "-", color="C1", lw=1.8, label="D* (tokens)")
    if spread is not None:
        lo, hi = (1 - level) / 2, (1 + level) / 2
        for values, colour in ((spread[0], "C0"), (spread[1], "C1")):
            ax.fill_between(c, np.nanquantile(values, lo, axis=0), np.nanquantile(values, hi, axis=0), color=colour, alpha=0.22, lw=0)
    band = f", {level:.0%} band over {what}" if spread is not None else ""
    ax.set(xscale="log", yscale="log", xlabel="training compute C (FLOPs)", ylabel="parameters N* / tokens D*")
    ax.set_title(f"compute-optimal allocation{band}", fontsize=10)
    ax.legend(fontsize=8)
    return finish(figure, [ax], path)


def _checked_budgets(budgets) -> np.ndarray:
    if budgets is None:
        raise ValueError("budgets: give the compute budgets to solve at, e.g. budgets=np.geomspace(1e20, 1e26, 25).")
    try:
        values = np.asarray(budgets, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"budgets must be an array of numbers (FLOPs), got {type(budgets).__name__}.") from None
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"budgets must be a 1-d array of at least 2 compute budgets, e.g. np.geomspace(1e20, 1e26, 25); got shape {values.shape}.")
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"budgets must be finite and > 0; {int(np.sum(~(np.isfinite(values) & (values > 0))))} of {values.size} are not.")
    return np.sort(values)


def _solve(result, budgets):
    """(compute, N line, D line), the (2, laws, budgets) spread or None, and what the band is over."""
    if isinstance(result, BootstrapResult):
        point, batch, what = result.full_fit.law, result.laws, f"{result.n_resamples} bootstrap refits"
    elif isinstance(result, Posterior):
        if result.groups:
            raise ValueError("result: a posterior with groups has one frontier per group; draw one from a posterior without by=, or allocate per group yourself and pass the Allocation.")
        point, batch, what = None, result.laws, f"{result.n_draws} posterior draws"
    elif isinstance(result, FitResult):
        point, batch, what = result.law, None, ""
    else:
        raise TypeError(f"result must be a BootstrapResult, Posterior, FitResult or Allocation, got {type(result).__name__}.")
    law = point if point is not None else batch
    if set(law.inputs) != {"N", "D"}:
        raise ValueError(f"result: the frontier allocates model size N and tokens D, but {type(law).__name__} takes {list(law.inputs)}; fit a law of N and D (such as js.Chinchilla).")
    problem = ComputeOptimal(budgets)
    spread = None
    if batch is not None:
        answer = allocate(batch, problem)
        spread = np.stack([np.asarray(answer.N, float), np.asarray(answer.D, float)])
    if point is not None:
        best = allocate(point, problem)
        return (budgets, np.asarray(best.N, float), np.asarray(best.D, float)), spread, what
    return (budgets, np.nanmedian(spread[0], axis=0), np.nanmedian(spread[1], axis=0)), spread, what


def _lines_and_band(allocation: Allocation):
    N, D, flops = (np.asarray(v, float) for v in (allocation.N, allocation.D, allocation.flops))
    if N.ndim == 1:
        if N.size < 2:
            raise ValueError("result: this Allocation has one budget; a frontier needs at least 2 (ComputeOptimal(np.geomspace(1e20, 1e26, 25))).")
        return (flops, N, D), None, ""
    if N.ndim != 2 or N.shape[1] < 2:
        raise ValueError(f"result: a frontier needs an Allocation over several budgets (and optionally a batch of laws), got arrays of shape {N.shape}.")
    c = np.nanmedian(flops, axis=0)
    return (c, np.nanmedian(N, axis=0), np.nanmedian(D, axis=0)), np.stack([N, D]), f"{N.shape[0]} laws"
