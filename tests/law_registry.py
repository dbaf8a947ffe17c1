"""Every law with realistic true parameters and a synthetic design, so one battery covers them all."""

import dataclasses

import jax.numpy as jnp
import numpy as np

import jaxscale as js


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    law: js.AbstractLaw  # the true law
    design: dict  # input name -> (n,) array
    noise: float  # sd of multiplicative (log-space) noise
    rtol: float  # parameter recovery tolerance (relative)
    fit_options: dict = dataclasses.field(default_factory=dict)  # beyond js.fit's defaults, where a law needs them


def _chinchilla_design():
    N, D = np.meshgrid(np.geomspace(5e7, 1.6e10, 12), np.geomspace(5e9, 5e11, 12))
    return {"N": N.ravel(), "D": D.ravel()}


def _kaplan_design():
    N, D = np.meshgrid(np.geomspace(1e6, 1e10, 10), np.geomspace(2e7, 2e10, 10))
    return {"N": N.ravel(), "D": D.ravel()}


def _data_constrained_design():
    N, D, U = np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(1e9, 2e11, 7), [2e9, 1e10, 1e13])
    return {"N": N.ravel(), "D": D.ravel(), "U": U.ravel()}


def _precision_design():
    """Kumar et al.'s grid: N 30-220M, D 1.5-26B; each training precision lowered on its own, and post-training
    quantization of 16-bit runs."""
    lowest = (3, 4, 3)  # 3-bit activations diverge by the fit
    configs = [(16, 16, 16, 16)]
    configs += [tuple(b if i == k else 16 for i in range(3)) + (16,) for k in range(3) for b in range(lowest[k], 9)]
    configs += [(16, 16, 16, b) for b in (2, 3, 4, 5, 6)]
    rows = [(n, d) + c for n in (3e7, 6e7, 1.1e8, 2.2e8) for d in np.geomspace(1.5e9, 2.6e10, 5) for c in configs]
    return dict(zip(("N", "D", "P_w", "P_a", "P_kv", "P_post"), np.asarray(rows, float).T))


def _floating_point_design():
    """Sun et al.'s kind of grid: model sizes and token counts crossed with E/M splits and block sizes."""
    formats = [(e, m) for e in (1, 2, 3, 4, 5) for m in (0, 1, 2, 3, 5, 7) if e + m >= 2]
    rows = [(n, d, e, m, b) for n in (4e7, 1.6e8, 6e8) for d in (1e10, 3e10, 1e11) for e, m in formats for b in (32.0, 128.0, 512.0)]
    return dict(zip(("N", "D", "exponent_bits", "mantissa_bits", "block_size"), np.asarray(rows, float).T))


MIXTURE_DOMAINS = ("web", "code", "books", "papers", "wiki")


def _mixture_design():
    h = np.random.default_rng(1).dirichlet(np.ones(len(MIXTURE_DOMAINS)), 200)
    return dict(zip(MIXTURE_DOMAINS, h.T))


def _mixture_scale_design():
    """Dirichlet mixtures of three domains at 4 x 4 model sizes and token counts."""
    rng = np.random.default_rng(2)
    N, D = (a.ravel() for a in np.meshgrid(np.geomspace(3e7, 3e9, 4), np.geomspace(1e9, 1e12, 4)))
    h = rng.dirichlet(np.ones(3), (len(N), 25)).reshape(-1, 3)
    return {"N": np.repeat(N, 25), "D": np.repeat(D, 25), **dict(zip(MIXTURE_DOMAINS[:3], h.T))}


