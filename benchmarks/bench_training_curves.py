"""Whole loss curves under learning-rate schedules (Luo et al. 2025's 27 curves): the Multi-Power Law and the
LR-annealing law fitted per model size on the paper's fit curves, predicting the six held-out schedules; the
joint fit of all 9 curves of a size against a scipy loop of the same law and objective; and a WSD schedule
chosen by gradient through the fitted law, with bootstrap intervals. Appends its tables to benchmarks/README.md.
Run: python benchmarks/bench_training_curves.py [--quick]
"""

import datetime
import os
import platform
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
from _record import record  # noqa: E402
from scipy.optimize import least_squares, minimize  # noqa: E402
from scipy.special import huber  # noqa: E402

import jaxscale as js  # noqa: E402
from jaxscale import choose_schedule, predict_curve  # noqa: E402
from jaxscale.laws import LRAnnealing, MultiPowerLaw  # noqa: E402

SIZES = ("25M", "100M", "400M")
LAWS = {"multi_power": MultiPowerLaw, "lr_annealing": LRAnnealing}
N_KNOTS = 32
QUICK = "--quick" in sys.argv


def metrics(loss, pred) -> dict:
    """The paper's metrics on one curve."""
    err = pred - loss
    return {"R2": 1 - np.sum(err**2) / np.sum((loss - loss.mean()) ** 2), "MAE": np.mean(np.abs(err)),
            "RMSE": np.sqrt(np.mean(err**2)), "PredE": np.mean(np.abs(err) / loss), "WorstE": np.max(np.abs(err) / loss)}


def exact_loss_drop(law, lr, steps, warmup):
    """LD(t) (Multi-Power) or S2(t) (annealing) summed over every step, for the knot-error check."""
    cum = np.cumsum(lr)
    delta = np.zeros_like(lr)
    delta[1:] = lr[:-1] - lr[1:]
    delta[:warmup] = 0.0
    out = []
    for t in steps:
        k = np.arange(1, t + 1)
        if isinstance(law, MultiPowerLaw):
            g = 1 - (float(law.C) * lr[k] ** -float(law.gamma) * (cum[t] - cum[k - 1]) + 1) ** -float(law.beta)
            out.append(float(law.B) * np.sum(delta[k] * g))
        else:
            lam = float(law.lam)
            out.append(float(law.C) * np.sum(delta[k] * (1 - lam ** (t - k + 1))) / (1 - lam))
    return np.array(out)


def inputs_of(frame, law_type):
    return {c: (np.stack(frame[c].to_numpy()) if c in law_type.sequence_inputs else frame[c].to_numpy()) for c in law_type.inputs}


def accuracy(x, schedules):
    rows, knot_error = [], {}
    for name, law_type in LAWS.items():
        for size in SIZES:
            train = x[(x["size"] == size) & (x["split"] == "fit")]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", js.FitWarning)
                result = js.fit(law_type, train, loss=js.LogHuber(1e-3))
            per_curve = []
            for schedule in js.datasets.MULTIPOWER_TEST:
                test = x[(x["size"] == size) & (x["schedule"] == schedule)]
                per_curve.append(metrics(test["loss"].to_numpy(), result.predict(test)))
            mean = {k: np.mean([m[k] for m in per_curve]) for k in per_curve[0]}
            rows.append((name, size, mean, result))
            law = result.law
            errors = []
            for schedule in ("cosine_72000", "wsdld_20000_24000"):
                test = x[(x["size"] == size) & (x["schedule"] == schedule)].iloc[::4]
                s = schedules[schedule]
                lr = np.asarray(s.learning_rates())
                exact = exact_loss_drop(law, lr, test["step"].to_numpy(), s.warmup)
                xx = inputs_of(test, type(law))
                approx = np.asarray(law.loss_drop(xx) if isinstance(law, MultiPowerLaw) else law.C * law.annealing_area(xx))
                errors.append(np.max(np.abs(approx - exact)))
            knot_error[(name, size)] = max(errors)
    return rows, knot_error


