"""Observation models for accuracies and pass counts: recovery, calibration and speed of the Binomial and
BetaBinomial likelihoods.

Three sections, each its own table (run one with `--only NAME`; without it every section runs in its own
fresh process, one after the other, so that no section's compilation cache or warm-up helps another):

- `recovery` (issue 13): synthetic accuracies, 30 compute levels log-spaced over 1e18-1e24 FLOPs, 200 trials
  each, from SigmoidCompute(floor 0.25, ceiling 0.85, slope 1.0, log_c50 log 1e21), which runs from 0.1%
  to 99.9% of the way up the sigmoid across the data. The floor is held at 0.25 in every fit. (a) Binomial
  fit + `bootstrap(n=200)` 95% percentile interval; (b) Binomial `infer` 90% central interval, NUTS with
  2 chains x (300 warm-up + 500 draws). Counts of replicates whose interval holds each true free parameter.
- `counts`: 300 problems x 100 samples, p_i ~ Beta(a, b); a BetaBinomial fit of a constant law recovers a and
  b and the implied pass@k = 1 - B(a, b + k) / B(a, b) up to k = 10,000, beside the least-squares power law
  on the empirical pass@k (Chen et al. 2021's unbiased estimator, k = 1..50) that Schaeffer et al. 2025 fit.
- `speed`: (a) 1,000 synthetic accuracy curves of 20 points in one `fit(..., by="curve")` (defaults, and three
  variants that show where the time goes) against serial scipy L-BFGS-B loops on the same negative
  log-likelihood with the same screening of the law's default number of starts (stopping once 3 refinements agree, as jaxscale does,
  or refining all 16 best); (b) NUTS, 4 chains x (500 + 1,000), on one curve, with compile time measured.

The script re-executes itself with OPENBLAS_NUM_THREADS=1 so that the scipy loop is the serial, one-core loop
it claims to be.

Appends each table to benchmarks/README.md (`--no-record` only prints).
Run: python benchmarks/bench_observation_models.py [--only recovery|counts|speed] [--no-record]
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import defaultdict

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import scipy
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln, xlog1py, xlogy

import jaxscale as js

sys.path.insert(0, os.path.dirname(__file__))
from _record import record  # noqa: E402

SECTIONS = ("recovery", "counts", "speed")
FLOOR = 0.25

# Recovery: one accuracy curve, 30 compute levels spanning the whole sigmoid, 200 trials per level.
TRUTH = {"floor": FLOOR, "ceiling": 0.85, "slope": 1.0, "log_c50": float(np.log(1e21))}
FREE = ("ceiling", "slope", "log_c50")
COMPUTE = np.logspace(18, 24, 30)
TRIALS = 200

# Per-problem counts (Schaeffer et al. 2025 fit Beta distributions with a of a few tenths and b of a few to ten
# to per-problem success rates; we take a = 0.4, b = 6, a mean success rate of 0.0625).
BETA_A, BETA_B = 0.4, 6.0
PROBLEMS, SAMPLES = 300, 100
PASS_K = (1, 10, 100, 1000, 10000)
LS_K = np.arange(1, 51)


class ConstantRate(js.AbstractLaw):
    """One success probability p for every problem: the mean of the per-problem Beta."""

    inputs = ("problem",)
    positive_inputs = ()
    constraints = {"p": js.Interval(0.0, 1.0)}
    p: jnp.ndarray

    def __call__(self, x):
        return self.p * jnp.ones_like(x["problem"])


def header(title: str, seconds: float) -> str:
    return (
        f"### {title}, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), jax {jax.__version__}, "
        f"scipy {scipy.__version__}, jaxscale {js.__version__} ({seconds:.0f} s)"
    )


def coverage_cell(inside: int, total: int) -> str:
    share = inside / total
    return f"{inside} / {total} ({100 * share:.0f}% ± {100 * np.sqrt(share * (1 - share) / total):.1f})"


def curve_frame(rng, truth=TRUTH, compute=COMPUTE, trials=TRIALS) -> pd.DataFrame:
    p = js.laws.SigmoidCompute(**truth).predict({"C": compute})
    return pd.DataFrame({"C": compute, "k": rng.binomial(trials, np.asarray(p)), "n": trials})


# 1. Recovery ------------------------------------------------------------------------------------------------


def recovery(args) -> str:
    # infer recompiles its sampler on every call; the persistent cache lets replicates share one compilation.
    jax.config.update("jax_compilation_cache_dir", tempfile.mkdtemp(prefix="jaxscale-observation-"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    binomial = js.Binomial(trials="n")
    fixed = {"floor": FLOOR}

    began = time.perf_counter()
    boot_rows, boot_warned = [], 0
    for r in range(args.boot_replicates):
        df = curve_frame(np.random.default_rng([13, r]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", js.FitWarning)
            full = js.fit(js.laws.SigmoidCompute, df, target="k", loss=binomial, fixed=fixed)
            boot = js.bootstrap(full, n=args.resamples, seed=r)
        boot_warned += any(issubclass(w.category, js.FitWarning) for w in caught)
        intervals = boot.intervals(0.95)
        boot_rows.append({name: np.sign(TRUTH[name] - np.clip(TRUTH[name], intervals.loc[name, "lo"], intervals.loc[name, "hi"]))
                          for name in FREE} | {f"width_{n}": intervals.loc[n, "hi"] - intervals.loc[n, "lo"] for n in FREE})
    boot_seconds = time.perf_counter() - began

    began = time.perf_counter()
    nuts_rows, nuts_warned, divergences = [], 0, 0
    for r in range(args.infer_replicates):
        df = curve_frame(np.random.default_rng([13, r]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", js.FitWarning)
            warnings.simplefilter("ignore", RuntimeWarning)  # numpyro's ESS of the fixed floor: 0 / 0
            posterior = js.infer(js.laws.SigmoidCompute, df, target="k", likelihood=binomial, fixed=fixed,
                                 n_warmup=300, n_samples=500, n_chains=2, seed=r)
            summary = posterior.summary(level=0.9)
        nuts_warned += any(issubclass(w.category, js.FitWarning) for w in caught)
        divergences += posterior.divergences
        nuts_rows.append({name: np.sign(TRUTH[name] - np.clip(TRUTH[name], summary.loc[name, "q0.05"], summary.loc[name, "q0.95"]))
                          for name in FREE} | {f"width_{n}": summary.loc[n, "q0.95"] - summary.loc[n, "q0.05"] for n in FREE})
        if (r + 1) % 50 == 0:
            print(f"infer: {r + 1} replicates, {time.perf_counter() - began:.0f} s", flush=True)
    nuts_seconds = time.perf_counter() - began

    lines = [
        header("Recovery of a floored sigmoid from Binomial counts", boot_seconds + nuts_seconds),
        "",
        f"SigmoidCompute(floor {FLOOR} held fixed, ceiling {TRUTH['ceiling']}, slope {TRUTH['slope']}, log_c50 "
        f"{TRUTH['log_c50']:.3f} = log 1e21); {len(COMPUTE)} compute levels log-spaced over 1e18-1e24 FLOPs, {TRIALS} "
        f"trials each, k ~ Binomial; a fresh draw per replicate. Cells: replicates whose interval holds the true value "
        f"(share ± its binomial standard error); misses: truth below / above the interval; width: median interval width.",
        "",
        "| method | ceiling | slope | log_c50 | misses below / above (ceiling, slope, log_c50) | median width (ceiling, slope, log_c50) | time (s) | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, rows, seconds, note in (
        (f"fit(loss=Binomial) + bootstrap(n={args.resamples}), 95% percentile interval (target >= 90 of 100)",
         boot_rows, boot_seconds, f"fits or bootstraps with a FitWarning: {boot_warned}; time includes compiling (once)"),
        ("infer(likelihood=Binomial), NUTS 2 x (300 + 500), 90% central interval (target 85-95%)",
         nuts_rows, nuts_seconds,
         f"default priors (Uniform(0, 1) ceiling, LogNormal(0, 5) slope, Normal(0, 10) log_c50); replicates with a "
         f"FitWarning (r_hat > 1.01, ESS < 400 or divergences): {nuts_warned}; divergences in all: {divergences}; "
         f"JAX persistent compilation cache on (infer recompiles NUTS on every call)"),
    ):
        frame = pd.DataFrame(rows)
        total = len(frame)
        cells = [coverage_cell(int(np.sum(frame[n] == 0)), total) for n in FREE]
        misses = ", ".join(f"{int(np.sum(frame[n] < 0))}/{int(np.sum(frame[n] > 0))}" for n in FREE)
        widths = ", ".join(f"{frame[f'width_{n}'].median():.3g}" for n in FREE)
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {misses} | {widths} | {seconds:.0f} | {note} |")
    return "\n".join(lines) + "\n"


# 2. Per-problem counts --------------------------------------------------------------------------------------


def pass_at_k_closed(k, a, b):
    """Expected pass@k of problems with Beta(a, b) success probabilities: 1 - B(a, b + k) / B(a, b)."""
    return -np.expm1(betaln(a, b + np.asarray(k, float)) - betaln(a, b))


def chen_pass_at_k(successes: np.ndarray, n: int, k: np.ndarray) -> np.ndarray:
    """Chen et al. 2021's unbiased pass@k per problem, 1 - C(n - c, k) / C(n, k), averaged over problems: (len(k),)."""
    c = successes[:, None].astype(float)
    k = np.asarray(k, float)[None, :]
    log_ratio = gammaln(n - c + 1) - gammaln(n - c - k + 1) - gammaln(n + 1) + gammaln(n - k + 1)
    failure = np.where(n - c >= k, np.exp(np.where(n - c >= k, log_ratio, 0.0)), 0.0)
    return np.mean(1.0 - failure, axis=0)


