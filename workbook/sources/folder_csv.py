"""Any folder of recordings plus a CSV, and the original analysis's bundle.

``load_folder_csv`` reads a table that names, per recording, its file and its labels; the
column names are parameters, so a notebook's parameters cell can map any table::

    dataset = "folder_csv"
    data_dir = "/data/my_recordings"
    dataset_params = {"csv": "labels.csv", "path_column": "file", "age_column": "age_years",
                      "gender_column": "sex", "speaker_column": "participant"}

The age column may hold years (``34``) or Common Voice groups (``thirties``; ``forties``
is read as Common Voice's ``fourties``); years become a group by the Common Voice
decades and both are kept (``age_years``, ``age_group``). Without a speaker column every
clip gets a pseudo speaker id and the report warns that speaker leakage cannot be ruled
out.

``load_original_bundle`` reads the bundle of the analysis this workbook revisits: a CSV of
``filename, age, gender, ...`` with an ``audio_dataset/`` folder beside it, downloaded
on request from the article's link (see :mod:`workbook.sources.downloads`).

Notebook: every notebook, through ``load_dataset("folder_csv" | "original_bundle", ...)``.
"""

from __future__ import annotations

from pathlib import Path

from workbook.sources.downloads import fetch
from workbook.sources.loading import LoadedDataset, check_params, finish_load
from workbook.sources.tables import DataLayoutError, open_folder, read_rows

__all__ = ["load_folder_csv", "load_original_bundle"]

#: Extensions tried, in this order, for a table naming recordings by stem (``speaker12``).
_AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")

#: Column names taken as the speaker id when ``speaker_column="auto"``.
_SPEAKER_COLUMN_NAMES = ("speaker", "speaker_id", "client_id", "participant", "subject")


def _pick_table(folder: Path, csv: str | Path | None) -> Path:
    """The table ``csv`` (relative to ``folder`` or absolute), or the only ``.csv`` / ``.tsv`` in ``folder``."""
    if csv is not None:
        path = Path(csv) if Path(csv).is_absolute() else folder / csv
        if not path.is_file():
            raise DataLayoutError(f"{path}: table not found (csv={str(csv)!r})")
        return path
    tables = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".tsv") and p.is_file())
    if len(tables) != 1:
        found = f"several tables ({[p.name for p in tables]})" if tables else "no .csv or .tsv table"
        raise DataLayoutError(f"{folder}: {found}; choose one with csv=...")
    return tables[0]


def _ambiguous_stems(candidates) -> list[str]:
    """A warning naming the rows listed by stem (``speaker12``) that several audio files match."""
    several = []
    for clip, path in zip(candidates["clip"], candidates["path"]):
        chosen = Path(str(path))
        if clip and not str(clip).lower().endswith(_AUDIO_EXTENSIONS) and chosen.is_file():
            others = [chosen.with_suffix(x).name for x in _AUDIO_EXTENSIONS
                      if x != chosen.suffix and chosen.with_suffix(x).is_file()]
            if others:
                several.append(f"{clip} -> {chosen.name} (also {', '.join(others)})")
    if not several:
        return []
    return [f"{len(several)} row(s) name a file without its extension that several audio files match; the first of "
            f"{', '.join(_AUDIO_EXTENSIONS)} is used: " + "; ".join(several[:5]) + ("; ..." if len(several) > 5 else "")]


def load_folder_csv(data_dir: str | Path | None, *, csv: str | Path | None = None, path_column: str = "path",
                    age_column: str | None = "age", gender_column: str | None = "gender",
                    speaker_column: str | None = None, speaker_proxy: list[str] | None = None,
                    audio_dir: str | Path | None = None, sep: str | None = None, quoting: str = "minimal",
                    check_audio: str = "header", n_jobs: int = 2, **notebook_params) -> LoadedDataset:
    """Load any folder of recordings described by a CSV (or TSV) table.

    Parameters
    ----------
    data_dir : the folder; csv : the table in it (relative or absolute; default: its only
        ``.csv`` / ``.tsv``).
    path_column : each recording's file, relative to ``audio_dir`` (default: the table's folder);
        a name without extension (``speaker12``) finds ``speaker12.wav``, ``.flac``, ``.ogg`` or ``.mp3``.
    age_column : age in years or as a Common Voice group; gender_column : female / male /
        other and common spellings (either None: not given).
    speaker_column : the speaker; None: a pseudo id per clip, and the report warns that
        speaker leakage cannot be ruled out. speaker_proxy : columns whose joined values
        stand in for a missing speaker (e.g. ``["age", "gender", "accent"]``).
    sep, quoting : field separator (default tab for ``.tsv``, else comma); ``"minimal"``
        (standard CSV) or ``"none"`` (quotes are plain characters).
    check_audio : ``"none"``, ``"header"`` (default) or ``"decode"`` (over ``n_jobs`` processes).
    """
    ignored = check_params("load_folder_csv", notebook_params, check_audio)
    root = open_folder(data_dir, "folder_csv", "the folder holding your recordings and their CSV")
    table = _pick_table(root, csv)
    base = Path(audio_dir) if audio_dir else table.parent
    base = base if base.is_absolute() else root / base
    candidates, problems, kind = read_rows(
        table, root, audio_dirs=[base], path_column=path_column, age_column=age_column,
        gender_column=gender_column, speaker_column=speaker_column, speaker_proxy=speaker_proxy,
        sep=sep or ("\t" if table.suffix.lower() == ".tsv" else ","), quoting=quoting, extensions=_AUDIO_EXTENSIONS,
    )
    return finish_load(
        "folder_csv", root, candidates, parse_problems=problems, check_audio=check_audio, n_jobs=n_jobs,
        speaker_ids=kind, speaker_proxy=speaker_proxy, warnings=_ambiguous_stems(candidates),
        info={"table": str(table), "audio_dir": str(base), "ignored_params": ignored},
    )


