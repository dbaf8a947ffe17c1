"""The NumPyro model any law gets: priors from its constraints, optional groups, an observation model."""

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._parameterization import Parameterization
from ._tree import replace_parameters
from .likelihoods import AbstractLikelihood


def bayesian_model(
    template,
    parameterization: Parameterization,
    priors: Mapping,
    likelihood: AbstractLikelihood,
    num_groups: int = 0,
    pooled: Sequence[str] = (),
    independent: Sequence[str] = (),
    population_scale: float = 1.0,
):
    """A NumPyro model `model(x, y, w, group, extra)` of raw targets `y`; `group` is each row's group index
    (ignored without groups), `extra` the likelihood's further columns (a Binomial's trials).

    Shared parameters have one value, drawn from their prior. `independent` ones have one per group, each from
    the prior. `pooled` ones have one per group drawn from a population, non-centred: in the parameter's
    unconstrained coordinate (log for a positive one), value_g = loc + scale * offset_g with offset_g ~ N(0, 1);
    `{name}_loc` gets the parameter's prior (in the parameter's own units) and `{name}_scale` a
    HalfNormal(population_scale). Then the likelihood's free noise sites are sampled from its `noise_priors()`
    (held ones keep their values), and each row adds its weight times `likelihood.log_prob` at the law's
    `location`.
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

    def locations(values, x, group):
        if not grouped:
            return likelihood.location(replace_parameters(template, values), x)
        # Each row takes its own group's values: gather them per row and evaluate the law row by row.
        rows = {name: (value[group] if name in grouped else value) for name, value in values.items()}
        axes = {name: (0 if name in grouped else None) for name in values}
        one_row = lambda v, xi: likelihood.location(replace_parameters(template, v), xi)
        return jax.vmap(one_row, in_axes=(axes, 0))(rows, x)

    def model(x, y, w, group, extra):
        values = {name: parameter(name, prior) for name, prior in priors.items()}
        # Parameters held fixed or tied to another are deterministic sites, so every draw reports them.
        for name, role in zip(parameterization.names, parameterization.roles):
            if role == "fixed":
                values[name] = numpyro.deterministic(name, getattr(parameterization.template, name))
            elif role != "free":
                values[name] = numpyro.deterministic(name, values[role])
        location = locations(values, x, group)
        noise = {site: numpyro.sample(site, prior) for site, prior in likelihood.noise_priors().items()}
        noise = {**likelihood.held_noise(), **noise}
        numpyro.factor("log_likelihood", jnp.sum(w * likelihood.log_prob(location, y, noise, extra)))

    return model


def site_names(parameterization: Parameterization, pooled: Sequence[str] = ()) -> set[str]:
    """The names of the sites `bayesian_model` gives the law's parameters (pooled ones through their population)."""
    names = set(parameterization.names)
    for name in pooled:
        names |= {f"{name}_loc", f"{name}_scale", f"{name}_offset"}
    return names


def resolve_priors(template, parameterization: Parameterization, priors) -> dict:
    """One NumPyro distribution per free parameter: the user's (checked against the constraint) or the default."""
    priors = dict(priors or {})
    names = parameterization.names
    unknown = sorted(set(priors) - set(names))
    if unknown:
        raise ValueError(f"priors names {unknown}, which are not parameters of {type(template).__name__}; they are {list(names)}.")
    held = sorted(name for name, role in zip(names, parameterization.roles) if name in priors and role != "free")
    if held:
        raise ValueError(f"priors name {held}, which are fixed or tied: priors apply to free parameters only; drop them.")
    resolved = {}
    for name, shape, constraint, role in zip(names, parameterization.shapes, parameterization.constraints, parameterization.roles):
        if role != "free":
            continue
        prior = priors.get(name, constraint.default_prior())
        if not hasattr(prior, "sample") or not hasattr(prior, "log_prob"):
            raise TypeError(f"the prior of {name} must be a NumPyro distribution, got {type(prior).__name__}.")
        if tuple(prior.batch_shape) not in ((), tuple(shape)):
            raise ValueError(
                f"the prior of {name} has batch shape {tuple(prior.batch_shape)}, but {name} has shape {tuple(shape)}: "
                f"give a scalar distribution (e.g. dist.Normal(0.0, 1.0)) or one of shape {tuple(shape)}."
            )
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
