"""Mozilla Common Voice, in its release layout and in the Kaggle layout.

**Release layout** (``load_commonvoice``, data set name ``"commonvoice"``): what
commonvoice.mozilla.org hands out after sign-in, one folder per language::

    <lang>/validated.tsv  train.tsv  dev.tsv  test.tsv  other.tsv  invalidated.tsv ...
    <lang>/clips/common_voice_<lang>_<id>.mp3

``data_dir`` is either one such language folder or a folder of them (the unpacked
``cv-corpus-*`` folder, or ``../shared/data/commonvoice-6.1-sample``). The TSVs are
tab-separated with **no quoting** (sentences contain quotes, read with
``csv.QUOTE_NONE``); newer releases add columns (``sentence_id``, ``variant``,
``accents``, ...) and spell genders ``male_masculine``, ``female_feminine``,
``intersex``, ``do_not_wish_to_say``: all are read, the extra columns kept in the manifest.
``client_id`` is the speaker. Rows without age or gender are kept and flagged; labelled
analyses leave them out (``workbook.manifest.labelled_rows``) and the report counts them.

**Kaggle layout** (``load_commonvoice_kaggle``, ``"commonvoice_kaggle"``): the copy the
original analysis downloaded (kaggle.com/mozillaorg/common-voice), with
``cv-valid-train.csv`` and friends (``filename, text, up_votes, down_votes, age, gender,
accent, duration``) and the audio in ``cv-valid-train/`` (or the nested
``cv-valid-train/cv-valid-train/`` the Kaggle zip unpacks to).

The Kaggle layout has **no speaker id**. Each clip gets a pseudo id (``clip:<filename>``),
``info["speaker_leakage_possible"]`` is True and the report carries
:data:`~workbook.sources.report.SPEAKER_LEAKAGE_WARNING`, which notebooks show wherever they
split (:func:`~workbook.sources.report.speaker_split_warning`). What you can do about it:

1. Prefer the release layout (``DATASET=commonvoice``): ``client_id`` names the speaker,
   and a split by speaker is then trustworthy.
2. Group by a proxy: ``speaker_proxy=["age", "gender", "accent"]`` makes clips that could
   come from the same person share a group id, so a split by group cannot separate one
   person's clips as long as their labels agree. Groups are large and coarse; scores are
   then pessimistic rather than optimistic.
3. Otherwise, treat every score on this layout as an upper bound.

Notebook: every notebook, through ``load_dataset("commonvoice" | "commonvoice_kaggle", data_dir)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbook.sources.common import (
    DataLayoutError,
    blank_to_na,
    check_audio_level,
    check_notebook_params,
    find_file,
    finish_load,
    read_table,
    relative_source,
    split_age_values,
)
from workbook.sources.folder_csv import RESERVED_COLUMNS, rows_from_table, speaker_warnings

#: Split files of a Common Voice release (``validated`` is the union of the checked ones).
RELEASE_SPLITS = ("validated", "train", "dev", "test", "other", "invalidated")

#: Columns read as numbers when present.
NUMERIC_COLUMNS = ("up_votes", "down_votes")

#: CSVs of the Kaggle layout; ``cv-valid-*`` hold the validated clips.
KAGGLE_SPLITS = (
    "cv-valid-train",
    "cv-valid-dev",
    "cv-valid-test",
    "cv-other-train",
    "cv-other-dev",
    "cv-other-test",
    "cv-invalid",
)


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def find_release_folders(root: Path, splits: list[str], languages: list[str] | None = None) -> list[Path]:
    """Language folders under ``root`` (or ``root`` itself) that hold the first split's TSV."""
    first = f"{splits[0]}.tsv"
    if (root / first).is_file():
        folders = [root]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and (p / first).is_file())
    if languages:
        wanted = set(languages)
        folders = [f for f in folders if f.name in wanted]
        missing = wanted - {f.name for f in folders}
        if missing:
            raise DataLayoutError(f"{root}: no {first} for language(s) {sorted(missing)}")
    if not folders:
        seen = sorted(p.name for p in root.iterdir())[:20] if root.is_dir() else []
        raise DataLayoutError(
            f"{root}: not a Common Voice release folder: expected {first} and clips/ here, "
            f"or <lang>/{first} in subfolders; found {seen}"
        )
    return folders


