"""Every Python block of the README runs, in order, in one namespace, with DeprecationWarnings as errors (so it
uses only current spellings). The placeholder line `js.laws.DataConstrained(...)` is left out."""

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow  # every example of the README, NUTS runs included (~2 min)
def test_every_python_block_of_the_readme_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 8
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)  # FitWarnings of the short examples
        for i, block in enumerate(blocks):
            code = "\n".join(line for line in block.splitlines() if "(...)" not in line.split("#")[0])
            exec(compile(code, f"README block {i}", "exec"), namespace)
