"""A law whose parameters are partly per group: what `fit(..., by=..., shared=[...])` fits as one law.

`shared_law(template, per_group, n_groups)` is `template` with a leading group axis on the parameters named in
`per_group` (the others, shared, keep their shape). Each row says its group in the input `GROUP_INPUT`; the
law predicts it with that group's values (gathered per row, the law evaluated row by row under `vmap`, as the
Bayesian model does for groups). Its class is the law's class with `__call__` and `log_predict` replaced, so
`Parameterization`, every loss and every likelihood take it like any other law.
"""

import dataclasses
import functools
from typing import ClassVar

import jax
import jax.numpy as jnp

from ._law import AbstractLaw
from ._tree import replace_parameters

# The input that carries each row's group index (as a float column, like every input).
GROUP_INPUT = "__group__"


class AbstractSharedLaw(AbstractLaw):
    """`base_law_type` with the parameters named in `per_group` carrying a leading group axis.

    Row i of the inputs is predicted by the base law with group `x[GROUP_INPUT][i]`'s values of the per-group
    parameters and the one value of each shared parameter. Made by `shared_law`, never subclassed by hand.
    """

    base_law_type: ClassVar[type]
    per_group: ClassVar[tuple[str, ...]]

    def __call__(self, x):
        return self._per_row(x, lambda law, row: law(row))

    def log_predict(self, x):
        return self._per_row(x, lambda law, row: law.log_predict(row))

    def _per_row(self, x, predict):
        rows = dict(x)
        if GROUP_INPUT not in rows:
            raise KeyError(
                f"{type(self).__name__} predicts each row with its group's values, so its inputs need each row's group "
                f"index in x[{GROUP_INPUT!r}]; to predict one group, use that group's law (`result[key]`)."
            )
        group = jnp.asarray(rows.pop(GROUP_INPUT)).astype(jnp.int32)
        base = self.base_law()
        values = {name: getattr(self, name)[group] for name in self.per_group}
        return jax.vmap(lambda v, row: predict(replace_parameters(base, v), row))(values, rows)

    def base_law(self) -> AbstractLaw:
        """The same values as an instance of the base law (per-group parameters keep their group axis)."""
        return _as_type(self, self.base_law_type)

    def group_laws(self, n_groups: int) -> AbstractLaw:
        """A batch of base laws, one per group (leading axis `n_groups`); shared parameters repeat."""
        base = self.base_law()
        values = {}
        for name in base.parameter_names():
            value = jnp.asarray(getattr(base, name))
            values[name] = value if name in self.per_group else jnp.broadcast_to(value, (n_groups,) + value.shape)
        return replace_parameters(base, values)


def shared_law(template: AbstractLaw, per_group, n_groups: int) -> AbstractSharedLaw:
    """`template` (an instance of a law) as a shared law whose `per_group` parameters have `n_groups` values,
    each starting at the template's value."""
    law_type = shared_law_type(type(template), tuple(per_group))
    values = {name: jnp.broadcast_to(jnp.asarray(getattr(template, name)), (n_groups,) + jnp.shape(getattr(template, name))) for name in per_group}
    return replace_parameters(_as_type(template, law_type), values)


@functools.cache
def shared_law_type(law_type: type, per_group: tuple[str, ...]) -> type:
    """The shared-law class of `law_type` with `per_group` parameters per group (one class per pair, so a
    second fit of the same structure reuses the compiled program)."""
    unknown = sorted(set(per_group) - set(law_type.parameter_names()))
    if unknown:
        raise ValueError(f"per_group names {unknown}, which are not parameters of {law_type.__name__}.")
    shown = ", ".join(per_group) if per_group else "none"
    namespace = {"base_law_type": law_type, "per_group": per_group, "__module__": law_type.__module__}
    return type(f"{law_type.__name__}[per group: {shown}]", (AbstractSharedLaw, law_type), namespace)


def _as_type(law: AbstractLaw, law_type: type) -> AbstractLaw:
    """`law`'s field values in an instance of `law_type`, a class with the same fields (the law's class or its
    shared-law class). Built field by field, as Equinox rebuilds a module from its leaves: no `__init__` runs,
    so batched values pass."""
    rebuilt = object.__new__(law_type)
    for field in dataclasses.fields(law_type):
        object.__setattr__(rebuilt, field.name, getattr(law, field.name))
    return rebuilt
