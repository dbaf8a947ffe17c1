import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._fit_result import FitResult
from ._law import AbstractLaw
from ._tree import replace_parameters
from ._parameterization import Parameterization


class Posterior(eqx.Module):
    """Posterior draws of a law's parameters, from `infer`.

    `laws` is the batch of drawn laws, so anything that takes a law works over the posterior with `vmap`: its
    leading axis is the draws (chains x draws flattened), and with groups (`infer(..., by=...)`) a second axis
    runs over `groups`. `samples` holds every sampled site with shape (chains, draws, ...), including the
    noise scale `sigma` (and `nu` for Student-t) and, for pooled parameters, their population sites.
    `summary()`, `predict(...)`, `to_arviz()`.
    """

    laws: AbstractLaw
    samples: dict[str, np.ndarray]
    diverging: np.ndarray | None
    point_fit: FitResult
    likelihood: str
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
    def num_draws(self) -> int:
        return int(self.laws.batch_shape[0])

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Per sampled quantity: mean, sd, the (1-prob)/2 and (1+prob)/2 quantiles, r_hat and effective sample size."""
        from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

        rows = {}
        for name, chains in self.samples.items():
            flat_chains = chains.reshape(chains.shape[:2] + (-1,))
            labels = self._labels(name, chains.shape[2:])
            for i, label in enumerate(labels):
                x = flat_chains[..., i]
                lo, hi = np.quantile(x, [(1 - prob) / 2, (1 + prob) / 2])
                rows[label] = {
                    "mean": x.mean(), "sd": x.std(ddof=1), f"q{(1 - prob) / 2:.3g}": lo, f"q{(1 + prob) / 2:.3g}": hi,
                    "r_hat": float(split_gelman_rubin(x)) if x.shape[0] > 1 else np.nan,
                    "ess": float(effective_sample_size(x)),
                }
        return pd.DataFrame(rows).T

    def _labels(self, site: str, shape: tuple) -> list[str]:
        """Row labels for a site's values: `alpha`, `alpha[3]`, or with groups `alpha[c4]` / `alpha[c4, 3]`."""
        if not shape:
            return [site]
        if self.groups and (site in self.grouped or site.endswith("_offset")):
            inner = int(np.prod(shape[1:]))
            return [f"{site}[{key}]" if inner == 1 else f"{site}[{key}, {i}]" for key in self.groups for i in range(inner)]
        return [f"{site}[{i}]" for i in range(int(np.prod(shape)))]

    def predict(self, data, quantiles=(0.05, 0.5, 0.95), include_noise: bool = False, seed: int = 0) -> pd.DataFrame:
        """Posterior (predictive) quantiles of the law's prediction at the rows of `data`.

        Without `include_noise` the band is that of the mean law; with it, each draw adds its own observation
        noise (log-normal or log-Student-t with the draw's sigma), so the band is where a new measurement falls.
        With groups, `data` needs the `by` column(s) too, and each row is predicted by its own group's law.
        """
        frame = pd.DataFrame(data)
        x = _inputs(self.laws, frame)
        if self.groups:
            rows = self._group_rows(frame)
            laws = replace_parameters(self.laws, {n: getattr(self.laws, n)[:, rows] for n in self.laws.parameter_names()})
            log_mean = jax.vmap(lambda law: jax.vmap(lambda member, xi: member.log_predict(xi))(law, x))(laws)
        else:
            log_mean = jax.vmap(lambda law: law.log_predict(x))(self.laws)
        if include_noise:
            key = jax.random.key(seed)
            sigma = jnp.asarray(self.samples["sigma"].reshape(-1))[:, None]
            if self.likelihood == "normal":
                eps = jax.random.normal(key, log_mean.shape)
            else:
                eps = jax.random.t(key, jnp.asarray(self.samples["nu"].reshape(-1))[:, None], log_mean.shape)
            log_mean = log_mean + sigma * eps
        values = np.exp(np.asarray(log_mean))
        return pd.DataFrame({f"q{q:g}": np.quantile(values, q, axis=0) for q in quantiles})

    def _group_rows(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row's index into `groups`, read from the `by` column(s)."""
        missing = [column for column in self.by if column not in frame.columns]
        if missing:
            raise ValueError(f"this posterior has groups by {list(self.by)}: predict needs those columns too; missing {missing}.")
        keys = frame[self.by[0]].tolist() if len(self.by) == 1 else list(frame[list(self.by)].itertuples(index=False, name=None))
        index = {key: i for i, key in enumerate(self.groups)}
        unknown = sorted({str(key) for key in keys if key not in index})
        if unknown:
            raise ValueError(f"no posterior for group(s) {unknown}; the groups fitted are {list(self.groups)}.")
        return np.asarray([index[key] for key in keys])

    def to_arviz(self):
        """The run as an `arviz.InferenceData` (needs `pip install arviz`)."""
        try:
            import arviz
        except ImportError as error:
            raise ImportError("to_arviz needs ArviZ: pip install arviz") from error
        stats = None if self.diverging is None else {"diverging": self.diverging}
        return arviz.from_dict(posterior=self.samples, sample_stats=stats)

    def problems(self, max_r_hat: float = 1.01, min_ess: float = 400.0) -> list[str]:
        """Convergence problems, in words, each with the number that triggered it."""
        summary = self.summary()
        found = []
        worst = summary["r_hat"].max()
        if np.isfinite(worst) and worst > max_r_hat:
            found.append(f"r_hat = {worst:.3f} > {max_r_hat} for {summary['r_hat'].idxmax()}: the chains disagree; run longer or check the priors.")
        if self.divergences:
            found.append(f"{self.divergences} divergent transitions: the posterior geometry is hard; raise target_accept (e.g. 0.95) or tighten the priors.")
        lowest = summary["ess"].min()
        if lowest < min_ess:
            found.append(f"effective sample size {lowest:.0f} < {min_ess:.0f} for {summary['ess'].idxmin()}: draw more samples.")
        return found

    def __repr__(self) -> str:
        return (
            f"Posterior({type(self.point_fit.law).__name__}, {self.likelihood} likelihood, {self.num_draws} draws, "
            f"{self.divergences} divergences, {self.seconds:.1f} s)"
        )


def _inputs(laws, data) -> dict:
    frame = pd.DataFrame(data)
    missing = [k for k in type(laws).inputs if k not in frame.columns]
    if missing:
        raise ValueError(f"predict needs columns {list(type(laws).inputs)}; missing {missing}.")
    return {k: jnp.asarray(frame[k].to_numpy(float)) for k in type(laws).inputs}
