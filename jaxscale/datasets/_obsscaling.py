"""The ObsScaling table of Ruan, Maddison and Hashimoto 2024 ("Observational Scaling Laws and the Predictability
of Language Model Performance"): public base models x benchmarks, with family and training compute.

Three byte-for-byte copies of the repository's `eval_results/` files, Apache-2.0 (obsscaling.PROVENANCE.md),
joined here on the model's Hugging Face id.
"""

from importlib import resources

import numpy as np
import pandas as pd

# The 8 standard benchmarks the paper extracts its principal capability measures from.
OBSSCALING_BENCHMARKS = ("MMLU", "ARC-C", "HellaSwag", "Winograd", "TruthfulQA", "GSM8K", "XWinograd", "HumanEval")
# The paper's default hold-out: train on models of at most 8.4e22 FLOPs (Llama-2-7B), predict the larger ones.
OBSSCALING_CUTOFF = 8.4e22
# The 21 families the repository evaluated itself and keeps by default (utils/constants.py).
OBSSCALING_FAMILIES = (
    "Llama-2", "Llama", "Llama-3", "Qwen1.5", "Qwen", "Mistral", "Mixtral", "Yi", "Gemma", "Falcon", "Phi", "Pythia",
    "BLOOM", "GPT-Neo/J", "OPT", "MPT", "XGLM", "CodeLlama", "StarCoder", "StarCoder2", "DeepSeek-Coder",
)
# Chance accuracy of the scores that have one (multiple choice); generation tasks (GSM8K, HumanEval, MATH, IFEval,
# exact-match BIG-bench tasks) have 0. BBH and MuSR mix option counts per subtask: no single chance level.
OBSSCALING_CHANCE = {
    "MMLU": 0.25, "ARC-C": 0.25, "HellaSwag": 0.25, "Winograd": 0.5, "XWinograd": 0.5, "GSM8K": 0.0, "HumanEval": 0.0,
    "leaderboard_gpqa": 0.25, "leaderboard_mmlu_pro": 0.1, "leaderboard_math_hard": 0.0, "leaderboard_ifeval": 0.0,
    "word_unscrambling_2_exact_match": 0.0,
}
_FILES = ("obsscaling_base_llm_benchmark_eval.csv", "obsscaling_base_llm_leaderboard_v2_eval.csv", "obsscaling_base_llm_emergent_capability_eval.csv")


def obsscaling() -> pd.DataFrame:
    """One row per base model (148): `model`, `family`, `N` (parameters), `D` (tokens), `C` (training FLOPs, NaN
    for the 25 models whose size or data is unpublished), `evaluated_family` (one of `OBSSCALING_FAMILIES`), the 8
    `OBSSCALING_BENCHMARKS`, the 6 Open LLM Leaderboard v2 scores and the 8 BIG-bench emergent-task scores
    (NaN where the source has none).

    >>> table = obsscaling()
    >>> table.shape, int(table["C"].isna().sum()), float(table.loc[table["model"] == "meta-llama/Llama-2-7b-hf", "C"].iloc[0])
    ((148, 28), 25, 8.4e+22)
    """
    base, leaderboard, emergent = (pd.read_csv(resources.files(__package__).joinpath(name)) for name in _FILES)
    frame = pd.DataFrame({
        "model": base["Model"], "family": base["Model Family"], "N": base["Model Size (B)"] * 1e9,
        "D": base["Pretraining Data Size (T)"] * 1e12, "C": base["FLOPs (1E21)"] * 1e21,
        "evaluated_family": base["Model Family"].isin(OBSSCALING_FAMILIES).to_numpy(),
    })
    frame = pd.concat([frame, base[list(OBSSCALING_BENCHMARKS)]], axis=1)
    frame = frame.merge(leaderboard.rename(columns={"Model": "model"}), on="model", how="left")
    frame = frame.merge(emergent.rename(columns={"Model": "model"}), on="model", how="left")
    if frame["model"].duplicated().any() or len(frame) != len(base):
        raise ValueError("obsscaling: the shipped files repeat a model id; the join would duplicate rows.")
    frame["evaluated_family"] = frame["evaluated_family"].astype(bool)
    assert np.isfinite(frame[list(OBSSCALING_BENCHMARKS)].fillna(0.0).to_numpy()).all()
    return frame
