"""`infer`: a NumPyro posterior over any law's parameters, sampled with NUTS from a multi-start point fit."""

import time
import warnings
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._bayesian_model import bayesian_model, resolve_priors, site_names
from ._curvature import FLAT, SHARE
from ._dataset import Dataset, as_frame, check_seed
from ._fit import fit
from ._groups import by_columns, groups_of, row_groups
from ._nuts import inverse_hessian, run_nuts
from ._parameterization import Parameterization
from ._posterior import Posterior
from ._results import FitError, FitWarning, listed, warn
from ._tree import replace_parameters
from .laws import resolve
from .likelihoods import AbstractLikelihood, resolve_likelihood
from .solvers import DampedNewton, minimize_batch


def infer(
    law,
    data,
    *,
    target: str = "loss",
    inputs: Mapping[str, str] | None = None,
    weights=None,
    priors: Mapping | None = None,
    fixed: Mapping[str, float] | None = None,
    tied: Mapping[str, str] | None = None,
    likelihood: str | AbstractLikelihood = "normal",
    by: str | Sequence[str] | None = None,
    pooled: Sequence[str] = (),
    independent: Sequence[str] = (),
    shared: Sequence[str] | None = None,
    population_scale: float = 1.0,
    method: str = "nuts",
    n_warmup: int = 500,
    n_samples: int = 1000,
    n_chains: int = 4,
    target_accept: float = 0.8,
    seed: int = 0,
    progress: bool = False,
    num_warmup: int | None = None,
    num_samples: int | None = None,
    num_chains: int | None = None,
) -> Posterior:
    """Samples the posterior of `law`'s parameters given `data`, with NUTS.

    The model needs no per-law code: each parameter gets a prior (by default its constraint's weakly
    informative one: LogNormal(0, 5) for positive, Uniform for an interval, Normal(0, 10) for real;
    override any with a NumPyro distribution), and the target scatters around the law's prediction as the
    `likelihood` says. The default, `LogNormal()` ("normal"), puts Normal noise of a learned scale `sigma`
    (HalfNormal(0.1) prior) on the log target; `LogStudentT()` ("student_t") Student-t noise with learned
    degrees of freedom `nu` (robust to outliers, the Bayesian counterpart of the Huber fit); any
    `AbstractLikelihood` works. Row weights scale each point's log-likelihood. A prior whose tail spills
    outside a parameter's constraint is truncated to it; one whose mass is mostly outside is an error.

    With `by`, rows fall into groups (model families, seeds, datasets). Parameters named in `pooled` get one
    value per group, drawn from a population (non-centred: value_g = loc + scale * offset_g in the parameter's
    unconstrained coordinate, log for a positive one; `{name}_loc` takes the parameter's prior and
    `{name}_scale` a HalfNormal(population_scale)), so groups with little data borrow strength from the rest.
    Parameters in `independent` get one value per group, each from the prior alone; the rest are shared.

    Chains start at a multi-start point fit (`js.fit` with the likelihood's `point_loss`, `LogSquared` for
    the log likelihoods; the noise sites at the likelihood's `initial_noise`), with the inverse Hessian of the
    posterior there as the first dense mass matrix, and adapt it during warm-up. They run one per device when
    there are enough devices, one per thread on CPU cores, and vectorized otherwise.

    Args:
        law, data, target, inputs, weights: as for `fit`.
        priors: parameter name -> NumPyro distribution, e.g. `{"alpha": dist.Normal(0.34, 0.05)}` (free
            parameters only).
        fixed, tied: as for `fit`: parameters held at a value, or taking another's value; they are not sampled
            but reported in every draw (deterministic sites).
        likelihood: the observation model, an `AbstractLikelihood` such as `js.LogStudentT()`, or its name:
            "normal" (`LogNormal()`) or "student_t" (`LogStudentT()`).
        by: column(s) whose values define the groups.
        pooled, independent: parameter names that vary by group (needs `by`), as above.
        shared: the complement, as `fit` spells it: these parameters take one value for all groups and every
            other free parameter not in `pooled` is independent per group (give `shared` or `independent`).
        population_scale: the HalfNormal scale of the pooled parameters' spread across groups, in their
            unconstrained units (1.0: a factor of e for a positive parameter is plausible).
        method: "nuts", or "laplace": a Gaussian at the posterior mode (found by damped Newton on the
            potential, in the unconstrained space), whose `n_chains * n_samples` independent draws are
            mapped back through the constraints. No MCMC: the draws are independent, so r_hat, effective
            sample size and divergences say nothing about it and are not checked. Exact only as far as the
            posterior is Gaussian in those coordinates, which it checks instead, with a FitWarning naming the
            parameter where the mode sits at a constraint's bound, the curvature there is nearly flat, or the
            profile potential at 1 and 2 sd misses the Gaussian's rise by more than 50% (`GAUSSIAN_RTOL`).
        n_warmup, n_samples, n_chains: NUTS settings (warm-up and kept draws per chain, and chains).
        target_accept: the acceptance rate NUTS tunes its step size to; raise it (0.9-0.99) when there are
            divergent transitions, as hierarchical posteriors with few groups often have.
        seed: seeds the sampler; the same seed gives the same draws.
        progress: show a progress bar over all chains' draws.
        num_warmup, num_samples, num_chains: deprecated spellings of n_warmup, n_samples, n_chains.

    >>> import warnings, jaxscale as js
    >>> df = js.datasets.load("chinchilla", subset="epoch")
    >>> with warnings.catch_warnings():  # chains this short warn that their effective sample size is low
    ...     warnings.simplefilter("ignore", js.FitWarning)
    ...     post = js.infer(js.Chinchilla, df, n_warmup=200, n_samples=200, n_chains=2)
    >>> 0.3 < float(post.summary().loc["alpha", "mean"]) < 0.4
    True
    >>> post.likelihood, post.to_frame().shape  # one row per draw: chain, draw and 6 sampled sites
    (LogNormal(), (400, 8))
    """
    if by is not None and len(by) and not (pooled or independent or shared):
        raise ValueError(
            f"by={by!r} groups the rows, but no parameter varies by group: name them in pooled= (partial pooling, "
            "e.g. pooled=['E']) or independent= (one per group), or drop by=."
        )
    for role, chosen in (("pooled", pooled), ("independent", independent)):
        if chosen and not by:
            raise ValueError(f"{role}={[chosen] if isinstance(chosen, str) else list(chosen)} needs groups: pass by=<column> as well.")
    n_warmup = _renamed("num_warmup", num_warmup, "n_warmup", n_warmup, 500)
    n_samples = _renamed("num_samples", num_samples, "n_samples", n_samples, 1000)
    n_chains = _renamed("num_chains", num_chains, "n_chains", n_chains, 4)
    template = resolve(law)
    parameterization = Parameterization(template, fixed=fixed, tied=tied)
    likelihood = resolve_likelihood(likelihood)
    _check_settings(method, n_warmup, n_samples, n_chains, target_accept)
    check_seed(seed)
    frame = as_frame(data)
    by = by_columns(frame, by)
    independent = _independent_of_shared(parameterization, by, shared, pooled, independent)
    pooled, independent = _check_grouped_names(parameterization.names, by, pooled, independent, population_scale)
    if by and not (pooled or independent):
        raise ValueError(
            f"by={list(by)} groups the rows, but no parameter varies by group: name them in pooled= (partial "
            f"pooling, e.g. pooled={list(parameterization.names[:1])}) or independent= (one per group), or drop by=."
        )
    held = sorted(n for n, role in zip(parameterization.names, parameterization.roles) if role != "free" and n in pooled + independent)
    sources = sorted({role for role in parameterization.roles if role in pooled + independent})
    if held or sources:
        raise ValueError(f"{held + sources} are fixed, tied or tied to: they cannot also vary by group; untie them or leave them shared.")
    _check_noise_sites(likelihood, parameterization, pooled)
    dataset = Dataset.from_frame(frame, template, target=target, inputs=inputs, weights=weights, observation=likelihood)
    priors = resolve_priors(template, parameterization, priors)  # after the cheap checks: building priors compiles
    groups, group = _group_index(frame, by)
    grouped = bool(pooled or independent)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)  # only a starting point; the posterior speaks for itself
        start = fit(template, dataset, loss=likelihood.point_loss(), fixed=fixed, tied=tied)
        held_options = {"fixed": fixed, "tied": tied}
        per_group = _per_group_fits(template, frame, by, target, inputs, weights, likelihood.point_loss(), held_options) if grouped else None
    model = bayesian_model(template, parameterization, priors, likelihood, len(groups), pooled, independent, population_scale)
    model_args = (dataset.inputs, dataset.target, dataset.weights, jnp.asarray(group), dataset.extra)
    init_values = _initial_values(start, per_group, len(groups), group, dataset, parameterization, likelihood, pooled, independent)

    began = time.perf_counter()
    potential, postprocess, z0, unravel = _flat_potential(model, model_args, init_values)
    if method == "laplace":
        mode = _posterior_mode(potential, z0, model_args)
        labels = _flat_labels(unravel(z0), groups, tuple(pooled) + tuple(independent))
        hessian = _laplace_hessian(potential, mode, model_args, labels)
        z, diverging = _laplace_draws(mode, hessian, n_chains, n_samples, seed), None
        problems = _laplace_problems(model, model_args, potential, unravel, mode, hessian, labels)
    else:
        if grouped:  # the per-group fits only roughly agree with a shared value: start at the posterior mode
            z0 = _posterior_mode(potential, z0, model_args, fallback=True)
        draws = run_nuts(
            potential, z0, model_args, n_warmup=n_warmup, n_samples=n_samples, n_chains=n_chains,
            seed=seed, inverse_mass_matrix=inverse_hessian(potential, z0, model_args), target_accept_prob=target_accept,
            progress=progress,
        )
        z, diverging = draws["z"], draws["diverging"]
    samples = _constrained_samples(postprocess, z, model_args)
    posterior = Posterior.from_samples(
        template, parameterization, samples, start, likelihood, time.perf_counter() - began,
        diverging=diverging, by=by, groups=groups, grouped=tuple(pooled) + tuple(independent),
    )
    if method != "laplace":  # independent draws: r_hat and ESS say nothing about a Laplace posterior
        problems = posterior.problems()
    for problem in problems:
        warn(problem)
    return posterior


