"""The worked solutions of the notebooks' exercises run headless, on a small corpus."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from workbook.paths import notebooks_dir

SOLUTIONS = sorted((notebooks_dir() / "solutions").glob("*_solutions.ipynb"))
NUMBERED = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def test_every_notebook_ends_with_exercises_and_has_solutions():
    assert NUMBERED
    for nb_path in NUMBERED:
        last = nbformat.read(str(nb_path), as_version=4).cells[-1]
        assert last.cell_type == "markdown" and last.source.startswith("## Exercises"), \
            f"{nb_path.name}: the last cell is not the exercises"
        items = [ln for ln in last.source.splitlines() if ln[:2] in {f"{i}." for i in range(1, 10)}]
        assert 2 <= len(items) <= 4, f"{nb_path.name}: {len(items)} exercises, expected 2 to 4"
        solution = notebooks_dir() / "solutions" / f"{nb_path.stem}_solutions.ipynb"
        assert solution.exists() and solution.name in last.source, f"{nb_path.name}: no solutions notebook linked"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tmp_path_factory.mktemp("exercises") / "corpus"


@pytest.mark.slow
@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solutions_run_headless(solution, corpus, tmp_path):
    params = {"data_dir": str(corpus), "n_speakers": 24, "clips_per_speaker": 3, "seed": 0}
    try:
        pm.execute_notebook(str(solution), str(tmp_path / solution.name), parameters=params, cwd=str(solution.parent),
                            kernel_name="python3", progress_bar=False, execution_timeout=600)
    except pm.PapermillExecutionError as exc:
        pytest.fail(f"{solution.name}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}")
