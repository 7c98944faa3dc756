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
out (see :data:`workbook.sources.report.SPEAKER_LEAKAGE_WARNING`).

``load_original_bundle`` reads the bundle of the analysis this workbook revisits: a CSV of
``filename, age, gender, ...`` with an ``audio_dataset/`` folder beside it, downloaded
on request from the article's link (see :mod:`workbook.sources.downloads`).

Notebook: every notebook, through ``load_dataset("folder_csv" | "original_bundle", ...)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbook.manifest import REQUIRED_COLUMNS
from workbook.sources.common import (
    DataLayoutError,
    blank_to_na,
    check_audio_level,
    check_notebook_params,
    find_file,
    finish_load,
    proxy_speakers,
    pseudo_speakers,
    read_table,
    relative_source,
    split_age_values,
)
from workbook.sources.report import SPEAKER_LEAKAGE_WARNING, SPEAKER_PROXY_NOTE

#: Columns a loader adds; a source column with one of these names is kept as ``source_<name>``.
RESERVED_COLUMNS = set(REQUIRED_COLUMNS) | {"clip", "gender_source", "sr_hz", "duration_s", "source_file", "source_line"}

#: Column names taken as the speaker id when ``speaker_column="auto"``.
SPEAKER_COLUMN_NAMES = ("speaker", "speaker_id", "client_id", "participant", "subject")


def _need_column(table: pd.DataFrame, column: str, parameter: str, source: Path) -> None:
    if column not in table.columns:
        raise DataLayoutError(
            f"{source}: no column {column!r} (set {parameter}=...); "
            f"the table has {[c for c in table.columns if c != 'source_line']}"
        )


def rows_from_table(
    table: pd.DataFrame,
    *,
    source: Path,
    source_name: str,
    audio_dirs: list[Path],
    path_column: str,
    age_column: str | None,
    gender_column: str | None,
    speaker_column: str | None,
    speaker_proxy: list[str] | tuple[str, ...] | None = None,
    try_basename: bool = False,
    extensions: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, str]:
    """Turn a table of strings into candidate manifest rows; return them and the speaker-id kind.

    Each path is looked up under ``audio_dirs`` in order (first existing file wins; with
    ``try_basename`` also by its last component alone). Speaker ids come from
    ``speaker_column``, else from ``speaker_proxy`` columns (kind ``proxy``), else are per-clip
    pseudo ids (kind ``pseudo``). All other columns are kept; one named like a manifest
    column is kept as ``source_<name>``.
    """
    _need_column(table, path_column, "path_column", source)
    if age_column is not None:
        _need_column(table, age_column, "age_column", source)
    if gender_column is not None:
        _need_column(table, gender_column, "gender_column", source)
    if speaker_column is not None:
        _need_column(table, speaker_column, "speaker_column", source)

    names = table[path_column].fillna("").astype(str).str.strip()
    paths: list[str | None] = []
    for name in names:
        if not name:
            paths.append(None)
            continue
        found = None
        for base in audio_dirs:
            p = find_file(base, name, extensions=extensions)
            if p.is_file():
                found = p
                break
            if try_basename and Path(name).name != name:
                p = find_file(base, Path(name).name, extensions=extensions)
                if p.is_file():
                    found = p
                    break
        paths.append(str((found or (audio_dirs[0] / name)).absolute()))

    if age_column is not None:
        age_group, age_years = split_age_values(table[age_column])
    else:
        age_group = pd.Series(None, index=table.index, dtype=object)
        age_years = pd.Series(float("nan"), index=table.index)
    gender_raw = blank_to_na(table[gender_column]) if gender_column else pd.Series(None, index=table.index, dtype=object)

    if speaker_column is not None:
        speaker, kind = blank_to_na(table[speaker_column].astype(object)), "real"
    elif speaker_proxy:
        speaker, kind = proxy_speakers(table, list(speaker_proxy)), "proxy"
    else:
        speaker, kind = pseudo_speakers(names.where(names != "", "row" + table["source_line"].astype(str))), "pseudo"

    used = {path_column, age_column, speaker_column, "source_line"} - {None}
    extras = table.drop(columns=[c for c in used if c in table.columns])
    if gender_column:
        extras = extras.drop(columns=[gender_column])
    extras = extras.rename(columns={c: f"source_{c}" for c in extras.columns if c in RESERVED_COLUMNS})
    extras = extras.apply(blank_to_na)
    out = pd.DataFrame(
        {
            "path": paths,
            "speaker": speaker.to_numpy(),
            "age_group": age_group.to_numpy(),
            "age_years": age_years.to_numpy(),
            "gender": gender_raw.to_numpy(),
            "gender_source": gender_raw.to_numpy(),
            "clip": names.to_numpy(),
        },
        index=table.index,
    )
    out = pd.concat([out, extras], axis=1)
    out["source_file"] = source_name
    out["source_line"] = table["source_line"].to_numpy()
    return out.reset_index(drop=True), kind


