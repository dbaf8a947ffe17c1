"""Learning-rate schedules as Equinox modules: `schedule(steps)` is the learning rate at integer steps.

Every schedule has a `total` number of steps (0 .. total - 1) and a linear `warmup` from 0 to `peak` over its
first `warmup` steps, as `np.linspace(0, peak, warmup)` gives it (step 0 at 0, step warmup - 1 at the peak);
the multi-power-law runs of Luo et al. 2025 use exactly this. The learning rates are differentiable in the
float fields (peak, final, decay_fraction, ...), so a schedule's parameters can be optimised through a law.
"""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike

DECAY_SHAPES = ("linear", "geometric", "cosine", "sqrt")


class AbstractSchedule(eqx.Module):
    """A learning-rate schedule over steps 0 .. total - 1 with a linear warmup over the first `warmup` steps.

    Subclasses write `after_warmup(steps)`, the learning rate once the warmup is over (steps >= warmup).

    >>> import jaxscale as js
    >>> float(js.schedules.Constant(peak=1e-3, total=100, warmup=11)(5))
    0.0005
    """

    total: int = eqx.field(static=True)
    warmup: int = eqx.field(static=True, default=0)

    @abc.abstractmethod
    def after_warmup(self, steps: Array) -> Array:
        """The learning rate at `steps` (each >= warmup)."""

    @property
    @abc.abstractmethod
    def peak_lr(self) -> Array:
        """The learning rate the warmup climbs to."""

    def __call__(self, steps: ArrayLike) -> Array:
        steps = jnp.asarray(steps)
        s = steps.astype(jnp.result_type(float))
        if self.warmup > 1:
            ramp = self.peak_lr * s / (self.warmup - 1)
            return jnp.where(steps < self.warmup, ramp, self.after_warmup(jnp.maximum(s, self.warmup)))
        return self.after_warmup(s)

    def learning_rates(self) -> Array:
        """The learning rate at every step, shape (total,)."""
        return self(jnp.arange(self.total))


class Constant(AbstractSchedule):
    """eta = peak after the warmup.

    >>> import jaxscale as js
    >>> js.schedules.Constant(peak=3e-4, total=24000, warmup=2160).learning_rates().shape
    (24000,)
    """

    peak: Array = eqx.field(converter=jnp.asarray, kw_only=True)

    @property
    def peak_lr(self):
        return self.peak

    def after_warmup(self, steps):
        return jnp.broadcast_to(self.peak, jnp.shape(steps)).astype(jnp.result_type(float))


class Cosine(AbstractSchedule):
    """eta = final + (peak - final) (1 + cos(pi (s - warmup) / (total - warmup))) / 2 after the warmup.

    >>> import jaxscale as js
    >>> round(float(js.schedules.Cosine(peak=3e-4, final=3e-5, total=24000, warmup=2160)(24000)), 10)
    3e-05
    """

    peak: Array = eqx.field(converter=jnp.asarray, kw_only=True)
    final: Array = eqx.field(converter=jnp.asarray, kw_only=True)

    @property
    def peak_lr(self):
        return self.peak

    def after_warmup(self, steps):
        u = (steps - self.warmup) / (self.total - self.warmup)
        return self.final + 0.5 * (self.peak - self.final) * (1.0 + jnp.cos(jnp.pi * u))


def decay_curve(shape: str, peak, final, u):
    """The learning rate a fraction u in [0, 1] of the way through a decay from `peak` to `final`."""
    if shape == "linear":
        return peak + (final - peak) * u
    if shape == "geometric":  # exponential in the step: peak^(1-u) final^u
        return jnp.exp((1.0 - u) * jnp.log(peak) + u * jnp.log(final))
    if shape == "cosine":
        return final + 0.5 * (peak - final) * (1.0 + jnp.cos(jnp.pi * u))
    if shape == "sqrt":  # Hägele et al. 2024's "1 - sqrt" cooldown
        return final + (peak - final) * (1.0 - jnp.sqrt(jnp.maximum(u, 1e-30)))
    raise ValueError(f"decay shape must be one of {DECAY_SHAPES}, got {shape!r}.")


