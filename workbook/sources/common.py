"""Shared steps of every real-data loader: read a table, find files, check audio, report.

A loader turns its source (Common Voice TSVs, a CSV beside a folder, AudioMNIST's meta
file) into *candidate rows* with the manifest columns plus ``source_file`` and
``source_line``, then calls :func:`finish_load`, which

1. validates the rows with :func:`workbook.manifest.validate_manifest` (missing files,
   unknown labels, duplicates; rows without labels are kept and flagged),
2. checks the audio of the surviving rows at the requested level (:data:`CHECK_AUDIO`),
3. builds the :class:`~workbook.sources.report.LoadReport` and the
   :class:`~workbook.datasets.LoadedDataset`.

No step stops because of one bad row: each problem is recorded with its file and line.

Notebook: every notebook, through :func:`workbook.datasets.load_dataset`.
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.audio import AudioLoadError, audio_info, load_audio
from workbook.manifest import AGE_GROUPS, validate_manifest
from workbook.sources.report import PROBLEM_COLUMNS, build_load_report

#: Audio check levels: ``none`` (file exists), ``header`` (libsndfile reads the header:
#: catches empty and non-audio files, fast) and ``decode`` (every sample decoded: also
#: catches truncated files; parallel over ``n_jobs`` processes).
CHECK_AUDIO: tuple[str, ...] = ("none", "header", "decode")

#: Notebook parameters every loader accepts; the real-data loaders use ``n_jobs`` and
#: ignore the synthetic corpus's knobs (its size and seed describe data to generate).
NOTEBOOK_PARAMS: frozenset[str] = frozenset(
    {"n_speakers", "clips_per_speaker", "seed", "sr", "n_jobs", "output_dir"}
)

#: Age-group spellings seen outside Common Voice, mapped to Common Voice's.
AGE_GROUP_SPELLINGS = {g: g for g in AGE_GROUPS} | {"forties": "fourties", "teen": "teens"}


class DataLayoutError(ValueError):
    """A data folder does not have the layout its loader expects (message says what is missing)."""


def check_notebook_params(loader: str, params: dict) -> dict:
    """Refuse unknown parameters (typos); return the notebook parameters that do not apply.

    The returned dict goes into ``LoadedDataset.info["ignored_params"]``.
    """
    unknown = sorted(set(params) - NOTEBOOK_PARAMS)
    if unknown:
        raise TypeError(
            f"{loader}: unknown parameter(s) {unknown}; see help(workbook.sources.{loader}) "
            f"for this loader's parameters (the notebook parameters "
            f"{sorted(NOTEBOOK_PARAMS)} are accepted and ignored)"
        )
    return dict(params)


def check_audio_level(level: str) -> str:
    """Validate a ``check_audio`` value."""
    if level not in CHECK_AUDIO:
        raise ValueError(f"check_audio must be one of {CHECK_AUDIO}, not {level!r}")
    return level


# ------------------------------------------------------------------ tables
def read_table(
    path: str | Path,
    *,
    sep: str,
    quoting: str = "minimal",
) -> tuple[pd.DataFrame, list[dict]]:
    """Read a delimited text table row by row; malformed lines are reported, not fatal.

    Parameters
    ----------
    path : the table file (UTF-8, a byte-order mark is skipped; undecodable bytes become
        U+FFFD instead of stopping the read).
    sep : field separator (``"\\t"`` for Common Voice TSVs, ``","`` for CSVs).
    quoting : ``"none"`` (quotes are ordinary characters, as in Common Voice TSVs whose
        sentences contain quotes) or ``"minimal"`` (standard CSV quoting).

    Returns
    -------
    (table, problems) : ``table`` holds every well-formed data row as strings (missing
        values are empty strings) plus ``source_line``, the 1-based line where the row
        starts (the header is line 1); ``problems`` lists malformed rows (wrong number of
        fields) as dicts with ``source_line`` and ``problem``.
    """
    path = Path(path)
    mode = {"none": csv.QUOTE_NONE, "minimal": csv.QUOTE_MINIMAL}[quoting]
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[dict] = []
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh, delimiter=sep, quoting=mode, strict=False)
        header: list[str] | None = None
        last_line = 0
        for fields in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line
            if header is None:
                header = [f.strip() for f in fields]
                continue
            if len(fields) != len(header):
                problems.append(
                    {
                        "source_line": start,
                        "problem": f"malformed row: {len(fields)} fields, the header has "
                        f"{len(header)} (a stray separator or quote?)",
                    }
                )
                continue
            rows.append(fields)
            lines.append(start)
    if header is None:
        raise DataLayoutError(f"{path}: the table is empty (no header line)")
    table = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header, dtype=object)
    table["source_line"] = lines
    return table, problems


def find_file(base: Path, name: str, *, extensions: tuple[str, ...] = ()) -> Path:
    """The file ``name`` under ``base`` as it exists on disk, else ``base / name``.

    Tries the name as given, then its Unicode NFC and NFD forms (archives made on macOS
    store decomposed names), then the name with each of ``extensions`` appended (older
    Common Voice releases list clips without ``.mp3``). A missing file is returned as
    ``base / name`` so the validator reports it with that path.
    """
    name = name.strip()
    first = base / name
    if first.is_file():
        return first
    candidates = [unicodedata.normalize(form, name) for form in ("NFC", "NFD")]
    candidates += [name + ext for ext in extensions if not name.lower().endswith(ext)]
    for cand in candidates:
        p = base / cand
        if cand != name and p.is_file():
            return p
    return first


def split_age_values(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split an age column holding years or group names into (age_group, age_years).

    Numbers become ``age_years`` (the group follows from them in validation); words are
    lower-cased and mapped to Common Voice's spelling (``forties`` -> ``fourties``);
    unknown words are passed on unchanged so validation reports them. Empty -> missing.
    """
    text = values.fillna("").astype(str).str.strip()
    years = pd.to_numeric(text, errors="coerce")
    words = text.where(years.isna() & (text != ""), "")
    words = words.str.lower().map(lambda w: AGE_GROUP_SPELLINGS.get(w, w))
    group = words.where(words != "", None)
    return group.astype(object), years.astype(float)


