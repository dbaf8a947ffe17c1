"""Why a budget's optimum is left out of the power-law fits: one code per (resample, budget), and its words."""

import numpy as np

KEPT, SINGULAR, NO_MINIMUM, BELOW, ABOVE, UNSTABLE = range(6)


def describe(code: int, column: str, lo: float, hi: float, scope: str = "sampled") -> str:
    """The reason for `code` in words, for the optimum in `column` whose trusted range is [lo, hi] (`scope`)."""
    return {
        KEPT: "",
        SINGULAR: f"{column}: too few distinct {column} values for a parabola",
        NO_MINIMUM: f"{column}: the parabola opens downwards (no minimum)",
        BELOW: f"{column}: optimum below the smallest {column} {scope} ({lo:.3g})",
        ABOVE: f"{column}: optimum above the largest {column} {scope} ({hi:.3g})",
        UNSTABLE: f"{column}: under seed noise, fewer than half of the resamples have an optimum inside the sizes sampled",
    }[int(code)]


def reasons(codes: dict, spans: dict, scope: str = "sampled") -> list[str]:
    """Per budget, the reasons of every column joined ("" where all are kept).

    codes: {column: (budgets,) codes}; spans: {column: (budgets, 2) trusted range, in the column's units}.
    """
    columns = list(codes)
    n_budgets = len(np.asarray(codes[columns[0]]))
    return [
        "; ".join(text for column in columns if (text := describe(codes[column][b], column, *spans[column][b], scope)))
        for b in range(n_budgets)
    ]
