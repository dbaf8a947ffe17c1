import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._fit_result import FitResult
from ._law import AbstractLaw, replace_parameters
from ._parameterization import Parameterization


class Posterior(eqx.Module):
    """Posterior draws of a law's parameters, from `infer`.

    `laws` is the batch of drawn laws (leading axis: chains x draws flattened), so anything that takes a law
    works over the posterior with `vmap`; `samples` holds every sampled site with shape (chains, draws, ...),
    including the noise scale `sigma` (and `nu` for Student-t). `summary()`, `predict(...)`, `to_arviz()`.
    """

    laws: AbstractLaw
    samples: dict[str, np.ndarray]
    divergences: int
    point_fit: FitResult
    likelihood: str
    seconds: float
    mcmc: object = eqx.field(static=True)

    @classmethod
    def from_mcmc(cls, template, parameterization: Parameterization, mcmc, point_fit, likelihood, seconds) -> "Posterior":
        samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
        flat = {name: jnp.asarray(samples[name].reshape((-1,) + samples[name].shape[2:])) for name in parameterization.names}
        divergences = int(np.sum(np.asarray(mcmc.get_extra_fields()["diverging"])))
        return cls(replace_parameters(template, flat), samples, divergences, point_fit, likelihood, seconds, mcmc)

    @classmethod
    def from_samples(cls, template, parameterization: Parameterization, samples, point_fit, likelihood, seconds) -> "Posterior":
        """From draws {site: (chains, draws, ...)} made without MCMC (the Laplace path)."""
        flat = {name: jnp.asarray(samples[name].reshape((-1,) + samples[name].shape[2:])) for name in parameterization.names}
        return cls(replace_parameters(template, flat), samples, 0, point_fit, likelihood, seconds, None)

    @property
    def num_draws(self) -> int:
        return int(self.laws.batch_shape[0])

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Per sampled quantity: mean, sd, the (1-prob)/2 and (1+prob)/2 quantiles, r_hat and effective sample size."""
        from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

        rows = {}
        for name, chains in self.samples.items():
            flat_chains = chains.reshape(chains.shape[:2] + (-1,))
            labels = [name] if chains.ndim == 2 else [f"{name}[{i}]" for i in range(flat_chains.shape[-1])]
            for i, label in enumerate(labels):
                x = flat_chains[..., i]
                lo, hi = np.quantile(x, [(1 - prob) / 2, (1 + prob) / 2])
                rows[label] = {
                    "mean": x.mean(), "sd": x.std(ddof=1), f"q{(1 - prob) / 2:.3g}": lo, f"q{(1 + prob) / 2:.3g}": hi,
                    "r_hat": float(split_gelman_rubin(x)) if x.shape[0] > 1 else np.nan,
                    "ess": float(effective_sample_size(x)),
                }
        return pd.DataFrame(rows).T

    def predict(self, data, quantiles=(0.05, 0.5, 0.95), include_noise: bool = False, seed: int = 0) -> pd.DataFrame:
        """Posterior (predictive) quantiles of the law's prediction at the rows of `data`.

        Without `include_noise` the band is that of the mean law; with it, each draw adds its own observation
        noise (log-normal or log-Student-t with the draw's sigma), so the band is where a new measurement falls.
        """
        x = _inputs(self.laws, data)
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

    def to_arviz(self):
        """The run as an `arviz.InferenceData` (needs `pip install arviz`)."""
        try:
            import arviz
        except ImportError as error:
            raise ImportError("to_arviz needs ArviZ: pip install arviz") from error
        if self.mcmc is None:
            return arviz.from_dict(posterior=self.samples)
        return arviz.from_numpyro(self.mcmc)

    def problems(self, max_r_hat: float = 1.01, min_ess: float = 400.0) -> list[str]:
        """Convergence problems, in words, each with the number that triggered it."""
        summary = self.summary()
        found = []
        worst = summary["r_hat"].max()
        if np.isfinite(worst) and worst > max_r_hat:
            found.append(f"r_hat = {worst:.3f} > {max_r_hat} for {summary['r_hat'].idxmax()}: the chains disagree; run longer or check the priors.")
        if self.divergences:
            found.append(f"{self.divergences} divergent transitions: the posterior geometry is hard; tighten priors or reparameterise.")
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
