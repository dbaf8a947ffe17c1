"""The OLMo model ladder of Bhagia et al. 2024 ("Establishing Task Scaling Laws via Compute-Efficient Model
Ladders", arXiv:2412.04403): the 16 ladder runs the paper's main result fits and its 7B-4T and 13B-5T targets,
every evaluated checkpoint, with task loss (bits per byte) and accuracy on its 8 tasks. Apache-2.0 (see
olmo_ladder.PROVENANCE.md)."""

from importlib import resources

import numpy as np
import pandas as pd

# The paper's 8 tasks (5-shot, RC format), short name -> the source's column suffix.
OLMO_TASK_COLUMNS = {
    "mmlu": "mmlu_avg_test", "hellaswag": "hellaswag_val", "arc_challenge": "arc_challenge_test",
    "arc_easy": "arc_easy_test", "piqa": "piqa_val", "csqa": "csqa_val", "socialiqa": "socialiqa_val",
    "openbookqa": "openbookqa_test",
}
OLMO_TASKS = tuple(OLMO_TASK_COLUMNS)
# Chance accuracy (the ladder code's `task_min`, the floor its step-2 sigmoid starts from): PIQA has two
# options, SocialIQA three, CommonsenseQA five, the others four.
OLMO_CHANCE = {task: 0.25 for task in OLMO_TASKS} | {"piqa": 0.5, "socialiqa": 1 / 3, "csqa": 0.2}
# Items per evaluation set (public split sizes), the trials of a count likelihood for the accuracy. MMLU is
# its 4 test subsets together (14,042 questions).
OLMO_ITEMS = {"mmlu": 14042, "hellaswag": 10042, "arc_challenge": 1172, "arc_easy": 2376, "piqa": 1838,
              "csqa": 1221, "socialiqa": 1954, "openbookqa": 500}
OLMO_TARGETS = ("7B-4T", "13B-5T")


def load_olmo_ladder() -> pd.DataFrame:
    """One row per (run, evaluated checkpoint) of the OLMo ladder: 1,566 rows of the 16 training runs
    (190M-1.3B at 1, 2, 5 and 10 x Chinchilla; `role` "train") and 13 target rows (`role` "7B-4T": the
    annealed 7B run, 1 row; "13B-5T": the last 12 checkpoints of the 13B run).

    Columns: `run`, `size`, `multiplier` (x Chinchilla, NaN for the targets), `N` (every parameter except the
    input embedding, as the paper counts it), `D` (tokens as the paper's code computes them), `C` (training
    FLOPs, D x `flops_per_token`, OLMo's own count), `flops_per_token`, `step`, `role`, `c4_loss`, and for
    each task of `OLMO_TASKS`: `bpb_<task>` (task loss, bits per byte) and `acc_<task>` (accuracy).

    >>> from jaxscale.datasets._olmo_ladder import load_olmo_ladder
    >>> ladder = load_olmo_ladder()
    >>> len(ladder), ladder["run"].nunique(), sorted(ladder["role"].unique())
    (1579, 18, ['13B-5T', '7B-4T', 'train'])
    """
    raw = pd.read_csv(resources.files("jaxscale.datasets").joinpath("olmo_ladder.csv"))
    role = np.where(raw["final_json_role"] == "train", "train", np.where(raw["run"] == "peteish13", "13B-5T", "7B-4T"))
    frame = pd.DataFrame({
        "run": raw["run"], "size": raw["size"], "multiplier": raw["xC"], "N": raw["N"].astype(float), "D": raw["D"].astype(float),
        "C": raw["D"].astype(float) * raw["flops_per_token"].astype(float), "flops_per_token": raw["flops_per_token"],
        "step": raw["step"], "role": role, "c4_loss": raw["c4_loss"],
    })
    for task, column in OLMO_TASK_COLUMNS.items():
        frame[f"bpb_{task}"] = raw[f"bpb_{column}"]
        frame[f"acc_{task}"] = raw[f"acc_{column}"]
    return frame