def scipy_peer(frame, law_type, z_starts):
    """The same law and objective (sum of Huber_1e-3 of log loss - log prediction; scipy's 'huber' loss is twice
    it) in the same unconstrained coordinates (log of every positive parameter, logit for lam), by
    scipy.optimize.least_squares (trf, 2-point Jacobian) from the same starts, one after another."""
    x = inputs_of(frame, law_type)
    y = np.log(frame["loss"].to_numpy())
    names = law_type.parameter_names()

    def natural(z):
        p = dict(zip(names, np.exp(z)))
        if "lam" in p:
            p["lam"] = 0.9 + 0.1 / (1 + np.exp(-z[names.index("lam")]))
        return p

    def predict(p):
        s1 = x["lr_area"] ** -p["alpha"]
        if law_type is MultiPowerLaw:
            g = -np.expm1(-p["beta"] * np.log1p(p["C"] * np.maximum(x["lr_after"], 1e-12) ** -p["gamma"] * x["drop_area"]))
            return p["L0"] + p["A"] * s1 - p["B"] * np.sum(x["lr_drop"] * g, axis=1)
        s2 = np.sum(x["lr_drop"] * -np.expm1(x["drop_lag"] * np.log(p["lam"])), axis=1) / (1 - p["lam"])
        return p["L0"] + p["A"] * s1 - p["C"] * s2

    def residuals(z):
        with np.errstate(all="ignore"):
            r = np.log(predict(natural(z))) - y
        return np.where(np.isfinite(r), r, 1e3)

    best, began, evaluations = np.inf, time.perf_counter(), 0
    for z0 in z_starts:
        found = least_squares(residuals, z0, loss="huber", f_scale=1e-3, method="trf", max_nfev=2000)
        best = min(best, float(found.cost))
        # Each Jacobian by 2-point differences costs one evaluation per coordinate.
        evaluations += found.nfev + (found.njev or found.nfev) * len(z0)
    seconds = time.perf_counter() - began

    def objective(z):
        return float(np.sum(huber(1e-3, residuals(z))))

    best_lbfgs, began = np.inf, time.perf_counter()
    for z0 in z_starts:  # the paper's own optimiser for its starts: L-BFGS-B, numerical gradient
        best_lbfgs = min(best_lbfgs, float(minimize(objective, z0, method="L-BFGS-B", options={"maxiter": 2000}).fun))
    return seconds, best, time.perf_counter() - began, best_lbfgs, evaluations


def exact_peer_seconds(frame, law_type, z_starts, schedules, n_evaluations):
    """The same law as the authors' code computes it: every step's learning-rate drop summed exactly (terms of
    zero drop skipped, which changes nothing), in NumPy. One evaluation is timed (min of 3) and the time is
    extrapolated to `n_evaluations`, the count the knot-based least_squares peer needed from the same starts."""
    names = law_type.parameter_names()
    p = dict(zip(names, np.exp(np.asarray(z_starts[0]))))
    if "lam" in p:
        p["lam"] = 0.95
    parts = []
    for key, rows in frame.groupby("schedule"):
        schedule = schedules[key]
        lr = np.asarray(schedule.learning_rates())
        cum = np.cumsum(lr)
        delta = np.zeros_like(lr)
        delta[1:] = lr[:-1] - lr[1:]
        delta[: schedule.warmup] = 0.0
        k = np.flatnonzero(delta != 0)
        parts.append((rows["step"].to_numpy(), k, lr, cum, delta))

    def evaluate():
        out = []
        for t, k, lr, cum, delta in parts:
            if k.size == 0:
                out.append(np.zeros(t.size))
                continue
            before = k[None, :] <= t[:, None]
            area = np.where(before, cum[t][:, None] - cum[k - 1][None, :], 0.0)
            if law_type is MultiPowerLaw:
                g = -np.expm1(-p["beta"] * np.log1p(p["C"] * lr[k][None, :] ** -p["gamma"] * area))
                out.append(p["B"] * np.sum(np.where(before, delta[k][None, :] * g, 0.0), axis=1))
            else:
                lag = np.where(before, t[:, None] - k[None, :] + 1, 0)
                out.append(p["C"] * np.sum(np.where(before, delta[k][None, :] * -np.expm1(lag * np.log(p["lam"])), 0.0), axis=1) / (1 - p["lam"]))
        return np.concatenate(out)

    timings = []
    for _ in range(3):
        began = time.perf_counter()
        evaluate()
        timings.append(time.perf_counter() - began)
    return min(timings) * n_evaluations, min(timings)