def power_law_exponent(k: np.ndarray, pass_k: np.ndarray) -> float:
    """Least squares of log(-log pass@k) on log k: -log pass@k ~ c k^(-exponent) (Schaeffer et al. 2025)."""
    slope, _ = np.polyfit(np.log(k), np.log(-np.log(pass_k)), 1)
    return float(-slope)


def count_replicates(seeds: int, problems: int) -> tuple[pd.DataFrame, list[float]]:
    """One BetaBinomial fit per seed to `problems` x SAMPLES counts: estimates, the oracle and pass@k."""
    from scipy.stats import beta as beta_dist

    likelihood = js.BetaBinomial(trials="n")
    rows, fit_seconds = [], []
    for seed in range(seeds):
        rng = np.random.default_rng([2025, problems, seed])
        p = rng.beta(BETA_A, BETA_B, problems)
        k = rng.binomial(SAMPLES, p)
        df = pd.DataFrame({"problem": np.arange(problems, dtype=float), "k": k, "n": SAMPLES})
        began = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", js.FitWarning)
            result = js.fit(ConstantRate, df, target="k", loss=likelihood)
        fit_seconds.append(time.perf_counter() - began)
        mean, concentration = float(result.law.p), float(result.noise["concentration"])
        a_hat, b_hat = mean * concentration, (1 - mean) * concentration
        oracle_a, oracle_b, _, _ = beta_dist.fit(p, floc=0.0, fscale=1.0)  # the p_i themselves: sampling error alone
        empirical = chen_pass_at_k(k, SAMPLES, LS_K)
        row = {"a": a_hat, "b": b_hat, "oracle_a": oracle_a, "oracle_b": oracle_b, "status": result.best_status,
               "warned": bool(caught), "ls_exponent": power_law_exponent(LS_K, empirical)}
        for kk in PASS_K:
            row[f"fit_{kk}"] = float(js.BetaBinomial.pass_at_k(kk, a_hat, b_hat))
            row[f"sample_{kk}"] = float(np.mean(-np.expm1(kk * np.log1p(-p))))  # these problems' own expectation
            if kk <= SAMPLES:
                row[f"chen_{kk}"] = float(chen_pass_at_k(k, SAMPLES, np.array([kk]))[0])
        rows.append(row)
    return pd.DataFrame(rows), fit_seconds


