"""The result of an isoFLOP analysis: exponents of N_opt and D_opt against compute, per group."""

import equinox as eqx
import pandas as pd


class IsoFlopResult(eqx.Module):
    """Fitted exponents per group: N_opt = k * C^a, D_opt = k' * C^b, with bootstrap percentile intervals.

    `to_frame()`: one row per group with `a`, `a_lo`, `a_hi`, `k`, `b`, `b_lo`, `b_hi`, `k_D`, the number of
    budgets (or envelope points) used by the full-data fit and of usable resamples. `optima`: the optimum at
    each budget, with `used` (whether the power-law fits took it) and `reason` (why not, where not).
    """

    method: str
    by: tuple[str, ...]
    frame: pd.DataFrame
    optima: pd.DataFrame
    level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the exponents, their intervals and standard errors, the coefficients and counts."""
        return self.frame.copy()

    def summary(self) -> pd.DataFrame:
        """One row per group and exponent (a: N_opt ~ C^a, b: D_opt ~ C^b): estimate, standard error, interval."""
        rows = []
        for _, row in self.frame.iterrows():
            for exponent in ("a", "b"):
                keys = {column: row[column] for column in self.by}
                rows.append({**keys, "exponent": exponent, "estimate": row[exponent], "se": row[f"{exponent}_se"],
                             "lo": row[f"{exponent}_lo"], "hi": row[f"{exponent}_hi"]})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        rows = [
            f"  {'/'.join(map(str, r[list(self.by)])) + ': ' if self.by else ''}a = {r['a']:.4f} "
            f"[{r['a_lo']:.4f}, {r['a_hi']:.4f}], b = {r['b']:.4f} [{r['b_lo']:.4f}, {r['b_hi']:.4f}]"
            for _, r in self.frame.iterrows()
        ]
        return f"IsoFlopResult({self.method}, {self.level:.0%} intervals; N_opt ~ C^a, D_opt ~ C^b\n" + "\n".join(rows) + ")"
