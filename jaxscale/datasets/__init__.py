"""Built-in measurement sets, shipped with their provenance and licence notes beside them.

`load("chinchilla")`: the 245 Approach-3 points of Hoffmann et al. 2022 ("Training Compute-Optimal Large
Language Models", Figure 4) as extracted from the paper's SVG by Epoch AI (Besiroglu et al. 2024,
"Chinchilla Scaling: A replication attempt"). Epoch released no licence for the file; it is redistributed
under the MIT licence by IBM/ColPret and mcleish7/gemstone-scaling-laws, and shipped here with attribution
to Epoch AI and Hoffmann et al. (see chinchilla_epoch.PROVENANCE.md).

`load("revisiting")`: the 92 learning curves of the Revisiting Neural Scaling Laws benchmark (Alabdulmohsin,
Neyshabur and Zhai, NeurIPS 2022), Apache-2.0 / MIT (see revisiting.PROVENANCE.md).

`load("porian_isoflop")`: the 1,745 isoFLOP training runs of Porian et al. 2024 ("Resolving Discrepancies in
Compute-Optimal Scaling of Language Models") in 15 configurations, MIT (see porian_isoflop.PROVENANCE.md).

`load("regmix")`: the mixture sweeps of Liu et al. 2024 ("RegMix"): 768 runs of 1M-parameter models over 17
Pile domains, the 256 held-out mixtures again at 60M and 64 runs at 1B, with 13 validation losses; MIT (see
regmix.PROVENANCE.md).

`load("gadre_overtraining")`: the 104 models of Gadre et al. 2024 ("Language models scale reliably with
over-training and on downstream tasks") on three corpora, with their C4 validation loss, MIT (see
gadre_overtraining.PROVENANCE.md).

`load("pythia_evals")`: zero-shot accuracies of the Pythia suite (Biderman et al. 2023, "Pythia: A Suite for
Analyzing Large Language Models Across Training and Scaling") on 8 benchmarks at 27 checkpoints of 15 models
(70M-12B, standard and deduped), from EleutherAI/pythia's `evals/pythia-v1`, Apache-2.0 (see
pythia_evals.PROVENANCE.md).

`load("multipower")`: the 27 training-loss curves of Luo et al. 2025 ("A Multi-Power Law for Loss Curve
Prediction Across Learning Rate Schedules", ICLR 2025): 9 learning-rate schedules x 3 model sizes, one row
every 128 steps; `multipower_schedules()` gives each schedule as a `js.schedules` module. MIT (see
multipower_lr_schedules.PROVENANCE.md).

`load("olmo_ladder")`: the OLMo model ladder of Bhagia et al. 2024 ("Establishing Task Scaling Laws via
Compute-Efficient Model Ladders"): the 16 ladder runs of the paper's main result with their checkpoints'
task losses and accuracies on 8 tasks, and the 7B-4T and 13B-5T targets; Apache-2.0 (see
olmo_ladder.PROVENANCE.md).

`load("gadre_downstream")`: the 46 downstream accuracies of Gadre et al. 2024's 104 models, in the row order of
`load("gadre_overtraining")`; `GADRE_SUBSET` is their 17-task subset. MIT (see gadre_downstream.PROVENANCE.md).

`load("obsscaling")`: 148 base models x 8 benchmarks, with Open LLM Leaderboard v2 and BIG-bench emergent
tasks, family, N, D and C, from Ruan et al. 2024 ("Observational Scaling Laws and the Predictability of
Language Model Performance"); Apache-2.0 (see obsscaling.PROVENANCE.md).

`load("gemstones_cooldowns")`: the 20 Gemstone models' (McLeish et al. 2025) constant-LR trunks and cooldowns,
618 rows: `model`, `width`, `depth`, `N`, `D`, `step`, `source` (hot / cool_begin / cool_end), `loss`; MIT (see
gemstones_cooldowns.PROVENANCE.md).
"""

from collections.abc import Mapping
from importlib import resources

import numpy as np
import pandas as pd

from ..schedules import WSD, AbstractSchedule, Constant, Cosine, TwoStage

# The task lists, chance levels and cuts of these datasets are public here, beside `load`.
from ._gadre_downstream import GADRE_SUBSET, load_gadre_downstream  # noqa: F401
from ._obsscaling import OBSSCALING_BENCHMARKS, OBSSCALING_CHANCE, OBSSCALING_CUTOFF, OBSSCALING_FAMILIES, obsscaling  # noqa: F401
from ._olmo_ladder import OLMO_CHANCE, OLMO_ITEMS, OLMO_TARGETS, OLMO_TASKS, load_olmo_ladder  # noqa: F401

