"""Mixture laws on RegMix's data, beside RegMix's own LightGBM regressor, and the speed of OptimalMixture.

1. Fit `ExpMixing` and `MixtureAdditive` (over the 17 Pile domains) on the 512 training runs of 1M-parameter
   models, one law per validation domain, and rank the 256 held-out 1M runs: Spearman rho x 100 per target,
   beside LightGBM configured as in RegMix's `regression_fitting/regression.ipynb` (gbdt, regression
   objective, learning rate 1e-2, up to 1,000 iterations, seed 42, early stopping after 3 rounds watching the
   held-out set, as the notebook does), all in this run. RegMix published rho x 100 = 98.92 for Pile-CC.
2. From the same 1M fits, rank the 256 mixtures trained at 60M and the 64 trained at 1B.
3. The mixture minimising the Pile-CC law, against the best observed run.
4. Speed: OptimalMixture over 17 domains for one law (warm), and for 1,000 laws (bootstrap refits of the
   Pile-CC ExpMixing law, batched), against a Dirichlet random search of RegMix's kind (RegMix samples
   Dirichlet mixtures around the token distribution and keeps the best predicted) given the same wall time;
   the objective each reaches.

Appends the tables to benchmarks/README.md. Needs `pip install -e ".[bench]"` (lightgbm).
Run: python benchmarks/mixture_regmix.py
"""

import datetime
import os
import platform
import sys
import time
import warnings

import jax
import lightgbm
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

import jaxscale as js
from jaxscale.datasets import REGMIX_DOMAINS

sys.path.insert(0, os.path.dirname(__file__))
from _record import record  # noqa: E402

LAWS = {"ExpMixing": js.laws.ExpMixing.over(REGMIX_DOMAINS), "MixtureAdditive": js.laws.MixtureAdditive.over(REGMIX_DOMAINS)}
LGBM = {"boosting_type": "gbdt", "objective": "regression", "metric": ["l1", "l2"], "num_iterations": 1000, "seed": 42,
        "learning_rate": 1e-2, "verbosity": -1}


def lightgbm_predictor(train, test, target):
    model = lightgbm.LGBMRegressor(**LGBM)
    model.fit(train[list(REGMIX_DOMAINS)], train[target], eval_set=[(test[list(REGMIX_DOMAINS)], test[target])], eval_metric="l2",
              callbacks=[lightgbm.early_stopping(stopping_rounds=3, verbose=False)])
    return lambda frame: model.predict(frame[list(REGMIX_DOMAINS)])


def rho(predicted, frame, target) -> float:
    return 100 * spearmanr(predicted, frame[target]).statistic


