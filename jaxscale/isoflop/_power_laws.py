"""N_opt = k C^a and D_opt = k_D C^b by least squares in log-log space, for the data and every resample at once."""

import numpy as np
import pandas as pd


def power_laws(log_c, log_opt, min_points=2) -> dict:
    """log_opt = log k + a log C by least squares over the finite points of each resample (row of log_opt)."""
    log_c, log_opt = np.asarray(log_c), np.asarray(log_opt)
    ok = np.isfinite(log_opt)
    w = ok.astype(float)
    y = np.where(ok, log_opt, 0.0)
    n, sx, sy = w.sum(1), (w * log_c).sum(1), (w * y).sum(1)
    sxx, sxy = (w * log_c**2).sum(1), (w * log_c * y).sum(1)
    with np.errstate(all="ignore"):
        a = (n * sxy - sx * sy) / (n * sxx - sx**2)
        log_k = (sy - a * sx) / n
    enough = n >= min_points
    return {"a": np.where(enough, a, np.nan), "log_k": np.where(enough, log_k, np.nan), "n_used": n}


def fit_exponents(key, by, compute, log_c, size, tokens, log_opt, level, reasons=None, c_values=None):
    """Power laws N_opt = k C^a and D_opt = k_D C^b through the optima of every resample (row 0: the data).

    `reasons`: per compute value, why its full-data optimum was left out ("" where it was used); `c_values`: the
    compute values themselves, exactly (default exp(log_c)). Returns the
    group's summary row and the frame of its full-data optima per compute value.
    """
    fits = {"N": power_laws(log_c, log_opt[size]), "D": power_laws(log_c, log_opt[tokens])}
    row = _summarize(key, by, fits, level, n_points=int(fits["N"]["n_used"][0]))
    used = np.isfinite(log_opt[size][0]) & np.isfinite(log_opt[tokens][0])
    optimum = pd.DataFrame({
        compute: np.exp(log_c) if c_values is None else c_values, f"{size}_opt": np.exp(log_opt[size][0]), f"{tokens}_opt": np.exp(log_opt[tokens][0]),
        "used": used, "reason": list(reasons) if reasons is not None else ["" if u else "no optimum" for u in used],
    })
    return row, with_key(optimum, key, by)


def _summarize(key, by, fits, level, n_points) -> dict:
    row = dict(zip(by, key if isinstance(key, tuple) else (key,))) if by else {}
    for name, exponent, coefficient in (("N", "a", "k"), ("D", "b", "k_D")):
        a, log_k = fits[name]["a"], fits[name]["log_k"]
        boot = a[1:][np.isfinite(a[1:])]
        row[exponent] = a[0]
        row[f"{exponent}_lo"], row[f"{exponent}_hi"] = (np.quantile(boot, [(1 - level) / 2, (1 + level) / 2]) if len(boot) else (np.nan, np.nan))
        row[f"{exponent}_se"] = np.std(boot, ddof=1) if len(boot) > 1 else np.nan
        row[coefficient] = np.exp(log_k[0])
    row["n_points"] = n_points
    row["n_resamples_used"] = int(np.sum(np.isfinite(fits["N"]["a"][1:]) & np.isfinite(fits["D"]["a"][1:])))
    return row


def with_key(frame, key, by):
    """`frame` with the group's `by` values as its leading columns."""
    for column, value in zip(by, key if isinstance(key, tuple) else (key,)):
        frame.insert(list(by).index(column), column, value)
    return frame
