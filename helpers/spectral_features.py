"""Spectral statistics per clip: MFCC, delta and delta-delta summaries, and the shape of the spectrum.

Frames are 25 ms long with a 10 ms hop (400 / 160 samples at 16 kHz, FFT of 512), the usual
speech settings. Statistics are taken over *active* frames only (within 40 dB of the
loudest frame), so a clip's length of silence does not dilute them.

Notebook: 03_features
"""

from __future__ import annotations

import librosa
import numpy as np

__all__ = ["spectral_features"]


def _frame_settings(sr: int) -> tuple[int, int, int]:
    """``(n_fft, win_length, hop_length)`` in samples for 25 ms frames and a 10 ms hop at ``sr`` Hz."""
    win = int(round(0.025 * sr))
    hop = int(round(0.010 * sr))
    return int(2 ** np.ceil(np.log2(win))), win, hop


def _active_frames(S: np.ndarray, *, active_db: float = 40.0) -> np.ndarray:
    """Frames whose energy is within ``active_db`` dB of the loudest frame."""
    energy = np.sum(np.asarray(S, dtype=np.float64) ** 2, axis=0)
    if energy.size == 0 or energy.max() <= 0:
        return np.zeros(energy.shape, dtype=bool)
    return 10 * np.log10(np.maximum(energy, 1e-20) / energy.max()) > -active_db


def _mean_std(x: np.ndarray, prefix: str, out: dict) -> None:
    x = np.atleast_2d(x)
    mean = x.mean(axis=1) if x.shape[1] else np.full(x.shape[0], np.nan)
    std = x.std(axis=1) if x.shape[1] else np.full(x.shape[0], np.nan)
    for i in range(x.shape[0]):
        out[f"{prefix}{i:02d}_mean"] = float(mean[i])
        out[f"{prefix}{i:02d}_std"] = float(std[i])


def _mfcc_stats(S: np.ndarray, sr: int, n_fft: int, n_mfcc: int, active: np.ndarray, out: dict) -> None:
    """Mean and s.d. of MFCCs (40 mel bands), deltas and delta-deltas (9-frame window, fewer on very short clips)."""
    mel = librosa.feature.melspectrogram(S=S**2, sr=sr, n_fft=n_fft, n_mels=40)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel, ref=1.0, amin=1e-10), n_mfcc=n_mfcc)
    n = mfcc.shape[1]
    width = min(9, n if n % 2 else n - 1)
    if width >= 3:
        d1 = librosa.feature.delta(mfcc, width=width, order=1)
        d2 = librosa.feature.delta(mfcc, width=width, order=2)
    else:
        d1 = d2 = np.full_like(mfcc, np.nan)
    _mean_std(mfcc[:, active], "mfcc", out)
    _mean_std(d1[:, active], "dmfcc", out)
    _mean_std(d2[:, active], "ddmfcc", out)


def spectral_features(y: np.ndarray, sr: int, *, n_mfcc: int = 13) -> dict[str, float]:
    """The spectral family of one clip (``y`` at ``sr`` Hz), over its active frames.

    ``mfccKK_mean``/``_std``, ``dmfccKK_*`` (delta), ``ddmfccKK_*`` (delta-delta) for KK <
    ``n_mfcc``; spectral centroid, bandwidth and 85 % roll-off (Hz) and flatness (0 tone .. 1
    noise): ``*_mean``/``*_std``; spectral contrast (dB, peak-to-valley; breathy voices have
    less) in octave bands from 200 Hz: ``contrastK_db_mean``.

    Notebook: 03_features
    """
    n_fft, win, hop = _frame_settings(sr)
    S = np.abs(librosa.stft(y=np.asarray(y, dtype=np.float32), n_fft=n_fft, win_length=win, hop_length=hop, center=True))
    active = _active_frames(S)
    out: dict[str, float] = {}
    _mfcc_stats(S, sr, n_fft, n_mfcc, active, out)
    feats = {
        "centroid_hz": librosa.feature.spectral_centroid(S=S, sr=sr, n_fft=n_fft)[0],
        "bandwidth_hz": librosa.feature.spectral_bandwidth(S=S, sr=sr, n_fft=n_fft)[0],
        "rolloff_hz": librosa.feature.spectral_rolloff(S=S, sr=sr, n_fft=n_fft, roll_percent=0.85)[0],
        "flatness": librosa.feature.spectral_flatness(S=S)[0],
    }
    for name, x in feats.items():
        x = x[active]
        out[f"{name}_mean"] = float(np.mean(x)) if x.size else float("nan")
        out[f"{name}_std"] = float(np.std(x)) if x.size else float("nan")
    n_bands, fmin = 6, 200.0
    while fmin * 2**n_bands >= sr / 2 and n_bands > 1:  # keep the top band below Nyquist
        n_bands -= 1
    contrast = librosa.feature.spectral_contrast(S=S, sr=sr, n_fft=n_fft, fmin=fmin, n_bands=n_bands)
    for i in range(contrast.shape[0]):
        c = contrast[i, active]
        out[f"contrast{i}_db_mean"] = float(np.mean(c)) if c.size else float("nan")
    return out
