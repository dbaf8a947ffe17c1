"""`jaxscale curves`: schedule-aware laws fitted to whole training-loss curves, and the loss curve of a
learning-rate schedule that was never run.

`jaxscale curves fit multipower --law multi_power --by size` fits one law per size to the fit curves (rows with
`split == "fit"`, or all but `--hold-out`) and scores the held-out curves (R^2, MAE, RMSE, PredE, WorstE).
`jaxscale curves predict multipower --size 400 --schedule wsd:decay_fraction=0.2,final=3e-5,total=24000 -n 50`
predicts a schedule's loss at a few steps with a bootstrap band.

A curve's schedule comes from the built-in data (`multipower`), or, for a CSV, from a `schedule` column whose
values are schedule specs: `KIND:NAME=VALUE,...` with KIND one of constant, cosine, wsd, two_stage (e.g.
`cosine:peak=3e-4,final=3e-5,total=24000,warmup=2160`). Fields left out of a spec (peak, warmup, shape, ...)
take the first data schedule's values.
"""

import time
import warnings

from . import _common as common

_KINDS = ("constant", "cosine", "wsd", "two_stage")
_INTEGER_FIELDS = ("total", "warmup", "switch")


def add(commands, parents) -> None:
    parser = commands.add_parser("curves", help="schedule-aware laws fitted to whole loss curves; predict an unrun schedule")
    actions = parser.add_subparsers(dest="action", required=True)
    shared = [parents["data"], parents["out"]]
    fit = actions.add_parser("fit", parents=shared, help="fit a schedule-aware law to the fit curves, score the held-out ones")
    predict = actions.add_parser("predict", parents=shared, help="predict the loss curve of a schedule, with a bootstrap band")
    for p in (fit, predict):
        p.add_argument("--law", default="multi_power", help="a schedule-aware law: multi_power or lr_annealing (default multi_power)")
        p.add_argument("--curve", default="run", help="the column naming each curve (default run)")
        p.add_argument("--hold-out", metavar="NAMES", help="schedules or curves to hold out, comma-separated (default: the rows whose split is 'test')")
        p.add_argument("--delta", type=float, default=1e-3, help="Huber delta of the LogHuber objective (default 1e-3)")
        p.add_argument("--n-refine", type=int, default=8, help="how many screened starts to refine (default 8)")
        p.add_argument("--plot", metavar="PNG", help="save the curves with the fitted or predicted loss")
        p.set_defaults(run=run, outputs=("out", "plot"))
    fit.add_argument("--by", action="append", metavar="COLUMN", help="fit each group (e.g. size) separately")
    predict.add_argument("--size", help="fit only this model size (the `size` column; 400 matches 400M)")
    predict.add_argument("--schedule", required=True, metavar="SPEC", help="KIND:NAME=VALUE,... e.g. wsd:decay_fraction=0.2,final=3e-5,total=24000")
    predict.add_argument("--steps", metavar="STEPS", help="steps to predict at, comma-separated (default: 6 steps from warmup to the end)")
    predict.add_argument("-n", "--n-resamples", type=int, default=50, help="bootstrap refits for the band (default 50; 0: no band)")
    predict.add_argument("--level", type=float, default=0.9, help="level of the band (default 0.9)")
    predict.add_argument("--seed", type=int, default=0)


