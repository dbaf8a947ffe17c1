"""The map between a law and the flat unconstrained vector that solvers and samplers work on.

Only the free parameters are in the vector: a parameter held `fixed` keeps its value, and one `tied` to
another takes that parameter's value, so a fit of Chinchilla with `tied={"beta": "alpha"}` searches four
coordinates, not five. A loss's own free parameters (a likelihood's noise scale, say) come last.
"""

import math
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._constraints import AbstractConstraint, Interval
from ._law import AbstractLaw, is_real_dtype
from ._tree import replace_parameters


class Parameterization(eqx.Module):
    """Flattens a law's free parameters into one unconstrained vector `z` and back.

    `template` fixes the law's class, every parameter's shape and the values of the `fixed` ones;
    `constraints` (the law's own, with any per-fit `bounds` swapped in) fix how each parameter maps to the real
    line. `noise` names the loss's own free parameters (`loss.noise_parameters()`) and their constraints; they
    follow the law's in the vector, and `to_loss` puts them into the loss. `names`, `shapes` and `constraints`
    list every parameter, the law's then the loss's; `roles` says of each whether it is "free", "fixed" or tied
    to another (the other's name). `size` counts the free entries (the length of `z`); `flat_names()` and
    `natural_rows` report every parameter, fixed and tied ones included.
    """

    template: AbstractLaw
    law_names: tuple[str, ...] = eqx.field(static=True)
    names: tuple[str, ...] = eqx.field(static=True)
    shapes: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    constraints: tuple[AbstractConstraint, ...] = eqx.field(static=True)
    roles: tuple[str, ...] = eqx.field(static=True)

    def __init__(
        self,
        template: AbstractLaw,
        bounds: Mapping[str, tuple[float, float]] | None = None,
        fixed: Mapping[str, object] | None = None,
        tied: Mapping[str, str] | None = None,
        noise: Mapping[str, AbstractConstraint] | None = None,
    ):
        law_type = type(template)
        names = law_type.parameter_names()
        bounds, fixed, tied, noise = dict(bounds or {}), dict(fixed or {}), dict(tied or {}), dict(noise or {})
        for option, given in (("bounds", bounds), ("fixed", fixed), ("tied", tied)):
            unknown = sorted(set(given) - set(names))
            if unknown:
                hint = ""
                if set(unknown) & set(noise):
                    hint = f" {sorted(set(unknown) & set(noise))} belong to the likelihood: give its value there instead, e.g. js.StudentT(nu=4.0)."
                raise ValueError(f"{option} names {unknown}, which are not parameters of {law_type.__name__}; they are {list(names)}.{hint}")
        clash = sorted(set(noise) & set(names))
        if clash:
            raise ValueError(f"the loss's own parameters {clash} have the names of parameters of {law_type.__name__}: rename them in the loss.")
        constraints = {}
        for name in names:
            if name in bounds:
                lo, hi = _pair(bounds[name], name)
                _require_inside(name, lo, hi, law_type.constraints[name], law_type.__name__)
                constraints[name] = Interval(lo, hi)
            else:
                constraints[name] = law_type.constraints[name]
        shapes = {n: tuple(jnp.shape(getattr(template, n))) for n in names}
        values = {name: _fixed_value(name, value, shapes[name], constraints[name], bounds) for name, value in fixed.items()}
        _check_ties(tied, fixed, shapes, constraints)
        if len(fixed) + len(tied) == len(names):
            raise ValueError(f"every parameter of {law_type.__name__} is fixed or tied: leave at least one free to fit.")
        self.template = replace_parameters(jax.tree_util.tree_map(jnp.asarray, template), values)
        self.law_names = names
        self.names = names + tuple(noise)
        self.shapes = tuple(shapes[n] for n in names) + ((),) * len(noise)
        self.constraints = tuple(constraints[n] for n in names) + tuple(noise.values())
        self.roles = tuple("fixed" if n in fixed else tied.get(n, "free") for n in names) + ("free",) * len(noise)

    @property
    def size(self) -> int:
        """The number of free entries: the length of the unconstrained vector."""
        return sum(math.prod(s) for s, role in zip(self.shapes, self.roles) if role == "free")

    def flat_names(self) -> list[str]:
        """One label per entry of every parameter: `alpha`, or `c[0]`, `c[1]` for vector parameters."""
        labels = []
        for name, shape in zip(self.names, self.shapes):
            labels += [name] if shape == () else [f"{name}[{i}]" for i in range(math.prod(shape))]
        return labels

    def flat_roles(self) -> list[str]:
        """The role of each entry of `flat_names()`: "free", "fixed" or the name of the parameter it is tied to."""
        return [role for shape, role in zip(self.shapes, self.roles) for _ in range(math.prod(shape))]

    @property
    def noise_names(self) -> tuple[str, ...]:
        """The loss's own free parameters, after the law's."""
        return self.names[len(self.law_names) :]

    def values(self, z: Float[Array, " p"]) -> dict[str, Array]:
        """Unconstrained vector of the free parameters -> every parameter's natural value (fixed and tied too)."""
        values, offset = {}, 0
        for name, shape, constraint, role in zip(self.names, self.shapes, self.constraints, self.roles):
            if role == "free":
                size = math.prod(shape)
                values[name] = constraint.constrain(z[offset : offset + size].reshape(shape))
                offset += size
            elif role == "fixed":  # in the dtype of the fit (a float32 fit must not meet a float64 constant)
                values[name] = jnp.asarray(getattr(self.template, name), z.dtype)
        for name, role in zip(self.names, self.roles):
            if role not in ("free", "fixed"):
                values[name] = values[role]
        return values

    def to_law(self, z: Float[Array, " p"]) -> AbstractLaw:
        """Unconstrained vector of the free parameters -> law (vmap it for a batch)."""
        values = self.values(z)
        return replace_parameters(self.template, {name: values[name] for name in self.law_names})

    def to_loss(self, z: Float[Array, " p"], loss):
        """The loss with its own free parameters (the tail of `z`) in place; the loss itself if it has none."""
        if not self.noise_names:
            return loss
        values = self.values(z)
        return loss.with_noise({name: values[name] for name in self.noise_names})

    @eqx.filter_jit
    def natural_rows(self, z: Float[Array, "n p"]) -> Float[Array, "n q"]:
        """Unconstrained rows -> rows of natural values of every parameter, in the order of `flat_names()`."""
        values = jax.vmap(self.values)(z)
        # vmap gives fixed parameters, which do not depend on z, the batch axis too.
        return jnp.concatenate([jnp.reshape(values[n], (z.shape[0], -1)) for n in self.names], axis=1)

    def to_unconstrained(self, law: AbstractLaw, clip: bool = False, noise: Mapping[str, float] | None = None) -> Float[Array, " p"]:
        """Law (and the loss's own parameters' values, `noise`) -> unconstrained vector of the free parameters;
        `clip` first moves values on a boundary just inside it."""
        noise = dict(noise or {})
        missing = sorted(set(self.noise_names) - set(noise))
        if missing:
            raise ValueError(f"starting values for the loss's own parameters {missing} are needed.")
        parts = []
        for name, constraint, role in zip(self.names, self.constraints, self.roles):
            if role != "free":
                continue
            value = jnp.asarray(noise[name] if name in self.noise_names else getattr(law, name))
            if clip:
                value = constraint.clip(value)
            parts.append(jnp.ravel(constraint.unconstrain(value)))
        return jnp.concatenate(parts)

    @eqx.filter_jit
    def batch_to_unconstrained(self, laws: AbstractLaw, clip: bool = False, noise: Mapping[str, float] | None = None) -> Float[Array, "batch p"]:
        """`to_unconstrained` for a batch of laws, each with the same `noise` values."""
        return jax.vmap(lambda law: self.to_unconstrained(law, clip, noise))(laws)