def counts(args) -> str:
    began = time.perf_counter()
    frame, fit_seconds = count_replicates(args.seeds, PROBLEMS)
    larger, _ = count_replicates(args.seeds, 10 * PROBLEMS)
    seconds = time.perf_counter() - began
    true_curve_exponent = power_law_exponent(LS_K, pass_at_k_closed(LS_K, BETA_A, BETA_B))
    S = len(frame)

    def rel(x, truth):
        return np.abs(np.asarray(x) / truth - 1)

    def within(x, truth):
        return f"{int(np.sum(rel(x, truth) <= 0.1))} / {S}"

    lines = [
        header("Per-problem pass counts: BetaBinomial", seconds),
        "",
        f"{PROBLEMS} problems x {SAMPLES} samples, p_i ~ Beta(a={BETA_A}, b={BETA_B}) (mean success rate "
        f"{BETA_A / (BETA_A + BETA_B):.4f}; Schaeffer et al. 2025 report per-problem Beta fits with a of a few tenths "
        f"and b of a few to ten), k_i ~ Binomial(100, p_i); {S} seeds, every seed reported. BetaBinomial fit of a "
        f"constant law (p in (0, 1); a = p * concentration, b = (1 - p) * concentration), defaults (2048 starts, "
        f"DampedNewton): best restart {frame['status'].value_counts().to_dict()}, {int(frame['warned'].sum())} fits "
        f"warned, {np.median(fit_seconds[1:] or fit_seconds):.2f} s median per fit after the first (which compiles: {fit_seconds[0]:.1f} s). "
        f"'Oracle': the Beta MLE from the 300 true p_i (scipy.stats.beta.fit), the error that 300 problems leave "
        f"even with infinitely many samples each. The 3,000-problem rows (same seeds count) show the error shrink with "
        f"the number of problems; the tables below are for {PROBLEMS} problems.",
        "",
        "| quantity | truth | within 10% | median relative error | median estimate | oracle within 10% | oracle median relative error |",
        "|---|---|---|---|---|---|---|",
    ]
    for problems, table in ((PROBLEMS, frame), (10 * PROBLEMS, larger)):
        for name, truth in (("a", BETA_A), ("b", BETA_B)):
            lines.append(
                f"| {name}, {problems:,} problems | {truth} | {within(table[name], truth)} | {np.median(rel(table[name], truth)):.3f} | "
                f"{table[name].median():.3f} | {within(table['oracle_' + name], truth)} | "
                f"{np.median(rel(table['oracle_' + name], truth)):.3f} |"
            )
    lines += [
        "",
        "pass@k implied by the fitted (a, b) against the closed form 1 - B(a, b+k)/B(a, b) of the true (a, b); median "
        f"over the {S} seeds of |relative error| of pass@k and of the failure rate 1 - pass@k; beside it the empirical "
        f"pass@k (Chen et al.'s unbiased estimator, mean over problems; k <= {SAMPLES} only), and the expected pass@k "
        f"of the very 300 p_i drawn, mean of 1 - (1 - p_i)^k (what sampling the problems alone leaves).",
        "",
        "| k | true pass@k | fitted: median pass@k | fitted: median rel. error pass@k | fitted: median rel. error 1 - pass@k | "
        "empirical: median rel. error pass@k | the 300 p_i's own pass@k: median rel. error pass@k / 1 - pass@k |",
        "|---|---|---|---|---|---|---|",
    ]
    for kk in PASS_K:
        truth = float(pass_at_k_closed(kk, BETA_A, BETA_B))
        fitted = frame[f"fit_{kk}"]
        chen = f"{np.median(rel(frame[f'chen_{kk}'], truth)):.2e}" if kk <= SAMPLES else "-"
        lines.append(
            f"| {kk:,} | {truth:.5f} | {fitted.median():.5f} | {np.median(rel(fitted, truth)):.2e} | "
            f"{np.median(rel(1 - fitted, 1 - truth)):.3f} | {chen} | {np.median(rel(frame[f'sample_{kk}'], truth)):.2e} / "
            f"{np.median(rel(1 - frame[f'sample_{kk}'], 1 - truth)):.3f} |"
        )
    a_err = frame["a"] / BETA_A - 1
    ls_err = frame["ls_exponent"] / BETA_A - 1
    ls_vs_curve = frame["ls_exponent"] / true_curve_exponent - 1
    lines += [
        "",
        f"Power-law exponent. For p ~ Beta(a, b), 1 - pass@k = B(a, b+k)/B(a, b) ~ Gamma(a+b)/Gamma(b) k^(-a), and "
        f"-log pass@k = -log(1 - (1 - pass@k)) ~ 1 - pass@k for large k, so -log pass@k ~ c k^(-a): the exponent "
        f"Schaeffer et al. fit is the Beta's a = {BETA_A} (not b). The least-squares fit of log(-log pass@k) on log k "
        f"over k = 1..{LS_K[-1]} of the TRUE pass@k curve gives {true_curve_exponent:.4f}: at these k the curve has "
        f"not reached its asymptote, so that estimator is biased even without noise.",
        "",
        "| estimator of the exponent | median estimate | median relative error vs a | median signed error vs a | "
        "within 10% of a | note |",
        "|---|---|---|---|---|---|",
        f"| BetaBinomial fit: a_hat | {frame['a'].median():.4f} | {np.median(np.abs(a_err)):.3f} | {np.median(a_err):+.3f} | "
        f"{within(frame['a'], BETA_A)} | all 300 x 100 counts, k unlimited |",
        f"| least squares on log(-log pass@k) vs log k, k = 1..{LS_K[-1]} (empirical pass@k) | {frame['ls_exponent'].median():.4f} | "
        f"{np.median(np.abs(ls_err)):.3f} | {np.median(ls_err):+.3f} | {within(frame['ls_exponent'], BETA_A)} | "
        f"against the same fit on the true curve ({true_curve_exponent:.4f}): median relative error "
        f"{np.median(np.abs(ls_vs_curve)):.3f} |",
    ]
    return "\n".join(lines) + "\n"


