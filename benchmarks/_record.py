"""Where every benchmark's table goes: printed, and appended to benchmarks/README.md."""

import os


def record(table: str) -> None:
    print(table)
    with open(os.path.join(os.path.dirname(__file__), "README.md"), "a") as readme:
        readme.write("\n" + table)
