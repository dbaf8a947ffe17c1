"""The NumPyro model any law gets: priors from its constraints, optional groups, a likelihood on log targets."""

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._tree import replace_parameters
from ._parameterization import Parameterization

LIKELIHOODS = ("normal", "student_t")


def bayesian_model(
    template,
    parameterization: Parameterization,
    priors: Mapping,
    likelihood: str,
    num_groups: int = 0,
    pooled: Sequence[str] = (),
    independent: Sequence[str] = (),
    population_scale: float = 1.0,
):
    """A NumPyro model `model(x, log_y, w, group)`; `group` is each row's group index (ignored without groups).

    Shared parameters have one value, drawn from their prior. `independent` ones have one per group, each from
    the prior. `pooled` ones have one per group drawn from a population, non-centred: in the parameter's
    unconstrained coordinate (log for a positive one), value_g = loc + scale * offset_g with offset_g ~ N(0, 1);
    `{name}_loc` gets the parameter's prior (in the parameter's own units) and `{name}_scale` a
    HalfNormal(population_scale). The log target is the law's log prediction plus Normal or Student-t noise of
    a learned scale `sigma`; row weights scale each row's log-likelihood.
    """
    import numpyro
    import numpyro.distributions as dist

    constraints = dict(zip(parameterization.names, parameterization.constraints))
    grouped = set(pooled) | set(independent)

    def parameter(name, prior):
        if name in pooled:
            constraint = constraints[name]
            loc = numpyro.sample(f"{name}_loc", prior)
            scale = numpyro.sample(f"{name}_scale", dist.HalfNormal(population_scale))
            offset = numpyro.sample(f"{name}_offset", dist.Normal(0.0, 1.0).expand((num_groups,) + prior.batch_shape))
            return numpyro.deterministic(name, constraint.constrain(constraint.unconstrain(loc) + scale * offset))
        if name in independent:
            return numpyro.sample(name, prior.expand((num_groups,) + prior.batch_shape))
        return numpyro.sample(name, prior)

    def log_mean(values, x, group):
        if not grouped:
            return replace_parameters(template, values).log_predict(x)
        # Each row takes its own group's values: gather them per row and evaluate the law row by row.
        rows = {name: (value[group] if name in grouped else value) for name, value in values.items()}
        axes = {name: (0 if name in grouped else None) for name in values}
        one_row = lambda v, xi: replace_parameters(template, v).log_predict(xi)
        return jax.vmap(one_row, in_axes=(axes, 0))(rows, x)

    def model(x, log_y, w, group):
        values = {name: parameter(name, prior) for name, prior in priors.items()}
        mean = log_mean(values, x, group)
        sigma = numpyro.sample("sigma", dist.HalfNormal(0.1))
        if likelihood == "normal":
            noise = dist.Normal(mean, sigma)
        else:
            noise = dist.StudentT(numpyro.sample("nu", dist.Gamma(2.0, 0.1)), mean, sigma)
        numpyro.factor("log_likelihood", jnp.sum(w * noise.log_prob(log_y)))

    return model


def resolve_priors(template, parameterization: Parameterization, priors) -> dict:
    """One NumPyro distribution per parameter: the user's (checked against the constraint) or the default."""
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