def _renamed(old_name, old_value, new_name, new_value, default):
    """The setting under its new name, or under its deprecated old one (with a DeprecationWarning)."""
    if old_value is None:
        return new_value
    warn(f"infer({old_name}=...) is deprecated; use {new_name}=... instead.", DeprecationWarning)
    if new_value != default:
        raise ValueError(f"{old_name} is the deprecated spelling of {new_name}: pass only {new_name}.")
    return old_value


def _check_settings(method, n_warmup, n_samples, n_chains, target_accept) -> None:
    if method not in ("nuts", "laplace"):
        raise ValueError(f"method must be 'nuts' or 'laplace', got {method!r}.")
    for name, value in (("n_warmup", n_warmup), ("n_samples", n_samples), ("n_chains", n_chains)):
        minimum = 0 if name == "n_warmup" else 1
        if isinstance(value, (bool, np.bool_)) or not (isinstance(value, (int, np.integer)) and value >= minimum):
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    if not 0 < target_accept < 1:
        raise ValueError(f"target_accept must be between 0 and 1 (exclusive), got {target_accept!r}.")


def _check_noise_sites(likelihood, parameterization, pooled) -> None:
    """The likelihood's noise sites must not share a name with a site of the law's parameters."""
    clash = sorted(set(likelihood.noise_priors()) & site_names(parameterization, pooled))
    if clash:
        raise ValueError(
            f"{type(likelihood).__name__}'s noise sites {clash} have the names of sites of the law's parameters: "
            f"rename the likelihood's noise sites."
        )


