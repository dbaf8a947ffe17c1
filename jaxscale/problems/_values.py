"""Checks of the numbers a problem is given (budgets, targets, token counts): what they must be, said upfront.

Done with NumPy on concrete values, so a bad number is refused before anything compiles; values that are
already traced (a problem rebuilt inside a compiled solve) are not checked again.
"""

import jax
import numpy as np


def check_amount(name: str, value, *, unit: str = "", minimum: str = "> 0", example: str = "") -> None:
    """A TypeError or ValueError naming `name` unless `value` is a finite real number, or a non-empty 1-D array
    of them, each `minimum` ("> 0" or ">= 0") 0; `unit` and `example` go into the message.

    >>> check_amount("budget", 1e24, unit=" FLOPs")
    >>> check_amount("budget", float("inf"), unit=" FLOPs", example="1e24")
    Traceback (most recent call last):
    ...
    ValueError: budget must be finite, got inf: give a number of FLOPs such as 1e24.
    """
    if isinstance(value, jax.core.Tracer):
        return
    for_example = f" such as {example}" if example else ""
    what = f"a number{' of' + unit if unit else ''}{for_example}"
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise TypeError(f"{name} must be {what} (or a 1-D array of them), got {value!r}.")
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - anything NumPy cannot read is the wrong kind of value
        raise TypeError(f"{name} must be {what} (or a 1-D array of them), got {type(value).__name__}.") from None
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be real {what} (or a 1-D array of them), got {array.dtype} values: {value!r}.")
    if array.ndim > 1:
        raise ValueError(f"{name} must be a number or a 1-D array (one answer per entry), got shape {array.shape}; flatten it.")
    if array.size == 0:
        raise ValueError(f"{name} is empty: give at least one value, e.g. {example or 1.0}.")
    shown = value if array.ndim == 0 else array.tolist()
    if not np.all(np.isfinite(array)):
        bad = int(np.sum(~np.isfinite(array)))
        where = f"{bad} of {array.size} entries are NaN or inf" if array.ndim else f"got {shown}"
        raise ValueError(f"{name} must be finite, {where}: give {what}.")
    low = array <= 0 if minimum == "> 0" else array < 0
    if np.any(low):
        where = f"{int(np.sum(low))} of {array.size} entries are not" if array.ndim else f"got {shown}"
        raise ValueError(f"{name} must be {minimum}{unit}, {where}{'' if array.ndim == 0 else ' ' + minimum}: give {what}.")


def check_count(name: str, value, *, minimum: int = 1) -> None:
    """A TypeError or ValueError naming `name` unless `value` is a plain integer >= `minimum` (not a bool).

    >>> check_count("iterations", 300)
    >>> check_count("iterations", 0)
    Traceback (most recent call last):
    ...
    ValueError: iterations must be an integer >= 1, got 0.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}.")


def check_cost(cost) -> None:
    """A TypeError unless `cost` is callable (a function of N and D, or N, D and bits, giving FLOPs)."""
    if not callable(cost):
        raise TypeError(f"cost must be a function of N and D giving FLOPs (e.g. js.problems.six_nd), got {cost!r}.")


def check_cost_values(problem_name: str, cost, *args) -> None:
    """A ValueError unless `cost(*args)` (representative concrete sizes) is a finite number > 0 of FLOPs:
    a cost that is negative or NaN would make every allocation meaningless."""
    try:
        value = np.asarray(cost(*(np.float64(a) for a in args)), dtype=float)
    except Exception:  # noqa: BLE001 - a cost that needs traced arrays is checked by the solve instead
        return
    if not np.all(np.isfinite(value)) or np.any(value <= 0):
        shown = ", ".join(f"{a:g}" for a in args)
        raise ValueError(
            f"{problem_name}'s cost returned {value.tolist()} FLOPs at ({shown}): a cost must be finite and > 0 "
            f"for N, D > 0 (e.g. js.problems.six_nd, 6 N D)."
        )
