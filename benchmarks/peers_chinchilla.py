"""Peer-tool baselines for the Chinchilla (Approach 3) scaling-law fit.

Every baseline here solves the *same* problem, so that its wall time and best
objective can be compared with jaxscale's solvers:

* **Data.** Epoch AI's extraction of the Chinchilla paper's Figure 4 points
  (``svg_extracted_data.csv``): ``N`` = model size, ``C`` = training FLOP,
  ``D = C / (6 N)``.  The 5 highest-loss rows are dropped (as in Epoch's
  replication), leaving 240 points.
* **Model** (log space, Besiroglu et al. 2024)::

      log L_pred = logsumexp(a - alpha*log N,  b - beta*log D,  e)

  with ``p = (a, b, e, alpha, beta)`` and ``A = exp(a)``, ``B = exp(b)``,
  ``E = exp(e)``.
* **Objective.** ``sum_i scipy.special.huber(1e-3, log L_pred_i - log L_i)``
  (a *sum*, not a mean).  Sanity anchor: at
  ``p = (6.16927953, 7.67036499, 0.59731639, 0.34731266, 0.36718262)`` the
  objective is ``1.018274034e-3``.
* **Starts.** The Hoffmann et al. (2022) grid that Epoch used to "replicate
  exactly": ``alpha, beta in {0, .5, 1, 1.5, 2}``, ``e in {-1, -.5, 0, .5, 1}``,
  ``a, b in {0, 5, ..., 25}`` -- 4,500 starts, enumerated here as
  ``itertools.product(a, b, e, alpha, beta)`` (last axis fastest).

Baselines
---------
``scipy_lbfgsb_loop``
    Epoch's / Hoffmann's procedure: ``scipy.optimize.minimize(...,
    method="L-BFGS-B")`` with default options and *no* gradient (2-point
    finite differences), looped over the starts; the best objective wins.
``scipy_lbfgsb_loop_analytic_grad``
    The same loop with a hand-written NumPy gradient (``jac=True``), to be fair
    to SciPy.
``chinchilla_package_fit``
    The PyPI ``chinchilla`` package (0.2.0, Kyo Takano).  Its entry point is
    ``Chinchilla(project_dir, param_grid=..., loss_fn=...).fit()``: a loop of
    ``scipy.optimize.minimize(method="BFGS")`` (finite differences) over the
    Cartesian product of ``param_grid``, evaluated in ``np.longdouble``, on a
    *mean* loss over points, with every coordinate divided by the range of its
    grid axis.  We pass the Hoffmann grid (as ``e, a, b, alpha, beta``) and the
    package's own ``log_huber`` with ``delta=1e-3``.  Its fitted parameters
    are then re-scored with *our* objective so the numbers are comparable.
``lmfit_fit``
    ``lmfit.minimize(fcn, params, method="lbfgsb")`` where ``fcn`` returns the
    scalar Huber objective (lmfit's scalar-minimizer path), looped over the
    starts.

Timing
------
All loops run serially in one process.  ``seconds`` is the wall time of what
was actually run.  When a baseline is run on a *sample* of the grid (``sample=
k``), the sample is stratified -- the 4,500 starts, in their enumeration order,
are cut into ``k`` consecutive blocks and one start is drawn at random (fixed
``seed``) from each block, so every region of the grid is covered and all
baselines given the same ``(sample, seed)`` run the same starts -- and
``seconds_full_grid`` is the measured time **extrapolated linearly** to 4,500
starts (``seconds * 4500 / k``).  The one exception is the ``chinchilla``
package, whose ``fit()`` has a fixed cost (process pool, diagnostic plot,
~0.4 s) that is counted once rather than multiplied up.  The ``note`` of each
result says what was done.  For a full-grid run ``seconds_full_grid ==
seconds``.  Run as a script, the module pins BLAS to one thread.  Wall times
on a shared VM drift (we saw the same run vary up to ~2x between sessions), so
compare baselines measured in the same session, and repeat.

Nothing is computed at import time; run ``python benchmarks/peers_chinchilla.py``
for a self-check (gradient vs. finite differences, anchor objective) and a small
comparison table.
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # Run as a script: pin OpenBLAS/OpenMP to one thread *before* NumPy loads
    # (an explicit setting in the environment wins), so each baseline really
    # is single-core.  With the default threaded OpenBLAS the loops used ~2x
    # their wall time in CPU (idle BLAS threads spinning) for the same wall time.
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import contextlib
import itertools
import logging
import math
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber

__all__ = [
    "DATA_PATH",
    "HUBER_DELTA",
    "ANCHOR_PARAMS",
    "ANCHOR_OBJECTIVE",
    "load_epoch_240",
    "hoffmann_grid",
    "stratified_sample",
    "objective",
    "objective_and_grad",
    "scipy_lbfgsb_loop",
    "scipy_lbfgsb_loop_analytic_grad",
    "chinchilla_package_fit",
    "lmfit_fit",
    "main",
]

# --------------------------------------------------------------------------
# Problem definition
# --------------------------------------------------------------------------

#: Epoch AI's extraction of the Chinchilla Figure-4 data.
DATA_PATH = Path("/work/shared/data/chinchilla_epoch/svg_extracted_data.csv")

#: Huber threshold (on the log-loss residual), as in Hoffmann et al. / Epoch.
HUBER_DELTA = 1e-3

#: A point near the optimum and its objective value, used as a sanity check.
ANCHOR_PARAMS = np.array([6.16927953, 7.67036499, 0.59731639, 0.34731266, 0.36718262])
ANCHOR_OBJECTIVE = 1.018274034e-3

#: Names of the parameter vector's entries, in order.
PARAM_NAMES = ("a", "b", "e", "alpha", "beta")

# Axes of the Hoffmann et al. (2022) start grid, in parameter order.
_GRID_AXES = {
    "a": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    "b": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    "e": (-1.0, -0.5, 0.0, 0.5, 1.0),
    "alpha": (0.0, 0.5, 1.0, 1.5, 2.0),
    "beta": (0.0, 0.5, 1.0, 1.5, 2.0),
}
FULL_GRID_SIZE = math.prod(len(v) for v in _GRID_AXES.values())  # 4500


def load_epoch_240(path: str | os.PathLike = DATA_PATH) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load Epoch's 245 points and drop the 5 highest-loss rows.

    Returns ``(N, D, L)`` float64 arrays of length 240, with ``D = C / (6 N)``.
    """
    import pandas as pd  # local import: keeps module import light

    df = pd.read_csv(path)
    N = df["Model Size"].to_numpy(dtype=np.float64)
    C = df["Training FLOP"].to_numpy(dtype=np.float64)
    L = df["loss"].to_numpy(dtype=np.float64)
    fifth_largest = np.sort(L)[-5]
    keep = L < fifth_largest
    return N[keep], (C / (6.0 * N))[keep], L[keep]