def _independent_of_shared(parameterization, by, shared, pooled, independent):
    """`independent` as `shared` implies: every free parameter that is neither shared nor pooled."""
    if shared is None:
        return independent
    shared = (shared,) if isinstance(shared, str) else tuple(shared)
    if not by:
        raise ValueError(f"shared={list(shared)} needs groups: pass by=<column> as well.")
    if tuple(independent):
        raise ValueError("pass shared= or independent=, not both: each implies the other.")
    unknown = sorted(set(shared) - set(parameterization.names))
    if unknown:
        raise ValueError(f"shared names {unknown}, which are not parameters of the law; they are {list(parameterization.names)}.")
    pooled = (pooled,) if isinstance(pooled, str) else tuple(pooled)
    free = [n for n, role in zip(parameterization.names, parameterization.roles) if role == "free"]
    return tuple(n for n in free if n not in shared and n not in pooled)


def _check_grouped_names(names, by, pooled, independent, population_scale) -> tuple[tuple[str, ...], tuple[str, ...]]:
    pooled = (pooled,) if isinstance(pooled, str) else tuple(pooled)
    independent = (independent,) if isinstance(independent, str) else tuple(independent)
    for role, chosen in (("pooled", pooled), ("independent", independent)):
        unknown = sorted(set(chosen) - set(names))
        if unknown:
            raise ValueError(f"{role} names {unknown}, which are not parameters of the law; they are {list(names)}.")
        if chosen and not by:
            raise ValueError(f"{role}={list(chosen)} needs groups: pass by=<column> as well.")
    both = sorted(set(pooled) & set(independent))
    if both:
        raise ValueError(f"{both} are both pooled and independent: name each parameter in at most one of them.")
    if not (np.isfinite(population_scale) and population_scale > 0):
        raise ValueError(f"population_scale must be a positive number, got {population_scale!r}.")
    return pooled, independent


