"""The 46 downstream evaluations of Gadre et al. 2024 ("Language models scale reliably with over-training and
on downstream tasks", arXiv:2403.08540), joined to their 104 models' sizes and C4 validation loss. MIT (see
gadre_downstream.PROVENANCE.md)."""

from importlib import resources

import pandas as pd

# The 17 tasks the paper's average top-1 error uses (its repository's scaling/constants.py `SUBSET`).
GADRE_SUBSET = (
    "bigbench_operators", "pubmed_qa_labeled", "hellaswag_zeroshot", "boolq", "arc_easy", "coqa",
    "bigbench_dyck_languages", "lambada_openai", "bigbench_novel_concepts", "winograd", "bigbench_cs_algorithms",
    "commonsense_qa", "bigbench_qa_wikidata", "hellaswag", "copa", "squad", "piqa",
)


def load_gadre_downstream() -> pd.DataFrame:
    """One row per model (104): `name`, `corpus`, `model`, `N`, `D`, `M` (= D / N), `loss` (C4 validation loss,
    as `load("gadre_overtraining")`), `err_avg` (mean top-1 error over all 46 tasks), `err_subset` (over the
    17 of `GADRE_SUBSET`, the paper's headline error) and `acc_<task>` for each of the 46 tasks.

    >>> from jaxscale.datasets._gadre_downstream import load_gadre_downstream
    >>> gadre = load_gadre_downstream()
    >>> len(gadre), sum(c.startswith("acc_") for c in gadre.columns)
    (104, 46)
    """
    folder = resources.files("jaxscale.datasets")
    models = pd.read_csv(folder.joinpath("gadre_overtraining.csv"))
    evals = pd.read_csv(folder.joinpath("gadre_downstream.csv")).set_index("name")
    frame = pd.DataFrame({"name": models["name"], "corpus": models["dataset"], "model": models["model"], "N": models["params"],
                          "D": models["tokens"], "M": models["token_multiplier"], "loss": models["loss_c4_val"]})
    accuracy = evals.loc[frame["name"]].reset_index(drop=True)
    frame["err_avg"] = 1.0 - accuracy.mean(axis=1)
    frame["err_subset"] = 1.0 - accuracy[list(GADRE_SUBSET)].mean(axis=1)
    return pd.concat([frame, accuracy.add_prefix("acc_")], axis=1)