def read_release_tsv(tsv: Path, *, root: Path, split: str) -> tuple[pd.DataFrame, list[dict]]:
    """Candidate manifest rows of one Common Voice TSV, and its malformed lines."""
    table, parse_problems = read_table(tsv, sep="\t", quoting="none")
    source_name = relative_source(tsv, root)
    for p in parse_problems:
        p["source_file"] = source_name
    if "path" not in table.columns:
        raise DataLayoutError(f"{tsv}: no 'path' column; the header is {list(table.columns)[:-1]}")
    clips = tsv.parent / "clips"
    names = table["path"].fillna("").astype(str).str.strip()
    paths = [str(find_file(clips, n, extensions=(".mp3",)).absolute()) if n else None for n in names]
    ages = table["age"] if "age" in table.columns else pd.Series("", index=table.index)
    age_group, age_years = split_age_values(ages)
    gender = blank_to_na(table["gender"]) if "gender" in table.columns else None
    speaker = blank_to_na(table["client_id"]) if "client_id" in table.columns else None
    out = pd.DataFrame(
        {
            "path": paths,
            "speaker": speaker.to_numpy() if speaker is not None else None,
            "age_group": age_group.to_numpy(),
            "age_years": age_years.to_numpy(),
            "gender": gender.to_numpy() if gender is not None else None,
            "gender_source": gender.to_numpy() if gender is not None else None,
            "clip": names.to_numpy(),
        },
        index=table.index,
    )
    extras = table.drop(columns=[c for c in ("path", "age", "gender", "client_id", "source_line") if c in table.columns])
    extras = extras.rename(columns={c: f"source_{c}" for c in extras.columns if c in RESERVED_COLUMNS})
    extras = extras.apply(blank_to_na)
    for col in NUMERIC_COLUMNS:
        if col in extras.columns:
            extras[col] = pd.to_numeric(extras[col], errors="coerce")
    out = pd.concat([out, extras], axis=1)
    if "locale" not in out.columns:
        out["locale"] = tsv.parent.name
    out["cv_split"] = split
    out["source_file"] = source_name
    out["source_line"] = table["source_line"].to_numpy()
    return out, parse_problems


def load_commonvoice(
    data_dir: str | Path | None,
    *,
    splits: str | list[str] = "validated",
    languages: list[str] | None = None,
    check_audio: str = "header",
    n_jobs: int = 2,
    **notebook_params,
):
    """Load a Common Voice release (one language folder or a folder of them).

    Parameters
    ----------
    data_dir : the release folder (see the module docstring for the layout).
    splits : TSV name(s) to read, without ``.tsv`` (default ``validated``). Several files
        (e.g. ``["train", "dev", "test"]``) are stacked with their name in ``cv_split``;
        a clip listed twice is dropped as a duplicate the second time.
    languages : language folders to read (e.g. ``["de", "fr"]``); default all.
    check_audio : ``"none"``, ``"header"`` (default; fast) or ``"decode"`` (catches
        truncated mp3s; parallel over ``n_jobs`` processes).

    Returns a :class:`workbook.datasets.LoadedDataset` whose manifest keeps the TSV's own
    columns (``sentence``, ``up_votes``, ``locale``, ...) plus ``clip`` (the TSV's file
    name), ``gender_source`` (the gender as spelled), ``cv_split``, ``sr_hz`` and
    ``duration_s``.
    """
    ignored = check_notebook_params("load_commonvoice", notebook_params)
    check_audio_level(check_audio)
    if data_dir is None:
        raise DataLayoutError(
            "commonvoice needs data_dir: a Common Voice release folder (<lang>/validated.tsv "
            "and <lang>/clips/), e.g. ../shared/data/commonvoice-6.1-sample"
        )
    root = Path(data_dir).expanduser().resolve()
    if not root.is_dir():
        raise DataLayoutError(f"{root}: data_dir is not a folder")
    split_list = _as_list(splits) or ["validated"]
    folders = find_release_folders(root, split_list, _as_list(languages) or None)
    frames, parse_problems = [], []
    for folder in folders:
        for split in split_list:
            tsv = folder / f"{split}.tsv"
            if not tsv.is_file():
                raise DataLayoutError(f"{tsv}: split file not found (splits={split_list})")
            rows, problems = read_release_tsv(tsv, root=root, split=split)
            frames.append(rows)
            parse_problems.extend(problems)
    candidates = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return finish_load(
        "commonvoice",
        root,
        candidates,
        parse_problems=parse_problems,
        check_audio=check_audio,
        n_jobs=n_jobs,
        speaker_ids="real",
        info={
            "layout": "release",
            "languages": [f.name for f in folders],
            "splits": split_list,
            "ignored_params": ignored,
        },
    )


