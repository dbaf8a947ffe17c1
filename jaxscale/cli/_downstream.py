"""`jaxscale downstream olmo_ladder --task mmlu --target 13B`: the OLMo ladder's chained task prediction
(Bhagia et al. 2024), N and D -> task bits per byte -> accuracy, with a joint bootstrap interval."""

import warnings

from . import _common as common

TARGETS = {"7B": "7B-4T", "7B-4T": "7B-4T", "13B": "13B-5T", "13B-5T": "13B-5T"}


def add(commands, parents) -> None:
    parser = commands.add_parser("downstream", parents=[parents["out"]],
                                 help="predict a big model's task accuracy from a ladder of small ones (two steps, chained)")
    parser.add_argument("data", help="the ladder: olmo_ladder (the built-in OLMo ladder of Bhagia et al. 2024)")
    parser.add_argument("--task", required=True, help="the task (mmlu, hellaswag, arc_challenge, arc_easy, piqa, csqa, socialiqa, openbookqa)")
    parser.add_argument("--target", default="13B", help="the model to predict: 7B (7B-4T) or 13B (13B-5T; default)")
    parser.add_argument("-n", "--n-bootstrap", type=int, default=1000, help="joint bootstrap resamples over the ladder's runs (default 1000)")
    parser.add_argument("--level", type=float, default=0.9, help="coverage of the interval (default 0.9)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="PNG", help="save both steps: the data, the fitted laws and the prediction")
    parser.set_defaults(run=run, outputs=("out", "plot"))


def run(args) -> int:
    import numpy as np
    import pandas as pd

    import jaxscale as js

    if args.data != "olmo_ladder":
        raise ValueError(f"downstream knows the built-in ladder 'olmo_ladder' only, got {args.data!r}.")
    tasks = js.datasets.OLMO_TASKS
    if args.task not in tasks:
        raise ValueError(f"--task {args.task!r} is not a task of the OLMo ladder; its tasks are {', '.join(tasks)}.")
    if args.target not in TARGETS:
        raise ValueError(f"--target {args.target!r}: give 7B (the 7B-4T model) or 13B (13B-5T).")
    if not 0 < args.level < 1:
        raise ValueError(f"--level must be between 0 and 1, got {args.level}.")
    if args.n_bootstrap < 1:
        raise ValueError(f"-n must be >= 1 (bootstrap resamples), got {args.n_bootstrap}.")
    target = TARGETS[args.target]
    bpb, acc = f"bpb_{args.task}", f"acc_{args.task}"
    ladder = js.datasets.load("olmo_ladder")
    train = ladder[ladder["role"] == "train"]
    # The paper's protocol (olmo_ladder.PROVENANCE.md): step 1 on each run's mean of its last 5 checkpoints,
    # step 2 on every checkpoint, the first 10% of each run skipped, 5-point moving averages, plus (L = 0, acc = 1).
    finals = js.final_checkpoints(train, [bpb, acc], last=5)
    smoothed = js.smooth_checkpoints(train, [bpb, acc], skip_fraction=0.1, window=5)
    smoothed = pd.concat([smoothed, pd.DataFrame({bpb: [0.0], acc: [1.0], "run": [np.nan]})], ignore_index=True)
    actual = js.final_checkpoints(ladder[ladder["role"] == target], [bpb, acc], last=5)
    print(f"OLMo ladder (Bhagia et al. 2024), task {args.task}: {train['run'].nunique()} ladder runs -> {target} "
          f"(N = {actual['N'].iloc[0]:.3g}, D = {actual['D'].iloc[0]:.3g}); {args.n_bootstrap} joint bootstrap resamples over runs.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.chain(js.ChainStep(js.Chinchilla, finals, target=bpb),
                          js.ChainStep(js.laws.SigmoidTaskLoss, smoothed, target=acc, inputs={"L": bpb}, loss=js.Squared()),
                          n_bootstrap=args.n_bootstrap, seed=args.seed)
        row = result.predict(actual, level=args.level).iloc[0]
    true_bpb, true_acc = float(actual[bpb].iloc[0]), float(actual[acc].iloc[0])
    share = f"{args.level:.0%}"
    print(f"extrapolation: {row['extrapolation_N']:.1f}x the largest N fitted, {row['extrapolation_D']:.1f}x the largest D")
    print(f"step 1 (Chinchilla, N and D -> {bpb}): {row['intermediate']:.4f}, {share} interval [{row['intermediate_lo']:.4f}, "
          f"{row['intermediate_hi']:.4f}]; actual {true_bpb:.4f}")
    print(f"step 2 (SigmoidTaskLoss, {bpb} -> {acc}): predicted accuracy {row['prediction']:.4f}, {share} interval "
          f"[{row['lo']:.4f}, {row['hi']:.4f}]; actual {true_acc:.4f} (relative error {abs(row['prediction'] - true_acc) / true_acc:.1%}, "
          f"{'inside' if row['lo'] <= true_acc <= row['hi'] else 'outside'} the interval)")
    common.print_warnings(caught)
    table = pd.DataFrame([{"task": args.task, "target": target, "N": actual["N"].iloc[0], "D": actual["D"].iloc[0],
                           "actual_bpb": true_bpb, "actual_acc": true_acc, **row.to_dict()}])
    common.write_table(args, table)
    if args.plot:
        figure = _plot(result, finals, smoothed.dropna(subset=["run"]), row, actual["N"].iloc[0], actual["D"].iloc[0], true_bpb, true_acc, bpb, acc, target, share)
        common.write_atomically(args.plot, lambda path: figure.savefig(path, dpi=120, bbox_inches="tight"))
        print(f"plot saved to {args.plot}")
    return 0


def _plot(result, finals, smoothed, row, size, tokens, true_bpb, true_acc, bpb, acc, target, share):
    """Left: step 1, task loss against compute (6 N D) for the ladder runs, each size's law, the target.
    Right: step 2, accuracy against task loss for the smoothed checkpoints, the sigmoid, the target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    sizes = sorted(finals["N"].unique())
    colors = plt.cm.viridis(np.linspace(0, 0.85, len(sizes)))
    for n, color in zip(sizes, colors):
        runs = finals[finals["N"] == n]
        left.scatter(6 * n * runs["D"], runs[bpb], color=color, s=22, label=f"N = {n:.3g}")
        d = np.geomspace(runs["D"].min() / 2, runs["D"].max() * 2, 50)
        left.plot(6 * n * d, result.step1.law.predict(pd.DataFrame({"N": n, "D": d})), color=color, lw=1)
    compute = 6 * size * tokens
    d = np.geomspace(finals["D"].max(), tokens, 50)
    left.plot(6 * size * d, result.step1.law.predict(pd.DataFrame({"N": size, "D": d})), color="crimson", lw=1, ls="--", label=f"law at N = {size:.3g}")
    left.errorbar([compute], [row["intermediate"]], yerr=[[row["intermediate"] - row["intermediate_lo"]], [row["intermediate_hi"] - row["intermediate"]]],
                  fmt="o", color="crimson", capsize=3, label=f"{target} predicted ({share})")
    left.scatter([compute], [true_bpb], marker="*", s=120, color="black", zorder=3, label=f"{target} actual")
    left.set(xscale="log", xlabel="compute 6ND (FLOPs)", ylabel=f"{bpb} (bits per byte)", title="step 1: N, D -> task loss")
    left.legend(fontsize=7)
    right.scatter(smoothed[bpb], smoothed[acc], s=4, color="0.6", label="ladder checkpoints (smoothed)")
    grid = np.linspace(min(smoothed[bpb].min(), row["intermediate_lo"]) * 0.95, smoothed[bpb].max() * 1.02, 200)
    right.plot(grid, result.step2.law.predict(pd.DataFrame({"L": grid})), color="navy", lw=1.2, label="SigmoidTaskLoss fit")
    right.errorbar([row["intermediate"]], [row["prediction"]], yerr=[[row["prediction"] - row["lo"]], [row["hi"] - row["prediction"]]],
                   xerr=[[row["intermediate"] - row["intermediate_lo"]], [row["intermediate_hi"] - row["intermediate"]]],
                   fmt="o", color="crimson", capsize=3, label=f"{target} predicted ({share})")
    right.scatter([true_bpb], [true_acc], marker="*", s=120, color="black", zorder=3, label=f"{target} actual")
    right.set(xlabel=f"{bpb} (bits per byte)", ylabel=acc, title="step 2: task loss -> accuracy")
    right.legend(fontsize=7)
    figure.tight_layout()
    return figure