def speed(x, sizes=SIZES):
    rows = []
    for name, law_type in LAWS.items():
        for size in sizes:
            frame = x[x["size"] == size]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", js.FitWarning)
                first = js.fit(law_type, frame, n_refine=4)
                warm = []
                for _ in range(3):
                    began = time.perf_counter()
                    result = js.fit(law_type, frame, n_refine=4)
                    warm.append(time.perf_counter() - began)
            starts = np.asarray(result.start_z)[np.asarray(result.refined)]
            # scipy's cost is 0.5 sum f_scale^2 rho(r^2 / f_scale^2) = sum Huber_delta(r): the same units as fit's objective.
            peer = scipy_peer(frame, law_type, starts)
            exact = exact_peer_seconds(frame, law_type, starts, js.datasets.multipower_schedules(), peer[-1])
            rows.append((name, size, min(warm), first.compile_seconds, result.objective, *peer, *exact))
    return rows


def choice(x, schedules, n_boot):
    rows = []
    family = js.schedules.WSD(peak=3e-4, final=3e-5, decay_fraction=0.2, shape="linear", total=24000, warmup=2160)
    same_length = {k: schedules[k] for k in ("constant_24000", "cosine_24000", "wsd_20000_24000", "wsdld_20000_24000")}
    held_out = js.schedules.WSD(peak=3e-4, final=1e-5, decay_fraction=0.3, shape="sqrt", total=24000, warmup=2160)
    for size in SIZES:
        train = x[(x["size"] == size) & (x["split"] == "fit")]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", js.FitWarning)
            boot = js.bootstrap(MultiPowerLaw, train, n=n_boot, seed=0, loss=js.LogHuber(1e-3))
        began = time.perf_counter()
        chosen = choose_schedule(boot, family, {"decay_fraction": (0.02, 0.98), "final": (1e-6, 3e-4)}, baselines=same_length)
        seconds = time.perf_counter() - began
        curve = predict_curve(boot, held_out, steps=[23999])
        rows.append((size, chosen, seconds, curve.iloc[-1], boot.n_resamples))
    return rows


