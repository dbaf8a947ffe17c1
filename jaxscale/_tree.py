"""Small operations on laws as pytrees, below the law itself (samplers and the law both use them)."""

from collections.abc import Mapping

import equinox as eqx


def replace_parameters(law, values: Mapping):
    """`law` with the named parameters replaced (shapes may change, e.g. to add a batch axis)."""
    names = list(values)
    return eqx.tree_at(lambda m: [getattr(m, n) for n in names], law, [values[n] for n in names])