def speaker_warnings(kind: str, speaker_proxy) -> list[str]:
    """The report warnings that go with a kind of speaker ids."""
    if kind == "pseudo":
        return [SPEAKER_LEAKAGE_WARNING]
    if kind == "proxy":
        return [SPEAKER_PROXY_NOTE.format(columns=", ".join(speaker_proxy))]
    return []


def _pick_table(folder: Path, csv: str | Path | None, what: str) -> Path:
    if csv is not None:
        path = Path(csv)
        path = path if path.is_absolute() else folder / path
        if not path.is_file():
            raise DataLayoutError(f"{path}: table not found (csv={str(csv)!r})")
        return path
    tables = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".tsv") and p.is_file())
    if len(tables) == 1:
        return tables[0]
    if not tables:
        raise DataLayoutError(f"{folder}: no .csv or .tsv table found for {what}; pass csv=...")
    raise DataLayoutError(
        f"{folder}: several tables ({[p.name for p in tables]}); choose one with csv=..."
    )


def load_folder_csv(
    data_dir: str | Path | None,
    *,
    csv: str | Path | None = None,
    path_column: str = "path",
    age_column: str | None = "age",
    gender_column: str | None = "gender",
    speaker_column: str | None = None,
    speaker_proxy: list[str] | None = None,
    audio_dir: str | Path | None = None,
    sep: str | None = None,
    quoting: str = "minimal",
    check_audio: str = "header",
    n_jobs: int = 2,
    **notebook_params,
):
    """Load any folder of recordings described by a CSV (or TSV) table.

    Parameters
    ----------
    data_dir : the folder; the table is looked for in it.
    csv : the table, relative to ``data_dir`` or absolute; default: the only ``.csv`` /
        ``.tsv`` file in ``data_dir``.
    path_column : column with each recording's file, relative to ``audio_dir`` (absolute
        paths work too).
    age_column : column with the age in years or as a Common Voice group (None: no ages).
    gender_column : column with the gender (female/male/other and common spellings; None:
        no genders).
    speaker_column : column naming the speaker. None: each clip gets a pseudo id and the
        report warns that speaker leakage cannot be ruled out.
    speaker_proxy : columns whose joined values stand in for a speaker when there is no
        speaker column (e.g. ``["age", "gender", "accent"]``).
    audio_dir : folder the paths are relative to (default: the table's folder).
    sep : field separator (default: tab for ``.tsv``, comma otherwise).
    quoting : ``"minimal"`` (standard CSV) or ``"none"`` (quotes are plain characters).
    check_audio : ``"none"``, ``"header"`` (default) or ``"decode"``.
    n_jobs : processes for ``check_audio="decode"``.

    Returns a :class:`workbook.datasets.LoadedDataset`; its report lists every dropped row.
    """
    ignored = check_notebook_params("load_folder_csv", notebook_params)
    check_audio_level(check_audio)
    if data_dir is None:
        raise DataLayoutError(
            "folder_csv needs data_dir: the folder holding your recordings and their CSV"
        )
    root = Path(data_dir).expanduser().resolve()
    if not root.is_dir():
        raise DataLayoutError(f"{root}: data_dir is not a folder")
    table_path = _pick_table(root, csv, "folder_csv")
    sep = sep or ("\t" if table_path.suffix.lower() == ".tsv" else ",")
    table, parse_problems = read_table(table_path, sep=sep, quoting=quoting)
    base = Path(audio_dir) if audio_dir else table_path.parent
    base = base if base.is_absolute() else root / base
    source_name = relative_source(table_path, root)
    candidates, kind = rows_from_table(
        table,
        source=table_path,
        source_name=source_name,
        audio_dirs=[base],
        path_column=path_column,
        age_column=age_column,
        gender_column=gender_column,
        speaker_column=speaker_column,
        speaker_proxy=speaker_proxy,
    )
    for p in parse_problems:
        p["source_file"] = source_name
    return finish_load(
        "folder_csv",
        root,
        candidates,
        parse_problems=parse_problems,
        check_audio=check_audio,
        n_jobs=n_jobs,
        speaker_ids=kind,
        info={"table": str(table_path), "audio_dir": str(base), "ignored_params": ignored},
        warnings_=speaker_warnings(kind, speaker_proxy),
    )