CASES = [
    Case("power_law", js.PowerLaw(E=jnp.asarray(1.7), A=jnp.asarray(400.0), alpha=jnp.asarray(0.35)),
         {"x": np.geomspace(1e5, 1e9, 40)}, noise=0.002, rtol=0.1),
    Case("chinchilla", js.Chinchilla(E=jnp.asarray(1.8172), A=jnp.asarray(477.8), B=jnp.asarray(2143.9),
                                     alpha=jnp.asarray(0.34731), beta=jnp.asarray(0.36718)),
         _chinchilla_design(), noise=0.002, rtol=0.15),
    Case("kaplan", js.Kaplan(N_c=jnp.asarray(6.4e13), D_c=jnp.asarray(1.8e13), alpha_N=jnp.asarray(0.076),
                             alpha_D=jnp.asarray(0.103)),
         _kaplan_design(), noise=0.001, rtol=0.15),
    Case("broken_power_law", js.BrokenPowerLaw(a=jnp.asarray(0.05), b=jnp.asarray(2.0), c0=jnp.asarray(0.1),
                                               c=jnp.array([0.5]), d=jnp.array([1e4]), f=jnp.array([0.3])),
         {"x": np.geomspace(1e2, 1e7, 60)}, noise=0.002, rtol=0.2),
    Case("overtraining", js.laws.Overtraining(E=jnp.asarray(1.9), a=jnp.asarray(30.0), b=jnp.asarray(300.0), eta=jnp.asarray(0.1)),
         _chinchilla_design(), noise=0.001, rtol=0.15),
    Case("data_constrained", js.laws.DataConstrained(E=jnp.asarray(1.69), A=jnp.asarray(406.4), B=jnp.asarray(410.7),
                                                     alpha=jnp.asarray(0.34), beta=jnp.asarray(0.28),
                                                     R_D_star=jnp.asarray(15.4), R_N_star=jnp.asarray(5.3)),
         _data_constrained_design(), noise=0.0005, rtol=0.3),
    Case("precision", js.laws.Precision.kumar_2024(), _precision_design(), noise=0.002, rtol=0.2),
    Case("floating_point_precision", js.laws.FloatingPointPrecision.sun_2025(), _floating_point_design(), noise=0.001, rtol=0.3,
         fit_options={"n_refine": 64}),  # a flat valley in (gamma, delta, nu): more restarts agree on its floor
    Case("exp_mixing", js.laws.ExpMixing.over(MIXTURE_DOMAINS)(c=jnp.asarray(2.5), t=jnp.array([0.2, -0.5, 0.6, -1.0, 0.4])),
         _mixture_design(), noise=0.002, rtol=0.1),
    Case("mixture_additive", js.laws.MixtureAdditive.over(MIXTURE_DOMAINS[:3])(
        E=jnp.asarray(1.7), A=jnp.asarray(400.0), B=jnp.asarray(2000.0), alpha=jnp.asarray(0.34), beta=jnp.asarray(0.28),
        C=jnp.array([1.0, 2.0, 0.5]), gamma=jnp.array([0.4, 0.6, 0.3])), _mixture_scale_design(), noise=0.002, rtol=0.2,
        fit_options={"n_refine": 64}),  # several local minima: more refined restarts find the best one repeatedly
    Case("mixture_joint", js.laws.MixtureJoint.over(MIXTURE_DOMAINS[:3])(
        E=jnp.asarray(1.7), alpha=jnp.asarray(0.34), beta=jnp.asarray(0.28), C=jnp.array([1.0, 2.0, 0.5]),
        gamma=jnp.array([0.4, 0.6, 0.3]), CA=jnp.array([400.0, 300.0, 600.0]), gammaA=jnp.asarray(1.2),
        CB=jnp.array([2000.0, 3000.0, 1500.0]), gammaB=jnp.asarray(0.8)), _mixture_scale_design(), noise=0.002, rtol=0.3,
        fit_options={"n_refine": 64}),
]


def synthetic_frame(case: Case, seed: int = 0):
    """The true law's predictions at the design, with log-normal noise, as a DataFrame."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    clean = case.law.predict(case.design)
    frame = pd.DataFrame(case.design)
    frame["loss"] = clean * np.exp(case.noise * rng.standard_normal(len(clean)))
    return frame


def template_of(case: Case) -> js.AbstractLaw:
    if isinstance(case.law, js.BrokenPowerLaw):
        return js.BrokenPowerLaw.template(n_breaks=case.law.c.shape[0])
    return type(case.law)
