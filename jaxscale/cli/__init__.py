"""The `jaxscale` command line: one module per command, each with `add(commands, parents)` (its options) and
`run(args)` (the work; jaxscale itself is imported inside it).

`jaxscale fit chinchilla`, `jaxscale fit data.csv --law chinchilla [--by family] [--out fit.csv]`,
`jaxscale bootstrap chinchilla -n 4000`, `jaxscale isoflop data.csv [--by config]`,
`jaxscale allocate chinchilla --budget 1e24 [--inference-tokens 1e13]`,
`jaxscale curves fit multipower --law multi_power --by size`, `jaxscale downstream olmo_ladder --task mmlu --target 13B`, ...

Every failure is one line on stderr and a non-zero exit (2 for a problem with the input, 1 otherwise), never
a traceback; output paths are checked before any work, and files are written whole or not at all.
"""

import argparse
import sys

from . import _allocate, _backtest, _bootstrap, _common, _compare, _curves, _downstream, _fit, _infer, _isoflop, _mixture

# The `jaxscale` script itself (jaxscale_launcher) answers `jaxscale resident`; this parser never sees it.
RESIDENT = ("The jaxscale command hands each call to a resident process that keeps jaxscale imported and compiled "
            "(`jaxscale resident` says whether one runs, `jaxscale resident stop` stops it, JAXSCALE_RESIDENT=0 turns it off).")

COMMANDS = (_fit, _bootstrap, _isoflop, _allocate, _infer, _mixture, _backtest, _compare, _curves, _downstream)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="jaxscale", description="Fit, quantify and act on scaling laws.", epilog=RESIDENT)
    commands = parser.add_subparsers(dest="command", required=True)
    parents = _common.parents()
    for command in COMMANDS:
        command.add(commands, parents)
    args = parser.parse_args(argv)
    try:
        for flag in args.outputs:
            _common.check_output(getattr(args, flag, None), f"--{flag}", figure=flag == "plot")
        return args.run(args)
    except (ValueError, TypeError, KeyError, OSError) as error:
        print(f"jaxscale: error: {str(error).strip(chr(39)) if isinstance(error, KeyError) else error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - the command line reports, it does not crash
        print(f"jaxscale: error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


__all__ = ["main"]
