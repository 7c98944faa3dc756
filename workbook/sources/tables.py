"""Reading a source's table (a Common Voice TSV, a CSV beside a folder) into candidate rows.

:func:`read_rows` reads a delimited table line by line (a malformed line is reported, not
fatal), finds each recording on disk and maps the source's columns to the manifest's:
``path``, ``speaker``, ``age_group``, ``age_years``, ``gender``, plus ``clip`` (the file
name as listed), ``gender_source`` (the gender as spelled), every other column of the
table, and ``source_file`` / ``source_line`` so each row can be traced back.
:func:`workbook.sources.loading.finish_load` then validates the candidates.

Notebook: every notebook, through :func:`workbook.datasets.load_dataset`.
"""

from __future__ import annotations

import csv
import functools
import os
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from workbook.manifest import AGE_GROUPS, REQUIRED_COLUMNS

__all__ = ["DataLayoutError"]

#: Age-group spellings seen outside Common Voice, mapped to Common Voice's.
_AGE_GROUP_SPELLINGS = {g: g for g in AGE_GROUPS} | {"forties": "fourties", "teen": "teens"}

#: Columns a loader adds; a source column with one of these names is kept as ``source_<name>``.
_RESERVED_COLUMNS = {*REQUIRED_COLUMNS, "clip", "gender_source", "sr_hz", "duration_s", "source_file", "source_line"}


class DataLayoutError(ValueError):
    """A data folder does not have the layout its loader expects (the message says what is missing)."""


def open_folder(data_dir: str | Path | None, loader: str, expected: str) -> Path:
    """``data_dir`` as an absolute folder; an error naming what ``loader`` ``expected`` if it is None or no folder."""
    if data_dir is None:
        raise DataLayoutError(f"{loader} needs data_dir: {expected}")
    root = Path(data_dir).expanduser().resolve()
    if not root.is_dir():
        raise DataLayoutError(f"{root}: data_dir is not a folder")
    return root


