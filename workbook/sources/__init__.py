"""Real data sources: Common Voice (release and Kaggle layouts), the original analysis's
bundle, any folder plus a CSV, and AudioMNIST; their downloads and their load reports.

Open them by name through :func:`workbook.datasets.load_dataset`::

    ds = load_dataset("commonvoice", "../shared/data/commonvoice-6.1-sample")
    display_load_report(ds.report)            # top of every notebook

- ``commonvoice``: ``validated.tsv`` + ``clips/``, or ``<lang>/`` folders of those
  (:func:`workbook.sources.commonvoice.load_commonvoice`);
- ``commonvoice_kaggle``: ``cv-valid-train.csv`` + ``cv-valid-train/`` ...
  (:func:`workbook.sources.commonvoice.load_commonvoice_kaggle`);
- ``original_bundle``: a CSV (filename, age, gender, ...) + ``audio_dataset/``
  (:func:`workbook.sources.folder_csv.load_original_bundle`);
- ``folder_csv``: any recordings + a CSV whose columns are mapped by parameters
  (:func:`workbook.sources.folder_csv.load_folder_csv`);
- ``audiomnist``: ``audioMNIST_meta.txt`` + ``<speaker>/*.wav``
  (:func:`workbook.sources.audiomnist.load_audiomnist`).

Loader parameters come from a notebook's parameters cell as plain literals, e.g.
``load_dataset(dataset, data_dir, **dataset_params, n_speakers=n_speakers, ...)`` with
``dataset_params = {"check_audio": "decode", "languages": ["de"]}``.

Every loader takes ``check_audio`` (``"none"``, ``"header"`` default, ``"decode"``) and
``n_jobs``, accepts (and ignores) the synthetic corpus's notebook parameters, refuses
unknown ones, never stops because of one bad row, and returns a
:class:`~workbook.datasets.LoadedDataset` whose ``report`` is a
:class:`~workbook.sources.report.LoadReport`. ``original_bundle`` and ``audiomnist``
download into ``data/downloads/`` when ``data_dir`` is None (:mod:`.downloads`).

Notebook: every notebook opens its data through these loaders.
"""

from workbook.sources.report import (
    DROP_REASONS,
    FLAG_REASONS,
    SPEAKER_LEAKAGE_WARNING,
    LoadReport,
    SpeakerLeakageWarning,
    display_load_report,
    speaker_split_warning,
)

__all__ = [
    "DROP_REASONS",
    "FLAG_REASONS",
    "SPEAKER_LEAKAGE_WARNING",
    "LoadReport",
    "SpeakerLeakageWarning",
    "display_load_report",
    "speaker_split_warning",
]