def main() -> None:
    data = js.datasets.load("regmix").assign(N=1e6, D=1e9)  # the 1M proxies: 1B tokens each (RegMix Sec. 4)
    train, test = data[(data.scale == "1M") & (data.split == "train")], data[(data.scale == "1M") & (data.split == "test")]
    at_60m, at_1b = data[data.scale == "60M"], data[data.scale == "1B"]
    targets = [c for c in data.columns if c.startswith("loss_")]
    rows, fits, seconds = [], {}, {name: 0.0 for name in list(LAWS) + ["LightGBM"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        for target in targets:
            row = {"target": target.removeprefix("loss_")}
            for name, law in LAWS.items():
                began = time.perf_counter()
                fits[name, target] = js.fit(law, train, target=target)
                seconds[name] += time.perf_counter() - began
                predict = fits[name, target].law.predict
                row.update({f"{name} 1M": rho(predict(test), test, target), f"{name} 60M": rho(predict(at_60m), at_60m, target),
                            f"{name} 1B": rho(predict(at_1b), at_1b, target)})
            began = time.perf_counter()
            predict = lightgbm_predictor(train, test, target)
            seconds["LightGBM"] += time.perf_counter() - began
            row.update({"LightGBM 1M": rho(predict(test), test, target), "LightGBM 60M": rho(predict(at_60m), at_60m, target),
                        "LightGBM 1B": rho(predict(at_1b), at_1b, target)})
            rows.append(row)
    table = pd.DataFrame(rows).set_index("target")
    table.loc["mean"] = table.mean()

    header = (f"### Mixture laws on RegMix, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), "
              f"jax {jax.__version__}, lightgbm {lightgbm.__version__}, jaxscale {js.__version__}")
    lines = [header, "",
             "Spearman rho x 100 between predicted and measured validation loss. Fitted on the 512 training runs at 1M; "
             "ranked: the 256 held-out 1M runs, the same 256 mixtures trained at 60M, and the 64 mixtures trained at 1B. "
             "RegMix published LightGBM 1M: pile_cc 98.92. Fit time over all 13 targets: "
             + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()) + ".", "",
             "| target | " + " | ".join(table.columns) + " |", "|---|" + "---|" * len(table.columns)]
    lines += [f"| {t} | " + " | ".join(f"{v:.2f}" for v in r) + " |" for t, r in table.iterrows()]

    lines += ["", *recommendation(fits, data, train), "", *speed(fits, train)]
    record("\n".join(lines) + "\n")


def recommendation(fits, data, train) -> list[str]:
    """The Pile-CC-optimal mixture by each law, its predicted 1M loss, and the best runs observed."""
    lines = ["| law | search region | recommended mixture (weights > 1%) | predicted Pile-CC loss at 1M |", "|---|---|---|---|"]
    # The trust region: no domain above the largest weight the 512 sampled mixtures gave it.
    sampled = {d: float(train[d].max()) * 1e9 for d in REGMIX_DOMAINS}
    for name in LAWS:
        law = fits[name, "loss_pile_cc"].law
        for region, limits in (("simplex", None), ("within sampled weights", sampled)):
            best = js.allocate(law, js.problems.OptimalMixture(N=1e6, D=1e9, unique_tokens=limits))
            weights = ", ".join(f"{d} {w:.2f}" for d, w in zip(REGMIX_DOMAINS, np.asarray(best.weights)) if w > 0.01)
            lines.append(f"| {name} | {region} | {weights} | {float(best.loss):.4f} |")
    observed = train.loc[train["loss_pile_cc"].idxmin()]
    lines += ["", f"Best of the 512 training runs at 1M: Pile-CC loss {observed['loss_pile_cc']:.4f} (run {int(observed['run'])}, "
              f"pile_cc weight {observed['pile_cc']:.2f}). Best of all 768 1M runs: "
              f"{data[data.scale == '1M']['loss_pile_cc'].min():.4f}."]
    return lines


def speed(fits, train) -> list[str]:
    law = fits["ExpMixing", "loss_pile_cc"].law
    problem = js.problems.OptimalMixture()
    js.allocate(law, problem)
    began = time.perf_counter()
    one = js.allocate(law, problem)
    jax.block_until_ready(one.weights)
    one_seconds = time.perf_counter() - began

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)
        refits = js.bootstrap(js.laws.ExpMixing.over(REGMIX_DOMAINS), train, target="loss_pile_cc", n=1000).laws
    js.allocate(refits, problem)  # compile
    began = time.perf_counter()
    many = js.allocate(refits, problem)
    jax.block_until_ready(many.weights)
    many_seconds = time.perf_counter() - began

    # Dirichlet random search, RegMix's way (around the training runs' mean mixture), for the same wall time.
    prior = train[list(REGMIX_DOMAINS)].mean().to_numpy()
    rng = np.random.default_rng(0)
    evaluate = jax.jit(jax.vmap(lambda member, h: member({d: h[:, j] for j, d in enumerate(REGMIX_DOMAINS)}), in_axes=(0, None)))
    search_one, best_one, draws = time.perf_counter(), np.inf, 0
    while time.perf_counter() - search_one < one_seconds:
        h = rng.dirichlet(prior * 17, 4096)
        best_one = min(best_one, float(np.min(law({d: h[:, j] for j, d in enumerate(REGMIX_DOMAINS)}))))
        draws += len(h)
    search_many, best_many, many_draws = time.perf_counter(), np.full(1000, np.inf), 0
    while time.perf_counter() - search_many < many_seconds:
        h = rng.dirichlet(prior * 17, 256)
        best_many = np.minimum(best_many, np.asarray(evaluate(refits, h)).min(axis=1))
        many_draws += len(h)
    return [
        "| task | OptimalMixture time (s, warm) | its mean objective | Dirichlet search, same time: mixtures per problem | its mean objective |",
        "|---|---|---|---|---|",
        f"| 1 problem, 17 domains (Pile-CC ExpMixing) | {one_seconds:.4f} | {float(one.loss):.5f} | {draws} | {best_one:.5f} |",
        f"| 1,000 problems (bootstrap refits, batched) | {many_seconds:.3f} | {float(np.mean(many.loss)):.5f} | {many_draws} | {float(np.mean(best_many)):.5f} |",
    ]


if __name__ == "__main__":
    main()