def run(args) -> int:
    import jaxscale as js

    if not args.delta > 0:
        raise ValueError(f"--delta must be > 0, got {args.delta}.")
    if args.n_refine < 1:
        raise ValueError(f"--n-refine must be >= 1, got {args.n_refine}.")
    law = js.laws.get(args.law)
    if "lr_area" not in law.inputs:
        raise ValueError(f"--law {args.law!r} does not read a learning-rate schedule; use multi_power or lr_annealing.")
    data, source = common.load(args)
    for column in ("step", args.target, args.curve):
        if column not in data.columns:
            raise ValueError(f"the data has no {column!r} column; curves need step, {args.target} and a curve column (--curve); columns are {list(data.columns)}.")
    if args.action == "predict":
        data = _select_size(data, args.size)
    schedules, key = _schedules(data, args)
    if args.action == "predict":
        spec = parse_schedule(args.schedule, defaults=_defaults(schedules))
        steps = _steps(args.steps, spec)
        if args.n_resamples < 0:
            raise ValueError(f"-n must be >= 0, got {args.n_resamples}.")
        if not 0 < args.level < 1:
            raise ValueError(f"--level must be between 0 and 1, got {args.level}.")
    x = js.schedules.curve_inputs(data, schedules, curve=args.curve, key=key)
    held_out = _held_out(x, args, key)
    train, test = x[~held_out], x[held_out]
    if train.empty:
        raise ValueError("every curve is held out: nothing is left to fit; hold out fewer schedules (--hold-out).")
    options = dict(target=args.target, loss=js.LogHuber(args.delta), n_refine=args.n_refine)
    by = args.by if args.action == "fit" else None
    print(f"Fitting {law.__name__} to {source}: {train[args.curve].nunique()} fit curves ({len(train)} rows), "
          f"{test[args.curve].nunique()} held out{f', per {by}' if by else ''}.")
    began = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", js.FitWarning)
        result = js.fit(law, train, by=by, **options)
        if args.action == "predict":
            return _predict(js, args, result, spec, steps, test, caught, began)
    table = result.to_frame()
    names = [n for n in law.parameter_names() if n in table.columns]
    shown = table[[*(by or []), *names]]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    scores = held_out_metrics(result, test, by, args.target) if not test.empty else None
    if scores is not None:
        print("held-out curves:")
        print(scores.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        table = table.merge(scores, on=by) if by else table.assign(**scores.iloc[0].to_dict())
    print(f"time: {time.perf_counter() - began:.2f} s")
    common.print_warnings(caught)
    common.write_table(args, table)
    if args.plot:
        _plot_fit(result, x, held_out, args)
        print(f"plot saved to {args.plot}")
    return 0


def held_out_metrics(result, test, by, target: str = "loss"):
    """R^2, MAE, RMSE, PredE (mean |pred - loss| / loss) and WorstE (max) of the held-out rows, per group.

    >>> import pandas as pd
    >>> from jaxscale.cli._curves import held_out_metrics
    >>> class Fixed:  # anything with predict(rows)
    ...     def predict(self, rows):
    ...         return rows["loss"].to_numpy() * 1.01
    >>> held_out_metrics(Fixed(), pd.DataFrame({"loss": [3.0, 2.0]}), None)["PredE"].round(6).tolist()
    [0.01]
    """
    import numpy as np
    import pandas as pd

    frame = test.assign(_pred=result.predict(test))
    groups = frame.groupby(by, sort=True) if by else [((), frame)]
    rows = []
    for key, part in groups:
        loss, err = part[target].to_numpy(), (part["_pred"] - part[target]).to_numpy()
        keys = dict(zip(by, key if isinstance(key, tuple) else (key,))) if by else {}
        rows.append(keys | {
            "R2": 1 - np.sum(err**2) / np.sum((loss - loss.mean()) ** 2), "MAE": np.mean(np.abs(err)),
            "RMSE": np.sqrt(np.mean(err**2)), "PredE": np.mean(np.abs(err) / loss), "WorstE": np.max(np.abs(err) / loss),
        })
    return pd.DataFrame(rows)


def parse_schedule(text: str, defaults):
    """A `js.schedules` module from `KIND:NAME=VALUE,...`; fields not given come from `defaults`.

    >>> from jaxscale.cli._curves import describe, parse_schedule
    >>> describe(parse_schedule("wsd:decay_fraction=0.2,final=3e-5,total=24000", {"peak": 3e-4, "warmup": 2160}))
    'WSD(total=24000, warmup=2160, peak=0.0003, final=3e-05, decay_fraction=0.2, shape=linear)'
    """
    import dataclasses

    import jaxscale as js

    kind, _, body = text.partition(":")
    kind = kind.strip().lower().replace("-", "_")
    if kind not in _KINDS:
        raise ValueError(f"--schedule {text!r}: the kind must be one of {', '.join(_KINDS)} (KIND:NAME=VALUE,...), got {kind!r}.")
    fields = dict(defaults)
    for item in common.names(body):
        name, value = common.pair(item, "--schedule KIND:NAME=VALUE,...")
        if name == "shape":
            fields[name] = value
            continue
        number = common.number(value, "--schedule")
        fields[name] = int(number) if name in _INTEGER_FIELDS else number
    cls = {"constant": js.schedules.Constant, "cosine": js.schedules.Cosine, "wsd": js.schedules.WSD, "two_stage": js.schedules.TwoStage}[kind]
    accepted = set(cls.__dataclass_fields__)
    given = {k: v for k, v in fields.items() if k in accepted}
    unknown = sorted(set(fields) - set(defaults) - accepted)
    if unknown:
        raise ValueError(f"--schedule {text!r}: {cls.__name__} has no field {unknown}; its fields are {sorted(accepted)}.")
    missing = sorted(f for f in accepted if f not in given and cls.__dataclass_fields__[f].default is dataclasses.MISSING)
    if missing:
        raise ValueError(f"--schedule {text!r}: give {', '.join(missing)} (e.g. {kind}:{missing[0]}=...).")
    try:
        return cls(**given)
    except (TypeError, ValueError) as error:
        raise ValueError(f"--schedule {text!r}: {error}") from None


def _defaults(schedules) -> dict:
    """Fields a spec may leave out: the first data schedule's length, warmup, peak and final learning rate."""
    first = next(iter(schedules.values())) if isinstance(schedules, dict) and schedules else None
    if first is None:
        return {}
    out = {"total": int(first.total), "warmup": int(first.warmup), "peak": float(first.peak_lr)}
    return out | ({"final": float(first.final)} if hasattr(first, "final") else {})


def _select_size(data, size):
    if size is None:
        return data
    if "size" not in data.columns:
        raise ValueError(f"--size {size!r}: the data has no 'size' column; columns are {list(data.columns)}.")
    labels = data["size"].astype(str)
    wanted = {str(size), f"{size}M"}
    rows = labels.isin(wanted)
    if not rows.any():
        raise ValueError(f"--size {size!r} matches no rows; sizes are {sorted(labels.unique())}.")
    return data[rows]


def _schedules(data, args):
    """Each curve's schedule and the column that names it: the built-in multipower schedules, or specs in a
    CSV's `schedule` column."""
    import jaxscale as js

    if args.data == "multipower":
        return dict(js.datasets.multipower_schedules()), "schedule"
    if "schedule" not in data.columns:
        raise ValueError("a CSV of curves needs a 'schedule' column of specs, e.g. cosine:peak=3e-4,final=3e-5,total=24000,warmup=2160.")
    specs = data["schedule"]
    if specs.isna().any():
        raise ValueError(f"the 'schedule' column is empty in {int(specs.isna().sum())} rows; give every row its curve's schedule spec.")
    return {spec: parse_schedule(spec, defaults={}) for spec in specs.unique()}, "schedule"


def _held_out(x, args, key):
    """Rows of the held-out curves: `--hold-out` names schedules (the `key` column) or curves (`--curve`)."""
    import numpy as np

    if args.hold_out:
        names = common.names(args.hold_out)
        known = set(x[key].astype(str)) | set(x[args.curve].astype(str))
        unknown = sorted(set(names) - known)
        if unknown:
            raise ValueError(f"--hold-out {unknown}: no such schedule or curve; schedules are {sorted(x[key].astype(str).unique())[:12]}, "
                             f"curves {sorted(x[args.curve].astype(str).unique())[:12]}.")
        return (x[key].astype(str).isin(names) | x[args.curve].astype(str).isin(names)).to_numpy()
    if "split" in x.columns:
        return (x["split"] == "test").to_numpy()
    return np.zeros(len(x), bool)


def _steps(text, schedule):
    import numpy as np

    if text is None:
        start = max(schedule.warmup, 1)
        return np.unique(np.linspace(start, schedule.total - 1, 6).astype(int))
    try:
        steps = np.array([int(float(s)) for s in common.names(text)])
    except ValueError:
        raise ValueError(f"--steps takes integers separated by commas, e.g. 4000,12000,23999, got {text!r}.") from None
    if steps.size == 0 or np.any(steps < 1) or np.any(steps >= schedule.total):
        raise ValueError(f"--steps must lie in 1 .. {schedule.total - 1} (the schedule's total is {schedule.total}), got {text!r}.")
    return steps


def _predict(js, args, result, schedule, steps, test, caught, began) -> int:
    import numpy as np

    source = result
    if args.n_resamples:
        source = js.bootstrap(result, n=args.n_resamples, seed=args.seed)
    curve = js.predict_curve(source, schedule, steps=steps, level=args.level)
    print(f"schedule {describe(schedule)}")
    print(curve.to_string(index=False, float_format=lambda v: f"{v:.5g}"))
    if args.n_resamples:
        ok = int(np.sum(np.asarray(source.ok)))
        print(f"band: {args.level:.0%} percentile over {ok} of {args.n_resamples} bootstrap refits")
    if not test.empty:
        scores = held_out_metrics(result, test, None, args.target).iloc[0]
        print("held-out curves: " + ", ".join(f"{k} {v:.4g}" for k, v in scores.items()))
    print(f"time: {time.perf_counter() - began:.2f} s")
    common.print_warnings(caught)
    common.write_table(args, curve)
    if args.plot:
        dense = np.unique(np.linspace(max(schedule.warmup, 1), schedule.total - 1, 200).astype(int))
        _plot_prediction(js.predict_curve(source, schedule, steps=dense, level=args.level), args.plot)
        print(f"plot saved to {args.plot}")
    return 0


def describe(schedule) -> str:
    """`WSD(total=24000, warmup=2160, peak=0.0003, ...)`: a schedule's fields as plain numbers.

    >>> import jaxscale as js
    >>> from jaxscale.cli._curves import describe
    >>> describe(js.schedules.Constant(peak=1e-3, total=100, warmup=10))
    'Constant(total=100, warmup=10, peak=0.001)'
    """
    import dataclasses

    import numpy as np

    fields = ", ".join(f"{f.name}={np.asarray(getattr(schedule, f.name)).item() if not isinstance(getattr(schedule, f.name), str) else getattr(schedule, f.name)!s:.6}"
                       for f in dataclasses.fields(schedule))
    return f"{type(schedule).__name__}({fields})"


def _figure():
    from matplotlib.figure import Figure

    return Figure(figsize=(7, 4.5))


def _plot_fit(result, x, held_out, args) -> None:
    figure = _figure()
    ax = figure.add_subplot()
    pred = result.predict(x)
    for i, (name, rows) in enumerate(x.groupby(args.curve, sort=True).indices.items()):
        color = f"C{i % 10}"
        ax.plot(x["step"].to_numpy()[rows], x[args.target].to_numpy()[rows], ".", ms=2, color=color, alpha=0.5)
        ax.plot(x["step"].to_numpy()[rows], pred[rows], "--" if held_out[rows].all() else "-", lw=1, color=color, label=name)
    ax.set(xlabel="step", ylabel=args.target, title=f"{args.law}: fitted (solid) and held-out (dashed) curves")
    if x[args.curve].nunique() <= 12:
        ax.legend(fontsize=6)
    common.write_atomically(args.plot, lambda path: figure.savefig(path, dpi=120, bbox_inches="tight"))


def _plot_prediction(curve, path) -> None:
    figure = _figure()
    ax = figure.add_subplot()
    if "lo" in curve:
        ax.fill_between(curve["step"], curve["lo"], curve["hi"], alpha=0.3, label="bootstrap band")
    ax.plot(curve["step"], curve["loss"], label="predicted loss")
    ax.set(xlabel="step", ylabel="loss", title="predicted loss curve")
    ax.legend()
    common.write_atomically(path, lambda p: figure.savefig(p, dpi=120, bbox_inches="tight"))
