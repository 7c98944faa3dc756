"""Fixed-length log-mel "images" of every clip (section 4.3 of the original analysis).

Each clip becomes a ``(128, 94)`` float32 array: 3 s of audio at 16 kHz (cut, or padded
with silence at the end), a 128-band mel power spectrogram (2048-sample FFT, hop 512, as
the original) in dB (``power_to_db`` with ``ref=1.0``, librosa's unnormalised power units, the same
scale for every clip), floored at -100 dB (the padding sits at the floor).
Images of a whole data set are stored as one ``.npy`` file of shape
``(n_clips, n_mels, n_frames)``, opened later with ``np.load(..., mmap_mode="r")`` so a
model reads only the clips it needs; an index table (Parquet) maps rows to paths and
labels. They go through the engine, so they are cached, resumable and computed in parallel.

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
from workbook.engine import DEFAULT_MANIFEST_COLUMNS, Job, as_manifest, count_failures, error_table, resolve_cleaning_params, run_job

#: Defaults of the images: clip length (s), mel bands, FFT and hop (samples), dB floor.
DURATION_S, N_MELS, N_FFT, HOP_LENGTH, FLOOR_DB = 3.0, 128, 2048, 512, -100.0

MEL_IMAGES_FILE = "mel_images.npy"
MEL_INDEX_FILE = "mel_images_index.parquet"


def fix_duration(y: np.ndarray, sr: int, duration_s: float = DURATION_S) -> np.ndarray:
    """``y`` cut to ``duration_s`` s, or padded with zeros at the end to that length.

    Notebook: 03_features
    """
    n = int(round(duration_s * sr))
    y = np.asarray(y, dtype=np.float32)
    if len(y) >= n:
        return y[:n]
    return np.concatenate([y, np.zeros(n - len(y), dtype=np.float32)])


def image_shape(sr: int, *, duration_s: float = DURATION_S, n_mels: int = N_MELS, hop_length: int = HOP_LENGTH) -> tuple[int, int]:
    """``(n_mels, n_frames)`` of an image (centred frames: 1 + samples // hop).

    Notebook: 03_features
    """
    return n_mels, 1 + int(round(duration_s * sr)) // hop_length


def mel_image(
    y: np.ndarray,
    sr: int,
    *,
    duration_s: float = DURATION_S,
    n_mels: int = N_MELS,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    floor_db: float = FLOOR_DB,
) -> np.ndarray:
    """Log-mel image of ``y`` (sr in Hz): float32 ``(n_mels, n_frames)`` in dB (ref 1.0, floor ``floor_db``).

    The clip is first cut or padded to ``duration_s`` s (:func:`fix_duration`).

    Notebook: 03_features
    """
    import librosa

    x = fix_duration(y, sr, duration_s)
    M = librosa.feature.melspectrogram(y=x, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    db = librosa.power_to_db(M, ref=1.0, amin=10 ** (floor_db / 10), top_db=None)
    return db.astype(np.float32)


@dataclass
class MelImageJob(Job):
    """Engine job: one mel image per file, stored as float32 bytes in the cache."""

    duration_s: float = DURATION_S
    n_mels: int = N_MELS
    n_fft: int = N_FFT
    hop_length: int = HOP_LENGTH
    floor_db: float = FLOOR_DB

    kind = "melimages"

    def compute(self, y, sr):
        img = mel_image(y, sr, duration_s=self.duration_s, n_mels=self.n_mels, n_fft=self.n_fft, hop_length=self.hop_length, floor_db=self.floor_db)
        return {"mel": img.tobytes(), "n_mels": float(img.shape[0]), "n_frames": float(img.shape[1])}, []


@dataclass
class MelImages:
    """Result of :func:`extract_mel_images`: ``path`` of the ``.npy``, ``index`` (row ->
    clip path and labels), ``errors`` (path, stage, error), ``shape`` of the whole array."""

    path: Path
    index: pd.DataFrame
    errors: pd.DataFrame
    shape: tuple[int, ...]
    stats: object = None

    def load(self, *, mmap: bool = True) -> np.ndarray:
        """The images, memory-mapped (read on demand) unless ``mmap=False``."""
        return np.load(self.path, mmap_mode="r" if mmap else None)


def extract_mel_images(
    data,
    out_dir: str | Path,
    *,
    cleaning: str | Mapping | None = None,
    sr: int = 16000,
    duration_s: float = DURATION_S,
    n_mels: int = N_MELS,
    min_duration_s: float = 0.25,
    silence_dbfs: float = -60.0,
    n_jobs: int = 2,
    backend: str = "joblib",
    scheduler=None,
    cache_dir: str | Path | None = None,
    manifest_columns: Sequence[str] | None = DEFAULT_MANIFEST_COLUMNS,
    progress: bool = True,
) -> MelImages:
    """Mel images of every clip in ``data``, written to ``out_dir/mel_images.npy`` with an
    index ``out_dir/mel_images_index.parquet`` (columns ``row``, ``path`` and the manifest
    columns). Files that fail (unreadable, silent, too short) are left out and listed in
    ``errors``. The ``.npy`` is assembled shard by shard into a memory-mapped file, so
    memory stays bounded whatever the data set's size.

    Notebook: 03_features
    """
    manifest = as_manifest(data)
    job = MelImageJob(
        sr=sr, cleaning=resolve_cleaning_params(cleaning), min_duration_s=min_duration_s, silence_dbfs=silence_dbfs,
        duration_s=duration_s, n_mels=n_mels,
    )
    keys, store, read_errors, stats = run_job(
        manifest, job, n_jobs=n_jobs, backend=backend, scheduler=scheduler, cache_dir=cache_dir, progress=progress,
        desc="mel images",
    )
    meta = store.read(keys[KEY].unique(), columns=["_status", "_errors"])
    errors = error_table(keys, meta, read_errors)
    count_failures(stats, keys, meta, read_errors, errors)
    ok_keys = set(meta.loc[meta["_status"] == "ok", KEY])
    extra = [c for c in (manifest_columns or []) if c in manifest.columns]
    index = manifest[["path", *extra]].merge(keys, on="path", how="inner")
    index = index[index[KEY].isin(ok_keys)].reset_index(drop=True)
    index.insert(0, "row", np.arange(len(index)))

    shape = (len(index), *image_shape(sr, duration_s=duration_s, n_mels=n_mels, hop_length=job.hop_length))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    final = out / MEL_IMAGES_FILE
    tmp = out / f".{MEL_IMAGES_FILE}.partial-{os.getpid()}.npy"
    if shape[0] == 0:
        np.save(tmp, np.zeros(shape, dtype=np.float32))
    else:
        arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=shape)
        rows_of = index.groupby(KEY)["row"].apply(list).to_dict()
        wanted = set(rows_of)
        for shard in store.iter_shards(columns=[KEY, "_status", "mel"]):
            shard = shard[shard[KEY].isin(wanted) & (shard["_status"] == "ok")]
            for k, blob in zip(shard[KEY], shard["mel"]):
                img = np.frombuffer(blob, dtype=np.float32).reshape(shape[1:])
                for r in rows_of[k]:
                    arr[r] = img
        arr.flush()
        del arr
    os.replace(tmp, final)
    index_path = out / MEL_INDEX_FILE
    index.drop(columns=[KEY]).to_parquet(index_path, index=False)
    return MelImages(path=final, index=index.drop(columns=[KEY]), errors=errors, shape=shape, stats=stats)


def read_mel_images(out_dir: str | Path) -> tuple[np.ndarray, pd.DataFrame]:
    """``(images, index)`` written by :func:`extract_mel_images` in ``out_dir``; the images
    are memory-mapped (float32, ``(n_clips, n_mels, n_frames)``).

    Notebook: 04_eda
    """
    out = Path(out_dir)
    if not (out / MEL_IMAGES_FILE).is_file():
        raise FileNotFoundError(f"{out / MEL_IMAGES_FILE}: no mel images; run notebooks/03_features first")
    return np.load(out / MEL_IMAGES_FILE, mmap_mode="r"), pd.read_parquet(out / MEL_INDEX_FILE)
