"""Observation models: how a measured target scatters around a law's prediction.

Each is a fit loss (its negative log-likelihood, `fit(..., loss=js.Binomial(trials="n"))`) and a NumPyro
observation model (`infer(..., likelihood=...)`), and declares the support of its target, which is checked
before anything compiles.

| likelihood | target | noise parameters |
|---|---|---|
| `LogNormal`, `LogStudentT` | > 0, noise on log y | sigma (, nu) |
| `Normal`, `StudentT` | any real | sigma (, nu) |
| `Binomial(trials=)` | successes out of trials (or fractions) | none |
| `BetaBinomial(trials=)` | over-dispersed successes (per-problem pass@k) | concentration |
| `Bernoulli()` | 0 or 1 | none |
| `Beta()` | scores in (0, 1) | precision |
"""

from ._abstract import AbstractLikelihood
from ._beta import Beta
from ._beta_binomial import BetaBinomial
from ._binomial import Bernoulli, Binomial
from ._normal import LogNormal, Normal
from ._registry import LIKELIHOODS, resolve_likelihood
from ._scale import AbstractScaleLikelihood, residual_sd
from ._student_t import LogStudentT, StudentT

__all__ = [
    "AbstractLikelihood", "AbstractScaleLikelihood", "Bernoulli", "Beta", "BetaBinomial", "Binomial", "LIKELIHOODS",
    "LogNormal", "LogStudentT", "Normal", "StudentT", "residual_sd", "resolve_likelihood",
]
