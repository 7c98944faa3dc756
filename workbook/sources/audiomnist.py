"""AudioMNIST: 60 speakers saying the digits 0-9, 50 times each, with age and gender.

Layout (github.com/soerenab/AudioMNIST, MIT licence)::

    data/audioMNIST_meta.txt                 {"01": {"age": 30, "gender": "male", ...}, ...}
    data/<speaker>/<digit>_<speaker>_<repetition>.wav     48 kHz mono 16-bit

The meta file is JSON-like: ages appear as numbers or strings, and at least one is not a
plausible age (``"1234"``); such a speaker's clips are dropped as ``unknown label`` and the
report says so. Speaker ids are real, clips per speaker are many (500): a split by speaker
matters here more than anywhere.

Notebook: every notebook, through ``load_dataset("audiomnist", data_dir)``.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd

from workbook.sources.common import (
    DataLayoutError,
    check_audio_level,
    check_notebook_params,
    finish_load,
    relative_source,
    split_age_values,
)

META_NAME = "audioMNIST_meta.txt"
_CLIP_NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>\d+)_(?P<repetition>\d+)\.wav$", re.IGNORECASE)


def read_audiomnist_meta(path: str | Path) -> dict[str, dict]:
    """Parse ``audioMNIST_meta.txt`` (JSON, or a Python dict literal as fallback).

    Returns speaker id -> fields (keys with spaces get underscores: ``native_speaker``).
    Raises :class:`DataLayoutError` naming the file when it is neither.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        try:
            meta = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise DataLayoutError(
                f"{path}: cannot parse the speaker table as JSON ({exc.msg} at line {exc.lineno})"
            ) from None
    if not isinstance(meta, dict) or not all(isinstance(v, dict) for v in meta.values()):
        raise DataLayoutError(f"{path}: expected a mapping speaker -> {{age, gender, ...}}")
    return {
        str(spk).strip(): {str(k).strip().replace(" ", "_"): v for k, v in fields.items()}
        for spk, fields in meta.items()
    }


def find_audiomnist(root: Path) -> Path:
    """The folder holding ``audioMNIST_meta.txt`` and the speaker folders."""
    for cand in (root, root / "data"):
        if (cand / META_NAME).is_file():
            return cand
    found = sorted(root.glob(f"*/{META_NAME}")) + sorted(root.glob(f"*/*/{META_NAME}"))
    if found:
        return found[0].parent
    raise DataLayoutError(
        f"{root}: no {META_NAME} here or below: expected the AudioMNIST layout "
        "(data/audioMNIST_meta.txt and data/<speaker>/<digit>_<speaker>_<rep>.wav)"
    )


def load_audiomnist(
    data_dir: str | Path | None = None,
    *,
    check_audio: str = "header",
    n_jobs: int = 2,
    download: bool = True,
    download_sha256: str | None = None,
    allow_unpinned: bool = False,
    **notebook_params,
):
    """Load AudioMNIST: one row per ``.wav`` in a speaker folder, labels from the meta file.

    Parameters
    ----------
    data_dir : the repository (or its ``data/`` folder). None: the download cache
        (``data/downloads/audiomnist/``), fetched first if missing and ``download``.
    check_audio, n_jobs : see :func:`workbook.sources.commonvoice.load_commonvoice`.
    download, download_sha256, allow_unpinned : see :func:`workbook.sources.downloads.fetch`.

    Manifest extras: ``digit``, ``repetition``, ``accent``, ``native_speaker``, ``origin``,
    ``recordingdate``, ``recordingroom``. A clip whose speaker has no entry in the meta file
    is kept without labels (flagged); a speaker in the meta file without recordings is named
    in the report's warnings.
    """
    ignored = check_notebook_params("load_audiomnist", notebook_params)
    check_audio_level(check_audio)
    if data_dir is None:
        from workbook.sources.downloads import cached_download, fetch

        root = cached_download("audiomnist")
        if root is None:
            if not download:
                raise DataLayoutError(
                    "audiomnist: no data_dir given and nothing downloaded yet; pass data_dir=... or download=True"
                )
            root = fetch("audiomnist", sha256=download_sha256, allow_unpinned=allow_unpinned)
    else:
        root = Path(data_dir).expanduser().resolve()
        if not root.is_dir():
            raise DataLayoutError(f"{root}: data_dir is not a folder")
    folder = find_audiomnist(root)
    meta_path = folder / META_NAME
    meta = read_audiomnist_meta(meta_path)

    rows = []
    speakers_with_audio = set()
    for spk_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for wav in sorted(spk_dir.glob("*.wav")) + sorted(spk_dir.glob("*.WAV")):
            m = _CLIP_NAME.match(wav.name)
            speaker = spk_dir.name
            speakers_with_audio.add(speaker)
            fields = meta.get(speaker, {})
            rows.append(
                {
                    "path": str(wav.absolute()),
                    "speaker": speaker,
                    "age": "" if fields.get("age") is None else str(fields.get("age")),
                    "gender": fields.get("gender"),
                    "gender_source": fields.get("gender"),
                    "clip": f"{spk_dir.name}/{wav.name}",
                    "digit": int(m["digit"]) if m else pd.NA,
                    "repetition": int(m["repetition"]) if m else pd.NA,
                    **{k: v for k, v in fields.items() if k not in ("age", "gender")},
                    "source_file": relative_source(spk_dir, root),
                    "source_line": pd.NA,
                }
            )
    if not rows:
        raise DataLayoutError(f"{folder}: {META_NAME} found but no <speaker>/*.wav recordings")
    table = pd.DataFrame(rows)
    table["age_group"], table["age_years"] = split_age_values(table.pop("age"))
    warnings_ = []
    silent = sorted(set(meta) - speakers_with_audio)
    if silent:
        warnings_.append(f"speakers in {META_NAME} without recordings: {', '.join(silent)}")
    return finish_load(
        "audiomnist",
        root,
        table,
        check_audio=check_audio,
        n_jobs=n_jobs,
        speaker_ids="real",
        info={"meta": str(meta_path), "n_meta_speakers": len(meta), "ignored_params": ignored},
        warnings_=warnings_,
    )