def _group_index(frame: pd.DataFrame, by) -> tuple[tuple, np.ndarray]:
    """The group keys (sorted) and each row's index into them; one group of every row without `by`."""
    if not by:
        return (), np.zeros(len(frame), dtype=np.int32)
    keys, _ = groups_of(frame, by)
    return tuple(keys), row_groups(frame, by, keys)


def _per_group_fits(template, frame, by, target, inputs, weights, loss, held):
    """One point fit per group, or None where some group cannot be fitted alone (too few rows, say): the
    pooled fit then starts every group."""
    try:
        return fit(template, frame, by=by, target=target, inputs=inputs, weights=weights, loss=loss, **held)
    except (FitError, ValueError):
        return None


def _initial_values(start, per_group, num_groups, group, dataset, parameterization, likelihood, pooled, independent) -> dict:
    """Every site near the point fit. The noise sites start at the likelihood's `initial_noise` of the fit's
    residuals (each group's own fit's, where there are per-group fits). With groups, grouped parameters start
    at the per-group fits (pooled ones through their population: loc the mean and scale the spread of the
    unconstrained values) and shared ones at the median of the groups' values."""
    if per_group is None:
        location = likelihood.location(start.law, dataset.inputs)
    else:  # each row at its own group's fitted law
        row_laws = replace_parameters(per_group.law, {name: getattr(per_group.law, name)[group] for name in parameterization.names})
        location = jax.vmap(likelihood.location)(row_laws, dataset.inputs)
    # A point fit of the likelihood itself fitted its noise too; one of a residual loss leaves it to `initial_noise`.
    noise = {**likelihood.initial_noise(location, dataset.target, dataset.weights, dataset.extra), **start.noise}
    values = {site: jnp.asarray(noise[site]) for site in likelihood.noise_priors()}
    for name, shape, constraint, role in zip(parameterization.names, parameterization.shapes, parameterization.constraints, parameterization.roles):
        if role != "free":  # deterministic sites: nothing to start
            continue
        if not (pooled or independent):
            values[name] = jnp.asarray(getattr(start.law, name))
            continue
        source = start.law if per_group is None else per_group.law
        per_group_values = jnp.broadcast_to(jnp.asarray(getattr(source, name)), (num_groups,) + shape)
        unconstrained = constraint.unconstrain(per_group_values)
        if name in pooled:
            loc = jnp.mean(unconstrained, axis=0)
            scale = jnp.maximum(jnp.std(unconstrained), 0.05)
            values.update({f"{name}_loc": constraint.constrain(loc), f"{name}_scale": scale, f"{name}_offset": (unconstrained - loc) / scale})
        elif name in independent:
            values[name] = per_group_values
        else:
            values[name] = constraint.constrain(jnp.median(unconstrained, axis=0))
    return values


