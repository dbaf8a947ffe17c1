"""The notebooks run top to bottom (their cells assert the published numbers they show)."""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


# The quickstart runs by default; the longer walk-throughs are `slow` (CI runs them with `-m slow`).
CASES = [pytest.param(p, marks=() if p.name.startswith("01_") else pytest.mark.slow, id=p.name) for p in NOTEBOOKS]


@pytest.mark.parametrize("path", CASES)
def test_notebook_executes(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]


def test_there_is_a_quickstart():
    assert any(p.name == "01_quickstart.ipynb" for p in NOTEBOOKS)
