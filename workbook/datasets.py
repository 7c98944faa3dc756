"""Data sets by name: find, generate or load them, always as a validated manifest.

``load_dataset("synthetic")`` generates the default synthetic voice corpus under
``data/synthetic/`` if it is missing and loads its manifest; other names (Common Voice and
friends) plug into :data:`LOADERS`. Every loader returns a :class:`LoadedDataset` whose
``manifest`` has the columns described in :mod:`workbook.manifest` and whose ``report``
accounts for every input row.

Notebook: every notebook opens its data set through :func:`load_dataset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from workbook.paths import data_root
from workbook.sources.report import LoadReport, report_from_validation


@dataclass
class LoadedDataset:
    """A data set ready for analysis.

    ``manifest``: one row per usable recording; ``report``: what was kept, dropped and why
    (a :class:`workbook.sources.report.LoadReport`; ``display_load_report(ds.report)`` shows it
    in a notebook); ``root``: its folder; ``name``: the loader's name; ``info``:
    loader-specific facts (``speaker_leakage_possible`` is True when speaker ids are not
    real speakers).
    """

    name: str
    root: Path
    manifest: pd.DataFrame
    report: LoadReport
    info: dict = field(default_factory=dict)

    def summary(self) -> str:
        m = self.manifest
        lines = [
            f"data set {self.name!r} at {self.root}",
            self.report.summary(),
            f"{len(m)} clips from {m['speaker'].nunique()} speakers",
        ]
        return "\n".join(lines)


def default_synthetic_dir(n_speakers: int, clips_per_speaker: int, seed: int, **options) -> Path:
    """Folder of the synthetic corpus with these sizes, seed and options under the data folder.

    Options that differ from :class:`~workbook.synthetic.corpus.CorpusConfig`'s defaults
    (``min_age``, ``p_click``, ...) add a suffix, so corpora never overwrite each other.
    """
    name = f"n{n_speakers}_c{clips_per_speaker}_seed{seed}"
    if options:
        name += "_" + "_".join(f"{k}{v}" for k, v in sorted(options.items()))
    return data_root() / "synthetic" / name


#: Notebook parameters every loader accepts and the synthetic loader does not need.
_IGNORED_NOTEBOOK_PARAMS = ("sr", "output_dir")


def load_synthetic(
    data_dir: str | Path | None = None,
    *,
    n_speakers: int = 300,
    clips_per_speaker: int = 5,
    seed: int = 0,
    n_jobs: int = 2,
    **options,
) -> LoadedDataset:
    """Load the synthetic corpus, generating it first if it is missing or out of date.

    ``options`` are further :class:`~workbook.synthetic.corpus.CorpusConfig` fields
    (``min_age``, ``max_age``, ``p_female``, ``p_click``, ``p_clipping``); anything else is
    refused with the list of valid names.
    """
    from dataclasses import fields

    from workbook.synthetic.corpus import CorpusConfig, ensure_corpus

    for name in _IGNORED_NOTEBOOK_PARAMS:
        options.pop(name, None)
    valid = {f.name for f in fields(CorpusConfig)} - {"n_speakers", "clips_per_speaker", "seed"}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise TypeError(f"synthetic data set: unknown option(s) {unknown}; valid: {sorted(valid)}")
    config = CorpusConfig(n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed, **options)
    non_default = {k: v for k, v in options.items() if v != getattr(CorpusConfig(), k)}
    root = Path(data_dir) if data_dir else default_synthetic_dir(n_speakers, clips_per_speaker, seed, **non_default)
    ensure_corpus(root, config, n_jobs=n_jobs)
    from workbook.manifest import read_manifest

    validation = read_manifest(root / "manifest.csv", check_files=True)
    report = report_from_validation("synthetic", str(root), validation, source_file="manifest.csv")
    return LoadedDataset(
        name="synthetic",
        root=root,
        manifest=validation.manifest,
        report=report,
        info={"config": config, "synthetic": True, "speaker_ids": "real", "speaker_leakage_possible": False},
    )


def _source_loader(module: str, function: str) -> Callable[..., LoadedDataset]:
    """A loader from :mod:`workbook.sources`, imported on first use (keeps imports cheap)."""

    def loader(data_dir: str | Path | None = None, **params) -> LoadedDataset:
        import importlib

        mod = importlib.import_module(f"workbook.sources.{module}")
        return getattr(mod, function)(data_dir, **params)

    loader.__name__ = function
    loader.__qualname__ = function
    loader.__doc__ = f"Load with :func:`workbook.sources.{module}.{function}` (see its parameters)."
    return loader


#: Loaders by data-set name: ``loader(data_dir, **params) -> LoadedDataset``.
LOADERS: dict[str, Callable[..., LoadedDataset]] = {
    "synthetic": load_synthetic,
    "commonvoice": _source_loader("commonvoice", "load_commonvoice"),
    "commonvoice_kaggle": _source_loader("commonvoice", "load_commonvoice_kaggle"),
    "original_bundle": _source_loader("folder_csv", "load_original_bundle"),
    "folder_csv": _source_loader("folder_csv", "load_folder_csv"),
    "audiomnist": _source_loader("audiomnist", "load_audiomnist"),
}


def load_dataset(name: str = "synthetic", data_dir: str | Path | None = None, **params) -> LoadedDataset:
    """Load a data set by name (see :data:`LOADERS`), with loader-specific parameters."""
    if name not in LOADERS:
        raise ValueError(f"unknown data set {name!r}; known: {sorted(LOADERS)}")
    return LOADERS[name](data_dir, **params)