def relative_source(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it (shorter report lines), else absolute."""
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def _read_table(path: str | Path, *, sep: str, quoting: str = "minimal") -> tuple[pd.DataFrame, list[dict]]:
    """Read a delimited text table row by row; malformed lines are reported, not fatal.

    ``sep`` is ``"\\t"`` (Common Voice TSVs) or ``","``; ``quoting`` is ``"none"`` (quotes
    are ordinary characters, as in Common Voice sentences) or ``"minimal"`` (standard CSV).
    The file is read as UTF-8 (a byte-order mark is skipped, undecodable bytes become
    U+FFFD). Returns ``(table, problems)``: every well-formed row as strings (missing =
    empty string) plus ``source_line`` (1-based line where the row starts; the header is
    line 1), and the malformed rows (wrong number of fields) as dicts with
    ``source_line`` and ``problem``.
    """
    if quoting == "none":
        return _read_unquoted(path, sep)
    rows, lines, problems = [], [], []
    header: list[str] | None = None
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh, delimiter=sep, quoting=csv.QUOTE_MINIMAL, strict=False)
        last_line = 0
        for fields in reader:
            start, last_line = last_line + 1, reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line
            if header is None:
                header = [f.strip() for f in fields]
            elif len(fields) != len(header):
                problems.append({"source_line": start, "problem": f"malformed row: {len(fields)} fields, the "
                                 f"header has {len(header)} (a stray separator or quote?)"})
            else:
                rows.append(fields)
                lines.append(start)
    if header is None:
        raise DataLayoutError(f"{path}: the table is empty (no header line)")
    table = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header, dtype=object)
    table["source_line"] = lines
    return table, problems


def _read_unquoted(path: str | Path, sep: str) -> tuple[pd.DataFrame, list[dict]]:
    """:func:`_read_table` without quoting (Common Voice TSVs): each line a row, split all at once."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        lines = pd.Series(re.split(r"\r\n|\r|\n", fh.read()), dtype=object)
    lines = lines.iloc[:-1] if lines.iloc[-1] == "" else lines  # after the final line break
    n_sep = lines.str.count(re.escape(sep))
    content = lines[(n_sep > 0) | (lines.str.strip() != "")]  # csv skips blank lines
    if content.empty:
        raise DataLayoutError(f"{path}: the table is empty (no header line)")
    header = [f.strip() for f in content.iloc[0].split(sep)]
    body, n_fields = content.iloc[1:], n_sep.loc[content.index[1:]] + 1
    well = n_fields == len(header)
    problems = [{"source_line": int(i) + 1, "problem": f"malformed row: {n} fields, the header has {len(header)} "
                 "(a stray separator or quote?)"} for i, n in n_fields[~well].items()]
    fields = body[well].str.split(sep, expand=True, regex=False) if well.any() else pd.DataFrame(columns=range(len(header)))
    table = pd.DataFrame(fields.to_numpy(dtype=object).reshape(-1, len(header)), columns=header, dtype=object)
    table["source_line"] = (body.index[well.to_numpy()] + 1).to_numpy()
    return table, problems


def _find_files(bases: list[Path], names: pd.Series, *, extensions: tuple[str, ...], try_basename: bool) -> list[str | None]:
    """:func:`_find_file` of each name (None if empty); plain file names from one listing per folder."""
    plain = ~names.str.contains(r"[/\\]", regex=True) & ~names.isin(["", ".", ".."])
    variants = [names, names.str.normalize("NFC"), names.str.normalize("NFD")]
    variants += [(names + ext).where(~names.str.lower().str.endswith(ext), names) for ext in extensions]
    out = np.full(len(names), None, dtype=object)
    todo = plain.to_numpy().copy()
    for base in bases:
        listed = {e.name for e in os.scandir(base) if e.is_file()} if base.is_dir() else set()
        for variant in variants:
            hit = todo & variant.isin(listed).to_numpy()
            out[hit] = (str(base.absolute()) + os.sep + variant[hit]).to_numpy(dtype=object)
            todo &= ~hit
    out[todo] = (str(bases[0].absolute()) + os.sep + names[todo]).to_numpy(dtype=object)  # missing: reported later
    for i in np.flatnonzero((~plain & (names != "")).to_numpy()):
        out[i] = str(_find_file(bases, names.iat[i], extensions=extensions, try_basename=try_basename).absolute())
    return out.tolist()


def _find_file(bases: list[Path], name: str, *, extensions: tuple[str, ...], try_basename: bool) -> Path:
    """The file ``name`` under the first of ``bases`` that has it, else ``bases[0] / name``.

    Tries the name as given, its Unicode NFC and NFD forms (archives made on macOS store
    decomposed names), the name with each of ``extensions`` appended (older Common Voice
    releases list clips without ``.mp3``) and, with ``try_basename``, its last component.
    """
    stems = [name] + ([Path(name).name] if try_basename and Path(name).name != name else [])
    names = [v for s in stems for v in (s, unicodedata.normalize("NFC", s), unicodedata.normalize("NFD", s),
                                       *(s + ext for ext in extensions if not s.lower().endswith(ext)))]
    for base in bases:
        for cand in dict.fromkeys(names):
            if (base / cand).is_file():
                return base / cand
    return bases[0] / name


def split_age_values(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split an age column holding years or group names into ``(age_group, age_years)``.

    Numbers become ``age_years`` (validation derives the group); words are lower-cased and
    mapped to Common Voice's spelling (``forties`` -> ``fourties``), unknown words passed on
    for validation to report. Empty -> missing.
    """
    text = values.fillna("").astype(str).str.strip()
    years = pd.to_numeric(text, errors="coerce")
    words = text.where(years.isna() & (text != ""), "").str.lower().replace(_AGE_GROUP_SPELLINGS).astype(object)
    return words.where(words != "", None).astype(object), years.astype(float)


def _blank_to_na(values: pd.Series) -> pd.Series:
    text = values.astype(object)
    return text.where(~(text.isna() | (text.astype(str).str.strip() == "")), None)


def read_rows(table_path: Path, root: Path, *, audio_dirs: list[Path], path_column: str, age_column: str | None,
              gender_column: str | None, speaker_column: str | tuple[str, ...] | None,
              speaker_proxy: list[str] | None = None, sep: str = ",", quoting: str = "minimal",
              optional_columns: bool = False, try_basename: bool = False,
              extensions: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[dict], str]:
    """Read ``table_path`` into candidate manifest rows; return them, its malformed lines and the speaker-id kind.

    Each recording is looked up under ``audio_dirs`` in order. Speaker ids come from
    ``speaker_column`` (kind ``"real"``; a tuple: the first of these the table has), else
    from the joined values of the ``speaker_proxy`` columns (``"proxy"``), else one pseudo
    id per clip (``"pseudo"``).
    A named column the table lacks is an error naming the parameter to set, unless
    ``optional_columns`` (then it is treated as absent). ``source_file`` is the table's
    path relative to ``root``.
    """
    table, problems = _read_table(table_path, sep=sep, quoting=quoting)
    columns = [c for c in table.columns if c != "source_line"]
    source_name = relative_source(table_path, root)
    if isinstance(speaker_column, tuple):
        speaker_column = next((c for c in speaker_column if c in columns), None)
    named = {"path_column": path_column, "age_column": age_column, "gender_column": gender_column,
             "speaker_column": speaker_column}
    for parameter, column in named.items():
        if column is not None and column not in columns:
            if not optional_columns or parameter == "path_column":
                raise DataLayoutError(
                    f"{table_path}: no column {column!r} (set {parameter}=...); the table has {columns}")
            named[parameter] = None
    missing = [c for c in speaker_proxy or () if c not in columns]
    if missing:
        raise DataLayoutError(f"speaker_proxy names column(s) {missing} that {table_path} lacks; it has {columns}")

    names = table[path_column].fillna("").astype(str).str.strip()
    paths = _find_files(audio_dirs, names, extensions=extensions, try_basename=try_basename)
    none = pd.Series(None, index=table.index, dtype=object)
    age_group, age_years = split_age_values(table[named["age_column"]] if named["age_column"] else none)
    gender = _blank_to_na(table[named["gender_column"]]) if named["gender_column"] else none
    if named["speaker_column"]:
        speaker, kind = _blank_to_na(table[named["speaker_column"]]), "real"
    elif speaker_proxy:
        parts = [table[c].fillna("").astype(str).str.strip().replace("", "?") for c in speaker_proxy]
        speaker, kind = "proxy:" + functools.reduce(lambda a, b: a + "|" + b, parts), "proxy"
    else:
        speaker, kind = "clip:" + names.where(names != "", "row" + table["source_line"].astype(str)), "pseudo"

    extras = table.drop(columns=[c for c in named.values() if c] + ["source_line"])
    extras = extras.rename(columns={c: f"source_{c}" for c in extras.columns if c in _RESERVED_COLUMNS})
    rows = pd.DataFrame({"path": paths, "speaker": speaker.to_numpy(), "age_group": age_group.to_numpy(),
                         "age_years": age_years.to_numpy(), "gender": gender.to_numpy(),
                         "gender_source": gender.to_numpy(), "clip": names.to_numpy()})
    rows = pd.concat([rows, extras.apply(_blank_to_na).reset_index(drop=True)], axis=1)
    rows["source_file"] = source_name
    rows["source_line"] = table["source_line"].to_numpy()
    for p in problems:
        p["source_file"] = source_name
    return rows, problems, kind
