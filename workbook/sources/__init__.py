"""Real data sources: Common Voice (release and Kaggle layouts), the original analysis's
bundle, any folder plus a CSV, and AudioMNIST; their downloads and their load reports.

Open them by name through :func:`workbook.datasets.load_dataset`::

    ds = load_dataset("commonvoice", "../shared/data/commonvoice-6.1-sample")
    display_load_report(ds)            # what was kept, dropped and why

- :mod:`.commonvoice`: ``commonvoice`` (``validated.tsv`` + ``clips/``, or ``<lang>/``
  folders of those) and ``commonvoice_kaggle`` (``cv-valid-train.csv`` + ``cv-valid-train/``);
- :mod:`.folder_csv`: ``folder_csv`` (any recordings + a CSV whose columns are mapped by
  parameters) and ``original_bundle`` (a CSV of filename, age, gender + ``audio_dataset/``);
- :mod:`.audiomnist`: ``audiomnist`` (``audioMNIST_meta.txt`` + ``<speaker>/*.wav``);
- :mod:`.tables` reads a source's table into candidate rows, :mod:`.loading` validates
  them, checks their audio and builds the :class:`~.loading.LoadedDataset`,
  :mod:`.report` is the load report, :mod:`.downloads` fetches archives with pooch.

Loader parameters come from a notebook's parameters cell as plain literals, e.g.
``dataset_params = {"check_audio": "decode", "languages": ["de"]}``. Every loader takes
``check_audio`` (``"none"``, ``"header"`` default, ``"decode"``) and ``n_jobs``, accepts
(and ignores) the synthetic corpus's notebook parameters, refuses unknown ones and never
stops because of one bad row. ``original_bundle`` and ``audiomnist`` download into
``data/downloads/`` when ``data_dir`` is None.

Notebook: every notebook opens its data through these loaders.
"""

from workbook.sources.report import LoadReport, display_load_report

__all__ = ["LoadReport", "display_load_report"]
