"""Peer baseline: per-curve ``scipy.optimize.curve_fit`` on the 92 "revisiting" learning curves.

What this baseline does, exactly:

* **Data.** ``jaxscale.datasets.load("revisiting")`` -- the 92 learning curves of the Revisiting Neural
  Scaling Laws benchmark (Alabdulmohsin, Neyshabur and Zhai, 2022), one per value of ``curve``.  For each
  curve the rows with ``training == 1`` are fitted and the rows with ``training == 0`` (larger ``x``) are
  the extrapolation targets.
* **Loop.** A plain Python loop over the curves, sorted by ``curve`` id, serial, in one process.  Each
  curve is fitted independently; nothing is shared between curves.
* **Laws** (``x`` = examples seen, ``y`` = loss):

  - ``"power_law"``: ``y = E + A * x^(-alpha)`` with ``E >= 0``, ``A > 0``, ``alpha > 0``.
  - ``"broken_power_law"``: the smoothly broken power law of Caballero et al. 2022 ("Broken Neural
    Scaling Laws") with one break,
    ``y = a + b * x^(-c0) * (1 + (x / d1)^(1/f1))^(-c1 * f1)``, with ``a >= 0``, ``b > 0``,
    ``d1 > 0``, ``f1 > 0`` and ``c0``, ``c1`` real.

* **Parameterisation.** Constraints are imposed with *bounds* (no log-parameterisation), so
  ``curve_fit`` runs its bounded ``method="trf"`` solver with the default 2-point finite-difference
  Jacobian and default tolerances / ``max_nfev`` (``100 * n_params``), unweighted: ordinary least
  squares on the loss itself.  Bounds are ``[0, inf)`` for ``E, A, alpha`` / ``a, b, d1, f1`` (TRF keeps
  its iterates strictly inside them, so ``A, alpha, b, d1, f1`` stay > 0) and ``(-inf, inf)`` for
  ``c0, c1``.  For conditioning, ``x`` is divided by the curve's largest training ``x`` (``x_ref``)
  before fitting; this is an exact reparameterisation of the same model family
  (``A = A' x_ref^alpha``, ``b = b' x_ref^c0``, ``d1 = d1' x_ref``), and the fitted parameters are
  reported back in the original units.  The break factor is evaluated as
  ``exp(-c1 * f1 * softplus((log x - log d1) / f1))``, which equals
  ``(1 + (x/d1)^(1/f1))^(-c1 f1)`` but does not overflow for small ``f1``.
* **Starts.** ``n_starts`` deterministic starts per curve (default 12).  Only the nonlinear
  parameters are gridded; the linear ones (``E, A`` or ``a, b``) of each start are set by non-negative
  least squares (``scipy.optimize.nnls``) of ``y`` on ``[1, g(x)]`` with the nonlinear parameters held
  at the start's values.  Power law: ``alpha`` log-spaced on ``[0.01, 2]``.  Broken power law: the
  first ``n_starts`` points (after the origin) of an unscrambled Halton sequence in four dimensions,
  mapped to ``c0 in [0, 1]``, ``c1 in [-0.5, 1.5]``, ``log d1`` uniform over the curve's training
  ``x`` range and ``log f1`` uniform on ``[log 0.05, log 3]``.  Each start is one ``curve_fit`` call;
  the fit with the smallest training SSE is kept.
* **Failures.** A start fails when ``curve_fit`` raises (``RuntimeError`` -- e.g. ``max_nfev``
  reached -- ``ValueError``, ``LinAlgError``) or returns non-finite parameters / SSE.  A curve fails
  when all of its starts fail or its best fit predicts a non-finite value on a test point; a failed
  curve predicts the mean of its training losses on every test point, so its metrics stay finite, and
  is flagged ``failed=True``.  Each curve's ``note`` counts its failed starts by cause.
* **Metrics** on the test points of each curve: ``rmse = sqrt(mean((pred - y)^2))`` and
  ``are = mean(|pred - y| / y)``.  ``summarize`` gives their median and mean over curves and the
  failure count.
* **Timing.** ``seconds`` is the wall time (``time.perf_counter``) of the whole loop over curves:
  splitting the frame, building starts, all ``curve_fit`` calls, prediction and metrics.  Loading the
  data set is not timed.  Run as a script, BLAS is pinned to one thread (an explicit environment
  setting wins).

Run ``python benchmarks/peers_curves.py [n_starts]`` to fit both laws and print times and summaries.
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # Pin OpenBLAS/OpenMP to one thread before NumPy loads, so the loop really is single-core.
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import math
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit, nnls

__all__ = ["LAWS", "curve_fit_loop", "main", "summarize"]

_START_ERRORS = (RuntimeError, ValueError, FloatingPointError, np.linalg.LinAlgError)


# --------------------------------------------------------------------------
# Laws, in scaled units u = x / x_ref
# --------------------------------------------------------------------------


def _power_law(u, E, A, alpha):
    """E + A * u^(-alpha)."""
    return E + A * np.exp(-alpha * np.log(u))


def _broken_power_law(u, a, b, c0, c1, d1, f1):
    """a + b * u^(-c0) * (1 + (u / d1)^(1/f1))^(-c1 * f1), with the break factor in log space."""
    log_u = np.log(u)
    soft = np.logaddexp(0.0, (log_u - np.log(d1)) / f1)  # log(1 + (u/d1)^(1/f1))
    return a + b * np.exp(-c0 * log_u - c1 * f1 * soft)


def _power_law_starts(u: np.ndarray, n: int) -> list[dict]:
    """Nonlinear part of the starts: alpha log-spaced on [0.01, 2]."""
    return [{"alpha": float(al)} for al in np.geomspace(0.01, 2.0, n)]


def _radical_inverse(i: int, base: int) -> float:
    """The i-th element of the van der Corput sequence in `base` (digits of i reversed after the point)."""
    out, scale = 0.0, 1.0 / base
    while i > 0:
        i, digit = divmod(i, base)
        out += digit * scale
        scale /= base
    return out


def _broken_power_law_starts(u: np.ndarray, n: int) -> list[dict]:
    """Nonlinear part of the starts: unscrambled Halton points 1..n mapped to (c0, c1, log d1, log f1)."""
    log_u_lo, log_u_hi = math.log(u.min()), math.log(u.max())
    starts = []
    for i in range(1, n + 1):
        h = [_radical_inverse(i, base) for base in (2, 3, 5, 7)]
        starts.append({
            "c0": h[0],                                                    # [0, 1]
            "c1": -0.5 + 2.0 * h[1],                                       # [-0.5, 1.5]
            "d1": math.exp(log_u_lo + (log_u_hi - log_u_lo) * h[2]),       # within the training range
            "f1": math.exp(math.log(0.05) + (math.log(3.0) - math.log(0.05)) * h[3]),  # [0.05, 3]
        })
    return starts


def _power_law_to_original(p: np.ndarray, x_ref: float) -> dict:
    E, A, alpha = p
    return {"E": E, "A": A * x_ref**alpha, "alpha": alpha}


def _broken_power_law_to_original(p: np.ndarray, x_ref: float) -> dict:
    a, b, c0, c1, d1, f1 = p
    return {"a": a, "b": b * x_ref**c0, "c0": c0, "c1": c1, "d1": d1 * x_ref, "f1": f1}


@dataclass(frozen=True)
class _Law:
    func: Callable[..., np.ndarray]
    linear: tuple[str, str]          # (constant, coefficient): set by NNLS at each start
    nonlinear: tuple[str, ...]       # gridded by `starts`
    lower: tuple[float, ...]         # bounds, in the order of `func`'s parameters
    upper: tuple[float, ...]
    starts: Callable[[np.ndarray, int], list[dict]]
    to_original: Callable[[np.ndarray, float], dict]

    @property
    def names(self) -> tuple[str, ...]:
        return self.linear + self.nonlinear


_INF = math.inf

#: The two laws, in scaled units (see the module docstring).
LAWS: dict[str, _Law] = {
    "power_law": _Law(
        func=_power_law, linear=("E", "A"), nonlinear=("alpha",),
        lower=(0.0, 0.0, 0.0), upper=(_INF, _INF, _INF),
        starts=_power_law_starts, to_original=_power_law_to_original,
    ),
    "broken_power_law": _Law(
        func=_broken_power_law, linear=("a", "b"), nonlinear=("c0", "c1", "d1", "f1"),
        lower=(0.0, 0.0, -_INF, -_INF, 0.0, 0.0), upper=(_INF,) * 6,
        starts=_broken_power_law_starts, to_original=_broken_power_law_to_original,
    ),
}


# --------------------------------------------------------------------------
# One curve
# --------------------------------------------------------------------------


def _full_start(law: _Law, u: np.ndarray, y: np.ndarray, nonlin: dict) -> np.ndarray:
    """Complete a start: the two linear parameters by NNLS of y on [1, g(u)] at the given nonlinear ones."""
    zero_one = {law.linear[0]: 0.0, law.linear[1]: 1.0}
    with np.errstate(all="ignore"):
        g = law.func(u, **zero_one, **nonlin)
    if not np.all(np.isfinite(g)):
        return np.array([y.min(), max(np.ptp(y), 1e-6)] + list(nonlin.values()))
    (const, coef), _ = nnls(np.column_stack([np.ones_like(g), g]), y)
    coef = max(coef, 1e-8)  # strictly positive coefficient
    return np.array([const, coef] + list(nonlin.values()), dtype=np.float64)


def _fit_curve(law: _Law, u: np.ndarray, y: np.ndarray, n_starts: int, curve_fit_kwargs: dict):
    """Multi-start curve_fit; returns (best params or None, best SSE, starts that succeeded, failure counts)."""
    best_p, best_sse, n_ok, errors = None, math.inf, 0, Counter()
    for nonlin in law.starts(u, n_starts):
        p0 = _full_start(law, u, y, nonlin)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", OptimizeWarning)  # "covariance could not be estimated"
                warnings.simplefilter("ignore", RuntimeWarning)
                popt, _ = curve_fit(law.func, u, y, p0=p0, bounds=(law.lower, law.upper), method="trf",
                                    **curve_fit_kwargs)
                sse = float(np.sum((law.func(u, *popt) - y) ** 2))
        except _START_ERRORS as err:
            is_nfev = isinstance(err, RuntimeError) and "function evaluations" in str(err)
            errors["max_nfev" if is_nfev else type(err).__name__] += 1
            continue
        if not (np.all(np.isfinite(popt)) and math.isfinite(sse)):
            errors["non-finite"] += 1
            continue
        n_ok += 1
        if sse < best_sse:
            best_p, best_sse = popt, sse
    return best_p, best_sse, n_ok, errors


# --------------------------------------------------------------------------
# The baseline
# --------------------------------------------------------------------------


def curve_fit_loop(frame: pd.DataFrame, law: str, n_starts: int = 12, **curve_fit_kwargs) -> dict:
    """Fit `law` to every curve of `frame` with a multi-start scipy ``curve_fit`` loop.

    `frame` has the columns of ``jaxscale.datasets.load("revisiting")``.  `law` is ``"power_law"`` or
    ``"broken_power_law"``; `n_starts` is the number of starts per curve; extra keyword arguments go to
    every ``curve_fit`` call (e.g. ``max_nfev``).

    Returns ``{"name", "seconds", "per_curve", "n_failed", "note"}``: ``seconds`` is the wall time of the
    loop, ``per_curve`` a DataFrame with one row per curve and columns ``curve, n_train, n_test, rmse,
    are, failed, note`` plus ``train_sse``, ``starts_ok`` (starts that returned a finite fit) and
    ``params`` (dict of the fitted parameters in original units; None if failed).  A curve's ``note``
    counts its failed starts by cause (``max_nfev`` = curve_fit's "maximum number of function
    evaluations is exceeded" RuntimeError).
    """
    if law not in LAWS:
        raise ValueError(f"law must be one of {sorted(LAWS)}, got {law!r}")
    if not (isinstance(n_starts, (int, np.integer)) and n_starts >= 1):
        raise ValueError(f"n_starts must be a positive integer, got {n_starts!r}")
    spec = LAWS[law]

    rows = []
    t0 = time.perf_counter()
    for curve, g in frame.groupby("curve", sort=True):
        train = g["training"].to_numpy() == 1
        x = g["x"].to_numpy(dtype=np.float64)
        y = g["loss"].to_numpy(dtype=np.float64)
        x_tr, y_tr, x_te, y_te = x[train], y[train], x[~train], y[~train]
        x_ref = float(x_tr.max())

        p, sse, n_ok, errors = _fit_curve(spec, x_tr / x_ref, y_tr, n_starts, curve_fit_kwargs)
        pred = None
        if p is not None:
            with np.errstate(all="ignore"):
                pred = spec.func(x_te / x_ref, *p)
            if not np.all(np.isfinite(pred)):
                pred = None
        failed = pred is None
        curve_note = f"{n_ok}/{n_starts} starts ok" + "".join(f", {k} x{v}" for k, v in sorted(errors.items()))
        if failed:
            pred = np.full_like(y_te, y_tr.mean())
            reason = "no usable fit" if p is None else "non-finite test prediction"
            curve_note += f"; {reason}, predicting the training mean"

        n_te = len(y_te)
        rows.append({
            "curve": curve,
            "n_train": len(y_tr),
            "n_test": n_te,
            "rmse": float(np.sqrt(np.mean((pred - y_te) ** 2))) if n_te else math.nan,
            "are": float(np.mean(np.abs(pred - y_te) / y_te)) if n_te else math.nan,
            "failed": failed,
            "train_sse": math.nan if failed else sse,
            "starts_ok": n_ok,
            "params": None if failed else {k: float(v) for k, v in spec.to_original(p, x_ref).items()},
            "note": curve_note,
        })
    seconds = time.perf_counter() - t0

    extra = f", extra curve_fit kwargs {curve_fit_kwargs}" if curve_fit_kwargs else ""
    note = (
        f"scipy.optimize.curve_fit(method='trf') with bounds (no log-parameterisation), 2-point FD "
        f"Jacobian, default tolerances/max_nfev{extra}; OLS on the loss; x scaled by the curve's max "
        f"training x; {n_starts} deterministic starts per curve (nonlinear params gridded, "
        f"{'/'.join(spec.linear)} by NNLS), best training SSE kept; a curve fails if every start "
        f"raises/returns non-finite values or its test prediction is non-finite, and then predicts its "
        f"training mean; serial Python loop over {len(rows)} curves, wall time of the whole loop."
    )
    per_curve = pd.DataFrame(rows)
    return {"name": f"scipy curve_fit loop: {law}", "seconds": seconds, "per_curve": per_curve,
            "n_failed": int(per_curve["failed"].sum()), "note": note}


def summarize(result: dict) -> dict:
    """Median and mean of rmse and are over curves (failed curves included), and the failure count."""
    pc = result["per_curve"]
    return {
        "median_rmse": float(pc["rmse"].median()),
        "mean_rmse": float(pc["rmse"].mean()),
        "median_are": float(pc["are"].median()),
        "mean_are": float(pc["are"].mean()),
        "n_failed": int(pc["failed"].sum()),
        "n_curves": len(pc),
    }


def main(n_starts: int = 12) -> list[dict]:
    """Run both laws on the revisiting curves and print wall time and summaries."""
    import jaxscale as js

    frame = js.datasets.load("revisiting")
    results = []
    for law in LAWS:
        res = curve_fit_loop(frame, law, n_starts=n_starts)
        s = summarize(res)
        results.append(res)
        print(f"{res['name']}: {res['seconds']:.2f} s for {s['n_curves']} curves, {n_starts} starts each")
        print(f"  rmse median {s['median_rmse']:.5f} mean {s['mean_rmse']:.5f} | "
              f"are median {s['median_are']:.5f} mean {s['mean_are']:.5f} | failed {s['n_failed']}")
        print(f"  starts that succeeded: {int(res['per_curve']['starts_ok'].sum())} of "
              f"{n_starts * s['n_curves']}")
        for _, row in res["per_curve"][res["per_curve"]["failed"]].iterrows():
            print(f"  failed: {row['curve']}: {row['note']}")
        print(f"  note: {res['note']}")
    return results


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