def speed_table(x, sizes) -> list[str]:
    table = ["\nAll 9 curves of a size fitted jointly (one law for every schedule, LogHuber(1e-3), default starts, 4 refined "
             "restarts), warm (min of 3, whole call incl. validation and starts). scipy peers, same law, objective, coordinates "
             "and 4 starts, in a loop: `least_squares(loss='huber', f_scale=1e-3, method='trf')` (a Gauss-Newton-type peer) and "
             "`minimize(method='L-BFGS-B')` on the summed Huber (the paper's optimiser for its starts), numerical derivatives.\n",
             "The last peer computes the law as the authors' code does, every step's learning-rate drop summed exactly (no knots): one "
             "evaluation timed (min of 3), times the evaluations least_squares needed from the same starts.\n",
             "| law | size | jaxscale s (warm) | compile s | objective | least_squares s (objective) | L-BFGS-B s (objective) "
             "| speed-up vs least_squares / L-BFGS-B | least_squares, exact per-step sums: s (per evaluation) | speed-up |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, size, seconds, compile_seconds, objective, ls_s, ls_obj, lb_s, lb_obj, _, exact_s, per_eval in speed(x, sizes):
        table.append(f"| {name} | {size} | {seconds:.2f} | {compile_seconds:.1f} | {objective:.6g} | {ls_s:.2f} ({ls_obj:.6g}) | "
                     f"{lb_s:.2f} ({lb_obj:.6g}) | {ls_s / seconds:.1f}x / {lb_s / seconds:.1f}x | {exact_s:.0f} ({per_eval:.3f}) | {exact_s / seconds:.0f}x |")
    return table


def main():
    df = js.datasets.load("multipower")
    schedules = js.datasets.multipower_schedules()
    began = time.perf_counter()
    x = js.schedules.curve_inputs(df, schedules, curve="run", key="schedule", n_knots=N_KNOTS)
    inputs_seconds = time.perf_counter() - began
    machine = f"{platform.machine()}, {os.cpu_count()} cores, jax {jax.__version__}, scipy {scipy.__version__}, jaxscale {js.__version__}"
    date = datetime.date.today().isoformat()
    rows, knot_error = accuracy(x, schedules)
    table = [f"\n### Loss curves across learning-rate schedules (Luo et al. 2025), {date}, {machine}\n",
             "Fit per model size on the paper's fit curves (cosine_24000, constant_24000, wsdcon_9) with the paper's objective "
             "(sum of Huber, delta 1e-3, of log loss - log prediction: `js.LogHuber(1e-3)`), predicting the six held-out schedules; "
             "metrics per held-out curve, averaged over the six (as the paper averages them). "
             f"Inputs from `curve_inputs(..., n_knots={N_KNOTS})` ({inputs_seconds:.2f} s for all 27 curves); `knot err` = the "
             "largest |annealing term on knots - the per-step sum| over rows of cosine_72000 and wsdld_20000_24000 at the fitted parameters.\n",
             "| law | size | R² | MAE | RMSE | PredE | WorstE | knot err | fitted parameters |", "|---|---|---|---|---|---|---|---|---|"]
    for name, size, m, result in rows:
        table.append(f"| {name} | {size} | {m['R2']:.4f} | {m['MAE']:.4f} | {m['RMSE']:.4f} | {m['PredE']:.4%} | {m['WorstE']:.3%} | "
                     f"{knot_error[(name, size)]:.1e} | {result.law!r} |")
    table.append(
        "\n- Objective: the paper's (Huber delta 1e-3 on log loss), summed over the rows of the three fit curves. Starts: the paper "
        "runs L-BFGS-B on a 4-parameter surrogate (L0 + A S1^-alpha - B (3e-4 - eta)) from a 5x3x3x3 grid, sets C = 1, beta = gamma = 0.5, "
        "then AdamW (<= 200 steps, patience 20). Here the default starts solve L0, A, B (or L0, A, C) by least squares on a grid of the "
        "nonlinear parameters (alpha x C x beta x gamma = 6x5x3x3 for the Multi-Power Law, alpha x lam = 10x5 for the annealing law), "
        "keep the best 48 / 24, and refine 16 of them with Gauss-Newton (LM) to convergence. Drops during warmup are not counted; "
        "S1 includes the warmup (the code's np.cumsum(lrs)[step]). lam of the annealing law is fitted in (0.9, 1).")
    table += speed_table(x, SIZES)
    n_boot = 20 if QUICK else 100
    table += [f"\nA WSD schedule (linear decay, 24,000 steps, peak 3e-4) chosen per size by `js.choose_schedule` over decay fraction in "
              f"(0.02, 0.98) and final LR in (1e-6, 3e-4), minimising the Multi-Power Law's predicted final loss (fit curves only), "
              f"with 90% intervals from {n_boot} bootstrap refits (rows resampled; rows of a curve are correlated, so the intervals are "
              f"optimistic). `gain` = best shipped 24,000-step schedule's predicted final loss - the chosen one's, paired by resample. "
              f"`held-out` = the predicted final loss of a schedule not run (WSD, 1-sqrt decay over 30%, to 1e-5).\n",
              "| size | decay fraction | final LR | predicted final loss | best shipped (predicted) | gain | held-out schedule | choose s |",
              "|---|---|---|---|---|---|---|---|"]
    for size, chosen, seconds, held, n in choice(x, schedules, n_boot):
        iv = chosen.intervals()
        best = min(chosen.baselines, key=chosen.baselines.get)
        gain = chosen.baselines[best] - chosen.final_loss
        table.append(
            f"| {size} | {chosen.values['decay_fraction']:.3f} [{iv.loc['decay_fraction', 'lo']:.3f}, {iv.loc['decay_fraction', 'hi']:.3f}] | "
            f"{chosen.values['final']:.2e} | {chosen.final_loss:.4f} [{iv.loc['chosen_loss', 'lo']:.4f}, {iv.loc['chosen_loss', 'hi']:.4f}] | "
            f"{best} {chosen.baselines[best]:.4f} | {gain:.4f} [{iv.loc[f'gain_over_{best}', 'lo']:.4f}, {iv.loc[f'gain_over_{best}', 'hi']:.4f}] | "
            f"{held['loss']:.4f} [{held['lo']:.4f}, {held['hi']:.4f}] | {seconds:.1f} |")
    record("\n".join(table) + "\n")


if __name__ == "__main__":
    if "--speed" in sys.argv:  # the speed table alone, for one size
        frame = js.schedules.curve_inputs(js.datasets.load("multipower"), js.datasets.multipower_schedules(), curve="run", key="schedule", n_knots=N_KNOTS)
        record("\n".join([f"\n### Loss-curve fit speed, {datetime.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores"] + speed_table(frame, ("100M",))) + "\n")
    else:
        main()