def _pair(bound, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bound)
    except (TypeError, ValueError):
        raise ValueError(f"bounds for '{name}' must be a pair (lo, hi), got {bound!r}.") from None
    if not lo < hi:
        raise ValueError(f"bounds for '{name}' need lo < hi, got ({lo:g}, {hi:g}): swap or widen them.")
    return lo, hi


def _require_inside(name: str, lo: float, hi: float, constraint: AbstractConstraint, law_name: str) -> None:
    """Bounds narrow a parameter's constraint: a ValueError if they reach past it (a positive A bounded to
    (-5, -1)), where the law is not defined."""
    if constraint.outside([lo, hi]).any():
        raise ValueError(
            f"bounds for '{name}' are ({lo:g}, {hi:g}), which reach outside its constraint ({constraint}) in "
            f"{law_name}, where the law is not defined: choose bounds inside it."
        )


def _fixed_value(name, value, shape, constraint, bounds):
    """A fixed parameter's value as an array of its shape, refused if it lies outside its constraint."""
    if name in bounds:
        raise ValueError(f"'{name}' is both fixed and bounded: a fixed parameter is not searched, so drop one of them.")
    if isinstance(value, (str, bytes)) or not is_real_dtype(np.asarray(value).dtype):
        raise TypeError(f"fixed['{name}'] must be a real number (or an array of them of shape {shape}), got {value!r} ({type(value).__name__}).")
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"fixed value of {name} must be finite, got {array.tolist()}: hold it at a finite number (or leave it free).")
    if array.shape != shape:
        raise ValueError(f"fixed['{name}'] has shape {array.shape}, but the parameter has shape {shape}.")
    # A held value may sit on the constraint's boundary (a floor of exactly 0): it is never unconstrained.
    if constraint.outside(array).any():
        raise ValueError(f"fixed['{name}'] = {array.tolist()} is outside its constraint ({constraint}): choose a value inside it.")
    return jax.device_put(array)  # not jnp.asarray, which compiles a conversion


def _check_ties(tied, fixed, shapes, constraints) -> None:
    """Each tied parameter takes the value of a free one of the same shape and constraint."""
    for name, source in tied.items():
        if name in fixed:
            raise ValueError(f"'{name}' is both fixed and tied: a parameter is either held at a value or tied to another.")
        if source not in shapes:
            raise ValueError(f"tied['{name}'] = {source!r} is not a parameter; the parameters are {list(shapes)}.")
        if source == name or source in tied:
            chain = [name, source] + ([tied[source]] if source in tied else [])
            raise ValueError(
                f"tied['{name}'] = {source!r} ties to a parameter that is itself tied ({' -> '.join(chain)}): tie every "
                f"parameter directly to one free parameter (no chains or cycles)."
            )
        if source in fixed:
            raise ValueError(f"tied['{name}'] = {source!r} ties to a fixed parameter: fix '{name}' to the same value instead.")
        if shapes[name] != shapes[source] or constraints[name] != constraints[source]:
            raise ValueError(
                f"tied['{name}'] = {source!r} joins parameters with different shapes or constraints "
                f"({shapes[name]} {constraints[name]} vs {shapes[source]} {constraints[source]}): tie only alike parameters."
            )
