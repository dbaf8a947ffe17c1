"""`infer`: a NumPyro posterior over any law's parameters, sampled with NUTS from a multi-start point fit."""

import time
import warnings
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from ._dataset import Dataset
from ._fit import _resolve_law, fit
from ._fit_result import FitWarning
from ._law import replace_parameters
from ._parameterization import Parameterization
from ._posterior import Posterior
from .losses import LogSquared

LIKELIHOODS = ("normal", "student_t")


def infer(
    law,
    data,
    *,
    target: str = "loss",
    inputs: Mapping[str, str] | None = None,
    weights=None,
    priors: Mapping | None = None,
    likelihood: str = "normal",
    method: str = "nuts",
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 4,
    seed: int = 0,
    progress: bool = False,
) -> Posterior:
    """Samples the posterior of `law`'s parameters given `data`, with NUTS.

    The model needs no per-law code: each parameter gets a prior (by default its constraint's weakly
    informative one: LogNormal(0, 5) for positive, Uniform for an interval, Normal(0, 10) for real;
    override any with a NumPyro distribution), and the log of the target is the law's log prediction plus
    noise of a learned scale `sigma` (HalfNormal(0.1) prior): Normal, or Student-t with learned degrees of
    freedom `nu` (robust to outliers, the Bayesian counterpart of the Huber fit). Row weights scale each
    point's log-likelihood. Chains start at a multi-start point fit (`js.fit` with `LogSquared`), use a dense
    mass matrix, and run vectorized on one device, or in parallel when there are at least `num_chains`
    devices. A prior whose tail spills outside a parameter's constraint is truncated to it; one whose mass
    is mostly outside is an error.

    Args:
        law, data, target, inputs, weights: as for `fit`.
        priors: parameter name -> NumPyro distribution, e.g. `{"alpha": dist.Normal(0.34, 0.05)}`.
        likelihood: "normal" or "student_t".
        method: "nuts", or "laplace": a Gaussian at the posterior mode (found by damped Newton on the
            potential, in the unconstrained space), whose `num_chains * num_samples` independent draws are
            mapped back through the constraints. No MCMC, so no r_hat or divergences to worry about;
            exact only as far as the posterior is Gaussian in those coordinates.
        num_warmup, num_samples, num_chains: NUTS settings (per chain).
        seed: seeds the sampler; the same seed gives the same draws.
        progress: show NumPyro's progress bar.

    >>> import warnings, jaxscale as js
    >>> df = js.datasets.load("chinchilla", subset="epoch")
    >>> with warnings.catch_warnings():  # chains this short warn that their effective sample size is low
    ...     warnings.simplefilter("ignore", js.FitWarning)
    ...     post = js.infer(js.Chinchilla, df, num_warmup=200, num_samples=200, num_chains=2)
    >>> 0.3 < float(post.summary().loc["alpha", "mean"]) < 0.4
    True
    """
    import numpyro
    import numpyro.distributions as dist

    template = _resolve_law(law)
    parameterization = Parameterization(template)
    priors = _resolve_priors(template, parameterization, priors)
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}.")
    if method not in ("nuts", "laplace"):
        raise ValueError(f"method must be 'nuts' or 'laplace', got {method!r}.")
    for name, value in (("num_warmup", num_warmup), ("num_samples", num_samples), ("num_chains", num_chains)):
        minimum = 0 if name == "num_warmup" else 1
        if not (isinstance(value, (int, np.integer)) and value >= minimum):
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    dataset = Dataset.from_frame(data, template, target=target, inputs=inputs, weights=weights, positive_target=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)  # only a starting point; the posterior speaks for itself
        start = fit(template, dataset, loss=LogSquared())
    residual_sd = float(np.sqrt(2 * start.objective / float(np.sum(np.asarray(dataset.weights)))))
    init_values = {name: jnp.asarray(getattr(start.law, name)) for name in parameterization.names}
    init_values["sigma"] = jnp.asarray(max(residual_sd, 1e-6))
    if likelihood == "student_t":
        init_values["nu"] = jnp.asarray(10.0)

    log_target = jnp.log(dataset.target)

    def model(x, log_y, w):
        values = {name: numpyro.sample(name, prior) for name, prior in priors.items()}
        mean = replace_parameters(template, values).log_predict(x)
        sigma = numpyro.sample("sigma", dist.HalfNormal(0.1))
        if likelihood == "normal":
            noise = dist.Normal(mean, sigma)
        else:
            noise = dist.StudentT(numpyro.sample("nu", dist.Gamma(2.0, 0.1)), mean, sigma)
        numpyro.factor("log_likelihood", jnp.sum(w * noise.log_prob(log_y)))

    model_args = (dataset.inputs, log_target, dataset.weights)
    began = time.perf_counter()
    if method == "laplace":
        samples = _laplace_draws(model, model_args, init_values, num_chains, num_samples, seed)
        posterior = Posterior.from_samples(template, parameterization, samples, start, likelihood, time.perf_counter() - began)
    else:
        mcmc = _nuts(model, model_args, init_values, num_warmup, num_samples, num_chains, seed, progress)
        posterior = Posterior.from_mcmc(template, parameterization, mcmc, start, likelihood, time.perf_counter() - began)
    for problem in posterior.problems():
        warnings.warn(problem, FitWarning, stacklevel=2)
    return posterior


