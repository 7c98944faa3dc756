"""``metrics.json``: every headline number of a run, in one file, the same for the same seed.

Notebooks add their numbers section by section with :func:`update_metrics` (a section is
replaced whole, other sections are kept), so the file gathers the EDA counts and the
modelling scores of one run in ``run_output_dir(dataset, output_dir)/metrics.json``. Floats
are rounded to 6 significant digits and keys sorted, so two runs with the same seed give
byte-identical files; nothing that depends on the machine (timings, paths) belongs here.

Notebook: 04_eda, 05_modeling
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from filelock import FileLock

__all__ = ["update_metrics"]

_METRICS_FILENAME = "metrics.json"


def _clean(value):
    """JSON-able copy with floats rounded to 6 significant digits (NaN and inf become None)."""
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()  # NumPy arrays and scalars as Python values
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"metrics hold numbers, strings, lists and dicts; got {type(value).__name__}")


def read_metrics(folder: str | Path) -> dict:
    """The metrics of a run folder ({} if there are none yet).

    Notebook: 05_modeling
    """
    path = Path(folder) / _METRICS_FILENAME
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); delete it and re-run the notebooks") from exc


def update_metrics(folder: str | Path, section: str, values: dict) -> Path:
    """Replace one section of ``folder/metrics.json`` with ``values``; keep the other sections.

    Safe when several notebooks update the same file at once (a lock file beside it).

    Notebook: 04_eda, 05_modeling
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _METRICS_FILENAME
    cleaned = _clean(values)
    with FileLock(path.with_suffix(".json.lock"), timeout=60):  # notebooks run side by side (workbook.runner)
        doc = read_metrics(folder)
        doc[section] = cleaned
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        tmp.replace(path)
    return path
