"""Chinchilla Approaches 1 and 2: compute-optimal model size and data from isoFLOP profiles or training curves.

Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models", section 3):
- Approach 1 (`envelope`): take, at each compute, the lowest loss over all training curves; the run that
  achieves it gives N_opt(C) and D_opt(C).
- Approach 2 (`profiles`): for each compute budget C, locate the optimum of loss against log N; its location is
  N_opt(C) (and likewise in log D for D_opt(C)). The optimum comes from a parabola over the whole profile
  (Hoffmann et al.), a parabola over a window of sizes around the best run, or an Akima interpolant with a
  seed-noise bootstrap (Porian et al. 2024, "Resolving Discrepancies in Compute-Optimal Scaling of Language
  Models").
Both then fit N_opt = k * C^a and D_opt = k' * C^b by least squares in log-log space. Bootstrap intervals
come from resamples solved all at once in closed form or on a grid (plain NumPy, nothing to compile).

>>> import jaxscale as js
>>> df = js.datasets.load("porian_isoflop")
>>> result = js.isoflop.profiles(df[df["config"] == "rw/base/short/chinchilla/standard/val"], n_bootstrap=200)
>>> 0.4 < float(result.to_frame()["a"].iloc[0]) < 0.6
True
"""

from ._envelope import envelope
from ._profiles import ESTIMATORS, profiles
from ._result import IsoFlopResult

__all__ = ["ESTIMATORS", "IsoFlopResult", "envelope", "profiles"]
