"""Fixed-length log-mel "images" of every clip (section 4.3 of the original analysis).

Each clip becomes a ``(128, 94)`` float32 array: 3 s at 16 kHz (cut, or padded with silence),
a 128-band mel power spectrogram (FFT 2048, hop 512, as the original; :func:`helpers.features.mel_image`) in dB with ``ref=1.0``
(the same scale for every clip), floored at -100 dB. They go through the engine (cached,
parallel) into one ``.npy`` read back memory-mapped, with an index table (Parquet).

Notebook: 03_features (written), 04_eda (read).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from workbook.cache import KEY
from workbook.engine import DEFAULT_MANIFEST_COLUMNS, RunStats, _MelImageJob, as_manifest, resolve_cleaning_params, run_job

__all__ = ["extract_mel_images", "read_mel_images"]

_MEL_IMAGES_FILE, _MEL_INDEX_FILE = "mel_images.npy", "mel_images_index.parquet"


@dataclass
class MelImages:
    """Result of :func:`extract_mel_images`: ``path`` of the ``.npy``, ``index`` (row -> clip
    path and labels), ``errors`` (path, stage, error), ``shape`` of the whole array, ``stats``."""

    path: Path
    index: pd.DataFrame
    errors: pd.DataFrame
    shape: tuple[int, ...]
    stats: RunStats

    def load(self, *, mmap: bool = True) -> np.ndarray:
        """The images, memory-mapped (read on demand) unless ``mmap=False``."""
        return np.load(self.path, mmap_mode="r" if mmap else None)


def extract_mel_images(data, out_dir: str | Path, *, cleaning: str | Mapping | None = None, sr: int = 16000,
                       duration_s: float = 3.0, n_mels: int = 128, min_duration_s: float = 0.25,
                       silence_dbfs: float = -60.0, n_jobs: int = 2, backend: str = "joblib", scheduler=None,
                       cache_dir: str | Path | None = None,
                       manifest_columns: Sequence[str] | None = DEFAULT_MANIFEST_COLUMNS, progress: bool = True) -> MelImages:
    """Mel images (:func:`helpers.features.mel_image`) of every clip in ``data``, written to
    ``out_dir/mel_images.npy`` with an index ``out_dir/mel_images_index.parquet`` (columns
    ``row``, ``path`` and the manifest columns). Files that fail (unreadable, silent, too
    short) are left out and listed in ``errors``. The ``.npy`` is filled shard by shard as a
    memory-mapped file, so memory stays bounded whatever the data set's size.

    Notebook: 03_features
    """
    manifest = as_manifest(data)
    job = _MelImageJob(sr=sr, cleaning=resolve_cleaning_params(cleaning), min_duration_s=min_duration_s,
                       silence_dbfs=silence_dbfs, duration_s=duration_s, n_mels=n_mels)
    keys, store, errors, stats = run_job(manifest, job, n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                                         cache_dir=cache_dir, progress=progress, desc="mel images")
    ok = keys[keys["_status"] == "ok"]
    extra = [c for c in (manifest_columns or []) if c in manifest.columns]
    index = manifest[["path", *extra]].merge(ok[["path", KEY]], on="path").reset_index(drop=True)
    index.insert(0, "row", np.arange(len(index)))

    n_frames = 1 + int(round(duration_s * sr)) // job.hop_length  # centred frames
    shape = (len(index), n_mels, n_frames)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{_MEL_IMAGES_FILE}.partial-{os.getpid()}.npy"
    if len(index) == 0:  # an empty memory map cannot be opened
        np.save(tmp, np.zeros(shape, dtype=np.float32))
    else:
        images = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=shape)
        rows_of = index.groupby(KEY)["row"].apply(list).to_dict()
        for shard in store.iter_shards(columns=[KEY, "_status", "mel"]):
            shard = shard[shard[KEY].isin(set(rows_of)) & (shard["_status"] == "ok")]
            for key, blob in zip(shard[KEY], shard["mel"]):
                images[rows_of[key]] = np.frombuffer(blob, dtype=np.float32).reshape(shape[1:])
        images.flush()
        del images
    os.replace(tmp, out / _MEL_IMAGES_FILE)
    index = index.drop(columns=[KEY])
    index.to_parquet(out / _MEL_INDEX_FILE, index=False)
    return MelImages(path=out / _MEL_IMAGES_FILE, index=index, errors=errors, shape=shape, stats=stats)


def read_mel_images(out_dir: str | Path) -> tuple[np.ndarray, pd.DataFrame]:
    """``(images, index)`` written by :func:`extract_mel_images` in ``out_dir``; the images
    are memory-mapped (float32, ``(n_clips, n_mels, n_frames)``).

    Notebook: 04_eda
    """
    out = Path(out_dir)
    if not (out / _MEL_IMAGES_FILE).is_file():
        raise FileNotFoundError(f"{out / _MEL_IMAGES_FILE}: no mel images; run notebooks/03_features first")
    return np.load(out / _MEL_IMAGES_FILE, mmap_mode="r"), pd.read_parquet(out / _MEL_INDEX_FILE)
