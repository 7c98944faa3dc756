"""Spectral statistics per clip: MFCC and delta summaries, and the shape of the spectrum.

Frames are 25 ms long with a 10 ms hop (400 / 160 samples at 16 kHz, FFT of 512), the
usual speech settings. Statistics are taken over *active* frames only (within
``active_db`` dB of the loudest frame), so a clip's length of silence does not dilute them.

- MFCC 0..n-1, their deltas and delta-deltas: mean and standard deviation of each;
- spectral centroid, bandwidth and roll-off (85 %) in Hz, flatness (0..1): mean and s.d.;
- spectral contrast (dB) in 7 octave bands: mean of each.

Notebook: 03_features
"""

from __future__ import annotations

import numpy as np

#: Frame settings in samples at 16 kHz (scaled with sr by :func:`frame_settings`).
N_FFT_16K, WIN_16K, HOP_16K = 512, 400, 160


def frame_settings(sr: int) -> tuple[int, int, int]:
    """``(n_fft, win_length, hop_length)`` in samples for 25 ms frames and a 10 ms hop at ``sr`` Hz.

    Notebook: 03_features
    """
    win = int(round(0.025 * sr))
    hop = int(round(0.010 * sr))
    n_fft = int(2 ** np.ceil(np.log2(win)))
    return n_fft, win, hop


def magnitude_spectrogram(y: np.ndarray, sr: int) -> np.ndarray:
    """|STFT| of ``y`` with :func:`frame_settings`, shape ``(1 + n_fft // 2, n_frames)``.

    Notebook: 03_features
    """
    import librosa

    n_fft, win, hop = frame_settings(sr)
    return np.abs(librosa.stft(y=np.asarray(y, dtype=np.float32), n_fft=n_fft, win_length=win, hop_length=hop, center=True))


def active_frames(S: np.ndarray, *, active_db: float = 40.0) -> np.ndarray:
    """Boolean mask of frames whose energy is within ``active_db`` dB of the loudest frame.

    Notebook: 03_features
    """
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


def mfcc_stats(
    S: np.ndarray,
    sr: int,
    *,
    n_mfcc: int = 13,
    n_mels: int = 40,
    active: np.ndarray | None = None,
) -> dict[str, float]:
    """Mean and s.d. of MFCCs, deltas and delta-deltas over the ``active`` frames.

    ``S``: magnitude spectrogram from :func:`magnitude_spectrogram`. Columns
    ``mfccKK_mean``/``_std``, ``dmfccKK_*`` (delta), ``ddmfccKK_*`` (delta-delta); deltas use
    a 9-frame window (fewer on very short clips). Dimensionless.

    Notebook: 03_features
    """
    import librosa

    n_fft = 2 * (S.shape[0] - 1)
    mel = librosa.feature.melspectrogram(S=np.asarray(S) ** 2, sr=sr, n_fft=n_fft, n_mels=n_mels)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel, ref=1.0, amin=1e-10), n_mfcc=n_mfcc)
    n = mfcc.shape[1]
    width = min(9, n if n % 2 else n - 1)
    if width >= 3:
        d1 = librosa.feature.delta(mfcc, width=width, order=1)
        d2 = librosa.feature.delta(mfcc, width=width, order=2)
    else:
        d1 = d2 = np.full_like(mfcc, np.nan)
    if active is None:
        active = np.ones(n, dtype=bool)
    out: dict[str, float] = {}
    _mean_std(mfcc[:, active], "mfcc", out)
    _mean_std(d1[:, active], "dmfcc", out)
    _mean_std(d2[:, active], "ddmfcc", out)
    return out


def spectral_shape_stats(S: np.ndarray, sr: int, *, active: np.ndarray | None = None) -> dict[str, float]:
    """Centroid, bandwidth, roll-off (Hz), flatness: mean and s.d.; contrast (dB) per band: mean.

    ``S``: magnitude spectrogram from :func:`magnitude_spectrogram`; statistics over the
    ``active`` frames. The centroid is the spectrum's centre of mass, the bandwidth its
    spread around it, the roll-off the frequency below which 85 % of the energy lies,
    flatness how noise-like (1) or tonal (0) it is, and contrast the peak-to-valley
    difference in each octave band (breathy voices have less).

    Notebook: 03_features
    """
    import librosa

    S = np.asarray(S, dtype=np.float32)
    n_fft = 2 * (S.shape[0] - 1)
    if active is None:
        active = np.ones(S.shape[1], dtype=bool)
    feats = {
        "centroid_hz": librosa.feature.spectral_centroid(S=S, sr=sr, n_fft=n_fft)[0],
        "bandwidth_hz": librosa.feature.spectral_bandwidth(S=S, sr=sr, n_fft=n_fft)[0],
        "rolloff_hz": librosa.feature.spectral_rolloff(S=S, sr=sr, n_fft=n_fft, roll_percent=0.85)[0],
        "flatness": librosa.feature.spectral_flatness(S=S)[0],
    }
    out: dict[str, float] = {}
    for name, x in feats.items():
        x = x[active]
        out[f"{name}_mean"] = float(np.mean(x)) if x.size else float("nan")
        out[f"{name}_std"] = float(np.std(x)) if x.size else float("nan")
    n_bands = 6
    fmin = 200.0
    while fmin * 2**n_bands >= sr / 2 and n_bands > 1:  # keep the top band below Nyquist
        n_bands -= 1
    contrast = librosa.feature.spectral_contrast(S=S, sr=sr, n_fft=n_fft, fmin=fmin, n_bands=n_bands)
    for i in range(contrast.shape[0]):
        c = contrast[i, active]
        out[f"contrast{i}_db_mean"] = float(np.mean(c)) if c.size else float("nan")
    return out
