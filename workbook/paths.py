"""Where things live: the project root, its data folder and its outputs folder.

Every path the workbook writes is built here, so notebooks work from any current
directory (JupyterLab opens them in ``notebooks/``, papermill from the project root).

Notebook: every notebook, through :mod:`workbook.datasets` and :mod:`workbook.runner`.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["run_output_dir"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """Folder where data sets are generated or cached (``$WORKBOOK_DATA`` or ``<root>/data``)."""
    return Path(os.environ.get("WORKBOOK_DATA", _PROJECT_ROOT / "data")).resolve()


def outputs_root() -> Path:
    """Folder for executed notebooks, reports and models (``$WORKBOOK_OUTPUTS`` or ``<root>/outputs``)."""
    return Path(os.environ.get("WORKBOOK_OUTPUTS", _PROJECT_ROOT / "outputs")).resolve()


def notebooks_dir() -> Path:
    """Folder holding the numbered notebooks."""
    return _PROJECT_ROOT / "notebooks"


def shared_commonvoice_sample() -> Path:
    """The real Common Voice sample beside the project (``../shared/data/commonvoice-6.1-sample``)."""
    return (_PROJECT_ROOT.parent / "shared" / "data" / "commonvoice-6.1-sample").resolve()


def run_output_dir(dataset: str, output_dir: str | Path | None = None) -> Path:
    """Folder where one data set's run writes executed notebooks and artefacts (created).

    ``output_dir`` (a notebook parameter) wins; otherwise ``outputs/<dataset>/``.

    Notebook: every notebook (``out_dir = run_output_dir(dataset, output_dir)``).
    """
    path = Path(output_dir) if output_dir else outputs_root() / dataset
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()
