"""What every real-data loader does after reading its source: validate, check audio, report.

A loader turns its source into candidate rows (:mod:`workbook.sources.tables`) and calls
:func:`finish_load`, which

1. validates the rows with :func:`workbook.manifest.validate_manifest` (missing files,
   unknown labels, duplicates; rows without labels are kept and flagged),
2. checks the audio of the surviving rows at the requested level (``check_audio``:
   ``none``, ``header`` or ``decode``),
3. builds the :class:`~workbook.sources.report.LoadReport` and the :class:`LoadedDataset`.

No step stops because of one bad row: each problem is recorded with its file and line.

Notebook: every notebook, through :func:`workbook.datasets.load_dataset`.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from helpers.audio import audio_info, load_audio
from workbook.manifest import validate_manifest
from workbook.sources.report import SPEAKER_LEAKAGE_WARNING, SPEAKER_PROXY_NOTE, LoadReport

__all__ = ["LoadedDataset"]

_CHECK_AUDIO = ("none", "header", "decode")

#: Notebook parameters every loader accepts; the real-data loaders use ``n_jobs`` and
#: ignore the synthetic corpus's knobs (its size and seed describe data to generate).
_NOTEBOOK_PARAMS = frozenset({"n_speakers", "clips_per_speaker", "seed", "sr", "n_jobs", "output_dir"})


@dataclass
class LoadedDataset:
    """A data set ready for analysis.

    ``manifest``: one row per usable recording (columns in :mod:`workbook.manifest`);
    ``report``: what was kept, dropped and why (``display_load_report(ds)`` shows it);
    ``root``: its folder; ``name``: the loader's name; ``info``: loader-specific facts
    (``speaker_leakage_possible`` is True when speaker ids are not real speakers).
    """

    name: str
    root: Path
    manifest: pd.DataFrame
    report: LoadReport
    info: dict = field(default_factory=dict)

    def summary(self) -> str:
        """The load report as text, and the clips and speakers kept."""
        m = self.manifest
        return (f"data set {self.name!r} at {self.root}\n{self.report.summary()}\n"
                f"{len(m)} clips from {m['speaker'].nunique()} speakers")


def check_params(loader: str, params: dict, check_audio: str) -> dict:
    """Refuse unknown parameters (typos) and ``check_audio`` levels; return the notebook parameters that do not apply.

    The returned dict goes into ``LoadedDataset.info["ignored_params"]``.
    """
    unknown = sorted(set(params) - _NOTEBOOK_PARAMS)
    if unknown:
        raise TypeError(
            f"{loader}: unknown parameter(s) {unknown}; see help(workbook.sources) for this loader's "
            f"parameters (the notebook parameters {sorted(_NOTEBOOK_PARAMS)} are accepted and ignored)"
        )
    if check_audio not in _CHECK_AUDIO:
        raise ValueError(f"check_audio must be one of {_CHECK_AUDIO}, not {check_audio!r}")
    return dict(params)


def _probe(path: str, decode: bool) -> tuple[str | None, float, float]:
    """``(problem or None, sr_hz, duration_s)`` of one file; never raises."""
    try:
        info = audio_info(path)
    except Exception as exc:  # AudioLoadError says what is wrong; keep going whatever libsndfile says
        return getattr(exc, "problem", f"cannot read header ({type(exc).__name__}: {exc})"), np.nan, np.nan
    sr_hz, duration_s = float(info["sr_hz"]), float(info["duration_s"])
    if not decode:
        if info["frames"] <= 0:
            return "holds no audio samples (header says 0 frames)", sr_hz, 0.0
        return None, sr_hz, duration_s
    try:
        y, native_sr = load_audio(path, sr=None)
    except Exception as exc:
        return getattr(exc, "problem", f"decoding failed ({type(exc).__name__}: {exc})"), sr_hz, duration_s
    return None, float(native_sr), len(y) / native_sr


def _explain_missing(problems: pd.DataFrame) -> pd.DataFrame:
    """Say why each "missing file" is missing: a folder, not a regular file, or absent (with
    the path tried and the closest file name in its folder or one below)."""
    listings: dict[Path, list[str]] = {}

    def explain(path) -> str:
        p = Path(str(path))
        if p.is_dir():
            return f"is a folder, not an audio file: {p}"
        if p.exists():
            return f"not a regular file (a device, pipe or socket), not read: {p}"
        if p.parent not in listings:
            top = sorted(os.listdir(p.parent)) if p.parent.is_dir() else []
            listings[p.parent] = top + [f"{d}/{n}" for d in top if (p.parent / d).is_dir() for n in sorted(os.listdir(p.parent / d))]
        names = {rel.rsplit("/", 1)[-1]: rel for rel in reversed(listings[p.parent])}  # the shallowest wins
        close = [names[n] for n in difflib.get_close_matches(p.name, names, n=1, cutoff=0.6)]
        return f"missing file: tried {p}; " + (f"closest file there: {close[0]}" if close else f"nothing similar in {p.parent}")

    missing = (problems["reason"] == "missing file") & problems["path"].notna() & (problems["path"].astype(str) != "")
    problems.loc[missing, "problem"] = problems.loc[missing, "path"].map(explain)
    return problems


def _probe_chunk(paths: list[str], decode: bool) -> list[tuple[str | None, float, float]]:
    return [_probe(p, decode) for p in paths]  # one task per chunk: little scheduling per file


def _check_audio_files(paths: list[str], level: str, *, n_jobs: int = 2) -> pd.DataFrame:
    """Check recordings; one row per path with ``problem`` (None if fine), ``sr_hz`` and ``duration_s``.

    ``level`` is ``header`` (libsndfile reads the header: catches empty and non-audio files,
    about 0.2 ms a file; on ``n_jobs`` threads) or ``decode`` (every sample: also catches
    truncated files; on ``n_jobs`` processes); ``none`` checks nothing. Progress shows from 10,000 files.
    """
    if level == "none" or not paths:
        return pd.DataFrame({"path": paths, "problem": None, "sr_hz": np.nan, "duration_s": np.nan})
    decode = level == "decode"
    size = 16 if decode else 2000
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    if n_jobs != 1 and len(chunks) > 1:
        parallel = Parallel(n_jobs=n_jobs, prefer="processes" if decode else "threads", return_as="generator")
        done = parallel(delayed(_probe_chunk)(chunk, decode) for chunk in chunks)
    else:
        done = (_probe_chunk(chunk, decode) for chunk in chunks)
    results = []
    with tqdm(total=len(paths), desc=f"checking audio ({level})", unit="file", disable=len(paths) < 10_000) as bar:
        for part in done:
            results += part
            bar.update(len(part))
    problems, rates, durations = zip(*results)
    return pd.DataFrame({"path": paths, "problem": problems, "sr_hz": rates, "duration_s": durations})


def finish_load(name: str, root: Path, candidates: pd.DataFrame, *, parse_problems: list[dict] | None = None,
                check_audio: str = "header", n_jobs: int = 2, speaker_ids: str = "real",
                speaker_proxy: list[str] | None = None, info: dict | None = None,
                warnings: list[str] | None = None) -> LoadedDataset:
    """Validate candidate rows, check their audio and return a :class:`LoadedDataset`.

    ``candidates`` has the manifest columns, any source-specific columns, and
    ``source_file`` / ``source_line`` to trace each row back. ``parse_problems`` are
    malformed lines (dicts with ``source_file``, ``source_line``, ``problem``) that never
    became candidates; they count as input rows. ``speaker_ids`` is ``real``, ``proxy``
    (from the ``speaker_proxy`` columns) or ``pseudo`` (the report then warns of speaker
    leakage). The manifest gains ``sr_hz`` and ``duration_s`` from the audio check (NaN
    with ``check_audio="none"``) unless the source has them.
    """
    parse_problems = parse_problems or []
    n_rows = len(candidates)
    validation = validate_manifest(candidates.reset_index(drop=True).assign(_row=np.arange(n_rows)), check_files=True)
    manifest, frames = validation.manifest, [_explain_missing(validation.problems)]
    checked = _check_audio_files(list(dict.fromkeys(manifest["path"])), check_audio, n_jobs=n_jobs)
    checked = checked.set_index("path")
    problem = manifest["path"].map(checked["problem"])
    bad = problem.notna().to_numpy()
    unreadable = manifest.loc[bad, ["_row", "source_file", "source_line", "path"]].rename(columns={"_row": "row"})
    frames.append(unreadable.assign(column="path", problem="unreadable audio: " + problem[bad].astype(str),
                                    reason="unreadable audio", action="dropped"))
    for col in ("sr_hz", "duration_s"):  # the source's own values win
        manifest[col] = manifest[col] if col in manifest.columns else manifest["path"].map(checked[col]).astype(float)
    # malformed lines are numbered after the candidates, so every input row has a number
    malformed = pd.DataFrame(parse_problems, columns=["source_file", "source_line", "problem"])
    frames.append(malformed.assign(row=np.arange(n_rows, n_rows + len(malformed)), reason="malformed row",
                                   action="dropped"))
    problems = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    problems = problems.sort_values(["source_file", "source_line", "row"], kind="stable", na_position="last")

    warnings = list(warnings or [])
    if speaker_ids == "pseudo":
        warnings.insert(0, SPEAKER_LEAKAGE_WARNING)
    elif speaker_ids == "proxy":
        warnings.insert(0, SPEAKER_PROXY_NOTE.format(columns=", ".join(speaker_proxy or [])))
    manifest = manifest.loc[~bad].drop(columns=["_row", "source_file", "source_line"]).reset_index(drop=True)
    report = LoadReport(name, str(root), n_rows + len(parse_problems), problems, manifest,
                        speaker_ids=speaker_ids, check_audio=check_audio, warnings=warnings)
    info = {**(info or {}), "speaker_ids": speaker_ids, "speaker_leakage_possible": speaker_ids == "pseudo",
            "check_audio": check_audio}
    return LoadedDataset(name=name, root=Path(root), manifest=manifest, report=report, info=info)
