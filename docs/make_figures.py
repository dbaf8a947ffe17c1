"""Makes one PNG of each `js.plot` kind from the built-in data, into docs/images/ (shown in the README).

    python docs/make_figures.py            # all seven
    python docs/make_figures.py fit groups # some of them

Small fits (few refined restarts, short chains) so the whole run takes a minute or two on a laptop.
"""

import pathlib
import sys
import warnings

import numpy as np

import jaxscale as js
import jaxscale.plot  # noqa: F401  (js.plot)

IMAGES = pathlib.Path(__file__).resolve().parent / "images"


def gadre_c4():
    """Gadre et al. 2024's C4 models: 6 model sizes, each trained to several token counts."""
    df = js.datasets.load("gadre_overtraining")
    return df[df["corpus"] == "c4_original"]


def chinchilla_fit(cache={}):
    if "fit" not in cache:
        cache["fit"] = js.fit(js.Chinchilla, gadre_c4(), n_refine=8)
    return cache["fit"]


def make_fit():
    js.plot.fit(chinchilla_fit(), path=IMAGES / "fit.png")


def make_residuals():
    js.plot.residuals(chinchilla_fit(), against="C", path=IMAGES / "residuals.png")


def make_predicted():
    js.plot.predicted(chinchilla_fit(), path=IMAGES / "predicted.png")


def make_isoflop():
    df = js.datasets.load("porian_isoflop")
    runs = df[df["config"] == "rw/base/short/chinchilla/standard/val"]
    result = js.isoflop.profiles(runs, n_bootstrap=200)
    js.plot.isoflop(result, runs, path=IMAGES / "isoflop.png")


def make_frontier():
    boot = js.bootstrap(chinchilla_fit(), n=100, seed=0)
    js.plot.frontier(boot, np.geomspace(1e19, 1e25, 25), level=0.9, path=IMAGES / "frontier.png")


def make_posterior():
    draws = js.infer(js.Chinchilla, gadre_c4(), n_warmup=300, n_samples=300, n_chains=2, seed=0)
    js.plot.posterior(draws, level=0.9, path=IMAGES / "posterior.png")


def make_groups():
    """Pythia's zero-shot accuracies against compute, one sigmoid per benchmark: bounded, so linear y-axes."""
    df = js.datasets.load("pythia_evals")
    runs = df[~df["deduped"] & (df["step"] > 0)]
    result = js.fit(js.laws.SigmoidCompute, runs, target="acc", loss=js.Binomial(trials="n", fractions=True), by="task", n_refine=4)
    js.plot.groups(result, path=IMAGES / "groups.png")


FIGURES = {name[len("make_"):]: function for name, function in globals().items() if name.startswith("make_")}

if __name__ == "__main__":
    wanted = sys.argv[1:] or list(FIGURES)
    unknown = [name for name in wanted if name not in FIGURES]
    if unknown:
        sys.exit(f"unknown figure(s) {unknown}; choose from {list(FIGURES)}")
    IMAGES.mkdir(exist_ok=True)
    for name in wanted:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", js.FitWarning)  # the figures show the fits; their warnings are not the point here
            FIGURES[name]()
        print(f"wrote {IMAGES / (name + '.png')}")