_NAMES = (
    "chinchilla", "revisiting", "porian_isoflop", "gadre_overtraining", "regmix", "pythia_evals", "multipower", "olmo_ladder",
    "gadre_downstream", "obsscaling", "gemstones_cooldowns",
)
# The datasets that come in more than one form, and their forms (the first is the default).
_SUBSETS = {"chinchilla": ("all", "epoch"), "pythia_evals": ("all", "wide")}
# The multi-power-law paper's split (its src/config.py): fit on three schedules, predict the other six.
MULTIPOWER_FIT = ("cosine_24000", "constant_24000", "wsdcon_9")
MULTIPOWER_TEST = ("constant_72000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18")
REGMIX_DOMAINS = (
    "arxiv", "freelaw", "nih_exporter", "pubmed_central", "wikipedia_en", "dm_mathematics", "github", "philpapers",
    "stackexchange", "enron_emails", "gutenberg_pg_19", "pile_cc", "ubuntu_irc", "europarl", "hackernews",
    "pubmed_abstracts", "uspto_backgrounds",
)
# The Pythia benchmarks and their chance accuracy (the floor of a multiple-choice score): PIQA, WinoGrande
# and WSC have two options, ARC, SciQ and LogiQA four; LAMBADA predicts a word (chance ~0).
PYTHIA_CHANCE = {
    "lambada_openai": 0.0, "piqa": 0.5, "winogrande": 0.5, "wsc": 0.5,
    "arc_easy": 0.25, "arc_challenge": 0.25, "sciq": 0.25, "logiqa": 0.25,
}
PYTHIA_TASKS = tuple(PYTHIA_CHANCE)


def names() -> tuple[str, ...]:
    """Names that `load` accepts."""
    return _NAMES