# ------------------------------------------------------------ original bundle
def find_bundle(folder: Path) -> tuple[Path, Path]:
    """The ``audio_dataset/`` folder of an unpacked bundle and the CSV beside it.

    Looks in ``folder`` and up to two levels below (an archive may add a top folder).
    """
    candidates = [folder / "audio_dataset"]
    candidates += sorted(folder.glob("*/audio_dataset")) + sorted(folder.glob("*/*/audio_dataset"))
    for audio in candidates:
        if not audio.is_dir():
            continue
        tables = sorted(p for p in audio.parent.glob("*.csv") if p.is_file())
        if tables:
            return audio, tables[0] if len(tables) == 1 else _best_bundle_table(tables)
    raise DataLayoutError(
        f"{folder}: no original-analysis bundle here: expected a CSV (filename, age, gender, ...) "
        "with an audio_dataset/ folder beside it, in this folder or one below"
    )


def _best_bundle_table(tables: list[Path]) -> Path:
    """Among several CSVs, the first whose header has filename, age and gender."""
    for t in tables:
        with open(t, encoding="utf-8-sig", errors="replace") as fh:
            header = fh.readline().lower()
        if all(c in header for c in ("filename", "age", "gender")):
            return t
    return tables[0]


def load_original_bundle(
    data_dir: str | Path | None = None,
    *,
    csv: str | Path | None = None,
    path_column: str = "filename",
    age_column: str = "age",
    gender_column: str = "gender",
    speaker_column: str | None = "auto",
    speaker_proxy: list[str] | None = None,
    check_audio: str = "header",
    n_jobs: int = 2,
    download: bool = True,
    download_sha256: str | None = None,
    allow_unpinned: bool = False,
    **notebook_params,
):
    """Load the original analysis's bundle: a CSV of ``filename, age, gender, ...`` + ``audio_dataset/``.

    Parameters
    ----------
    data_dir : the unpacked bundle (or a folder above it). None: the download cache
        (``data/downloads/original_bundle/``), fetched first if missing and ``download``.
    csv : the table when the folder holds several CSVs.
    path_column, age_column, gender_column : the bundle's column names.
    speaker_column : ``"auto"`` uses a column named speaker / client_id / ... if the CSV
        has one; otherwise (as in the Kaggle-derived bundle) each clip gets a pseudo id and
        the report warns that speaker leakage cannot be ruled out.
    speaker_proxy : columns standing in for a speaker (e.g. ``["age", "gender", "accent"]``).
    check_audio, n_jobs : see :func:`load_folder_csv`.
    download, download_sha256, allow_unpinned : see :func:`workbook.sources.downloads.fetch`.

    File names are looked up in ``audio_dataset/``, then by their last component there
    (a name like ``cv-valid-train/sample-000001.mp3`` finds ``audio_dataset/sample-000001.mp3``),
    then beside the CSV.
    """
    ignored = check_notebook_params("load_original_bundle", notebook_params)
    check_audio_level(check_audio)
    if data_dir is None:
        from workbook.sources.downloads import cached_download, fetch

        folder = cached_download("original_bundle")
        if folder is None:
            if not download:
                raise DataLayoutError(
                    "original_bundle: no data_dir given and nothing downloaded yet; "
                    "pass data_dir=... or download=True"
                )
            folder = fetch("original_bundle", sha256=download_sha256, allow_unpinned=allow_unpinned)
        root = folder
    else:
        root = Path(data_dir).expanduser().resolve()
        if not root.is_dir():
            raise DataLayoutError(f"{root}: data_dir is not a folder")
    if csv is not None:
        table_path = _pick_table(root, csv, "original_bundle")
        audio = table_path.parent / "audio_dataset"
    else:
        audio, table_path = find_bundle(root)
    table, parse_problems = read_table(table_path, sep=",", quoting="minimal")
    if speaker_column == "auto":
        speaker_column = next((c for c in SPEAKER_COLUMN_NAMES if c in table.columns), None)
    source_name = relative_source(table_path, root)
    candidates, kind = rows_from_table(
        table,
        source=table_path,
        source_name=source_name,
        audio_dirs=[audio, table_path.parent],
        path_column=path_column,
        age_column=age_column,
        gender_column=gender_column,
        speaker_column=speaker_column,
        speaker_proxy=speaker_proxy,
        try_basename=True,
    )
    for p in parse_problems:
        p["source_file"] = source_name
    return finish_load(
        "original_bundle",
        root,
        candidates,
        parse_problems=parse_problems,
        check_audio=check_audio,
        n_jobs=n_jobs,
        speaker_ids=kind,
        info={"table": str(table_path), "audio_dir": str(audio), "ignored_params": ignored},
        warnings_=speaker_warnings(kind, speaker_proxy),
    )