def blank_to_na(values: pd.Series) -> pd.Series:
    """Strings that are empty after stripping become missing (None)."""
    text = values.astype(object)
    mask = text.isna() | (text.astype(str).str.strip() == "")
    return text.where(~mask, None)


def pseudo_speakers(keys: pd.Series) -> pd.Series:
    """Per-clip pseudo speaker ids (``clip:<key>``) for sources that name no speakers."""
    return "clip:" + keys.astype(str)


def proxy_speakers(table: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> pd.Series:
    """Proxy speaker ids: the joined values of ``columns`` (e.g. age, gender, accent)."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataLayoutError(
            f"speaker_proxy names column(s) {missing} that the table lacks; it has {list(table.columns)}"
        )
    parts = [table[c].fillna("").astype(str).str.strip().replace("", "?") for c in columns]
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    return "proxy:" + out


# ------------------------------------------------------------------- audio
def _header_problem(path: str) -> tuple[str | None, float, float]:
    try:
        info = audio_info(path)
    except AudioLoadError as exc:
        return exc.problem, np.nan, np.nan
    except Exception as exc:  # keep going whatever libsndfile says
        return f"cannot read header ({type(exc).__name__}: {exc})", np.nan, np.nan
    if info["frames"] <= 0:
        return "holds no audio samples (header says 0 frames)", float(info["sr_hz"]), 0.0
    return None, float(info["sr_hz"]), float(info["duration_s"])


def _decode_problem(path: str) -> tuple[str | None, float, float]:
    try:
        info = audio_info(path)
    except AudioLoadError as exc:
        return exc.problem, np.nan, np.nan
    except Exception as exc:
        return f"cannot read header ({type(exc).__name__}: {exc})", np.nan, np.nan
    sr_hz, duration_s = float(info["sr_hz"]), float(info["duration_s"])
    try:
        y, native_sr = load_audio(path, sr=None)
    except AudioLoadError as exc:
        return exc.problem, sr_hz, duration_s
    except Exception as exc:
        return f"decoding failed ({type(exc).__name__}: {exc})", sr_hz, duration_s
    # load_audio checks completeness for WAV and Ogg; MP3 headers (Xing/LAME) state a
    # frame count too, so a file that decodes to far fewer samples is truncated.
    if info["format"] in ("MP3", "MPEG") and info["frames"] and len(y) < 0.95 * info["frames"]:
        return (
            f"truncated: header promises {info['frames']} frames, decoded {len(y)}",
            sr_hz,
            duration_s,
        )
    return None, float(native_sr), len(y) / native_sr


def check_audio_files(paths: list[str], level: str, *, n_jobs: int = 2) -> pd.DataFrame:
    """Check recordings; one row per path with ``problem`` (None if fine), ``sr_hz``, ``duration_s``.

    ``level`` is ``header`` (sequential, about 0.2 ms a file) or ``decode`` (every sample,
    spread over ``n_jobs`` processes with joblib). Durations are in seconds, rates in Hz.
    """
    check_audio_level(level)
    if level == "none" or not paths:
        return pd.DataFrame({"path": paths, "problem": None, "sr_hz": np.nan, "duration_s": np.nan})
    if level == "header":
        results = [_header_problem(p) for p in paths]
    else:
        if n_jobs == 1 or len(paths) < 16:
            results = [_decode_problem(p) for p in paths]
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=n_jobs, batch_size=32)(delayed(_decode_problem)(p) for p in paths)
    problems, rates, durations = zip(*results)
    return pd.DataFrame(
        {"path": paths, "problem": list(problems), "sr_hz": list(rates), "duration_s": list(durations)}
    )


# ------------------------------------------------------------------ finish
def finish_load(
    name: str,
    root: Path,
    candidates: pd.DataFrame,
    *,
    parse_problems: list[dict] | None = None,
    check_audio: str = "header",
    n_jobs: int = 2,
    speaker_ids: str = "real",
    info: dict | None = None,
    warnings_: list[str] | None = None,
):
    """Validate candidate rows, check their audio and return a ``LoadedDataset``.

    ``candidates`` has the manifest columns (path, speaker, age_group, age_years, gender),
    any source-specific columns, and ``source_file`` / ``source_line`` to trace each row
    back. ``parse_problems`` are malformed lines (dicts with ``source_file``,
    ``source_line``, ``problem``) that never became candidates; they count as input rows.
    The manifest gains ``sr_hz`` and ``duration_s`` (from the audio check; NaN with
    ``check_audio="none"``) unless the source already has them.
    """
    from workbook.datasets import LoadedDataset  # late import: datasets registers these loaders

    check_audio_level(check_audio)
    parse_problems = parse_problems or []
    cand = candidates.reset_index(drop=True).copy()
    n_rows = len(cand)
    cand["_row"] = np.arange(n_rows)

    validation = validate_manifest(cand, check_files=True)
    problems = validation.problems.copy()
    problems["source_file"] = cand["source_file"].to_numpy()[problems["row"].to_numpy(dtype=int)] if len(problems) else []
    problems["source_line"] = cand["source_line"].to_numpy()[problems["row"].to_numpy(dtype=int)] if len(problems) else []
    manifest = validation.manifest
    # "duplicate: same path as row 12" -> name the first listing's file and line instead
    if len(problems):
        src_file, src_line = cand["source_file"].to_numpy(), cand["source_line"].to_numpy()

        def _first_listing(text: str) -> str:
            head, _, num = text.rpartition(" row ")
            if not text.startswith("duplicate") or not num.isdigit():
                return text
            line = src_line[int(num)]
            where = f"{src_file[int(num)]}" + ("" if pd.isna(line) else f" line {line}")
            return f"duplicate: same file as {where}"

        problems["problem"] = [_first_listing(str(p)) for p in problems["problem"]]

    # audio check on the rows that survived validation (each distinct file once)
    if check_audio != "none" and len(manifest):
        unique_paths = list(dict.fromkeys(manifest["path"]))
        checked = check_audio_files(unique_paths, check_audio, n_jobs=n_jobs).set_index("path")
        bad = manifest["path"].map(checked["problem"])
        bad_mask = bad.notna().to_numpy()
        audio_problems = pd.DataFrame(
            {
                "row": manifest.loc[bad_mask, "_row"].to_numpy(),
                "path": manifest.loc[bad_mask, "path"].to_numpy(),
                "column": "path",
                "problem": ["unreadable audio: " + str(p) for p in bad[bad_mask]],
                "problem_kind": "unreadable audio",
                "action": "dropped",
            }
        )
        audio_problems["source_file"] = cand["source_file"].to_numpy()[audio_problems["row"].to_numpy(dtype=int)]
        audio_problems["source_line"] = cand["source_line"].to_numpy()[audio_problems["row"].to_numpy(dtype=int)]
        problems = pd.concat([problems, audio_problems], ignore_index=True) if len(audio_problems) else problems
        if "sr_hz" not in manifest.columns:
            manifest["sr_hz"] = manifest["path"].map(checked["sr_hz"]).astype(float)
        if "duration_s" not in manifest.columns:
            manifest["duration_s"] = manifest["path"].map(checked["duration_s"]).astype(float)
        manifest = manifest.loc[~bad_mask].reset_index(drop=True)
    else:
        for col in ("sr_hz", "duration_s"):
            if col not in manifest.columns:
                manifest[col] = np.nan

    # malformed lines: rows numbered after the candidates so every input row has a number
    if parse_problems:
        pp = pd.DataFrame(parse_problems)
        pp["row"] = np.arange(n_rows, n_rows + len(pp))
        pp["path"] = None
        pp["column"] = None
        pp["problem_kind"] = "malformed row"
        pp["action"] = "dropped"
        problems = pd.concat([problems, pp], ignore_index=True)
    problems = problems.reindex(columns=[c for c in PROBLEM_COLUMNS if c != "reason"])
    problems = problems.sort_values(["source_file", "source_line", "row"], kind="stable", na_position="last")

    manifest = manifest.drop(columns=["_row", "source_file", "source_line"], errors="ignore")
    report = build_load_report(
        name,
        str(root),
        manifest,
        problems,
        n_rows + len(parse_problems),
        speaker_ids=speaker_ids,
        check_audio=check_audio,
        warnings_=warnings_,
    )
    info = dict(info or {})
    info.setdefault("speaker_ids", speaker_ids)
    info["speaker_leakage_possible"] = speaker_ids == "pseudo"
    info["check_audio"] = check_audio
    return LoadedDataset(name=name, root=Path(root), manifest=manifest, report=report, info=info)


def relative_source(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it (shorter report lines), else absolute."""
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)
