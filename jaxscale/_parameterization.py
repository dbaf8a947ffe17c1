"""The map between a law and the flat unconstrained vector that solvers and samplers work on."""

import math
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._constraints import AbstractConstraint, Interval
from ._law import AbstractLaw
from ._tree import replace_parameters


class Parameterization(eqx.Module):
    """Flattens a law's parameters into one unconstrained vector `z` and back.

    `template` fixes the law's class and every parameter's shape; `constraints` (the law's own, with any
    per-fit `bounds` swapped in) fix how each parameter maps to the real line.
    """

    template: AbstractLaw
    names: tuple[str, ...] = eqx.field(static=True)
    shapes: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    constraints: tuple[AbstractConstraint, ...] = eqx.field(static=True)

    def __init__(self, template: AbstractLaw, bounds: Mapping[str, tuple[float, float]] | None = None):
        law_type = type(template)
        names = law_type.parameter_names()
        bounds = dict(bounds or {})
        unknown = sorted(set(bounds) - set(names))
        if unknown:
            raise ValueError(f"bounds names {unknown}, which are not parameters of {law_type.__name__}; they are {list(names)}.")
        constraints = []
        for name in names:
            if name in bounds:
                lo, hi = _pair(bounds[name], name)
                constraints.append(Interval(lo, hi))
            else:
                constraints.append(law_type.constraints[name])
        self.template = jax.tree_util.tree_map(jnp.asarray, template)
        self.names = names
        self.shapes = tuple(tuple(jnp.shape(getattr(template, n))) for n in names)
        self.constraints = tuple(constraints)

    @property
    def size(self) -> int:
        return sum(math.prod(s) for s in self.shapes)

    def flat_names(self) -> list[str]:
        """One label per entry of `z`: `alpha`, or `c[0]`, `c[1]` for vector parameters."""
        labels = []
        for name, shape in zip(self.names, self.shapes):
            labels += [name] if shape == () else [f"{name}[{i}]" for i in range(math.prod(shape))]
        return labels

    def to_law(self, z: Float[Array, " p"]) -> AbstractLaw:
        """Unconstrained vector -> law (vmap it for a batch)."""
        values, offset = {}, 0
        for name, shape, constraint in zip(self.names, self.shapes, self.constraints):
            size = math.prod(shape)
            values[name] = constraint.constrain(z[offset : offset + size].reshape(shape))
            offset += size
        return replace_parameters(self.template, values)

    @eqx.filter_jit
    def natural_rows(self, z: Float[Array, "n p"]) -> Float[Array, "n p"]:
        """Unconstrained rows -> rows of natural parameter values, in the order of `flat_names()`."""
        laws = jax.vmap(self.to_law)(z)
        return jnp.concatenate([jnp.reshape(getattr(laws, n), (z.shape[0], -1)) for n in self.names], axis=1)

    def to_unconstrained(self, law: AbstractLaw, clip: bool = False) -> Float[Array, " p"]:
        """Law -> unconstrained vector; `clip` first moves values on a boundary just inside it."""
        parts = []
        for name, constraint in zip(self.names, self.constraints):
            value = jnp.asarray(getattr(law, name))
            if clip:
                value = constraint.clip(value)
            parts.append(jnp.ravel(constraint.unconstrain(value)))
        return jnp.concatenate(parts)

    @eqx.filter_jit
    def batch_to_unconstrained(self, laws: AbstractLaw, clip: bool = False) -> Float[Array, "batch p"]:
        return jax.vmap(lambda law: self.to_unconstrained(law, clip))(laws)

    def on_boundary(self, law: AbstractLaw) -> list[str]:
        """Names of the parameters that sit on a boundary of their constraint."""
        return [
            name
            for name, constraint in zip(self.names, self.constraints)
            if bool(jnp.any(constraint.on_boundary(getattr(law, name))))
        ]


def _pair(bound, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bound)
    except (TypeError, ValueError):
        raise ValueError(f"bounds for '{name}' must be a pair (lo, hi), got {bound!r}.") from None
    if not lo < hi:
        raise ValueError(f"bounds for '{name}' need lo < hi, got ({lo:g}, {hi:g}): swap or widen them.")
    return lo, hi
