"""Data sets by name: find, generate or load them, always as a validated manifest.

``load_dataset("synthetic")`` generates the default synthetic voice corpus under
``data/synthetic/`` if it is missing and loads its manifest; the real-data names
(:data:`LOADERS`) come from :mod:`workbook.sources`. Every loader returns a
:class:`LoadedDataset` whose ``manifest`` has the columns described in
:mod:`workbook.manifest` and whose ``report`` accounts for every input row.

Notebook: every notebook opens its data set through :func:`load_dataset`.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Callable

from workbook.manifest import read_manifest
from workbook.paths import data_root
from workbook.sources.audiomnist import load_audiomnist
from workbook.sources.commonvoice import load_commonvoice, load_commonvoice_kaggle
from workbook.sources.folder_csv import load_folder_csv, load_original_bundle
from workbook.sources.loading import LoadedDataset
from workbook.sources.report import LoadReport
from workbook.synthetic.corpus import CorpusConfig, ensure_corpus

__all__ = ["LoadedDataset", "load_dataset"]

#: Notebook parameters every loader accepts and the synthetic loader does not need.
_IGNORED_NOTEBOOK_PARAMS = ("sr", "output_dir")


def default_synthetic_dir(n_speakers: int, clips_per_speaker: int, seed: int, **options) -> Path:
    """Folder of the synthetic corpus with these sizes, seed and options under the data folder.

    Options that differ from :class:`~workbook.synthetic.corpus.CorpusConfig`'s defaults
    (``min_age``, ``p_click``, ...) add a suffix, so corpora never overwrite each other.
    """
    name = f"n{n_speakers}_c{clips_per_speaker}_seed{seed}"
    if options:
        name += "_" + "_".join(f"{k}{v}" for k, v in sorted(options.items()))
    return data_root() / "synthetic" / name


def load_synthetic(data_dir: str | Path | None = None, *, n_speakers: int = 300, clips_per_speaker: int = 5,
                   seed: int = 0, n_jobs: int = 2, **options) -> LoadedDataset:
    """Load the synthetic corpus, generating it first if it is missing or out of date.

    ``options`` are further :class:`~workbook.synthetic.corpus.CorpusConfig` fields
    (``min_age``, ``max_age``, ``p_female``, ``p_click``, ``p_clipping``); anything else is
    refused with the list of valid names.
    """
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
    validation = read_manifest(root / "manifest.csv", check_files=True)
    problems = validation.problems.assign(source_file="manifest.csv", source_line=validation.problems["row"] + 2)
    report = LoadReport("synthetic", str(root), validation.n_input, problems, validation.manifest)
    info = {"config": config, "synthetic": True, "speaker_ids": "real", "speaker_leakage_possible": False}
    return LoadedDataset(name="synthetic", root=root, manifest=validation.manifest, report=report, info=info)


#: Loaders by data-set name: ``loader(data_dir, **params) -> LoadedDataset``.
LOADERS: dict[str, Callable[..., LoadedDataset]] = {
    "synthetic": load_synthetic,
    "commonvoice": load_commonvoice,
    "commonvoice_kaggle": load_commonvoice_kaggle,
    "original_bundle": load_original_bundle,
    "folder_csv": load_folder_csv,
    "audiomnist": load_audiomnist,
}


def load_dataset(name: str = "synthetic", data_dir: str | Path | None = None, **params) -> LoadedDataset:
    """Load a data set by name (see :data:`LOADERS` and each loader's parameters).

    Notebook: every notebook (``ds = load_dataset(dataset, data_dir, ...)``).
    """
    if name not in LOADERS:
        raise ValueError(f"unknown data set {name!r}; known: {sorted(LOADERS)}")
    return LOADERS[name](data_dir, **params)