def _flat_potential(model, model_args, init_values):
    """The model's potential energy over one flat unconstrained vector (and the model's arguments), the map from
    that vector back to every site, and the starting vector. Everything is traced under jit: NumPyro's own initialisation runs the model
    op by op, compiling each operation separately (seconds, for a law)."""
    from jax.flatten_util import ravel_pytree
    from numpyro.infer.util import constrain_fn, potential_energy, unconstrain_fn

    start = jax.jit(lambda values, args: unconstrain_fn(model, args, {}, values))(init_values, model_args)
    z0, unravel = ravel_pytree(start)
    potential = lambda z, *args: potential_energy(model, args, {}, unravel(z))
    postprocess = lambda z, *args: constrain_fn(model, args, {}, unravel(z), return_deterministic=True)
    return potential, postprocess, z0, unravel


def _constrained_samples(postprocess, z: np.ndarray, model_args) -> dict:
    """Every site's draws, shaped (chains, draws, ...), from flat unconstrained draws (chains, draws, dim)."""
    chains, draws = z.shape[:2]
    constrain = jax.jit(jax.vmap(postprocess, in_axes=(0,) + (None,) * len(model_args)))
    values = constrain(jnp.asarray(z.reshape(chains * draws, -1)), *model_args)
    return {k: np.asarray(v).reshape((chains, draws) + np.shape(v)[1:]) for k, v in values.items()}


START_LIMIT = 20.0


def _posterior_mode(potential, guess, model_args, fallback: bool = False) -> jax.Array:
    """The minimum of the potential (the posterior mode, in unconstrained coordinates) by damped Newton from
    `guess`; with `fallback`, `guess` itself where the search fails."""
    # Also from the guess pulled in to |z| <= START_LIMIT: a point fit with a parameter on its bound (E = 1e-254,
    # z = -584) starts where the curvature underflows, while the mode, held by the prior, is far nearer.
    starts = jnp.stack([guess, jnp.clip(guess, -START_LIMIT, START_LIMIT)])
    found = minimize_batch(DampedNewton(max_steps=300), lambda z: potential(z, *model_args), starts)
    value = jnp.where(jnp.all(jnp.isfinite(found.z), axis=1), found.value, jnp.inf)
    mode = found.z[jnp.argmin(jnp.where(jnp.isfinite(value), value, jnp.inf))]
    if fallback and not bool(jnp.all(jnp.isfinite(mode))):
        return guess
    return mode


def _flat_labels(sites: dict, groups: tuple, grouped: tuple[str, ...]) -> list[str]:
    """A label per coordinate of the flat unconstrained vector (the order of `ravel_pytree`): `alpha`, `c[1]`,
    and with groups `A[c4]` for a grouped site (a pooled one's `A_offset[c4]`)."""
    labels = []
    for path, value in jax.tree_util.tree_flatten_with_path(sites)[0]:
        site, shape = path[0].key, np.shape(value)
        size = int(np.prod(shape))
        if not shape:
            labels.append(site)
        elif groups and shape[0] == len(groups) and (site in grouped or site.endswith("_offset")):
            inner = size // len(groups)
            labels += [f"{site}[{key}]" if inner == 1 else f"{site}[{key}, {i}]" for key in groups for i in range(inner)]
        else:
            labels += [f"{site}[{i}]" for i in range(size)]
    return labels


# The Laplace approximation's checks (`_laplace_problems`), each a FitWarning naming the parameter:
# - at a bound: the constraint's map has gone flat at the mode, the site's value moving less than AT_BOUND x
#   (1 + |value|) per unit of its unconstrained coordinate: within ~1e-6 of the bound (a positive parameter
#   below ~1e-6; an interval's value within ~1e-6 x its width of an end). The mode there is the prior's, not
#   the data's, and a Gaussian in that coordinate says little about the value.
# - near singular: a direction of the (correlation-scaled) Hessian at the mode whose curvature is below
#   `FLAT` (the threshold `fit` uses for identifiability) of the largest: the posterior is flat along it.
# - not Gaussian: each coordinate's profile potential (the coordinate held at +-1 and +-2 of its Laplace sd
#   from the mode, every other coordinate at its best) must rise from the mode by the Gaussian's t^2 / 2 to
#   within a relative GAUSSIAN_RTOL (at 2 sd: between 1 and 3 nats instead of 2). A profile that rises less
#   has a heavier tail there than the Gaussian's draws, one that rises more a lighter one. The profile, not
#   the straight line along the Gaussian's axes: Chinchilla's log A and alpha lie on a curved ridge, off which
#   a straight line climbs four times too fast at 2 sd although the marginals are near Gaussian (the profile
#   is within 10% on Epoch's data).
AT_BOUND = 1e-6
GAUSSIAN_RTOL = 0.5
_STEPS = (-2.0, -1.0, 1.0, 2.0)
_SHOWN = 5  # named parameters per warning
PROFILE_LIMIT = 64  # coordinates: the profile check builds (4p, p, p) metrics and inverts p of them