def _find_bundle(folder: Path) -> tuple[Path, Path]:
    """The ``audio_dataset/`` folder of an unpacked bundle and the CSV beside it.

    Looks in ``folder`` and up to two levels below (an archive may add a top folder); among
    several CSVs, the first whose header names filename, age and gender.
    """
    for audio in [folder / "audio_dataset", *sorted(folder.glob("*/audio_dataset")),
                  *sorted(folder.glob("*/*/audio_dataset"))]:
        tables = sorted(p for p in audio.parent.glob("*.csv") if p.is_file()) if audio.is_dir() else []
        for table in tables:
            with open(table, encoding="utf-8-sig", errors="replace") as fh:
                header = fh.readline().lower()
            if len(tables) == 1 or all(c in header for c in ("filename", "age", "gender")):
                return audio, table
        if tables:
            return audio, tables[0]
    raise DataLayoutError(
        f"{folder}: no original-analysis bundle here: expected a CSV (filename, age, gender, ...) "
        "with an audio_dataset/ folder beside it, in this folder or one below"
    )


def load_original_bundle(data_dir: str | Path | None = None, *, csv: str | Path | None = None,
                         path_column: str = "filename", age_column: str = "age", gender_column: str = "gender",
                         speaker_column: str | None = "auto", speaker_proxy: list[str] | None = None,
                         check_audio: str = "header", n_jobs: int = 2, download: bool = True,
                         download_sha256: str | None = None, allow_unpinned: bool = False,
                         **notebook_params) -> LoadedDataset:
    """Load the original analysis's bundle: a CSV of ``filename, age, gender, ...`` + ``audio_dataset/``.

    ``data_dir`` is the unpacked bundle or a folder above it; None: the download cache
    (``data/downloads/original_bundle/``), fetched first if ``download``. The bundle has no
    published checksum, so the first download needs ``download_sha256`` or
    ``allow_unpinned=True`` (see :func:`workbook.sources.downloads.fetch`).
    ``speaker_column="auto"`` uses a column named speaker / client_id / ... if there is one;
    otherwise (as in the Kaggle-derived bundle) each clip gets a pseudo id and the report
    warns of speaker leakage. Other parameters: see :func:`load_folder_csv`. File names are
    looked up in ``audio_dataset/``, then by their last component there
    (``cv-valid-train/sample-000001.mp3`` finds ``audio_dataset/sample-000001.mp3``), then
    beside the CSV.
    """
    ignored = check_params("load_original_bundle", notebook_params, check_audio)
    if data_dir is None:
        root = fetch("original_bundle", sha256=download_sha256, allow_unpinned=allow_unpinned, download=download)
    else:
        root = open_folder(data_dir, "original_bundle", "the unpacked bundle")
    if csv is not None:
        table = _pick_table(root, csv)
        audio = table.parent / "audio_dataset"
    else:
        audio, table = _find_bundle(root)
    speaker_column = _SPEAKER_COLUMN_NAMES if speaker_column == "auto" else speaker_column
    candidates, problems, kind = read_rows(
        table, root, audio_dirs=[audio, table.parent], path_column=path_column, age_column=age_column,
        gender_column=gender_column, speaker_column=speaker_column, speaker_proxy=speaker_proxy, try_basename=True,
    )
    return finish_load(
        "original_bundle", root, candidates, parse_problems=problems, check_audio=check_audio, n_jobs=n_jobs,
        speaker_ids=kind, speaker_proxy=speaker_proxy,
        info={"table": str(table), "audio_dir": str(audio), "ignored_params": ignored},
    )
