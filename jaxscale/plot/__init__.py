"""Plots a paper would print, from jaxscale's results. matplotlib is needed only when one is drawn (it is
imported then, never by `import jaxscale`); figures are made without pyplot, so any backend (Agg included) works.

Each function takes the result (and where needed the data), draws into a new Figure or the `ax=` given, saves it
to `path=` if given (atomically: a temporary file in the same directory, then renamed; a missing directory or a
path that is a directory is a ValueError before anything is drawn), and returns the Figure:

- `fit`: the fitted law against its data (per model size run against compute for N-and-D laws, solid over each
  size's runs, dashed beyond; against the input for one-input laws; predicted against actual otherwise);
- `residuals`: against the fitted value or an input; `predicted`: predicted against actual with y = x;
- `isoflop`: isoFLOP profiles with their optima and the fitted N_opt, D_opt power laws;
- `frontier`: N* and D* against compute with the band of a bootstrap's (or posterior's) laws;
- `posterior`: posterior predictive bands; `groups`: grouped fits as small multiples;
- `draw(result, kind)`: any of them by name; `plot_fit`: what `jaxscale fit --plot` writes.

Bounded targets (accuracies) are drawn on a linear axis, losses on log axes with plain tick labels.
"""

from ._draw import KINDS, draw
from ._fit import fit
from ._frontier import frontier
from ._groups import groups
from ._isoflop import isoflop
from ._output import check_path
from ._plot_fit import plot_fit
from ._posterior import posterior
from ._predicted import predicted
from ._residuals import residuals

__all__ = ["KINDS", "check_path", "draw", "fit", "frontier", "groups", "isoflop", "plot_fit", "posterior", "predicted", "residuals"]