def load(name: str, subset: str = "all") -> pd.DataFrame:
    """A built-in dataset as a DataFrame.

    "revisiting" has columns `domain`, `task`, `model`, `curve` ("domain/task/model"), `x` (examples seen),
    `loss` and `training` (1: fit on it, 0: extrapolation target); 19,595 rows, 92 curves.
    "porian_isoflop" has `config` (dataset/hparams/warmup/decay/param_count/loss_split), `C` (FLOPs
    budget), `N`, `D` and `loss`; 1,745 rows, 15 configurations.
    "regmix" has `scale` (1M, 60M, 1B), `split` (train, test), `run`, one weight column per domain of
    `REGMIX_DOMAINS` and 13 validation losses `loss_<domain>`; 1,088 rows.
    "gadre_overtraining" has `corpus` (c4_original, rpj, rw_original), `model`, `N`, `D`, `M` (= D / N) and
    `loss` (C4 validation loss); 104 rows: per corpus 31-32 models of 10.6M-411.6M parameters and 3 of 1.4B-6.9B.
    "pythia_evals" has one row per model, checkpoint and task of `PYTHIA_TASKS`: `model`, `scale` ("70m" ...
    "12b"), `deduped`, `N` (total parameters, embeddings included), `N_nonembedding`, `step`, `D` (tokens seen,
    step * 2,097,152), `C` (= 6 * N * D; 0 at step 0), `task`, `chance`, `n` (the benchmark's items, derived
    from the reported stderr: n = acc (1 - acc) / acc_stderr^2 + 1), `acc`, `k` (= acc * n, correct items),
    `acc_stderr`, `acc_norm` and `acc_norm_stderr` (NaN where the harness reports none); 3,240 rows.
    "multipower" has `size` ("25M", "100M", "400M"), `N` (25e6, 1e8, 4e8), `schedule` (`MULTIPOWER_FIT` +
    `MULTIPOWER_TEST`), `run` ("<size>/<schedule>"), `split` ("fit" for the paper's fit curves, "test"),
    `step`, `lr` (the schedule at the step) and `loss` (training loss, 4 decimals); 6,265 rows, 27 curves.
    `subset="wide"` gives one row per checkpoint (405) with the source's metric columns (`<task>_acc`, ...,
    `lambada_openai_ppl`, `mmlu57_mean_acc`), `N`, `D`, `C` and `<task>_n`. Standard 1B is not in the source.

    For "chinchilla" the columns are `N` (parameters), `D` (tokens, D = C / (6 N) as Epoch derives it),
    `C` (training FLOPs) and `loss`. `subset="epoch"` keeps the 240 points Epoch AI fitted (the 5 highest
    losses dropped); `subset="all"` (default) keeps all 245.

    >>> import jaxscale as js
    >>> len(js.datasets.load("chinchilla")), len(js.datasets.load("chinchilla", subset="epoch"))
    (245, 240)
    >>> pythia = js.datasets.load("pythia_evals")
    >>> pythia.groupby("task")["n"].first().to_dict()["piqa"], len(pythia)
    (1838, 3240)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a dataset's name (a str), got {name!r} ({type(name).__name__}); built-in datasets are {list(_NAMES)}.")
    if name not in _NAMES:
        raise ValueError(f"unknown dataset {name!r}; built-in datasets are {list(_NAMES)}.")
    if subset != "all" and subset not in _SUBSETS.get(name, ()):
        forms = _SUBSETS.get(name)
        raise ValueError(
            f"subset={subset!r}: dataset {name!r} " + (f"has subsets {list(forms)}." if forms else "comes in one form only: drop subset=.")
        )
    if name == "olmo_ladder":
        return load_olmo_ladder()
    if name == "gadre_downstream":
        return load_gadre_downstream()
    if name == "obsscaling":
        return obsscaling()
    if name == "gemstones_cooldowns":
        return _read("gemstones_cooldowns.csv")
    if name == "pythia_evals":
        return _pythia_evals(subset)
    if name == "multipower":
        return _multipower()
    if name == "revisiting":
        return _revisiting()
    if name == "porian_isoflop":
        return _porian_isoflop()
    if name == "regmix":
        return _regmix()
    if name == "gadre_overtraining":
        raw = _read("gadre_overtraining.csv")
        return pd.DataFrame({"corpus": raw["dataset"], "model": raw["model"], "N": raw["params"], "D": raw["tokens"],
                             "M": raw["token_multiplier"], "loss": raw["loss_c4_val"]})
    raw = _read("chinchilla_epoch.csv")
    frame = pd.DataFrame({"N": raw["Model Size"], "C": raw["Training FLOP"], "loss": raw["loss"]})
    frame.insert(1, "D", frame["C"] / (6 * frame["N"]))
    if subset == "epoch":
        fifth_largest = np.sort(frame["loss"].to_numpy())[-5]
        frame = frame[frame["loss"] < fifth_largest].reset_index(drop=True)
    return frame


def _pythia_evals(subset: str) -> pd.DataFrame:
    raw = _read("pythia_evals.csv")
    ids = pd.DataFrame({"model": raw["model"], "scale": raw["size"], "deduped": raw["deduped"].astype(bool), "N": raw["params_total"],
                        "N_nonembedding": raw["params_nonembedding"], "step": raw["step"], "D": raw["tokens"]})
    ids["C"] = 6.0 * ids["N"] * ids["D"]
    items = {task: _benchmark_items(raw, task) for task in PYTHIA_TASKS}
    if subset == "wide":
        metrics = raw.drop(columns=["model", "size", "deduped", "params_total", "params_nonembedding", "step", "tokens"])
        return pd.concat([ids, metrics, pd.DataFrame({f"{task}_n": n for task, n in items.items()}, index=raw.index)], axis=1)
    frames = []
    for task, n in items.items():
        frame = ids.assign(task=task, chance=PYTHIA_CHANCE[task], n=n, acc=raw[f"{task}_acc"])
        frame["k"] = np.round(frame["acc"] * n).astype(int)
        for column in ("acc_stderr", "acc_norm", "acc_norm_stderr"):
            frame[column] = raw.get(f"{task}_{column}", np.nan)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _benchmark_items(raw: pd.DataFrame, task: str) -> int:
    """A benchmark's item count n from lm-eval-harness's acc_stderr = sqrt(acc (1 - acc) / (n - 1)), which every
    row with 0 < acc < 1 implies; they must agree on one whole number."""
    p, se = raw[f"{task}_acc"].to_numpy(), raw[f"{task}_acc_stderr"].to_numpy()
    usable = (p > 0) & (p < 1) & (se > 0)
    implied = p[usable] * (1 - p[usable]) / se[usable] ** 2 + 1
    n = int(np.round(np.median(implied)))
    if not len(implied) or np.max(np.abs(implied - n)) > 0.01:
        raise ValueError(f"pythia_evals: the rows of {task} imply different item counts ({implied.min():.2f} to {implied.max():.2f}).")
    return n


def _multipower() -> pd.DataFrame:
    raw = _read("multipower_lr_schedules.csv")
    size = raw["size_M"].astype(str) + "M"
    frame = pd.DataFrame({"size": size, "N": raw["size_M"] * 1e6, "schedule": raw["schedule"], "run": size + "/" + raw["schedule"]})
    frame["split"] = np.where(raw["schedule"].isin(MULTIPOWER_FIT), "fit", "test")
    frame["step"], frame["lr"], frame["loss"] = raw["step"], raw["lr"], raw["loss"]
    return frame


def multipower_schedules(warmup: int = 2160, peak: float = 3e-4) -> Mapping[str, AbstractSchedule]:
    """The 9 learning-rate schedules of `load("multipower")`, by name, as `js.schedules` modules: a linear
    warmup over 2160 steps to 3e-4, then constant, cosine to 3e-5, WSD from step 20000 to 3e-5 at 24000
    (geometric: `wsd`, linear: `wsdld`), or two-stage (3e-4 to step 8000, then 3e-5, 9e-5 or 1.8e-4).

    >>> import jaxscale as js
    >>> schedules = js.datasets.multipower_schedules()
    >>> float(schedules["wsdcon_9"](8000)), schedules["cosine_72000"].total
    (9e-05, 72000)
    """
    schedules: dict[str, AbstractSchedule] = {}
    for total in (24000, 72000):
        schedules[f"constant_{total}"] = Constant(peak=peak, total=total, warmup=warmup)
        schedules[f"cosine_{total}"] = Cosine(peak=peak, final=peak / 10, total=total, warmup=warmup)
    fraction = (24000 - 20000) / (24000 - warmup)
    for prefix, shape in (("wsd", "geometric"), ("wsdld", "linear")):
        schedules[f"{prefix}_20000_24000"] = WSD(peak=peak, final=peak / 10, decay_fraction=fraction, shape=shape, total=24000, warmup=warmup)
    for x in (3, 9, 18):
        schedules[f"wsdcon_{x}"] = TwoStage(first=peak, second=x * 1e-5, switch=8000, total=16000, warmup=warmup)
    return schedules


def _read(filename: str) -> pd.DataFrame:
    return pd.read_csv(resources.files(__name__).joinpath(filename))


def _revisiting() -> pd.DataFrame:
    # The lang file repeats one LM curve verbatim (687 exact-duplicate rows, see the provenance note).
    raw = pd.concat([_read("revisiting_lang.csv").drop_duplicates(), _read("revisiting_vision.csv")], ignore_index=True)
    frame = pd.DataFrame({"domain": raw["Domain"], "task": raw["Task"], "model": raw["Model"]})
    frame["curve"] = frame["domain"] + "/" + frame["task"] + "/" + frame["model"]
    frame["x"], frame["loss"], frame["training"] = raw["Seen Examples"], raw["Loss"], raw["Training"]
    return frame


def _regmix() -> pd.DataFrame:
    parts = [("1M", "train", "train_mixture_1m", "train_pile_loss_1m"), ("1M", "test", "test_mixture_1m", "test_pile_loss_1m"),
             ("60M", "test", "test_mixture_1m", "test_pile_loss_60m"), ("1B", "test", "test_mixture_1B", "test_pile_loss_1B")]
    frames = []
    for scale, split, mixture, losses in parts:
        weights = _read(f"regmix_{mixture}.csv").set_index("index")
        weights.columns = [c.removeprefix("train_the_pile_") for c in weights.columns]
        loss = _read(f"regmix_{losses}.csv").set_index("index")
        loss.columns = ["loss_" + c.removeprefix("metric/the_pile_").removesuffix("_val_loss") for c in loss.columns]
        frame = weights.join(loss, how="inner").rename_axis("run").reset_index()
        frame.insert(0, "split", split)
        frame.insert(0, "scale", scale)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _porian_isoflop() -> pd.DataFrame:
    raw = _read("porian_isoflop.csv")
    config = raw[["dataset", "hparams", "warmup", "decay", "param_count", "loss_split"]].astype(str).agg("/".join, axis=1)
    return pd.DataFrame({"config": config, "C": raw["flops"], "N": raw["n_params"], "D": raw["tokens"], "loss": raw["loss"]})
