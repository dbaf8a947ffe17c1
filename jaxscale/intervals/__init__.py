"""Interval methods for predictions beyond the data, one per file, for `backtest`, `evaluate` and
`BootstrapResult.predict_interval`. `resolve_methods(["bootstrap", "rolling_origin"])` looks them up by name."""

from ._abstract import AbstractIntervalMethod, IntervalInputs, check_level, conformal_rank_quantile
from ._bootstrap_percentile import BootstrapPercentile
from ._plateau_band import PlateauBand
from ._plateau_envelope import PlateauEnvelope
from ._plateau_intersection import PlateauIntersection
from ._rolling_origin import RollingOrigin

METHODS = {m.name: m for m in (BootstrapPercentile, RollingOrigin, PlateauEnvelope, PlateauBand, PlateauIntersection)}


def resolve_methods(intervals) -> tuple[AbstractIntervalMethod, ...]:
    """Interval methods from names ("bootstrap", "rolling_origin", "plateau_envelope"), instances, or a list
    of either; a ValueError naming `intervals` for an unknown one.

    >>> [m.name for m in resolve_methods(["bootstrap", "plateau_envelope"])]
    ['bootstrap', 'plateau_envelope']
    """
    given = [intervals] if isinstance(intervals, (str, AbstractIntervalMethod)) else list(intervals)
    if not given:
        raise ValueError(f"intervals is empty: name at least one of {sorted(METHODS)}.")
    found = []
    for item in given:
        if isinstance(item, AbstractIntervalMethod):
            found.append(item)
        elif isinstance(item, str) and item in METHODS:
            found.append(METHODS[item]())
        else:
            raise ValueError(f"intervals: unknown interval method {item!r}; known are {sorted(METHODS)} (or pass an AbstractIntervalMethod).")
    names = [m.name for m in found]
    if len(set(names)) != len(names):
        raise ValueError(f"intervals names a method twice: {names}.")
    return tuple(found)


__all__ = [
    "AbstractIntervalMethod", "BootstrapPercentile", "IntervalInputs", "METHODS", "PlateauBand", "PlateauEnvelope", "PlateauIntersection",
    "RollingOrigin",
    "check_level", "conformal_rank_quantile", "resolve_methods",
]
