"""The machinery a learner need not read: data sets, the feature engine, models on disk, the runner.

- :mod:`workbook.paths`          project root, data and outputs folders, :func:`run_output_dir`
- :mod:`workbook.manifest`       the manifest table (one row per clip) and its checks
- :mod:`workbook.datasets`       :func:`load_dataset` -> :class:`LoadedDataset` (synthetic or real)
- :mod:`workbook.sources`        Common Voice, folder + CSV, AudioMNIST; the load report
- :mod:`workbook.synthetic`      the synthetic voice corpus with known ground truth
- :mod:`workbook.engine`         :func:`extract_features`: every file's features, parallel, cached, resumable
- :mod:`workbook.workers`        what a worker does with one file; the joblib and Dask back-ends
- :mod:`workbook.cache`          the Parquet cache keyed by file content and spec
- :mod:`workbook.mel_images`     fixed-length log-mel images of every clip (:func:`extract_mel_images`)
- :mod:`workbook.feature_table`  notebook 03's outputs read back (or made now) for notebooks 04-05
- :mod:`workbook.metrics_json`   ``metrics.json``: every headline number of a run
- :mod:`workbook.persistence`    skops model files with a stated list of trusted types
- :mod:`workbook.predict`        :class:`Predictor`: age and gender of new recordings
- :mod:`workbook.runner`         every notebook headless with papermill, parameters checked
- :mod:`workbook.cli`            ``python -m workbook run|generate|features|predict|refresh-notebooks``

The names below are importable from ``workbook`` directly; each is imported from its module
on first use, so ``import workbook`` stays cheap.
"""

from __future__ import annotations

import importlib

#: Entry points the notebooks use, by the module that defines them.
_MODULE_OF = {
    "LoadedDataset": "workbook.datasets",
    "load_dataset": "workbook.datasets",
    "run_output_dir": "workbook.paths",
    "display_load_report": "workbook.sources",
    "extract_features": "workbook.engine",
    "read_features": "workbook.engine",
    "write_outputs": "workbook.engine",
    "extract_mel_images": "workbook.mel_images",
    "feature_columns": "workbook.feature_table",
    "load_feature_table": "workbook.feature_table",
    "load_mel_images": "workbook.feature_table",
    "model_feature_columns": "workbook.feature_table",
    "update_metrics": "workbook.metrics_json",
    "TRUSTED_TYPES": "workbook.persistence",
    "save_models": "workbook.persistence",
    "Predictor": "workbook.predict",
}

__all__ = ["LoadedDataset", "Predictor", "TRUSTED_TYPES", "display_load_report", "extract_features",
           "extract_mel_images", "feature_columns", "load_dataset", "load_feature_table", "load_mel_images",
           "model_feature_columns", "read_features", "run_output_dir", "save_models", "update_metrics", "write_outputs"]


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'workbook' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value  # found directly next time
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
