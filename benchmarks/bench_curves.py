"""All 92 curves of the Revisiting Neural Scaling Laws benchmark in one call: jaxscale against a scipy loop.

Fits on `training == 1`, extrapolates to `training == 0`, for PowerLaw and a one-break BrokenPowerLaw; reports
the extrapolation RMSE and ARE (median and mean over curves) and the time, beside a Python loop of scipy
`curve_fit` (peers_curves.py). Appends the table to benchmarks/README.md.
Run: python benchmarks/bench_curves.py
"""

import datetime
import os
import platform
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import peers_curves as peers  # noqa: E402
from _record import record  # noqa: E402

import jaxscale as js  # noqa: E402

LAWS = {"power_law": js.PowerLaw, "broken_power_law": js.BrokenPowerLaw.template(n_breaks=1)}
# The defaults, then the two knobs that trade restarts and precision for speed.
SETTINGS = {
    "defaults": {},
    "n_refine=8": dict(n_refine=8),
    "n_refine=8, float32": dict(n_refine=8, dtype=jnp.float32),
}


def run_jaxscale(frame, name: str, setting: str, repeats: int = 5) -> dict:
    law, options = LAWS[name], SETTINGS[setting]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", js.FitWarning)  # a few curves have E on its bound: reported per curve
        began = time.perf_counter()
        first = js.evaluate(law, frame, train="training", by="curve", **options)
        first_call = time.perf_counter() - began
        warm = []
        for _ in range(repeats):
            began = time.perf_counter()
            result = js.evaluate(law, frame, train="training", by="curve", **options)
            warm.append(time.perf_counter() - began)
    per_curve = result.to_frame()
    statuses = result.fits.to_frame()["status"].value_counts().to_dict()
    return dict(
        name=f"jaxscale evaluate(..., by='curve'), {setting}: {name}",
        seconds=min(warm),
        rmse=(per_curve["rmse"].median(), per_curve["rmse"].mean()),
        are=(per_curve["are"].median(), per_curve["are"].mean()),
        failed=0,
        note=(f"LogHuber(1e-3), law's default starts ({first.fits.start_z.shape[1]}), {first.fits.end_z.shape[1]} refined per curve, "
              f"GaussNewton, {jnp.dtype(options.get('dtype', jnp.float64)).name}; warm, min of {repeats}, "
              f"whole call incl. data handling; first call {first_call:.1f} s with {first.fits.compile_seconds:.1f} s compiling; "
              f"best restart per curve: {statuses}"),
    )


def run_peer(frame, name: str) -> dict:
    result = peers.curve_fit_loop(frame, name)
    summary = peers.summarize(result)
    return dict(name=result["name"], seconds=result["seconds"], rmse=(summary["median_rmse"], summary["mean_rmse"]),
                are=(summary["median_are"], summary["mean_are"]), failed=summary["n_failed"], note=result["note"])


def main() -> None:
    frame = js.datasets.load("revisiting")
    lines = [
        f"### Revisiting benchmark, 92 curves, {datetime.date.today()}, {platform.node()} ({os.cpu_count()} CPU cores), "
        f"jax {jax.__version__}, jaxscale {js.__version__}",
        "",
        "| method | time (s) | speed-up over the scipy loop | RMSE median / mean | ARE median / mean | failed curves | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in LAWS:
        ours = [run_jaxscale(frame, name, setting) for setting in SETTINGS]
        peer = run_peer(frame, name)
        for row in ours + [peer]:
            lines.append(
                f"| {row['name']} | {row['seconds']:.3f} | {peer['seconds'] / row['seconds']:.1f}x | "
                f"{row['rmse'][0]:.5f} / {row['rmse'][1]:.5f} | {row['are'][0]:.4f} / {row['are'][1]:.4f} | "
                f"{row['failed']} | {row['note']} |"
            )
    table = "\n".join(lines) + "\n"
    record(table)


if __name__ == "__main__":
    main()