# ------------------------------------------------------------------- Kaggle
def _kaggle_tables(root: Path, splits: list[str] | None) -> list[Path]:
    if splits:
        tables = []
        for s in splits:
            stem = s[:-4] if s.endswith(".csv") else s
            path = root / f"{stem}.csv"
            if not path.is_file():
                raise DataLayoutError(f"{path}: not found (splits={splits})")
            tables.append(path)
        return tables
    tables = [root / f"{s}.csv" for s in KAGGLE_SPLITS if s.startswith("cv-valid")]
    tables = [t for t in tables if t.is_file()]
    if not tables:
        found = sorted(p.name for p in root.glob("*.csv"))
        raise DataLayoutError(
            f"{root}: not the Kaggle Common Voice layout: expected cv-valid-train.csv (and "
            f"cv-valid-dev.csv, cv-valid-test.csv) with folders of the same names; found CSVs {found}"
        )
    return tables


def load_commonvoice_kaggle(
    data_dir: str | Path | None,
    *,
    splits: list[str] | None = None,
    speaker_proxy: list[str] | None = None,
    check_audio: str = "header",
    n_jobs: int = 2,
    **notebook_params,
):
    """Load the Kaggle copy of Common Voice (``cv-valid-train.csv`` + ``cv-valid-train/`` ...).

    Parameters
    ----------
    data_dir : the unpacked Kaggle folder.
    splits : CSV names without ``.csv`` (e.g. ``["cv-valid-train"]``); default every
        ``cv-valid-*`` CSV present.
    speaker_proxy : columns to group clips by in place of the missing speaker id, e.g.
        ``["age", "gender", "accent"]`` (see the module docstring); default: per-clip ids.
    check_audio, n_jobs : see :func:`load_commonvoice`.

    The layout names no speakers: without ``speaker_proxy`` every clip is its own speaker
    (``clip:<filename>``), ``info["speaker_leakage_possible"]`` is True and the report warns
    that speaker leakage cannot be ruled out. The manifest keeps ``text``, ``up_votes``,
    ``down_votes``, ``accent`` and ``duration`` and adds ``cv_split``.
    """
    ignored = check_notebook_params("load_commonvoice_kaggle", notebook_params)
    check_audio_level(check_audio)
    if data_dir is None:
        raise DataLayoutError(
            "commonvoice_kaggle needs data_dir: the unpacked Kaggle 'common-voice' folder "
            "with cv-valid-train.csv and cv-valid-train/"
        )
    root = Path(data_dir).expanduser().resolve()
    if not root.is_dir():
        raise DataLayoutError(f"{root}: data_dir is not a folder")
    frames, parse_problems, kind = [], [], "pseudo"
    for table_path in _kaggle_tables(root, _as_list(splits) or None):
        stem = table_path.stem
        table, problems = read_table(table_path, sep=",", quoting="minimal")
        source_name = relative_source(table_path, root)
        for p in problems:
            p["source_file"] = source_name
        rows, kind = rows_from_table(
            table,
            source=table_path,
            source_name=source_name,
            # filename is "cv-valid-train/sample-000000.mp3"; the Kaggle zip nests the folder
            audio_dirs=[root, root / stem],
            path_column="filename",
            age_column="age",
            gender_column="gender",
            speaker_column=None,
            speaker_proxy=speaker_proxy,
            try_basename=True,
        )
        for col in NUMERIC_COLUMNS + ("duration",):
            if col in rows.columns:
                rows[col] = pd.to_numeric(rows[col], errors="coerce")
        rows["cv_split"] = stem
        frames.append(rows)
        parse_problems.extend(problems)
    candidates = pd.concat(frames, ignore_index=True)
    return finish_load(
        "commonvoice_kaggle",
        root,
        candidates,
        parse_problems=parse_problems,
        check_audio=check_audio,
        n_jobs=n_jobs,
        speaker_ids=kind,
        info={"layout": "kaggle", "splits": [t.stem for t in _kaggle_tables(root, _as_list(splits) or None)], "ignored_params": ignored},
        warnings_=speaker_warnings(kind, speaker_proxy),
    )