# 3. Speed ---------------------------------------------------------------------------------------------------


def many_curves(n_curves: int, n_points: int, trials: int, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    lo, hi = np.log(1e18), np.log(1e24)
    x = np.linspace(lo, hi, n_points)
    truths = pd.DataFrame({
        "ceiling": rng.uniform(0.6, 0.95, n_curves), "slope": rng.uniform(0.5, 2.0, n_curves),
        "log_c50": rng.uniform(lo + 2.0, hi - 2.0, n_curves),
    })
    p = FLOOR + (truths["ceiling"].to_numpy()[:, None] - FLOOR) * expit(
        truths["slope"].to_numpy()[:, None] * (x[None, :] - truths["log_c50"].to_numpy()[:, None]))
    k = rng.binomial(trials, p)
    frame = pd.DataFrame({
        "curve": np.repeat(np.arange(n_curves), n_points), "C": np.tile(np.exp(x), n_curves),
        "k": k.reshape(-1), "n": trials,
    })
    return frame, truths


def binomial_nll(theta, x, k, n, log_choose):
    """The Binomial negative log-likelihood of the floored sigmoid (floor fixed) and its gradient, as jaxscale's."""
    ceiling, slope, log_c50 = theta
    s = expit(slope * (x - log_c50))
    p = FLOOR + (ceiling - FLOOR) * s
    value = -np.sum(log_choose + xlogy(k, p) + xlog1py(n - k, -p))
    dp = -(k / p) + (n - k) / (1.0 - p)
    ds = (ceiling - FLOOR) * s * (1.0 - s)
    grad = np.array([dp @ s, dp @ (ds * (x - log_c50)), -slope * np.sum(dp * ds)])
    return value, grad


def screened_values(starts, x, k, n, log_choose):
    """The objective at many starts at once, (starts,)."""
    ceiling, slope, log_c50 = starts[:, :1], starts[:, 1:2], starts[:, 2:3]
    p = FLOOR + (ceiling - FLOOR) * expit(slope * (x[None] - log_c50))
    return -np.sum(log_choose + xlogy(k, p) + xlog1py(n - k, -p), axis=1)


def scipy_fit(x, k, n, rng, clock, n_starts=js.laws.SigmoidCompute.default_n_starts, max_refine=16, agree=3, rtol=1e-6):
    """The same multi-start strategy as jaxscale's default, in a serial loop: `n_starts` random starts over the
    start ranges of `sigmoid_start_ranges` (on the accuracies k / n), screened in one vectorized evaluation,
    then L-BFGS-B (analytic gradient, default options) from the best screened, in order, until `agree`
    refinements agree within `rtol` on the lowest objective or `max_refine` have run (agree=None: all of them)."""
    began = time.perf_counter()
    log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
    y = k / n
    span = np.ptp(x)
    starts = np.column_stack([
        rng.uniform(y.max(), 1.0, n_starts),
        np.exp(rng.uniform(np.log(0.1 * 4.4 / span), np.log(100 * 4.4 / span), n_starts)),
        rng.uniform(x.min() - span / 2, x.max() + span / 2, n_starts),
    ])
    starts[:, 0] = np.clip(starts[:, 0], 1e-6, 1 - 1e-6)
    order = np.argsort(screened_values(starts, x, k, n, log_choose))
    clock["screening"] += time.perf_counter() - began
    bounds = [(1e-9, 1 - 1e-9), (1e-9, None), (None, None)]
    ends = []
    for i in order[:max_refine]:
        out = minimize(binomial_nll, starts[i], args=(x, k, n, log_choose), jac=True, method="L-BFGS-B", bounds=bounds)
        if np.isfinite(out.fun):
            ends.append((out.fun, out.x))
        values = np.array([v for v, _ in ends])
        if agree and len(values) and np.sum(values <= values.min() + rtol * abs(values.min())) >= agree:
            break
    best = min(ends, key=lambda e: e[0])
    return best[0], best[1], len(ends)


class CompileListener:
    """Adds up the tracing and compiling JAX does while it is active (per thread; the longest thread counts)."""

    EVENTS = ("jaxpr_trace_duration", "jaxpr_to_mlir_module_duration", "backend_compile_duration")

    def __enter__(self):
        self.per_thread = defaultdict(float)
        jax.monitoring.register_event_duration_secs_listener(self._listen)
        return self

    def _listen(self, event, duration, **kwargs):
        if event.rsplit("/", 1)[-1] in self.EVENTS:
            self.per_thread[threading.get_ident()] += duration

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self._listen)

    @property
    def seconds(self) -> float:
        return max(self.per_thread.values(), default=0.0)