def _laplace_hessian(potential, mode, model_args, labels) -> np.ndarray:
    """The Hessian of the potential at the mode; a ValueError naming the parameters of its directions of zero
    or negative curvature where it is not positive definite (there is no Gaussian to draw from)."""
    hessian = np.asarray(jax.jit(jax.hessian(potential))(mode, *model_args))
    if not (np.all(np.isfinite(mode)) and np.all(np.isfinite(hessian))):
        raise ValueError(
            "the search for the posterior mode ended at a non-finite point or curvature: the Laplace approximation "
            "needs a finite mode; use method='nuts' or more informative priors."
        )
    values, vectors = np.linalg.eigh(0.5 * (hessian + hessian.T))
    if values[0] > 0:
        return hessian
    names = _weighted_names([vectors[:, k] for k in np.flatnonzero(values <= 0)], labels)
    raise ValueError(
        f"the posterior is not locally Gaussian at its mode: its Hessian there is not positive definite (the "
        f"potential is flat or falls along a combination of {listed(names, shown=_SHOWN)}, smallest eigenvalue {values[0]:.3g}): "
        f"use method='nuts', more informative priors for {listed(names, shown=_SHOWN)}, or fix one of them."
    )


def _laplace_draws(mode, hessian, n_chains, n_samples, seed) -> np.ndarray:
    """Independent flat draws (chains, draws, dim) from the Gaussian at the posterior `mode` with precision
    `hessian` (the potential's Hessian there)."""
    cholesky = jnp.linalg.cholesky(jnp.asarray(np.linalg.inv(hessian)))
    eps = jax.random.normal(jax.random.key(seed + 1), (n_chains, n_samples, mode.shape[0]), dtype=mode.dtype)
    return np.asarray(mode + eps @ cholesky.T)


def _laplace_problems(model, model_args, potential, unravel, mode, hessian, labels) -> list[str]:
    """Where the Gaussian at the mode is a poor description of the posterior, in words, naming the parameters
    (the checks above `AT_BOUND`)."""
    from jax.flatten_util import ravel_pytree
    from numpyro.infer.util import constrain_fn

    problems = []
    flat_values = lambda z: ravel_pytree(constrain_fn(model, model_args, {}, unravel(z)))[0]
    values = np.asarray(jax.jit(flat_values)(mode))
    slopes = np.diag(np.asarray(jax.jit(jax.jacfwd(flat_values))(mode)))
    at_bound = np.flatnonzero(np.abs(slopes) < AT_BOUND * (1 + np.abs(values)))
    if at_bound.size:
        shown = ", ".join(f"{labels[i]}={values[i]:.3g}" for i in at_bound[:_SHOWN])
        problems.append(
            f"Laplace approximation: the posterior mode sits at the boundary of the constraint of {listed([labels[i] for i in at_bound], shown=_SHOWN)} "
            f"({shown}; within ~{AT_BOUND:g} of the bound), where the data do not pull it back: a Gaussian in the "
            f"unconstrained coordinate describes it poorly. Use method='nuts', an informative prior, or fix it."
        )

    scale = 1.0 / np.sqrt(np.diag(hessian))
    eigenvalues, vectors = np.linalg.eigh(hessian * scale[:, None] * scale[None, :])
    flat = [vectors[:, k] for k in np.flatnonzero(eigenvalues <= FLAT * eigenvalues[-1])]
    if flat:
        names = _weighted_names(flat, labels)
        problems.append(
            f"Laplace approximation: the posterior is nearly flat at its mode along a combination of {listed(names, shown=_SHOWN)} "
            f"(curvature {eigenvalues[0] / eigenvalues[-1]:.2g} of the largest, correlation-scaled): the data do not "
            f"determine {'it' if len(names) == 1 else 'them'}, and the Gaussian's spread there is the prior's at best. "
            f"Use method='nuts', more informative priors, or fix one of them."
        )

    if len(mode) > PROFILE_LIMIT:
        problems.append(
            f"Laplace approximation: with {len(mode)} sampled coordinates (more than {PROFILE_LIMIT}) the profiles that "
            f"test whether the posterior is Gaussian were not computed (their cost grows as the fourth power); "
            f"method='nuts' checks itself."
        )
        return problems
    steps = np.asarray(_STEPS, dtype=float)
    rise = _profile_rise(potential, model_args, mode, hessian, steps)
    expected = steps**2 / 2
    with np.errstate(invalid="ignore"):
        error = np.where(np.isfinite(rise), np.abs(rise - expected) / expected, np.inf)
    bad = [i for i in np.argsort(-error.max(axis=1)) if error[i].max() > GAUSSIAN_RTOL]
    if bad:
        shown = "; ".join(
            f"{labels[i]} at {steps[k]:+g} sd: {rise[i, k]:.3g} (Gaussian {expected[k]:g})"
            for i in bad[:_SHOWN] for k in [int(np.argmax(error[i]))]
        )
        problems.append(
            f"Laplace approximation: the posterior is not Gaussian along {listed([labels[i] for i in bad], shown=_SHOWN)}: its "
            f"profile potential (-log density, the other parameters at their best) rises from the mode by {shown}, "
            f"off by more than {GAUSSIAN_RTOL:.0%}; where it rises less, the posterior's tail is heavier than the "
            f"Gaussian's draws say. Use method='nuts', an informative prior, or fix the parameter."
        )
    return problems


