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

from workbook.sources.downloads import fetch
from workbook.sources.loading import LoadedDataset, check_params, finish_load
from workbook.sources.tables import DataLayoutError, open_folder, relative_source, split_age_values

__all__ = ["load_audiomnist"]

_META_NAME = "audioMNIST_meta.txt"
_CLIP_NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>\d+)_(?P<repetition>\d+)\.wav$", re.IGNORECASE)


def _read_meta(path: Path) -> dict[str, dict]:
    """Speaker id -> fields from ``audioMNIST_meta.txt`` (JSON, or a Python dict literal).

    Keys with spaces get underscores (``native_speaker``); a file that is neither raises
    :class:`DataLayoutError` naming it.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        try:
            meta = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise DataLayoutError(
                f"{path}: cannot parse the speaker table as JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(meta, dict) or not all(isinstance(v, dict) for v in meta.values()):
        raise DataLayoutError(f"{path}: expected a mapping speaker -> {{age, gender, ...}}")
    return {str(spk).strip(): {str(k).strip().replace(" ", "_"): v for k, v in fields.items()}
            for spk, fields in meta.items()}


def _find_meta_folder(root: Path) -> Path:
    """The folder holding ``audioMNIST_meta.txt`` and the speaker folders: ``root``, ``root/data`` or below."""
    found = [c for c in (root, root / "data") if (c / _META_NAME).is_file()]
    found += [p.parent for pattern in (f"*/{_META_NAME}", f"*/*/{_META_NAME}") for p in sorted(root.glob(pattern))]
    if not found:
        raise DataLayoutError(f"{root}: no {_META_NAME} here or below: expected the AudioMNIST layout "
                              "(data/audioMNIST_meta.txt and data/<speaker>/<digit>_<speaker>_<rep>.wav)")
    return found[0]


def load_audiomnist(data_dir: str | Path | None = None, *, check_audio: str = "header", n_jobs: int = 2,
                    download: bool = True, download_sha256: str | None = None, allow_unpinned: bool = False,
                    **notebook_params) -> LoadedDataset:
    """Load AudioMNIST: one row per ``.wav`` in a speaker folder, labels from the meta file.

    ``data_dir``: the repository (or its ``data/`` folder); None: the download cache
    (``data/downloads/audiomnist/``), fetched first if missing and ``download`` (the download
    parameters: see :func:`workbook.sources.downloads.fetch`; ``check_audio``, ``n_jobs``: see
    :func:`workbook.sources.commonvoice.load_commonvoice`). Manifest extras: ``digit``,
    ``repetition``, ``accent``, ``native_speaker``, ``origin``, ``recordingdate``,
    ``recordingroom``. A clip whose speaker has no entry in the meta file is kept without
    labels (flagged); a speaker in the meta file without recordings is named in the report's
    warnings.
    """
    ignored = check_params("load_audiomnist", notebook_params, check_audio)
    if data_dir is None:
        root = fetch("audiomnist", sha256=download_sha256, allow_unpinned=allow_unpinned, download=download)
    else:
        root = open_folder(data_dir, "audiomnist", "the AudioMNIST repository")
    folder = _find_meta_folder(root)
    meta = _read_meta(folder / _META_NAME)
    rows = []
    for spk_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        fields = meta.get(spk_dir.name, {})
        for wav in sorted(spk_dir.glob("*.wav")) + sorted(spk_dir.glob("*.WAV")):
            m = _CLIP_NAME.match(wav.name)
            rows.append({
                "path": str(wav.absolute()), "speaker": spk_dir.name,
                "age": "" if fields.get("age") is None else str(fields["age"]),
                "gender": fields.get("gender"), "gender_source": fields.get("gender"),
                "clip": f"{spk_dir.name}/{wav.name}",
                "digit": int(m["digit"]) if m else pd.NA, "repetition": int(m["repetition"]) if m else pd.NA,
                **{k: v for k, v in fields.items() if k not in ("age", "gender")},
                "source_file": relative_source(spk_dir, root), "source_line": pd.NA,
            })
    if not rows:
        raise DataLayoutError(f"{folder}: {_META_NAME} found but no <speaker>/*.wav recordings")
    table = pd.DataFrame(rows)
    table["age_group"], table["age_years"] = split_age_values(table.pop("age"))
    silent = sorted(set(meta) - set(table["speaker"]))
    return finish_load(
        "audiomnist", root, table, check_audio=check_audio, n_jobs=n_jobs, speaker_ids="real",
        info={"meta": str(folder / _META_NAME), "n_meta_speakers": len(meta), "ignored_params": ignored},
        warnings=[f"speakers in {_META_NAME} without recordings: {', '.join(silent)}"] if silent else [],
    )
