"""The committed notebooks: small enough for a code host, paired with their py:percent
twins, parameterised, and free of function definitions (every function lives in helpers)."""

from __future__ import annotations

import ast
import re

import jupytext
import nbformat
import pytest

from workbook.paths import notebooks_dir

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))
MAX_BYTES = 2_000_000


def test_only_numbered_notebooks():
    assert NOTEBOOKS, "no notebooks committed"
    stray = [p.name for p in NOTEBOOKS if not re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name)]
    assert not stray, f"stray notebooks: {stray}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_under_2_mb(path):
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size / 1e6:.2f} MB"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_structure(path):
    nb = nbformat.read(str(path), as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("#")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one parameters cell"
    params = ast.parse(tagged[0].source)
    assert all(isinstance(node, (ast.Assign, ast.AnnAssign)) for node in params.body), \
        "the parameters cell holds only assignments"
    assert any(c.cell_type == "code" and c.outputs for c in nb.cells), "committed with outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_function_definitions_in_notebooks(path):
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        for node in ast.parse(source).body:
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)), (
                f"{path.name} defines {node.name}: move it to helpers/")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_paired_with_py_percent_twin(path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{twin.name} missing: notebooks are edited as py:percent twins"
    nb = nbformat.read(str(path), as_version=4)
    py = jupytext.read(str(twin))
    sources = lambda n: [(c.cell_type, c.source.strip()) for c in n.cells]  # noqa: E731
    assert sources(nb) == sources(py), f"{path.name} differs from {twin.name}: run make notebooks"
