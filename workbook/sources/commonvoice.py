"""Mozilla Common Voice, in its release layout and in the Kaggle layout.

**Release layout** (``load_commonvoice``, data set name ``"commonvoice"``): what
commonvoice.mozilla.org hands out after sign-in, one folder per language::

    <lang>/validated.tsv  train.tsv  dev.tsv  test.tsv  other.tsv  invalidated.tsv ...
    <lang>/clips/common_voice_<lang>_<id>.mp3

``data_dir`` is one such language folder or a folder of them (the unpacked
``cv-corpus-*`` folder, or ``../shared/data/commonvoice-6.1-sample``). The TSVs are
tab-separated with **no quoting** (sentences contain quotes); newer releases add columns
(``sentence_id``, ``variant``, ``accents``, ...) and spell genders ``male_masculine``,
``female_feminine``, ``intersex``, ``do_not_wish_to_say``: all are read, the extra
columns kept in the manifest. ``client_id`` is the speaker. Rows without age or gender
are kept and flagged; labelled analyses leave them out and the report counts them.

**Kaggle layout** (``load_commonvoice_kaggle``, ``"commonvoice_kaggle"``): the copy the
original analysis downloaded (kaggle.com/mozillaorg/common-voice), with
``cv-valid-train.csv`` and friends (``filename, text, up_votes, down_votes, age, gender,
accent, duration``) and the audio in ``cv-valid-train/`` (or the nested
``cv-valid-train/cv-valid-train/`` the Kaggle zip unpacks to).

The Kaggle layout has **no speaker id**: each clip gets a pseudo id (``clip:<filename>``),
``info["speaker_leakage_possible"]`` is True and the report carries
:data:`~workbook.sources.report.SPEAKER_LEAKAGE_WARNING`. What you can do about it:
prefer the release layout, whose ``client_id`` names the speaker; or group by a proxy,
``speaker_proxy=["age", "gender", "accent"]``, so clips that could come from one person
share a group id (groups are coarse; scores are then pessimistic rather than
optimistic); otherwise treat every score on this layout as an upper bound.

Notebook: every notebook, through ``load_dataset("commonvoice" | "commonvoice_kaggle", data_dir)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbook.sources.loading import LoadedDataset, check_params, finish_load
from workbook.sources.tables import DataLayoutError, open_folder, read_rows

__all__ = ["load_commonvoice", "load_commonvoice_kaggle"]

_NUMERIC_COLUMNS = ("up_votes", "down_votes")


def _as_list(value) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else [str(v) for v in value]


def _release_folders(root: Path, first: str, languages: list[str]) -> list[Path]:
    """Language folders under ``root`` (or ``root`` itself) that hold the TSV ``first``."""
    folders = [root] if (root / first).is_file() else sorted(
        p for p in root.iterdir() if p.is_dir() and (p / first).is_file())
    if languages:
        missing = set(languages) - {f.name for f in folders}
        if missing:
            raise DataLayoutError(f"{root}: no {first} for language(s) {sorted(missing)}")
        folders = [f for f in folders if f.name in set(languages)]
    if not folders:
        raise DataLayoutError(
            f"{root}: not a Common Voice release folder: expected {first} and clips/ here, "
            f"or <lang>/{first} in subfolders; found {sorted(p.name for p in root.iterdir())[:20]}"
        )
    return folders


def load_commonvoice(data_dir: str | Path | None, *, splits: str | list[str] = "validated",
                     languages: list[str] | None = None, check_audio: str = "header", n_jobs: int = 2,
                     **notebook_params) -> LoadedDataset:
    """Load a Common Voice release (one language folder or a folder of them; see the module docstring).

    ``splits``: TSV name(s) without ``.tsv`` (default ``validated``); several (e.g.
    ``["train", "dev", "test"]``) are stacked with their name in ``cv_split``, and a clip
    listed twice is dropped as a duplicate the second time. ``languages``: language folders
    to read (default all). ``check_audio``: ``"none"``, ``"header"`` (default; fast) or
    ``"decode"`` (catches truncated mp3s; over ``n_jobs`` processes). The manifest keeps the
    TSV's columns (``sentence``, ``up_votes``, ``locale``, ...) plus ``clip`` (the listed file
    name), ``gender_source`` (as spelled), ``cv_split``, ``sr_hz`` and ``duration_s``.
    """
    ignored = check_params("load_commonvoice", notebook_params, check_audio)
    root = open_folder(data_dir, "commonvoice", "a Common Voice release folder (<lang>/validated.tsv and "
                       "<lang>/clips/), e.g. ../shared/data/commonvoice-6.1-sample")
    split_list = _as_list(splits) or ["validated"]
    folders = _release_folders(root, f"{split_list[0]}.tsv", _as_list(languages))
    frames, parse_problems, kinds = [], [], set()
    for folder in folders:
        for split in split_list:
            tsv = folder / f"{split}.tsv"
            if not tsv.is_file():
                raise DataLayoutError(f"{tsv}: split file not found (splits={split_list})")
            rows, problems, kind = read_rows(
                tsv, root, audio_dirs=[folder / "clips"], path_column="path", age_column="age",
                gender_column="gender", speaker_column="client_id", sep="\t", quoting="none",
                optional_columns=True, extensions=(".mp3",),
            )
            if "locale" not in rows.columns:
                rows["locale"] = folder.name
            locale = rows["locale"].astype("string").str.strip()
            rows["language"] = locale.where(locale.fillna("").ne(""), folder.name)  # the manifest's language
            frames.append(rows.assign(cv_split=split))
            parse_problems += problems
            kinds.add(kind)
    candidates = pd.concat(frames, ignore_index=True)
    for col in _NUMERIC_COLUMNS:
        if col in candidates.columns:
            candidates[col] = pd.to_numeric(candidates[col], errors="coerce")
    return finish_load(
        "commonvoice", root, candidates, parse_problems=parse_problems, check_audio=check_audio, n_jobs=n_jobs,
        speaker_ids="real" if kinds == {"real"} else "pseudo",
        info={"layout": "release", "languages": [f.name for f in folders], "splits": split_list,
              "ignored_params": ignored},
    )


def load_commonvoice_kaggle(data_dir: str | Path | None, *, splits: list[str] | None = None,
                            speaker_proxy: list[str] | None = None, check_audio: str = "header", n_jobs: int = 2,
                            **notebook_params) -> LoadedDataset:
    """Load the Kaggle copy of Common Voice (``cv-valid-train.csv`` + ``cv-valid-train/`` ...).

    ``splits``: CSV names without ``.csv`` (default the ``cv-valid-*`` train, dev and test
    present). ``speaker_proxy``: columns to group clips by in place of the missing speaker
    id, e.g. ``["age", "gender", "accent"]``; default one pseudo id per clip. The manifest
    keeps ``text``, ``up_votes``, ``down_votes``, ``accent``, ``duration`` and adds ``cv_split``.
    """
    ignored = check_params("load_commonvoice_kaggle", notebook_params, check_audio)
    root = open_folder(data_dir, "commonvoice_kaggle", "the unpacked Kaggle 'common-voice' folder with "
                       "cv-valid-train.csv and cv-valid-train/")
    stems = [s.removesuffix(".csv") for s in _as_list(splits)]
    for stem in stems:
        if not (root / f"{stem}.csv").is_file():
            raise DataLayoutError(f"{root / f'{stem}.csv'}: not found (splits={stems})")
    stems = stems or [s for s in ("cv-valid-train", "cv-valid-dev", "cv-valid-test") if (root / f"{s}.csv").is_file()]
    if not stems:
        found = sorted(p.name for p in root.glob("*.csv"))
        raise DataLayoutError(f"{root}: not the Kaggle Common Voice layout: expected cv-valid-train.csv (and "
                              f"cv-valid-dev.csv, cv-valid-test.csv) with folders of those names; found {found}")
    frames, parse_problems, kind = [], [], "pseudo"
    for stem in stems:
        rows, problems, kind = read_rows(
            root / f"{stem}.csv", root,
            # filename is "cv-valid-train/sample-000000.mp3"; the Kaggle zip nests the folder
            audio_dirs=[root, root / stem], path_column="filename", age_column="age", gender_column="gender",
            speaker_column=None, speaker_proxy=speaker_proxy, try_basename=True,
        )
        for col in (*_NUMERIC_COLUMNS, "duration"):
            if col in rows.columns:
                rows[col] = pd.to_numeric(rows[col], errors="coerce")
        frames.append(rows.assign(cv_split=stem))
        parse_problems += problems
    return finish_load(
        "commonvoice_kaggle", root, pd.concat(frames, ignore_index=True), parse_problems=parse_problems,
        check_audio=check_audio, n_jobs=n_jobs, speaker_ids=kind, speaker_proxy=speaker_proxy,
        info={"layout": "kaggle", "splits": stems, "ignored_params": ignored},
    )
