"""What every command shares: the data and law options, reading the data, and writing files safely.

Output paths are checked before any work (a missing directory, a directory given as a file), and files are
written to a temporary name in the same directory and then renamed, so a failed or interrupted command never
leaves a partial file.
"""

import argparse
import os

from .._output_file import check_writable, write_atomically


def parents() -> dict[str, argparse.ArgumentParser]:
    """The option groups commands share: "data", "law" (fitting options) and "out" (--out CSV)."""
    from ..laws import BY_NAME

    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("data", help="a built-in dataset name (see jaxscale.datasets.names()) or a CSV file")
    data.add_argument("--target", default="loss", help="column to fit (default: loss)")
    data.add_argument("--all-points", action="store_true", help="chinchilla: use all 245 points, not Epoch's 240")
    law = argparse.ArgumentParser(add_help=False)
    law.add_argument("--law", default="chinchilla", help=f"law name: {', '.join(sorted(BY_NAME))}")
    law.add_argument("--input", action="append", default=[], metavar="NAME=COLUMN", help="map a law input to a column")
    law.add_argument("--delta", type=float, default=1e-3, help="Huber delta of the LogHuber objective")
    law.add_argument("--n-refine", type=int, default=16, help="how many screened starts to refine")
    law.add_argument("--float32", action="store_true", help="fit in float32 instead of float64")
    law.add_argument("--fix", action="append", default=[], metavar="NAME=VALUE", help="hold a parameter at a value (e.g. E=1.69)")
    law.add_argument("--tie", action="append", default=[], metavar="NAME=OTHER", help="give a parameter another's value (e.g. beta=alpha)")
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--out", metavar="CSV", help="also write the printed table to this CSV file")
    return {"data": data, "law": law, "out": out}


def load(args):
    """The data named on the command line (a CSV file or a built-in dataset) and a phrase saying which."""
    import pandas as pd

    import jaxscale as js

    if os.path.isfile(args.data):
        try:
            return pd.read_csv(args.data), args.data
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise ValueError(f"could not read {args.data!r} as CSV ({error}); give a comma-separated file with a header row.") from None
    if args.data == "chinchilla":
        subset = "all" if args.all_points else "epoch"
        data = js.datasets.load(args.data, subset=subset)
        return data, f"built-in 'chinchilla' ({len(data)} points{', as fitted by Epoch AI' if subset == 'epoch' else ''})"
    if args.data in js.datasets.names():
        return js.datasets.load(args.data), f"built-in '{args.data}'"
    raise ValueError(f"{args.data!r} is neither a file nor a built-in dataset ({', '.join(js.datasets.names())}).")


def fit_options(args) -> dict:
    import jax.numpy as jnp

    import jaxscale as js

    if not args.delta > 0:
        raise ValueError(f"--delta must be > 0, got {args.delta}.")
    if args.n_refine < 1:
        raise ValueError(f"--n-refine must be >= 1, got {args.n_refine}.")
    return dict(
        target=args.target,
        inputs=dict(pair(text) for text in args.input),
        loss=js.LogHuber(args.delta),
        n_refine=args.n_refine,
        dtype=jnp.float32 if args.float32 else jnp.float64,
        fixed={name: number(value, "--fix") for name, value in (pair(text, "--fix NAME=VALUE") for text in args.fix)},
        tied=dict(pair(text, "--tie NAME=OTHER") for text in args.tie),
    )


def number(text: str, flag: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{flag} takes NAME=VALUE with a number as the value, got {text!r}.") from None


def pair(text: str, usage: str = "--input NAME=COLUMN") -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise ValueError(f"{usage.split()[0]} takes {usage.split()[1]}, got {text!r}.")
    return name, value


def names(text: str | None) -> list[str]:
    """A comma-separated command-line list as names ("" or None: none)."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def print_warnings(caught) -> None:
    for warning in caught:
        print(f"warning: {warning.message}")


def check_output(path: str | None, flag: str, figure: bool = False) -> None:
    """Refuses, before any work, an output path that cannot be written (for a figure, also one whose extension
    names no image format)."""
    if path is None:
        return
    if not figure:
        check_writable(path, flag)
        return
    from ..plot import check_path

    try:
        check_path(path)
    except ValueError as error:
        raise ValueError(f"{flag}: {error}") from None


def write_table(args, frame) -> None:
    """Writes `frame` to `--out` when it was given."""
    if getattr(args, "out", None):
        write_atomically(args.out, lambda p: frame.to_csv(p, index=False))
        print(f"table written to {args.out}")