def hoffmann_grid() -> np.ndarray:
    """The 4,500 Hoffmann et al. starts as a ``(4500, 5)`` array.

    Columns are ``(a, b, e, alpha, beta)``; rows follow
    ``itertools.product(a, b, e, alpha, beta)`` (the last axis varies fastest).
    """
    return np.array(list(itertools.product(*_GRID_AXES.values())), dtype=np.float64)


def stratified_sample(n_total: int, sample: int | None, seed: int = 0) -> np.ndarray:
    """Indices of a stratified random sample of ``sample`` out of ``n_total`` starts.

    The index range is cut into ``sample`` consecutive, near-equal blocks and
    one index is drawn uniformly from each block.  With the grid's enumeration
    order this covers every ``(a, b)`` cell and every ``e`` value while
    randomising the fast axes (a plain every-k-th stride would not: with
    ``k = 50`` it would only ever visit ``alpha = beta = 0``).
    ``sample=None`` (or ``>= n_total``) means all indices.
    """
    if sample is None or sample >= n_total:
        return np.arange(n_total)
    if sample < 1:
        raise ValueError(f"sample must be a positive int or None, got {sample!r}")
    edges = np.linspace(0, n_total, sample + 1).round().astype(np.int64)
    rng = np.random.default_rng(seed)
    return np.array([rng.integers(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])], dtype=np.int64)


