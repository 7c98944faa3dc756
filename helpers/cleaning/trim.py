"""Trimming leading and trailing silence with ``librosa.effects.trim``.

librosa keeps everything between the first and the last frame whose RMS level is within
``top_db`` dB of the loudest frame. Two consequences the notebook shows:

- the reference is the *loudest frame*, so a loud click in the leading silence becomes the
  reference's rival and is kept as "sound": remove clicks before trimming;
- the noise floor must sit more than ``top_db`` below the speech peak, or nothing is
  trimmed: on a noisy clip trim after noise reduction, or raise the bar.

Notebook: 02_cleaning.
"""

from __future__ import annotations

import numpy as np


def trim_silence(
    y: np.ndarray,
    sr: int,
    *,
    top_db: float = 20.0,
    frame_s: float = 0.032,
    hop_s: float = 0.008,
    pad_s: float = 0.0,
) -> tuple[np.ndarray, tuple[int, int]]:
    """Cut leading and trailing silence; returns ``(y_trimmed, (start, end))`` in samples.

    Parameters
    ----------
    y : 1-D signal.
    sr : sample rate in Hz.
    top_db : frames quieter than the loudest frame by more than this (dB) count as silence.
    frame_s, hop_s : RMS frame length and hop in seconds (converted to samples for librosa).
    pad_s : keep this much (s) extra on each side of the detected sound, within the signal.

    An all-zero signal returns an empty array and ``(0, 0)``.
    """
    import librosa

    x = np.asarray(y)
    if x.ndim != 1:
        raise ValueError(f"trim_silence needs a 1-D (mono) signal, got shape {x.shape}")
    if x.size == 0 or not np.any(x):
        return x[:0], (0, 0)
    hop = max(1, int(round(hop_s * sr)))
    frame = max(hop, int(round(frame_s * sr)))
    if x.size < frame:
        return x, (0, int(x.size))
    _, (start, end) = librosa.effects.trim(y=x, top_db=top_db, frame_length=frame, hop_length=hop)
    pad = int(round(pad_s * sr))
    start, end = max(0, int(start) - pad), min(x.size, int(end) + pad)
    return x[start:end], (start, end)
