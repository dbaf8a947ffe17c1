"""Gemstones cooldowns (McLeish et al. 2025, arXiv:2502.06857): a schedule-aware fit of whole curves against the
final-point-only Chinchilla fit, predicting the longest cooldown run of every model.

Data (/work/shared/data/gemstones, MIT): per model, a constant-learning-rate trunk with a checkpoint every 10B
tokens (`hot`, steps 2385 k), and cooldowns branched from the trunk at 10B, 20B, ..., 90B (100B) tokens: the
learning rate "linearly decreased to 0 over 10% of the current training tokens" (the Gemstone model cards), so a
cooldown from step b ends at step 1.1 b (`cool_begin` / `cool_end`). Each cooldown is one completed run whose final
loss is a "final point".

Held out: each model's longest cooldown (from 90B tokens, ending at ~99B; 100B -> 110B where present).
(a) Chinchilla L = E + A/N^alpha + B/D^beta fitted to the final losses of every other cooldown run of all models;
    and, per model, its data term E + B/D^beta fitted to that model's own 8-9 other final losses.
(b) The Multi-Power Law and the LR-annealing law, one fit per model to that model's whole curves: the trunk up to
    the held-out branch point (a trunk you would have anyway; also without that point) and its shorter cooldowns
    (two points each: the branch point and the end). They never see the held-out cooldown's end.
The peak learning rate and warmup are not in the data: a nominal peak of 3e-4 and 100 warmup steps are used. A
per-model fit is invariant to the peak (S1 scales, which A absorbs; B and C absorb the drop term's scale).

Run: python benchmarks/schedule_vs_final_point.py
"""

import time
import warnings

import numpy as np
import pandas as pd
from _record import record

import jaxscale as js
from jaxscale import schedules as S

DATA = "/work/shared/data/gemstones/wandb_dfs/wandb_df_for_fitting_{}.jsonl"
PEAK, WARMUP = 3e-4, 100


def load(variant: str) -> pd.DataFrame:
    raw = pd.read_json(DATA.format(variant), lines=True)
    return pd.DataFrame({"model": raw["run_name"].str.replace("PyGemma-", "").str.replace("_pretrain", ""),
                         "N": raw["params_active_precise"].astype(float), "D": raw["tokens"].astype(float),
                         "step": raw["step"].astype(int), "loss": raw["final_loss"]})


def curves() -> tuple[pd.DataFrame, dict]:
    """Every model's trunk and cooldown curves, each with its schedule; `held_out` marks the longest cooldown's end."""
    hot, begin, end = load("hot"), load("cool_begin"), load("cool_end")
    models = sorted(set(begin["model"]))
    rows, schedules = [], {}
    for model in models:
        b, e = begin[begin.model == model].sort_values("step"), end[end.model == model].sort_values("step")
        last = int(b["step"].max())
        trunk = hot[(hot.model == model) & (hot.step <= last)].assign(run=f"{model}/trunk", kind="trunk")
        # The trunk's last checkpoint may sit a few steps after the cooldown's start (23850 vs 23840): cap it.
        schedules[f"{model}/trunk"] = S.Constant(peak=PEAK, total=int(trunk["step"].max()) + 1, warmup=WARMUP)
        rows.append(trunk)
        for (_, start), (_, stop) in zip(b.iterrows(), e.iterrows()):
            run = f"{model}/cool_{int(start.step)}"
            length = int(stop.step) + 1
            schedules[run] = S.WSD(peak=PEAK, final=0.0, decay_fraction=(int(stop.step) - int(start.step)) / (length - WARMUP),
                                   shape="linear", total=length, warmup=WARMUP)
            pair = pd.DataFrame([start, stop]).assign(run=run, kind=["branch", "end"])
            rows.append(pair)
    frame = pd.concat(rows, ignore_index=True)
    longest = frame[frame.kind == "end"].groupby("model")["step"].transform("max")
    frame["held_out"] = (frame.kind == "end") & (frame["step"] == longest.reindex(frame.index))
    return frame, schedules


def errors(pred, loss) -> dict:
    rel = np.abs(pred - loss) / loss
    return {"MAE": np.mean(np.abs(pred - loss)), "ARE": np.mean(rel), "WorstE": np.max(rel)}


