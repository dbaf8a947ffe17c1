"""A posterior from `infer`: draws of a law's parameters and noise, with summaries and predictions."""


import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._dataset import as_frame, check_seed, read_inputs
from ._extrapolation import announce_far
from ._fit_result import FitResult
from ._groups import by_columns, row_groups
from ._law import AbstractLaw
from ._parameterization import Parameterization
from ._results import warn
from ._tree import replace_parameters
from .likelihoods import AbstractLikelihood


class Posterior(eqx.Module):
    """Posterior draws of a law's parameters, from `infer`.

    `laws` is the batch of drawn laws, so anything that takes a law works over the posterior with `vmap`: its
    leading axis is the draws (chains x draws flattened), and with groups (`infer(..., by=...)`) a second axis
    runs over `groups`. `samples` holds every sampled site with shape (chains, draws, ...), including the
    likelihood's noise sites (`sigma`, and `nu` for `LogStudentT`) and, for pooled parameters, their
    population sites. `likelihood` is the observation model. `summary()`, `to_frame()`, `predict(...)`,
    `to_arviz()`.
    """

    laws: AbstractLaw
    samples: dict[str, np.ndarray]
    diverging: np.ndarray | None
    point_fit: FitResult
    likelihood: AbstractLikelihood
    seconds: float
    by: tuple[str, ...] = ()
    groups: tuple = ()
    grouped: tuple[str, ...] = ()

    @classmethod
    def from_samples(
        cls, template, parameterization: Parameterization, samples, point_fit, likelihood, seconds,
        diverging=None, by=(), groups=(), grouped=(),
    ) -> "Posterior":
        """From draws {site: (chains, draws, ...)}; `grouped` names the parameters with one value per group."""
        chains, draws = next(iter(samples.values())).shape[:2]
        values = {}
        for name, shape in zip(parameterization.names, parameterization.shapes):
            flat = jnp.asarray(samples[name].reshape((chains * draws,) + samples[name].shape[2:]))
            if groups and name not in grouped:  # a shared parameter: the same value in every group
                flat = jnp.broadcast_to(flat[:, None], (chains * draws, len(groups)) + shape)
            values[name] = flat
        return cls(replace_parameters(template, values), samples, diverging, point_fit, likelihood, seconds, tuple(by), tuple(groups), tuple(grouped))

    @property
    def divergences(self) -> int:
        return 0 if self.diverging is None else int(np.sum(self.diverging))

    @property
    def n_draws(self) -> int:
        """How many draws in all (chains x draws per chain)."""
        return int(self.laws.batch_shape[0])

    @property
    def num_draws(self) -> int:
        """Deprecated spelling of `n_draws`."""
        warn("Posterior.num_draws is deprecated; use Posterior.n_draws.", DeprecationWarning)
        return self.n_draws

    def summary(self, level: float = 0.9, *, prob: float | None = None) -> pd.DataFrame:
        """Per sampled quantity: mean, sd, the (1-level)/2 and (1+level)/2 quantiles, r_hat and effective
        sample size (NaN for a Laplace posterior: its draws are independent, so there are no MCMC diagnostics).
        `prob` is the deprecated spelling of `level`."""
        from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

        if prob is not None:
            warn("summary(prob=...) is deprecated; use summary(level=...).", DeprecationWarning)
            level = prob
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1 (exclusive), e.g. 0.9 for a 90% interval; got {level!r}.")
        mcmc = self.diverging is not None  # infer(method="laplace") passes none
        rows = {}
        for name, chains in self.samples.items():
            flat_chains = chains.reshape(chains.shape[:2] + (-1,))
            labels = self._labels(name, chains.shape[2:])
            for i, label in enumerate(labels):
                x = flat_chains[..., i]
                lo, hi = np.quantile(x, [(1 - level) / 2, (1 + level) / 2])
                constant = bool(np.all(x == x.flat[0]))  # a fixed parameter's draws: no mixing to measure
                rows[label] = {
                    "mean": x.mean(), "sd": x.std(ddof=1), f"q{(1 - level) / 2:.3g}": lo, f"q{(1 + level) / 2:.3g}": hi,
                    "r_hat": float(split_gelman_rubin(x)) if mcmc and x.shape[0] > 1 and not constant else np.nan,
                    "ess": float(effective_sample_size(x)) if mcmc and not constant else np.nan,
                }
        return pd.DataFrame(rows).T

    def to_frame(self) -> pd.DataFrame:
        """One row per draw (chains x draws, in the order of `laws`): `chain`, `draw`, then every sampled
        site flattened, under the labels `summary` uses (`alpha`, `A[small]`, ...)."""
        chains, draws = next(iter(self.samples.values())).shape[:2]
        columns = {"chain": np.repeat(np.arange(chains), draws), "draw": np.tile(np.arange(draws), chains)}
        for name, values in self.samples.items():
            flat = values.reshape(chains * draws, -1)
            for i, label in enumerate(self._labels(name, values.shape[2:])):
                columns[label] = flat[:, i]
        return pd.DataFrame(columns)

    def _labels(self, site: str, shape: tuple) -> list[str]:
        """Row labels for a site's values: `alpha`, `alpha[3]`, or with groups `alpha[c4]` / `alpha[c4, 3]`."""
        if not shape:
            return [site]
        if self.groups and (site in self.grouped or site.endswith("_offset")):
            inner = int(np.prod(shape[1:]))
            return [f"{site}[{key}]" if inner == 1 else f"{site}[{key}, {i}]" for key in self.groups for i in range(inner)]
        return [f"{site}[{i}]" for i in range(int(np.prod(shape)))]

    def predict(self, data, quantiles=(0.05, 0.5, 0.95), include_noise: bool = False, seed: int = 0, inputs=None) -> pd.DataFrame:
        """Posterior (predictive) quantiles of the law's prediction at the rows of `data`.

        Without `include_noise` the band is that of the law's prediction; with it, each draw adds its own
        observation noise (the likelihood's `sample` with the draw's noise sites), so the band is where a new
        measurement falls. With groups, `data` needs the `by` column(s) too, and each row is predicted by its
        own group's law. `inputs` maps the law's input names to column names where they differ. A likelihood
        with further columns (a Binomial's trials column) reads them from `data` too. A row beyond 10x the
        largest value of an input in the data `infer` was given (`point_fit.reach`; with groups, all groups'
        rows together) gets a `FitWarning`.
        """
        levels = np.asarray(quantiles, dtype=float) if not isinstance(quantiles, str) else np.array([np.nan])
        if levels.ndim != 1 or levels.size == 0 or not np.all((levels >= 0) & (levels <= 1)):
            raise ValueError(f"quantiles must be a non-empty list of numbers in [0, 1], e.g. (0.05, 0.5, 0.95); got {quantiles!r}.")
        check_seed(seed)
        frame = as_frame(data)
        x = {name: jnp.asarray(values) for name, values in read_inputs(type(self.laws), frame, inputs).items()}
        location_of = self.likelihood.location
        if self.groups:
            rows = self._group_rows(frame)
            laws = replace_parameters(self.laws, {n: getattr(self.laws, n)[:, rows] for n in self.laws.parameter_names()})
            location = jax.vmap(lambda law: jax.vmap(location_of)(law, x))(laws)
        else:
            location = jax.vmap(lambda law: location_of(law, x))(self.laws)
        extra = {k: jnp.asarray(v) for k, v in self.likelihood.read_extra(frame).items()}
        if include_noise:
            # One value per draw of each noise site, as a column that broadcasts over the rows.
            noise = {site: jnp.asarray(self.samples[site].reshape(-1))[:, None] for site in self.likelihood.noise_priors()}
            values = self.likelihood.sample(jax.random.key(seed), location, {**self.likelihood.held_noise(), **noise}, extra)
        else:
            values = self.likelihood.to_target(location, extra)
        values = np.asarray(values)
        announce_far(self.point_fit.reach(frame, inputs), "predict")
        return pd.DataFrame({f"q{q:g}": np.quantile(values, q, axis=0) for q in quantiles})

    def _group_rows(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row's index into `groups`, read from the `by` column(s)."""
        missing = [column for column in self.by if column not in frame.columns]
        if missing:
            raise ValueError(f"this posterior has groups by {list(self.by)}: predict needs those columns too; missing {missing}.")
        by_columns(frame, self.by)  # a row with no group value is an error, not a row of some group
        try:
            return row_groups(frame, self.by, self.groups)
        except KeyError as error:
            raise ValueError(f"{error.args[0]}: this posterior was fitted to those groups only.") from None

    def to_arviz(self):
        """The run as an `arviz.InferenceData` (needs `pip install arviz`)."""
        try:
            import arviz
        except ImportError as error:
            raise ImportError("to_arviz needs ArviZ: pip install arviz") from error
        stats = None if self.diverging is None else {"diverging": self.diverging}
        return arviz.from_dict(posterior=self.samples, sample_stats=stats)

    def problems(self, max_r_hat: float = 1.01, min_ess: float = 400.0) -> list[str]:
        """Convergence problems, in words, each with the number that triggered it (none for a Laplace posterior,
        whose own checks `infer` reports when it builds it)."""
        if self.diverging is None:
            return []
        summary = self.summary()
        summary = summary[summary["sd"] > 1e-9 * (1 + summary["mean"].abs())]  # constant (fixed) draws say nothing about mixing
        found = []
        worst = summary["r_hat"].max()
        if np.isfinite(worst) and worst > max_r_hat:
            found.append(f"r_hat = {worst:.3f} > {max_r_hat} for {summary['r_hat'].idxmax()}: the chains disagree; run longer or check the priors.")
        if self.divergences:
            found.append(
                f"{self.divergences} divergent transitions: the posterior geometry is hard; raise target_accept (e.g. 0.95) or tighten the priors."
            )
        lowest = summary["ess"].min()
        if lowest < min_ess:
            found.append(f"effective sample size {lowest:.0f} < {min_ess:.0f} for {summary['ess'].idxmin()}: draw more samples.")
        return found

    def __repr__(self) -> str:
        return (
            f"Posterior({type(self.point_fit.law).__name__}, {type(self.likelihood).__name__} likelihood, {self.n_draws} draws, "
            f"{'Laplace approximation (independent draws)' if self.diverging is None else f'{self.divergences} divergences'}, {self.seconds:.1f} s)"
        )
