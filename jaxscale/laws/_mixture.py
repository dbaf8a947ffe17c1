"""What the data-mixture laws share: one input column per domain holding its mixture weight."""

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .._law import AbstractLaw

# Weights are often stored rounded (RegMix: 3 decimals over 17 domains, sums 0.996-1.003): a row may miss
# summing to 1 by this much.
SUM_TOLERANCE = 1e-2


class AbstractMixtureLaw(AbstractLaw):
    """A law whose inputs include the mixture weights h_j of `domains` (one column each, on the simplex).

    The domains are named when the law is made: `ExpMixing.over(["github", "arxiv", ...])` is a law class
    whose inputs are those columns (plus the law's own, such as N and D). Weights are checked on reading:
    non-negative and summing to 1 (within 0.01) in every row.
    """

    domains: ClassVar[tuple[str, ...]] = ()
    # The law's inputs besides the weights (e.g. N and D), in order before them.
    scale_inputs: ClassVar[tuple[str, ...]] = ()
    positive_inputs: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def over(cls, domains) -> type:
        """This law for mixtures of `domains` (column names): a class to fit, infer or allocate with."""
        domains = (domains,) if isinstance(domains, str) else tuple(domains)
        if len(domains) < 2 or len(set(domains)) != len(domains):
            raise ValueError(f"a mixture needs at least two distinct domains, got {list(domains)}.")
        clash = sorted(set(domains) & set(cls.scale_inputs))
        if clash:
            raise ValueError(f"domain names {clash} clash with {cls.__name__}'s other inputs {list(cls.scale_inputs)}; rename those columns.")
        namespace = {"inputs": cls.scale_inputs + domains, "domains": domains, "positive_inputs": cls.scale_inputs, "__module__": cls.__module__}
        return type(f"{cls.__name__}[{len(domains)} domains]", (cls,), namespace)

    @classmethod
    def _require_domains(cls) -> int:
        if not cls.domains:
            raise ValueError(f"{cls.__name__} needs its domains first: use {cls.__name__}.over([...domain columns...]).")
        return len(cls.domains)

    @classmethod
    def check_inputs(cls, columns) -> None:
        cls._require_domains()
        h = np.stack([np.asarray(columns[d], float) for d in cls.domains], axis=-1)
        negative = [d for d, column in zip(cls.domains, h.T) if np.any(column < 0)]
        if negative:
            raise ValueError(f"mixture weights must be >= 0; domain(s) {negative} have negative weights.")
        sums = h.sum(axis=-1)
        off = np.flatnonzero(np.abs(sums - 1) > SUM_TOLERANCE)
        if off.size:
            raise ValueError(
                f"mixture weights must sum to 1 in every row; {off.size} row(s) do not (row {off[0]} sums to "
                f"{sums[off[0]]:.6g}). Normalise them, e.g. df[domains] = df[domains].div(df[domains].sum(axis=1), axis=0)."
            )

    def weights(self, x) -> jnp.ndarray:
        """The mixture weights as an (n, domains) array."""
        return jnp.stack([x[d] for d in self.domains], axis=-1)