def main() -> None:
    frame, schedules = curves()
    target = frame[frame.held_out]
    held_runs = set(frame.loc[frame.held_out, "run"])
    results, seconds = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        # (a) final points only: every completed cooldown run but the held-out ones.
        finals = frame[(frame.kind == "end") & ~frame.held_out]
        began = time.perf_counter()
        chinchilla = js.fit("chinchilla", finals[["N", "D", "loss"]])
        seconds["chinchilla"] = time.perf_counter() - began
        results["Chinchilla, final points"] = chinchilla.predict(target)
        # (a') the same Chinchilla fit, also given the constant-LR trunk checkpoints (what a final-point fit
        # would misuse: those are not ends of a decayed run).
        trunk_too = pd.concat([finals, frame[frame.kind == "trunk"]])[["N", "D", "loss"]]
        results["Chinchilla, finals + trunk"] = js.fit("chinchilla", trunk_too).predict(target)
        # (a'') Chinchilla's data term per model, L = E + B / D^beta (N fixed), on that model's own final points:
        # the same runs the schedule-aware fit sees, but one loss per completed run.
        own = js.fit("power_law", finals.rename(columns={"D": "x"}), by="model")
        results["E + B/D^beta per model, own final points"] = own.predict(target.rename(columns={"D": "x"}))
        # (b) schedule-aware: per model, the trunk and the shorter cooldowns (the held-out run is dropped whole).
        x = S.curve_inputs(frame, schedules, curve="run")
        test = x[x.held_out]
        # With the held-out branch point (the trunk's loss where the cooldown starts), and without it (the
        # trunk ends at the checkpoint before).
        trains = {"whole curves": x[~x.held_out], "whole curves, no branch point": x[~x["run"].isin(held_runs)]}
        for name, law in (("Multi-Power Law", "multi_power"), ("LR annealing", "lr_annealing")):
            for data, train in trains.items():
                began = time.perf_counter()
                fit = js.fit(law, train, by="model", n_refine=8)
                seconds.setdefault(name, time.perf_counter() - began)
                results[f"{name}, {data}"] = fit.predict(test)
    loss = target["loss"].to_numpy()
    lines = [
        "### Gemstones cooldowns: schedule-aware whole-curve fits vs the final-point Chinchilla fit "
        "(`benchmarks/schedule_vs_final_point.py`)", "",
        f"Held out: each of the {len(target)} models' longest cooldown run (to ~99B or 110B tokens; loss "
        f"{loss.min():.3f}-{loss.max():.3f}). Chinchilla sees the final losses of the other {len(finals)} cooldown runs; "
        "the schedule-aware laws see, per model, the constant-LR trunk up to the held-out branch point (or, 'no branch "
        "point', to the checkpoint before) and the shorter cooldowns (branch point + end), never the held-out end. ARE = mean |pred - loss| / loss (the Hitchhiker's-guide "
        "metric), WorstE = max.", "",
        "| fit | data | MAE | ARE | WorstE |", "|---|---|---|---|---|",
    ]
    for name, pred in results.items():
        m = errors(np.asarray(pred), loss)
        law, _, data = name.partition(", ")
        lines.append(f"| {law} | {data} | {m['MAE']:.4f} | {m['ARE']:.3%} | {m['WorstE']:.3%} |")
    per_model = pd.DataFrame({"model": target["model"], "loss": loss} | {k: np.asarray(v) for k, v in results.items()})
    worst = per_model.assign(gap=np.abs(per_model["Multi-Power Law, whole curves"] - per_model["loss"])).nlargest(1, "gap").iloc[0]
    lines += ["", f"Fit time: Chinchilla {seconds['chinchilla']:.1f} s; Multi-Power Law {seconds['Multi-Power Law']:.1f} s and "
              f"LR annealing {seconds['LR annealing']:.1f} s for {target['model'].nunique()} per-model fits (compile included). "
              f"The Multi-Power Law's worst model is {worst['model']} (loss {worst['loss']:.3f}, predicted "
              f"{worst['Multi-Power Law, whole curves']:.3f}). Nominal peak LR {PEAK:g} and warmup {WARMUP} steps "
              "(not in the data; a per-model fit is invariant to the peak).",
              "", "Read honestly: most of the gap to the cross-model Chinchilla fit is per-model vs cross-model (Gemstones vary "
              "width and depth at similar N), not the schedule: the per-model E + B/D^beta on final points alone reaches "
              f"{errors(np.asarray(results['E + B/D^beta per model, own final points']), loss)['ARE']:.3%} ARE against the "
              f"Multi-Power Law's {errors(np.asarray(results['Multi-Power Law, whole curves']), loss)['ARE']:.3%}. The "
              "schedule-aware law's gain is using the free constant-LR trunk and predicting cooldowns never run."]
    record("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