class WSD(AbstractSchedule):
    """Warmup-stable-decay: `peak` until the decay starts, then a decay of `shape` to `final` at step `total`.

    The decay takes the last `decay_fraction` of the steps after warmup: it starts at
    d = total - decay_fraction (total - warmup), and eta = decay_curve(shape, peak, final, (s - d) / (total - d)),
    shape "linear", "geometric" (exponential: peak^((T-s)/(T-d)) final^((s-d)/(T-d)), Luo et al.'s `wsd`),
    "cosine" or "sqrt". The learning rate is continuous in `decay_fraction`, so it can be optimised by gradient.

    >>> import jaxscale as js
    >>> wsd = js.schedules.WSD(peak=3e-4, final=3e-5, decay_fraction=4000 / 21840, total=24000, warmup=2160)
    >>> round(float(wsd(22000)), 7)
    0.000165
    """

    peak: Array = eqx.field(converter=jnp.asarray, kw_only=True)
    final: Array = eqx.field(converter=jnp.asarray, kw_only=True)
    decay_fraction: Array = eqx.field(converter=jnp.asarray, kw_only=True)
    shape: str = eqx.field(static=True, default="linear", kw_only=True)

    def __check_init__(self):
        if self.shape not in DECAY_SHAPES:
            raise ValueError(f"WSD shape must be one of {DECAY_SHAPES}, got {self.shape!r}.")

    @property
    def peak_lr(self):
        return self.peak

    @property
    def decay_start(self) -> Array:
        return self.total - self.decay_fraction * (self.total - self.warmup)

    def after_warmup(self, steps):
        d = self.decay_start
        u = jnp.clip((steps - d) / jnp.maximum(self.total - d, 1e-9), 0.0, 1.0)
        return jnp.where(steps < d, self.peak, decay_curve(self.shape, self.peak, self.final, u))


class TwoStage(AbstractSchedule):
    """`first` until step `switch`, then `second` (Luo et al.'s `wsdcon` runs: 3e-4 to step 8000, then X e-5).

    >>> import jaxscale as js
    >>> two = js.schedules.TwoStage(first=3e-4, second=9e-5, switch=8000, total=16000, warmup=2160)
    >>> float(two(7999)), float(two(8000))
    (0.0003, 9e-05)
    """

    first: Array = eqx.field(converter=jnp.asarray, kw_only=True)
    second: Array = eqx.field(converter=jnp.asarray, kw_only=True)
    switch: int = eqx.field(static=True, kw_only=True)

    @property
    def peak_lr(self):
        return self.first

    def after_warmup(self, steps):
        return jnp.where(steps < self.switch, self.first, self.second)


class FromArray(AbstractSchedule):
    """A schedule given as its learning rate at every step (`values[s]` for s = 0 .. len - 1); `warmup` says
    how many leading steps are warmup (their learning-rate rises are not counted as annealing).

    >>> import jaxscale as js
    >>> float(js.schedules.FromArray([1e-3, 5e-4, 2e-4])(1))
    0.0005
    """

    values: Array

    def __init__(self, values: ArrayLike, warmup: int = 0):
        self.values = jnp.asarray(values, dtype=jnp.result_type(float))
        if self.values.ndim != 1 or self.values.shape[0] < 1:
            raise ValueError(f"FromArray needs a 1-d array of learning rates, one per step; got shape {self.values.shape}.")
        self.total = int(self.values.shape[0])
        self.warmup = int(warmup)

    @property
    def peak_lr(self):
        return jnp.max(self.values)

    def __call__(self, steps):
        return self.values[jnp.asarray(steps)]

    def after_warmup(self, steps):
        return self.values[jnp.asarray(steps).astype(int)]
