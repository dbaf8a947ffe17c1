"""What a schedule-aware law reads at each row: the summed learning rate up to the row's step, and the
learning-rate drops before it, each with the learning rate after it, the learning-rate area since it and the
steps since it, on a short per-row list of knots.

Notation (0-based steps, one learning rate eta_s per step): S1(t) = sum_{s <= t} eta_s (warmup included), and a
drop at step k is delta_k = eta_{k-1} - eta_k, counted only after the warmup (k >= warmup), so that the warmup's
rise is not annealing. Laws sum a function of (eta_k, S1(t) - S1(k-1), t - k + 1) over the drops, weighted by
delta_k.

Exact where a curve has at most `n_knots` drops (constant, step and two-stage schedules): one knot per drop.
Otherwise (cosine, linear or geometric decays change the rate at every step) the drops before each row are
grouped by their lag t - k + 1 into about `n_knots` blocks whose widths grow geometrically with the lag (single
steps next to t, where the laws' terms change fastest); a block is one knot carrying its summed drop and the
|drop|-weighted means of eta_k, S1(k-1) and k, so a term linear in those is summed exactly and the error is of
second order in the block's width (measured in tests/test_training_curves.py against the per-step sum).
"""

import jax.numpy as jnp
import numpy as np

KNOT_INPUTS = ("lr_drop", "lr_after", "drop_area", "drop_lag")
# Padding knots: no drop, and values that keep every law's terms finite.
_PAD = {"lr_drop": 0.0, "lr_after": 1.0, "drop_area": 1.0, "drop_lag": 1.0}


def annealing_knots(lr: np.ndarray, steps: np.ndarray, anneal_from: int, n_knots: int = 32) -> dict[str, np.ndarray]:
    """`lr_area` (rows,) and the knot arrays (rows, knots) of one curve: `lr` the learning rate at every step
    0 .. T - 1, `steps` the rows' steps (each < T), `anneal_from` the first step whose drop counts."""
    lr = np.asarray(lr, float)
    steps = np.asarray(steps, int)
    cum = np.cumsum(lr)
    before = np.concatenate([[0.0], cum[:-1]])  # S1(k - 1)
    delta = np.zeros_like(lr)
    delta[1:] = lr[:-1] - lr[1:]
    delta[: max(anneal_from, 1)] = 0.0
    changes = np.flatnonzero(delta)
    out = {"lr_area": cum[steps]}
    if len(changes) <= n_knots:
        k = changes[None, :]
        seen = k <= steps[:, None]
        t = steps[:, None]
        knots = {
            "lr_drop": np.where(seen, delta[k], 0.0),
            "lr_after": np.where(seen, lr[k], 1.0),
            "drop_area": np.where(seen, cum[t] - before[k], 1.0),
            "drop_lag": np.where(seen, t - k + 1.0, 1.0),
        }
    else:
        knots = _blocked(lr, cum, before, delta, steps, anneal_from, n_knots)
    return out | _compress(knots)


def _blocked(lr, cum, before, delta, steps, anneal_from, n_knots) -> dict[str, np.ndarray]:
    weight = np.abs(delta)
    k = np.arange(len(lr), dtype=float)
    prefix = {name: np.concatenate([[0.0], np.cumsum(v)]) for name, v in
              {"drop": delta, "w": weight, "wlr": weight * lr, "wbefore": weight * before, "wk": weight * k}.items()}
    # Lag edges 1 = e_0 <= e_1 <= ... <= e_K = longest + 1, geometric; repeated edges give empty blocks,
    # dropped below. Lags [e_j, e_{j+1}) are the steps k in [t + 2 - e_{j+1}, t + 1 - e_j].
    longest = np.maximum(steps - max(anneal_from, 1) + 1, 0)
    fraction = np.arange(n_knots + 1) / n_knots
    edges = np.floor(np.exp(fraction[None, :] * np.log(longest[:, None] + 1.0)) + 1e-9).astype(int)
    edges[:, 0], edges[:, -1] = 1, longest + 1
    edges = np.maximum.accumulate(edges, axis=1)
    t = steps[:, None]
    hi, lo = t + 2 - edges[:, :-1], t + 2 - edges[:, 1:]
    block = {name: p[np.clip(hi, 0, len(lr))] - p[np.clip(lo, 0, len(lr))] for name, p in prefix.items()}
    w = block["w"]
    used = w > 0
    safe = np.where(used, w, 1.0)
    return {
        "lr_drop": np.where(used, block["drop"], 0.0),
        "lr_after": np.where(used, block["wlr"] / safe, 1.0),
        "drop_area": np.where(used, cum[steps][:, None] - block["wbefore"] / safe, 1.0),
        "drop_lag": np.where(used, t + 1 - block["wk"] / safe, 1.0),
    }


def _compress(knots: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Knots with a drop first in each row; columns no row uses dropped (at least one column kept)."""
    used = knots["lr_drop"] != 0
    order = np.argsort(~used, axis=1, kind="stable")
    width = max(1, int(used.sum(axis=1).max(initial=0)))
    return {name: np.take_along_axis(v, order, axis=1)[:, :width] for name, v in knots.items()}


def pad_knots(knots: dict[str, np.ndarray], width: int) -> dict[str, np.ndarray]:
    """Knot arrays widened to `width` columns with padding knots (no drop)."""
    return {name: np.pad(v, ((0, 0), (0, width - v.shape[1])), constant_values=_PAD[name]) for name, v in knots.items()}


def final_step_inputs(lr, anneal_from: int) -> dict:
    """The exact inputs (one row, one knot per step) for the loss at the last step of `lr`, in jax.numpy, so
    that they are differentiable in the schedule's parameters."""
    lr = jnp.asarray(lr)
    cum = jnp.cumsum(lr)
    k = jnp.arange(1, lr.shape[0])
    delta = jnp.where(k >= anneal_from, lr[:-1] - lr[1:], 0.0)
    t = lr.shape[0] - 1
    return {
        "lr_area": cum[-1:],
        "lr_drop": delta[None, :],
        "lr_after": lr[1:][None, :],
        "drop_area": (cum[t] - cum[k - 1])[None, :],
        "drop_lag": (t + 1.0 - k.astype(lr.dtype))[None, :],
    }