def _log_terms(p: np.ndarray, logN: np.ndarray, logD: np.ndarray):
    """Shifted exponentials of the three logsumexp terms, for value and gradient."""
    a, b, e, alpha, beta = p
    t1 = a - alpha * logN
    t2 = b - beta * logD
    m = np.maximum(np.maximum(t1, t2), e)
    w1 = np.exp(t1 - m)
    w2 = np.exp(t2 - m)
    w3 = np.exp(e - m)
    s = w1 + w2 + w3
    return m + np.log(s), w1 / s, w2 / s, w3 / s


def objective(p: np.ndarray, logN: np.ndarray, logD: np.ndarray, logL: np.ndarray) -> float:
    """Sum of ``huber(1e-3, log L_pred - log L)`` over the points."""
    log_pred = _log_terms(np.asarray(p, dtype=np.float64), logN, logD)[0]
    return float(np.sum(huber(HUBER_DELTA, log_pred - logL)))


def objective_and_grad(
    p: np.ndarray, logN: np.ndarray, logD: np.ndarray, logL: np.ndarray
) -> tuple[float, np.ndarray]:
    """Objective and its analytic gradient w.r.t. ``(a, b, e, alpha, beta)``.

    With ``r = log L_pred - log L`` and softmax weights ``s_k`` of the three
    logsumexp terms, ``d huber/dr = clip(r, -delta, delta)`` and
    ``d log L_pred = s_1 (da - log N dalpha) + s_2 (db - log D dbeta) + s_3 de``.
    """
    log_pred, s1, s2, s3 = _log_terms(np.asarray(p, dtype=np.float64), logN, logD)
    r = log_pred - logL
    g = np.clip(r, -HUBER_DELTA, HUBER_DELTA)
    g1, g2 = g * s1, g * s2
    grad = np.array([g1.sum(), g2.sum(), (g * s3).sum(), -(g1 @ logN), -(g2 @ logD)])
    return float(np.sum(huber(HUBER_DELTA, r))), grad


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _logs(N, D, L):
    return (np.log(np.asarray(N, np.float64)), np.log(np.asarray(D, np.float64)), np.log(np.asarray(L, np.float64)))


def _params_dict(p: np.ndarray) -> dict[str, float]:
    a, b, e, alpha, beta = (float(v) for v in p)
    return {"A": math.exp(a), "B": math.exp(b), "E": math.exp(e), "alpha": alpha, "beta": beta}


def _sample_note(n_run: int, seed: int) -> tuple[str, float]:
    """Note fragment and time-extrapolation factor for a (possibly sampled) run."""
    if n_run >= FULL_GRID_SIZE:
        return f"full grid of {FULL_GRID_SIZE} starts", 1.0
    factor = FULL_GRID_SIZE / n_run
    return (
        f"stratified random sample of {n_run} of {FULL_GRID_SIZE} starts (one per block of "
        f"~{FULL_GRID_SIZE / n_run:.0f} consecutive grid starts, seed {seed}), "
        f"time extrapolated x{factor:.4g}",
        factor,
    )


def _result(name, n_run, seconds, factor, best_obj, best_p, note, **extra) -> dict:
    out = {
        "name": name,
        "n_starts_run": int(n_run),
        "seconds": seconds,
        "seconds_full_grid": None if seconds is None else seconds * factor,
        "best_objective": best_obj,
        "params": None if best_p is None else _params_dict(best_p),
        "note": note,
    }
    out.update(extra)
    return out


