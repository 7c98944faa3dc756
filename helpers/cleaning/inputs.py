"""Input checks before cleaning: downmix to mono, reject the impossible, find silence and clipping.

Everything downstream (noisereduce, trimming, click repair) assumes one channel of finite
samples. :func:`as_mono` turns what people actually pass in (float or integer arrays,
``(samples, channels)`` or ``(channels, samples)``) into that, and says what it did;
noisereduce itself would read a ``(samples, 2)`` array as thousands of two-sample channels
and run out of memory. :func:`detect_clipping` finds flat runs at the peak level, the mark
of a recording that overloaded its converter.

Notebook: 02_cleaning.
"""

from __future__ import annotations

import numpy as np

#: Below this peak level (dBFS) a signal counts as silent: nothing to clean.
SILENCE_PEAK_DBFS = -100.0


class CleaningInputError(ValueError):
    """The input cannot be cleaned at all (wrong shape, NaN samples, bad sample rate)."""


def as_mono(y, *, name: str = "input") -> tuple[np.ndarray, list[str]]:
    """Return ``y`` as a 1-D float64 array and notes on what was changed.

    Accepts 1-D arrays, ``(samples, channels)`` and ``(channels, samples)`` arrays (the
    shorter axis is taken as channels) and integer PCM (scaled to [-1, 1]). Channels are
    averaged. ``name`` labels the input in error messages (a file name, say).

    Raises
    ------
    CleaningInputError : empty, more than 2-D, more than 16 channels, or non-finite samples.
    """
    notes: list[str] = []
    arr = np.asarray(y)
    if arr.dtype.kind in "iu":
        info = np.iinfo(arr.dtype)
        scale = float(max(abs(info.min), info.max))
        notes.append(f"integer samples ({arr.dtype}) scaled to [-1, 1]")
        arr = arr.astype(np.float64) / scale
    elif arr.dtype.kind == "b" or arr.dtype.kind not in "f":
        raise CleaningInputError(f"{name}: samples must be numbers, got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.size == 0:
        raise CleaningInputError(f"{name}: holds no samples")
    if arr.ndim > 2:
        raise CleaningInputError(
            f"{name}: expected a 1-D signal or a 2-D (samples, channels) array, got shape {arr.shape}"
        )
    if arr.ndim == 2:
        ch_axis = 1 if arr.shape[1] <= arr.shape[0] else 0
        n_ch = arr.shape[ch_axis]
        if n_ch > 16:
            raise CleaningInputError(
                f"{name}: shape {arr.shape} does not look like audio channels "
                f"({n_ch} channels); pass a 1-D signal or (samples, channels)"
            )
        if n_ch > 1:
            layout = "(samples, channels)" if ch_axis == 1 else "(channels, samples)"
            notes.append(f"downmixed {n_ch} channels {layout} to mono by averaging")
        arr = arr.mean(axis=ch_axis)
    arr = np.asarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise CleaningInputError(f"{name}: {n_bad} samples are NaN or infinite")
    return np.ascontiguousarray(arr), notes


def check_sr(sr, *, name: str = "input") -> int:
    """Return the sample rate as an int, or raise if it is not a positive number of Hz."""
    try:
        sr_int = int(sr)
    except (TypeError, ValueError):
        raise CleaningInputError(f"{name}: sample rate must be a number in Hz, got {sr!r}") from None
    if sr_int <= 0 or sr_int != sr:
        raise CleaningInputError(f"{name}: sample rate must be a positive whole number of Hz, got {sr!r}")
    return sr_int


def peak_dbfs(y: np.ndarray) -> float:
    """Peak level of ``y`` in dB relative to full scale (1.0); ``-inf`` for all zeros."""
    peak = float(np.max(np.abs(y))) if np.size(y) else 0.0
    return 20.0 * np.log10(peak) if peak > 0 else float("-inf")


def is_silent(y: np.ndarray, *, floor_dbfs: float = SILENCE_PEAK_DBFS) -> bool:
    """True if the peak of ``y`` is below ``floor_dbfs`` (default -100 dBFS)."""
    return peak_dbfs(y) < floor_dbfs


def detect_clipping(
    y: np.ndarray, *, min_run: int = 3, rel_tol: float = 1e-3, min_level: float = 0.1
) -> tuple[np.ndarray, float]:
    """Find clipped samples: runs of at least ``min_run`` samples at the signal's peak level.

    A converter that overloads holds the output at its limit, so clipping shows as flat runs
    at (almost exactly) ``+level`` or ``-level``. A sample counts if ``|y| >= level * (1 -
    rel_tol)`` and it sits in such a run. Peaks below ``min_level`` (linear) are not
    treated as clipping: quiet recordings are not overloaded.

    Returns
    -------
    (mask, level) : boolean mask of clipped samples and the clip level (linear, 0 if none).
    """
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return np.zeros(0, dtype=bool), 0.0
    level = float(np.max(np.abs(y)))
    if level < min_level:
        return np.zeros(y.shape, dtype=bool), 0.0
    at_peak = np.abs(y) >= level * (1.0 - rel_tol)
    # keep only runs of >= min_run consecutive samples at the peak
    edges = np.diff(np.concatenate(([0], at_peak.view(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    keep = (ends - starts) >= min_run
    bounds = np.zeros(y.size + 1, dtype=np.int64)
    np.add.at(bounds, starts[keep], 1)
    np.add.at(bounds, ends[keep], -1)
    mask = np.cumsum(bounds[:-1]) > 0
    return mask, (level if mask.any() else 0.0)
