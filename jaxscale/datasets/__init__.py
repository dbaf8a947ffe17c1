"""Built-in measurement sets, shipped with their provenance and licence notes beside them.

`load("chinchilla")`: the 245 Approach-3 points of Hoffmann et al. 2022 ("Training Compute-Optimal Large
Language Models", Figure 4) as extracted from the paper's SVG by Epoch AI (Besiroglu et al. 2024,
"Chinchilla Scaling: A replication attempt"). Epoch released no licence for the file; it is redistributed
under the MIT licence by IBM/ColPret and mcleish7/gemstone-scaling-laws, and shipped here with attribution
to Epoch AI and Hoffmann et al. (see chinchilla_epoch.PROVENANCE.md).
"""

from importlib import resources

import numpy as np
import pandas as pd

_NAMES = ("chinchilla",)


def names() -> tuple[str, ...]:
    """Names that `load` accepts."""
    return _NAMES


def load(name: str, subset: str = "all") -> pd.DataFrame:
    """A built-in dataset as a DataFrame.

    For "chinchilla" the columns are `N` (parameters), `D` (tokens, D = C / (6 N) as Epoch derives it),
    `C` (training FLOPs) and `loss`. `subset="epoch"` keeps the 240 points Epoch AI fitted (the 5 highest
    losses dropped); `subset="all"` (default) keeps all 245.

    >>> import jaxscale as js
    >>> len(js.datasets.load("chinchilla")), len(js.datasets.load("chinchilla", subset="epoch"))
    (245, 240)
    """
    if name != "chinchilla":
        raise ValueError(f"unknown dataset {name!r}; built-in datasets are {list(_NAMES)}.")
    if subset not in ("all", "epoch"):
        raise ValueError(f"subset must be 'all' or 'epoch' for chinchilla, got {subset!r}.")
    raw = pd.read_csv(resources.files(__name__).joinpath("chinchilla_epoch.csv"))
    frame = pd.DataFrame({"N": raw["Model Size"], "C": raw["Training FLOP"], "loss": raw["loss"]})
    frame.insert(1, "D", frame["C"] / (6 * frame["N"]))
    if subset == "epoch":
        fifth_largest = np.sort(frame["loss"].to_numpy())[-5]
        frame = frame[frame["loss"] < fifth_largest].reset_index(drop=True)
    return frame