def _nuts(model, model_args, init_values, num_warmup, num_samples, num_chains, seed, progress):
    """A finished NUTS run (its draws computed, not just dispatched)."""
    from numpyro.infer import MCMC, NUTS, init_to_value

    chain_method = "parallel" if jax.local_device_count() >= num_chains else "vectorized"
    mcmc = MCMC(
        # A dense mass matrix: the Chinchilla posterior couples A with alpha and B with beta so tightly that a
        # diagonal one needs ~400 leapfrog steps per draw instead of ~50.
        NUTS(model, init_strategy=init_to_value(values=init_values), dense_mass=True),
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method=chain_method,
        progress_bar=progress,
    )
    mcmc.run(jax.random.key(seed), *model_args, extra_fields=("diverging",))
    jax.block_until_ready(mcmc.get_samples())
    return mcmc


def _resolve_priors(template, parameterization: Parameterization, priors) -> dict:
    priors = dict(priors or {})
    names = parameterization.names
    unknown = sorted(set(priors) - set(names))
    if unknown:
        raise ValueError(f"priors names {unknown}, which are not parameters of {type(template).__name__}; they are {list(names)}.")
    resolved = {}
    for name, shape, constraint in zip(names, parameterization.shapes, parameterization.constraints):
        prior = priors.get(name, constraint.default_prior())
        if not hasattr(prior, "sample") or not hasattr(prior, "log_prob"):
            raise TypeError(f"the prior of {name} must be a NumPyro distribution, got {type(prior).__name__}.")
        resolved[name] = _fit_support(name, prior, constraint)
        if shape and resolved[name].batch_shape != shape:
            resolved[name] = resolved[name].expand(shape)
    return resolved


def _fit_support(name, prior, constraint):
    """The prior itself if it lives inside the constraint; truncated to it if only its tail spills over (so
    `dist.Normal(0.34, 0.05)` works for a positive exponent); an error if most of its mass is outside."""
    import numpyro.distributions as dist

    draws = jnp.asarray(prior.sample(jax.random.key(0), (1000,)))
    outside = float(np.mean(~np.isfinite(np.asarray(constraint.unconstrain(draws)))))
    if outside == 0.0:
        return prior
    problem = (
        f"the prior of {name} ({type(prior).__name__}) does not fit the parameter's constraint ({constraint}): "
        f"{outside:.0%} of its draws fall outside."
    )
    if outside > 0.5:
        raise ValueError(f"{problem} Use a prior with that support, e.g. dist.LogNormal for a positive parameter.")
    low, high = constraint.bounds()
    try:
        return dist.TruncatedDistribution(prior, low=low, high=high)
    except (ValueError, NotImplementedError, TypeError):
        raise ValueError(f"{problem} It cannot be truncated; use a prior with that support.") from None


def _laplace_draws(model, model_args, init_values, num_chains, num_samples, seed) -> dict:
    """Independent draws from the Gaussian at the posterior mode, as {site: (chains, draws, ...)}."""
    from jax.flatten_util import ravel_pytree
    from numpyro.infer import init_to_value
    from numpyro.infer.util import initialize_model

    from .solvers import DampedNewton, minimize_batch

    info = initialize_model(jax.random.key(seed), model, model_args=model_args, init_strategy=init_to_value(values=init_values))
    start, unravel = ravel_pytree(info.param_info.z)
    potential = lambda z: info.potential_fn(unravel(z))
    mode = minimize_batch(DampedNewton(max_steps=300), potential, start[None]).z[0]
    hessian = jax.hessian(potential)(mode)
    eigenvalues = np.linalg.eigvalsh(np.asarray(hessian))
    if not eigenvalues.min() > 0:
        raise ValueError(
            f"the posterior is not locally Gaussian at its mode (Hessian eigenvalue {eigenvalues.min():.3g} <= 0): "
            f"use method='nuts' or more informative priors."
        )
    cholesky = jnp.linalg.cholesky(jnp.linalg.inv(hessian))
    eps = jax.random.normal(jax.random.key(seed + 1), (num_chains * num_samples, mode.shape[0]))
    draws = jax.vmap(lambda e: info.postprocess_fn(unravel(mode + cholesky @ e)))(eps)
    return {k: np.asarray(v).reshape((num_chains, num_samples) + np.shape(v)[1:]) for k, v in draws.items()}