def speed(args) -> str:
    section_began = time.perf_counter()
    n_curves = args.curves
    frame, _ = many_curves(n_curves, 20, TRIALS)
    fractions = frame.assign(acc=frame["k"] / frame["n"])
    binomial = js.Binomial(trials="n")
    fixed = {"floor": FLOOR}
    settings = {
        "defaults (counts target)": (frame, "k", binomial, {}),
        "defaults, fractions=True target": (fractions, "acc", js.Binomial(trials="n", fractions=True), {}),
        "n_refine=4": (frame, "k", binomial, dict(n_refine=4)),
        # Not a fit: the default screening and one Newton step of one restart, the floor under the defaults.
        "screening only (DampedNewton(max_steps=1), n_refine=1)": (
            frame, "k", binomial, dict(solver=js.solvers.DampedNewton(max_steps=1), n_refine=1)),
    }
    def run_fit(label):
        data, target, loss, options = settings[label]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", js.FitWarning)  # curves whose ceiling is past the data: on its bound
            began, cpu = time.perf_counter(), time.process_time()
            result = js.fit(js.laws.SigmoidCompute, data, target=target, loss=loss, fixed=fixed, by="curve", **options)
        return time.perf_counter() - began, time.process_time() - cpu, result

    x_all = np.log(frame["C"].to_numpy()).reshape(n_curves, -1)
    k_all = frame["k"].to_numpy(float).reshape(n_curves, -1)
    n_all = frame["n"].to_numpy(float).reshape(n_curves, -1)
    peers = {  # label -> the stop rule: stop once 3 agree (jaxscale's stop_when_agreed=3), or refine all 16
        "scipy L-BFGS-B loop, same strategy (stop once 3 agree)": 3,
        "scipy L-BFGS-B loop, all 16 best-screened refined": None,
    }

    def run_scipy(agree):
        rng, clock = np.random.default_rng(0), defaultdict(float)
        values, refined = np.empty(n_curves), np.empty(n_curves)
        began = time.perf_counter()
        for g in range(n_curves):
            values[g], _, refined[g] = scipy_fit(x_all[g], k_all[g], n_all[g], rng, clock, agree=agree)
        return time.perf_counter() - began, clock["screening"], values, refined

    firsts = {label: run_fit(label) for label in settings}  # compiles
    warm, scipy_runs = defaultdict(list), defaultdict(list)
    # Rounds: every setting once per round, and the scipy loops in the first rounds, so that the other jobs
    # sharing the machine weigh on all of them alike; each keeps its fastest round.
    for round_ in range(max(args.repeats, args.scipy_repeats)):
        if round_ < args.repeats:
            for label in settings:
                warm[label].append(run_fit(label))
        if round_ < args.scipy_repeats:
            for label, agree in peers.items():
                scipy_runs[label].append(run_scipy(agree))
                print(f"{label}: {scipy_runs[label][-1][0]:.1f} s", flush=True)
    runs = {}
    for label in settings:
        wall, cpu, result = min(warm[label], key=lambda r: r[0])
        steps = np.asarray(result.steps)
        runs[label] = dict(result=result, first_call=firsts[label][0], compile=firsts[label][2].compile_seconds, warm=wall,
                           cpu=cpu, engine=result.seconds,
                           steps=float(np.median(steps[np.asarray(result.status) == js.RESULTS.converged])))
        print(f"{label}: warm {wall:.2f} s", flush=True)
    scipy_best = {label: min(r, key=lambda x: x[0]) for label, r in scipy_runs.items()}
    # The reference objective per curve: the lower of the two scipy loops.
    scipy_values = np.minimum(*[r[2] for r in scipy_best.values()])

    nuts = nuts_one_curve()
    seconds = time.perf_counter() - section_began

    lines = [
        header(f"Speed: {n_curves:,} accuracy curves, Binomial, and NUTS on one curve", seconds),
        "",
        f"{n_curves:,} curves of 20 points (log-spaced over 1e18-1e24 FLOPs, {TRIALS} trials each) from SigmoidCompute "
        f"with floor {FLOOR} (held fixed), ceiling U(0.6, 0.95), slope U(0.5, 2), log_c50 U(log 1e18 + 2, log 1e24 - 2). "
        f"jaxscale: one `fit(SigmoidCompute, df, target='k', loss=Binomial(trials='n'), fixed={{'floor': 0.25}}, "
        f"by='curve')`, the law's default starts ({js.laws.SigmoidCompute.default_n_starts} Sobol per curve), DampedNewton, float64; warm = min of "
        f"{args.repeats} calls after the first (settings and the scipy loop run in interleaved rounds), whole call incl. data handling; its size buckets run side by side "
        f"on the cores, but all curves here have 20 points, one bucket (compare its process CPU time with the wall "
        f"time). scipy: a serial Python loop, one core (OPENBLAS_NUM_THREADS=1: with OpenBLAS's default threads, "
        f"L-BFGS-B's small BLAS calls use a second thread, and on this shared machine earlier runs of the same loop "
        f"took 67-76 s instead of about 9).",
        "",
        "| method | warm time (s) | speed-up of jaxscale defaults | first call (s) | objective vs scipy per curve: median rel. diff | curves where it is worse by > 1e-6 rel. | note |",
        "|---|---|---|---|---|---|---|",
    ]
    base = runs["defaults (counts target)"]["warm"]
    for label, run in runs.items():
        if label.startswith("screening only"):
            lines.append(
                f"| jaxscale fit(by='curve'), {label} | {run['warm']:.2f} | {run['warm'] / base:.2f}x | "
                f"{run['first_call']:.1f} ({run['compile']:.1f} compiling) | - | - | not a fit: the cost of screening the "
                f"default {js.laws.SigmoidCompute.default_n_starts} starts per curve (engine {run['engine']:.2f} s of the call; process CPU time {run['cpu']:.2f} s), "
                f"the floor under the rows above |"
            )
            continue
        values = np.asarray(run["result"].objective)
        diff = (values - scipy_values) / np.abs(scipy_values)
        statuses = pd.Series(np.asarray(run["result"].best_status)).value_counts().to_dict()
        lines.append(
            f"| jaxscale fit(by='curve'), {label} | {run['warm']:.2f} | {run['warm'] / base:.2f}x | "
            f"{run['first_call']:.1f} ({run['compile']:.1f} compiling) | {np.median(np.abs(diff)):.1e} | "
            f"{int(np.sum(diff > 1e-6))} | engine (compiled fit) {run['engine']:.2f} s of the call; process CPU time "
            f"{run['cpu']:.2f} s; median {run['steps']:.0f} Newton steps per converged restart; best restart per curve: {statuses} |"
        )
    jaxscale_default = np.asarray(runs["defaults (counts target)"]["result"].objective)
    for label, (wall, screening, values, refined) in scipy_best.items():
        diff = (values - scipy_values) / np.abs(scipy_values)
        lines.append(
            f"| {label} | {wall:.1f} | {wall / base:.1f}x | - | {np.median(np.abs(diff)):.1e} | "
            f"{int(np.sum((values - jaxscale_default) / np.abs(jaxscale_default) > 1e-6))} (vs jaxscale defaults) | "
            f"scipy.optimize.minimize(method='L-BFGS-B', jac=True), default options, bounds ceiling in (0, 1), slope > 0, "
            f"hand-written NumPy gradient, one BLAS thread; per curve {js.laws.SigmoidCompute.default_n_starts} random starts over the same ranges as the "
            f"law's start_ranges (on k / n), screened vectorized ({screening:.1f} s of the time), then refined "
            f"best-first: median {np.median(refined):.0f} refined per curve; min of {args.scipy_repeats} run(s) |"
        )
    lines += ["", "Objectives are compared with the lower of the two scipy loops' per curve."]
    lines += [
        "",
        f"NUTS on one curve (the recovery section's truth, {len(COMPUTE)} points x {TRIALS} trials), "
        f"`infer(SigmoidCompute, df, target='k', likelihood=Binomial(trials='n'), fixed={{'floor': 0.25}})` with its "
        f"defaults, 4 chains x (500 warm-up + 1,000 draws), chains on 2 threads. Each call in this process; 'compiling' "
        f"is JAX's tracing + compiling measured with jax.monitoring (Posterior does not expose it).",
        "",
        "| call | wall time (s) | compiling (s) | wall - compiling (s) | Posterior.seconds | min ESS (ceiling, slope, log_c50) | divergences |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, row in nuts:
        lines.append(
            f"| {label} | {row['wall']:.2f} | {row['compile']:.2f} | {row['wall'] - row['compile']:.2f} | "
            f"{row['seconds']:.2f} | {row['ess']:.0f} | {row['divergences']} |"
        )
    return "\n".join(lines) + "\n"


def nuts_one_curve() -> list:
    df = curve_frame(np.random.default_rng([13, 0]))
    out = []
    calls = ("first call (compiles its point fit and NUTS)", "second call (same shapes)", "third call",
             "JAX persistent compilation cache turned on: first call (fills it)", "cache on: second call", "cache on: third call")
    for label in calls:
        if label.startswith("JAX persistent"):
            jax.config.update("jax_compilation_cache_dir", tempfile.mkdtemp(prefix="jaxscale-observation-"))
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        with warnings.catch_warnings(), CompileListener() as compiling:
            warnings.simplefilter("ignore", RuntimeWarning)
            began = time.perf_counter()
            posterior = js.infer(js.laws.SigmoidCompute, df, target="k", likelihood=js.Binomial(trials="n"),
                                 fixed={"floor": FLOOR}, seed=len(out))
            wall = time.perf_counter() - began
            summary = posterior.summary()
        out.append((label, dict(wall=wall, compile=compiling.seconds, seconds=posterior.seconds,
                                ess=summary.loc[list(FREE), "ess"].min(), divergences=posterior.divergences)))
        print(f"NUTS {label}: {wall:.1f} s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section (repeatable)")
    parser.add_argument("--no-record", action="store_true", help="print the tables without appending them to README.md")
    parser.add_argument("--boot-replicates", type=int, default=100)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--infer-replicates", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--curves", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scipy-repeats", type=int, default=2)
    args = parser.parse_args()
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":  # the scipy loop is serial: one BLAS thread (see speed)
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]])
    if not args.only or len(args.only) > 1:  # every section in its own fresh process
        passed = [a for a in sys.argv[1:] if a not in SECTIONS and a != "--only"]
        for section in args.only or SECTIONS:
            began = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--only", section, *passed], check=True)
            print(f"section {section}: {time.perf_counter() - began:.0f} s", flush=True)
        return
    table = {"recovery": recovery, "counts": counts, "speed": speed}[args.only[0]](args)
    if args.no_record:
        print(table)
    else:
        record(table)


if __name__ == "__main__":
    main()