def _multistart(
    name: str,
    fit_one: Callable[[np.ndarray], tuple[np.ndarray, float]],
    starts: np.ndarray,
    seed: int,
    what: str,
    score: Callable[[np.ndarray], float],
) -> dict:
    """Run ``fit_one`` from every start, timing the whole loop.

    ``fit_one(x0) -> (x, f)``; non-finite results and exceptions count as
    failures.  The winner is re-scored with our ``score`` (same objective).
    """
    best_f, best_x, n_fail = math.inf, None, 0
    t0 = time.perf_counter()
    for x0 in starts:
        try:
            x, f = fit_one(x0)
        except (ValueError, FloatingPointError, ArithmeticError):
            n_fail += 1
            continue
        if not np.isfinite(f):
            n_fail += 1
        elif f < best_f:
            best_f, best_x = f, np.array(x, dtype=np.float64)
    seconds = time.perf_counter() - t0
    sample_txt, factor = _sample_note(len(starts), seed)
    best_obj = None if best_x is None else score(best_x)
    note = f"{what}; {sample_txt}; {n_fail} start(s) failed/non-finite"
    return _result(name, len(starts), seconds, factor, best_obj, best_x, note,
                   seconds_per_start=seconds / len(starts))


def _grid_starts(sample: int | None, seed: int) -> np.ndarray:
    grid = hoffmann_grid()
    return grid[stratified_sample(len(grid), sample, seed)]


# --------------------------------------------------------------------------
# Baseline 1 & 2: SciPy L-BFGS-B loop (finite differences / analytic gradient)
# --------------------------------------------------------------------------


def scipy_lbfgsb_loop(N, D, L, sample: int | None = None, seed: int = 0) -> dict:
    """Epoch/Hoffmann procedure: ``minimize(objective, x0, method="L-BFGS-B")``
    with default options and no gradient (2-point finite differences), looped
    over the Hoffmann grid (or a stratified sample of it)."""
    logN, logD, logL = _logs(N, D, L)
    args = (logN, logD, logL)

    def fit_one(x0):
        res = minimize(objective, x0, args=args, method="L-BFGS-B")
        return res.x, res.fun

    return _multistart(
        "scipy L-BFGS-B (finite-diff grad)",
        fit_one,
        _grid_starts(sample, seed),
        seed,
        "scipy.optimize.minimize(method='L-BFGS-B'), default options, 2-point FD gradient",
        lambda p: objective(p, *args),
    )


def scipy_lbfgsb_loop_analytic_grad(N, D, L, sample: int | None = None, seed: int = 0) -> dict:
    """As :func:`scipy_lbfgsb_loop` but with the analytic NumPy gradient (``jac=True``)."""
    logN, logD, logL = _logs(N, D, L)
    args = (logN, logD, logL)

    def fit_one(x0):
        res = minimize(objective_and_grad, x0, args=args, method="L-BFGS-B", jac=True)
        return res.x, res.fun

    return _multistart(
        "scipy L-BFGS-B (analytic grad)",
        fit_one,
        _grid_starts(sample, seed),
        seed,
        "scipy.optimize.minimize(method='L-BFGS-B', jac=True), default options, hand-written NumPy gradient",
        lambda p: objective(p, *args),
    )


# --------------------------------------------------------------------------
# Baseline 3: the PyPI `chinchilla` package
# --------------------------------------------------------------------------