def _profile_rise(potential, model_args, mode, hessian, steps, iterations: int = 50) -> np.ndarray:
    """(coordinates, steps): how far the profile potential rises from the mode when coordinate i is held at
    `steps` of its Laplace sd from its mode and every other coordinate minimises the potential (a Gaussian's
    rises by steps^2 / 2). Each search starts where the Gaussian puts the others (their regression on i) and
    takes gradient steps in the Gaussian's conditional metric, the best of a few lengths each time: a curved
    ridge (Chinchilla's A against alpha) is followed, and the gradients alone compile in seconds."""
    p, n_steps = mode.shape[0], len(steps)
    covariance = np.linalg.inv(hessian)
    directions = (covariance / np.sqrt(np.diag(covariance))).T  # row i: coordinate i one sd away, the others regressed on it
    starts = (np.asarray(mode)[None, None, :] + steps[None, :, None] * directions[:, None, :]).reshape(-1, p)
    metrics = []
    for i in range(p):
        free = np.arange(p) != i
        metric = np.zeros((p, p))  # the conditional covariance of the others given i; i never moves
        metric[np.ix_(free, free)] = np.linalg.inv(hessian[np.ix_(free, free)])
        metrics += [metric] * n_steps

    def profile(z, metric, args):
        value = lambda z: potential(z, *args)
        lengths = jnp.asarray((1.5, 1.0, 0.5, 0.25, 0.1), dtype=z.dtype)

        def step(_, z):
            trials = z - lengths[:, None] * (metric @ jax.grad(value)(z))[None]
            values = jax.vmap(value)(trials)
            values = jnp.where(jnp.isfinite(values), values, jnp.inf)
            best = jnp.argmin(values)
            return jnp.where(values[best] < value(z), trials[best], z)

        return value(jax.lax.fori_loop(0, iterations, step, z))

    lanes = jax.jit(jax.vmap(profile, in_axes=(0, 0, None)))
    values = lanes(jnp.asarray(starts, mode.dtype), jnp.asarray(np.stack(metrics), mode.dtype), model_args)
    return np.asarray(values).reshape(p, n_steps) - float(potential(mode, *model_args))


def _weighted_names(directions, labels) -> list[str]:
    """The labels of the coordinates that carry at least `SHARE` of any of the unit `directions`, the largest first."""
    weight = np.max(np.stack([np.asarray(d) ** 2 for d in directions]), axis=0)
    order = np.argsort(-weight)
    named = [labels[i] for i in order if weight[i] >= SHARE]
    # A direction spread over many coordinates (a pooled mean against its group offsets) has none past SHARE.
    return named or [labels[i] for i in order[:3]]
