"""Real data sources, their downloads and their load reports; open them with
:func:`workbook.datasets.load_dataset` by name::

    ds = load_dataset("commonvoice", "../shared/data/commonvoice-6.1-sample")
    display_load_report(ds)            # what was kept, dropped and why

- :mod:`.commonvoice`: ``commonvoice`` (release layout: ``<lang>/validated.tsv`` + ``clips/``)
  and ``commonvoice_kaggle`` (``cv-valid-train.csv`` + ``cv-valid-train/``);
- :mod:`.folder_csv`: ``folder_csv`` (any recordings + a CSV, columns mapped by parameters)
  and ``original_bundle`` (the original analysis's CSV + ``audio_dataset/``);
- :mod:`.audiomnist`: ``audiomnist`` (``audioMNIST_meta.txt`` + ``<speaker>/*.wav``);
- :mod:`.tables` reads a source's table into candidate rows; :mod:`.loading` validates them,
  checks their audio and returns the ``LoadedDataset``; :mod:`.report` is the load report;
  :mod:`.downloads` fetches archives with pooch (``original_bundle`` and ``audiomnist``
  download into ``data/downloads/`` when ``data_dir`` is None).

Every loader takes ``check_audio`` (``"none"``, ``"header"`` default, ``"decode"``) and
``n_jobs`` (e.g. ``dataset_params = {"check_audio": "decode", "languages": ["de"]}`` in a
notebook's parameters cell), accepts and ignores the synthetic corpus's notebook
parameters, refuses unknown ones and never stops because of one bad row.

Notebook: every notebook opens its data through these loaders.
"""

from workbook.sources.report import LoadReport, display_load_report

__all__ = ["LoadReport", "display_load_report"]