@contextlib.contextmanager
def _contain_chinchilla_side_effects() -> Iterator[None]:
    """Undo the process-global changes ``chinchilla`` makes.

    Importing it installs warning filters (``chinchilla._logger``) and a
    seaborn theme (``chinchilla.visualizer``); constructing ``Chinchilla``
    calls ``logging.basicConfig(force=True)`` (replacing the root logger's
    handlers) and ``logging.captureWarnings(True)``.  We restore the root
    logger, the warning filters/``showwarning`` and matplotlib's rcParams.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - chinchilla itself needs matplotlib
        matplotlib = None
    rc_ctx = matplotlib.rc_context() if matplotlib is not None else contextlib.nullcontext()
    try:
        with warnings.catch_warnings(), rc_ctx:
            yield
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in handlers:
            root.addHandler(h)
        root.setLevel(level)


class _SampledItertools:
    """Stand-in for the ``itertools`` module inside ``chinchilla.core``.

    ``Chinchilla.fit`` builds its starts as ``list(itertools.product(*grid))``;
    for a *sampled* run we substitute the same stratified sample as the other
    baselines, leaving everything else in ``fit`` (notably the per-axis
    autoscaling computed from the full ``param_grid``) untouched.
    """

    def __init__(self, starts: np.ndarray):
        self._starts = [tuple(float(v) for v in row) for row in starts]

    def product(self, *iterables):  # noqa: ARG002 - signature mirrors itertools.product
        return list(self._starts)

    def __getattr__(self, name):  # anything else: the real module
        return getattr(itertools, name)


class _TimedScipyOptimize:
    """Stand-in for ``scipy.optimize`` inside ``chinchilla.core`` (sampled runs).

    Forwards everything, and adds up the wall time spent in ``minimize``
    calls, so that a sampled run's time can be split into the per-start loop
    (extrapolated) and the fixed cost of ``fit()`` (process pool start-up,
    diagnostic plot: ~0.4 s here), which is *not* multiplied up.
    """

    def __init__(self):
        import scipy.optimize

        self._real = scipy.optimize
        self.seconds = 0.0
        self.calls = 0

    def minimize(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self._real.minimize(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1

    def __getattr__(self, name):
        return getattr(self._real, name)


def chinchilla_package_fit(N, D, L, sample: int | None = None, seed: int = 0, parallel: bool = False) -> dict:
    """Fit with the PyPI ``chinchilla`` package and re-score with our objective.

    How the package fits (0.2.0, ``chinchilla/core.py``): ``Chinchilla.fit()``
    reads ``project_dir/df.csv`` (columns ``C, N, D, loss``), forms the
    Cartesian product of ``param_grid`` (keys among ``E|e, A|a, B|b, alpha,
    beta``; lower-case ``e/a/b`` mean log-values), divides every start by the
    range (``np.ptp``) of its grid axis, and runs ``scipy.optimize.minimize(
    method="BFGS")`` -- default options, finite-difference gradient -- from
    each start on ``mean(loss_fn(y_true, y_pred))`` evaluated in
    ``np.longdouble`` with ``L_pred = E + exp(a - alpha log N) + exp(b - beta
    log D)`` (exponents clipped to float32's log-max).  The best start wins.
    Defaults: ``loss_fn=asymmetric_mae`` (not Huber), ``parallel=True``
    (a ``multiprocessing.Pool(os.cpu_count())``), no default grid.

    We pass the Hoffmann grid and the package's own ``_metrics.log_huber``
    with ``delta=1e-3`` (the Chinchilla loss), and ``parallel=False`` by
    default so that the time is single-process like the other baselines.
    ``sample`` runs a stratified sample of starts by substituting the start
    list inside ``fit`` (see :class:`_SampledItertools`); the reported time
    is that of the whole ``fit()`` call (including the package's pool start-up
    and its diagnostic plot), extrapolated linearly for sampled runs.

    If the package cannot be imported, ``seconds`` is ``None`` and ``note``
    says why.
    """
    name = "chinchilla (PyPI) BFGS"
    logN, logD, logL = _logs(N, D, L)
    starts = _grid_starts(sample, seed)
    sample_txt, factor = _sample_note(len(starts), seed)
    try:
        with _contain_chinchilla_side_effects():
            import chinchilla
            import chinchilla.core as cc_core
            from chinchilla import _metrics
    except Exception as exc:  # ImportError or anything its import chain raises
        return _result(name, 0, None, 1.0, None, None,
                       f"chinchilla package unavailable: {type(exc).__name__}: {exc}")

    def chinchilla_log_huber(y_true, y_pred):
        return _metrics.log_huber(y_true, y_pred, delta=HUBER_DELTA)

    # Order matters: Chinchilla.fit unpacks the grid positionally as
    # (E, A, B, alpha, beta), so the dict must be in this order.
    param_grid = {
        "e": list(_GRID_AXES["e"]),
        "a": list(_GRID_AXES["a"]),
        "b": list(_GRID_AXES["b"]),
        "alpha": list(_GRID_AXES["alpha"]),
        "beta": list(_GRID_AXES["beta"]),
    }
    # Our starts are (a, b, e, alpha, beta); the package wants (e, a, b, alpha, beta).
    pkg_starts = starts[:, [2, 0, 1, 3, 4]]

    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="chinchilla_peer_") as tmp, _contain_chinchilla_side_effects():
        N64, D64 = np.asarray(N, np.float64), np.asarray(D, np.float64)
        pd.DataFrame({"C": 6.0 * N64 * D64, "N": N64, "D": D64, "loss": np.asarray(L, np.float64)}).to_csv(
            os.path.join(tmp, "df.csv"), index=False
        )
        cc = chinchilla.Chinchilla(tmp, param_grid=param_grid, loss_fn=chinchilla_log_huber, log_level=logging.ERROR)
        sampled = len(starts) < FULL_GRID_SIZE
        real_itertools, real_sciop = cc_core.itertools, cc_core.sciop
        timer = _TimedScipyOptimize() if sampled and not parallel else None
        if sampled:
            cc_core.itertools = _SampledItertools(pkg_starts)
        if timer is not None:
            cc_core.sciop = timer
        try:
            t0 = time.perf_counter()
            cc.fit(parallel=parallel)
            seconds = time.perf_counter() - t0
        except Exception as exc:
            return _result(name, len(starts), None, factor, None, None,
                           f"chinchilla fit failed: {type(exc).__name__}: {exc}")
        finally:
            cc_core.itertools, cc_core.sciop = real_itertools, real_sciop
        fitted = cc.params  # E, A, B, alpha, beta as floats

    p = np.array([math.log(fitted["A"]), math.log(fitted["B"]), math.log(fitted["E"]),
                  fitted["alpha"], fitted["beta"]])
    best_obj = objective(p, logN, logD, logL)
    own_obj = best_obj / len(logL)  # the package's own criterion is the mean over points
    if timer is not None:
        if timer.calls != len(starts):
            raise RuntimeError(f"chinchilla ran {timer.calls} starts, expected {len(starts)}")
        fixed = seconds - timer.seconds
        full = fixed + timer.seconds * factor
        time_txt = (f"time: {timer.seconds:.2f} s in the BFGS loop extrapolated x{factor:.4g} "
                    f"+ {fixed:.2f} s fixed fit() overhead (pool, plot) counted once")
    else:
        full = seconds * factor
        time_txt = "time: whole fit() call" + (f", extrapolated x{factor:.4g}" if sampled else "")
    note = (
        f"chinchilla {getattr(chinchilla, '__version__', '0.2.0')} Chinchilla(...).fit(parallel={parallel}): "
        "scipy BFGS (default options, FD gradient) in longdouble on the MEAN of its "
        "log_huber(delta=1e-3), Hoffmann grid as param_grid (e,a,b,alpha,beta), coordinates scaled "
        f"by per-axis grid range; {sample_txt.split(', time extrapolated')[0]}"
        + (" (sample injected via chinchilla.core.itertools)" if sampled else "")
        + f"; {time_txt}; best_objective = its params re-scored with our sum objective "
        f"(its own mean criterion {own_obj:.4g})"
    )
    out = _result(name, len(starts), seconds, factor, best_obj, p, note,
                  seconds_per_start=seconds / len(starts))
    out["seconds_full_grid"] = full
    return out


# --------------------------------------------------------------------------
# Baseline 4: lmfit
# --------------------------------------------------------------------------


def lmfit_fit(N, D, L, sample: int | None = None, seed: int = 0) -> dict:
    """``lmfit.minimize(fcn, params, method="lbfgsb")`` looped over the grid.

    ``fcn`` returns the scalar sum-Huber objective, which lmfit's scalar
    minimizers use as is (they would sum-of-squares an array).  No gradient
    is passed (SciPy finite differences, as in Epoch's procedure); parameters
    are unbounded; ``calc_covar=False`` so that the time does not depend on
    whether ``numdifftools`` happens to be installed.
    """
    import lmfit  # local import: optional dependency

    logN, logD, logL = _logs(N, D, L)
    args = (logN, logD, logL)

    def fcn(params):
        v = params.valuesdict()
        return objective(np.array([v[k] for k in PARAM_NAMES]), *args)

    def fit_one(x0):
        params = lmfit.Parameters()
        for k, v in zip(PARAM_NAMES, x0):
            params.add(k, value=float(v))
        out = lmfit.minimize(fcn, params, method="lbfgsb", calc_covar=False)
        x = np.array([out.params[k].value for k in PARAM_NAMES])
        return x, objective(x, *args)

    return _multistart(
        f"lmfit {lmfit.__version__} lbfgsb",
        fit_one,
        _grid_starts(sample, seed),
        seed,
        "lmfit.minimize(method='lbfgsb', calc_covar=False) on a scalar objective, FD gradient",
        lambda p: objective(p, *args),
    )


# --------------------------------------------------------------------------
# Self-check and demo table
# --------------------------------------------------------------------------


def _self_check(N, D, L) -> None:
    """Anchor objective and analytic gradient vs. central finite differences."""
    from scipy.optimize import approx_fprime

    logN, logD, logL = _logs(N, D, L)
    args = (logN, logD, logL)
    assert len(L) == 240, len(L)
    f_anchor = objective(ANCHOR_PARAMS, *args)
    rel = abs(f_anchor - ANCHOR_OBJECTIVE) / ANCHOR_OBJECTIVE
    print(f"anchor objective {f_anchor:.9e} (expected {ANCHOR_OBJECTIVE:.9e}, rel. diff {rel:.1e})")
    assert rel < 1e-6, rel

    rng = np.random.default_rng(1)
    points = [ANCHOR_PARAMS, ANCHOR_PARAMS + rng.normal(scale=0.05, size=5)]
    points += list(hoffmann_grid()[rng.choice(FULL_GRID_SIZE, 3, replace=False)])
    h = 1e-7
    worst = 0.0
    for p in points:
        f, g = objective_and_grad(p, *args)
        assert abs(f - objective(p, *args)) <= 1e-12 * max(1.0, abs(f))
        central = np.array([(objective(p + h * ei, *args) - objective(p - h * ei, *args)) / (2 * h)
                            for ei in np.eye(5)])
        forward = approx_fprime(p, objective, np.sqrt(np.finfo(float).eps), *args)  # like L-BFGS-B's FD
        scale = max(1e-12, np.max(np.abs(central)))
        err = np.max(np.abs(g - central)) / scale
        worst = max(worst, err)
        print(f"  grad at {np.array2string(np.asarray(p), precision=3)}: |g|max {np.max(np.abs(g)):.2e}, "
              f"rel err vs central FD {err:.1e} (forward FD as used by L-BFGS-B: "
              f"{np.max(np.abs(g - forward)) / scale:.1e})")
    assert worst < 1e-4, worst
    print("self-check passed")


def _print_table(results: list[dict]) -> None:
    hdr = f"{'baseline':38s} {'starts':>6s} {'s run':>8s} {'ms/start':>9s} {'s @4500':>9s} {'best objective':>15s}"
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        if r["seconds"] is None:
            print(f"{r['name']:38s} {r['n_starts_run']:6d} {'n/a':>8s} {'n/a':>9s} {'n/a':>9s} {'n/a':>15s}")
            continue
        print(f"{r['name']:38s} {r['n_starts_run']:6d} {r['seconds']:8.2f} "
              f"{1e3 * r['seconds'] / r['n_starts_run']:9.2f} {r['seconds_full_grid']:9.1f} "
              f"{r['best_objective']:15.9e}")
    print()
    for r in results:
        p = r["params"]
        ptxt = "" if p is None else ", ".join(f"{k}={v:.6g}" for k, v in p.items())
        print(f"- {r['name']}: {ptxt}\n    note: {r['note']}")


def main(sample: int = 90, seed: int = 0) -> list[dict]:
    """Self-check, then run every baseline on the same stratified sample and print a table."""
    N, D, L = load_epoch_240()
    _self_check(N, D, L)
    print()
    results = []
    for fn in (scipy_lbfgsb_loop, scipy_lbfgsb_loop_analytic_grad, lmfit_fit, chinchilla_package_fit):
        results.append(fn(N, D, L, sample=sample, seed=seed))
    _print_table(results)
    return results


if __name__ == "__main__":
    main()
