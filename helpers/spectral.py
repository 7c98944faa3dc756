"""Waveform, FFT, STFT, mel, MFCC and pitch computations (arrays in, arrays out).

Every function takes samples ``y`` (1-D float, full scale +-1) and the sample rate ``sr``
in Hz, and returns NumPy arrays; none of them plots. Frame parameters are in samples
(``n_fft``, ``hop_length``), times in seconds, frequencies in Hz, levels in dB.
librosa is always called with keyword arguments, so the same code runs on librosa 0.11
and 1.0.

Level conventions
-----------------
- :func:`compute_spectrum` and :func:`compute_stft_db` give **dBFS**: the magnitude is
  scaled by ``2 / sum(window)``, so a full-scale sine shows a peak of 0 dB and a sine of
  amplitude 0.5 a peak of -6 dB. Levels are comparable across clips.
- :func:`compute_mel_db` gives mel-band power in **dB relative to the loudest cell**
  (0 dB at the top), the usual input to MFCCs.
- :func:`compute_mfcc` gives dimensionless cepstral coefficients (the DCT of log-mel).

Notebook: 01_signal_anatomy (figures), 03_features (the same settings feed the features).
"""

from __future__ import annotations

import numpy as np
import librosa
import scipy.signal

#: Default analysis settings at 16 kHz: 64 ms frames (15.6 Hz bins), 16 ms hop.
DEFAULT_N_FFT = 1024
DEFAULT_HOP_LENGTH = 256
DEFAULT_N_MELS = 64
DEFAULT_N_MFCC = 13

#: pyin search range for speech in Hz (adult and teenage voices, low male to high female).
SPEECH_FMIN_HZ = 60.0
SPEECH_FMAX_HZ = 500.0
#: pyin frame length in samples at 16 kHz (128 ms: several periods of a 60 Hz voice).
PYIN_FRAME_LENGTH = 2048

#: Floor for dB conversions (1e-5 full scale = -100 dBFS).
AMIN = 1e-5


def _as_signal(y, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D mono samples, got shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{name} holds no samples")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinite samples")
    return y.astype(np.float32, copy=False)


def _check_sr(sr) -> int:
    if not np.isscalar(sr) or sr <= 0:
        raise ValueError(f"sr must be a positive sample rate in Hz, got {sr!r}")
    return int(sr)


def nyquist_hz(sr: int) -> float:
    """Highest frequency a signal sampled at ``sr`` Hz can represent: ``sr / 2`` in Hz.

    Notebook: 01_signal_anatomy
    """
    return _check_sr(sr) / 2.0


def time_axis_s(n_samples: int, sr: int) -> np.ndarray:
    """Time in seconds of each of ``n_samples`` samples at ``sr`` Hz (sample n at n / sr).

    Notebook: 01_signal_anatomy
    """
    return np.arange(int(n_samples)) / _check_sr(sr)


def compute_spectrum(
    y: np.ndarray,
    sr: int,
    *,
    n_fft: int | None = None,
    window: str = "hann",
) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude spectrum of a whole signal (one FFT), in dBFS, with its frequency axis.

    Parameters
    ----------
    y : samples (1-D, full scale +-1).
    sr : sample rate in Hz.
    n_fft : FFT length in samples (zero-padded); default: ``len(y)`` rounded up to a power
        of two. Frequency resolution is ``sr / len(y)`` Hz whatever the padding.
    window : window name understood by :func:`scipy.signal.get_window`.

    Returns
    -------
    freqs_hz : (n_fft // 2 + 1,) bin frequencies in Hz, 0 to ``sr / 2``.
    mag_db : (n_fft // 2 + 1,) magnitude in dBFS (a full-scale sine peaks at 0 dB),
        floored at -100 dB.

    Notebook: 01_signal_anatomy
    """
    y = _as_signal(y)
    sr = _check_sr(sr)
    if n_fft is None:
        n_fft = int(2 ** np.ceil(np.log2(max(len(y), 2))))
    if n_fft < len(y):
        raise ValueError(f"n_fft={n_fft} is shorter than the signal ({len(y)} samples)")
    w = scipy.signal.get_window(window, len(y), fftbins=True).astype(np.float64)
    spectrum = np.fft.rfft(y.astype(np.float64) * w, n=n_fft)
    mag = 2.0 * np.abs(spectrum) / w.sum()
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    return freqs, 20.0 * np.log10(np.maximum(mag, AMIN))


def compute_stft_db(
    y: np.ndarray,
    sr: int,
    *,
    n_fft: int = DEFAULT_N_FFT,
    hop_length: int = DEFAULT_HOP_LENGTH,
    top_db: float | None = 100.0,
) -> np.ndarray:
    """STFT magnitude in dBFS, shape ``(1 + n_fft // 2, n_frames)``.

    Frames of ``n_fft`` samples (Hann window, centred), one every ``hop_length`` samples.
    Bin ``k`` is at ``k * sr / n_fft`` Hz; frame ``m`` is centred at ``m * hop_length / sr`` s
    (see :func:`stft_axes`). ``top_db`` floors values that far below the loudest cell.

    Notebook: 01_signal_anatomy
    """
    y = _as_signal(y)
    sr = _check_sr(sr)
    _check_frames(n_fft, hop_length)
    window = scipy.signal.get_window("hann", n_fft, fftbins=True)
    S = np.abs(librosa.stft(y=y, n_fft=n_fft, hop_length=hop_length, window="hann", center=True))
    S *= 2.0 / window.sum()
    return librosa.amplitude_to_db(S, ref=1.0, amin=AMIN, top_db=top_db)


def stft_axes(
    n_frames: int, sr: int, *, n_fft: int = DEFAULT_N_FFT, hop_length: int = DEFAULT_HOP_LENGTH
) -> tuple[np.ndarray, np.ndarray]:
    """Frame-centre times in s and bin frequencies in Hz of an STFT with these settings.

    Notebook: 01_signal_anatomy
    """
    sr = _check_sr(sr)
    times = librosa.frames_to_time(np.arange(int(n_frames)), sr=sr, hop_length=hop_length)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    return times, freqs


def compute_mel_db(
    y: np.ndarray,
    sr: int,
    *,
    n_fft: int = DEFAULT_N_FFT,
    hop_length: int = DEFAULT_HOP_LENGTH,
    n_mels: int = DEFAULT_N_MELS,
    fmax_hz: float | None = None,
    top_db: float | None = 80.0,
) -> np.ndarray:
    """Mel-band power in dB relative to the loudest cell, shape ``(n_mels, n_frames)``.

    ``n_mels`` triangular filters (Slaney mel scale) between 0 Hz and ``fmax_hz``
    (default ``sr / 2``) pool the STFT power; mel bands are narrow at low frequencies and
    wide at high ones, much like the ear's resolution.

    Notebook: 01_signal_anatomy, 03_features
    """
    y = _as_signal(y)
    sr = _check_sr(sr)
    _check_frames(n_fft, hop_length)
    if n_mels < 1:
        raise ValueError(f"n_mels must be at least 1, got {n_mels}")
    M = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmax=fmax_hz, power=2.0
    )
    return librosa.power_to_db(M, ref=np.max, amin=AMIN**2, top_db=top_db)


def compute_mfcc(
    y: np.ndarray,
    sr: int,
    *,
    n_mfcc: int = DEFAULT_N_MFCC,
    n_fft: int = DEFAULT_N_FFT,
    hop_length: int = DEFAULT_HOP_LENGTH,
    n_mels: int = DEFAULT_N_MELS,
    fmax_hz: float | None = None,
) -> np.ndarray:
    """MFCCs, shape ``(n_mfcc, n_frames)``: the DCT of the log-mel spectrum per frame.

    Coefficient 0 follows overall loudness; low coefficients describe the smooth shape of
    the spectrum (the envelope the vocal tract imposes); the fine harmonic structure (the
    pitch) is mostly discarded. Dimensionless.

    Notebook: 01_signal_anatomy, 03_features
    """
    y = _as_signal(y)
    sr = _check_sr(sr)
    _check_frames(n_fft, hop_length)
    if n_mfcc < 1 or n_mfcc > n_mels:
        raise ValueError(f"n_mfcc must be between 1 and n_mels={n_mels}, got {n_mfcc}")
    return librosa.feature.mfcc(
        y=y, sr=sr, n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmax=fmax_hz
    )


def mfcc_envelope_db(
    y: np.ndarray,
    sr: int,
    *,
    n_mfcc: int = DEFAULT_N_MFCC,
    n_fft: int = DEFAULT_N_FFT,
    hop_length: int = DEFAULT_HOP_LENGTH,
    n_mels: int = DEFAULT_N_MELS,
    fmax_hz: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """What MFCCs keep: the log-mel spectrum and its reconstruction from ``n_mfcc`` MFCCs.

    MFCCs are the DCT (type II, orthonormal) of the log-mel spectrum, exactly as
    :func:`compute_mfcc` computes them; keeping the first ``n_mfcc`` coefficients and
    inverting the DCT gives a smoothed copy of each frame's log-mel spectrum: the
    envelope (formants, spectral tilt) survives, the harmonic ripple does not.

    Returns
    -------
    log_mel_db : ``(n_mels, n_frames)`` mel-band power in dB (re 1.0, 80 dB range), the
        MFCCs' input.
    envelope_db : ``(n_mels, n_frames)`` the same rebuilt from ``n_mfcc`` coefficients, dB.

    Notebook: 01_signal_anatomy
    """
    import scipy.fft

    y = _as_signal(y)
    sr = _check_sr(sr)
    _check_frames(n_fft, hop_length)
    if n_mfcc < 1 or n_mfcc > n_mels:
        raise ValueError(f"n_mfcc must be between 1 and n_mels={n_mels}, got {n_mfcc}")
    M = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmax=fmax_hz
    )
    log_mel = librosa.power_to_db(M, ref=1.0, amin=1e-10, top_db=80.0)
    C = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=0)
    C[n_mfcc:] = 0.0
    return log_mel, scipy.fft.idct(C, type=2, norm="ortho", axis=0)


def compute_f0(
    y: np.ndarray,
    sr: int,
    *,
    fmin_hz: float = SPEECH_FMIN_HZ,
    fmax_hz: float = SPEECH_FMAX_HZ,
    frame_length: int | None = None,
    hop_length: int = DEFAULT_HOP_LENGTH,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fundamental-frequency track with librosa's probabilistic YIN, in the speech range.

    Parameters
    ----------
    y, sr : samples and sample rate in Hz.
    fmin_hz, fmax_hz : search range in Hz (default 60-500 Hz, speech).
    frame_length : analysis frame in samples; default 2048 at 16 kHz (128 ms), scaled
        with ``sr`` so the frame always lasts 128 ms.
    hop_length : samples between frames (default 256 = 16 ms at 16 kHz, the STFT hop).

    Returns
    -------
    times_s : (n_frames,) frame-centre times in seconds.
    f0_hz : (n_frames,) f0 in Hz, NaN where unvoiced.
    voiced : (n_frames,) bool, True where the frame is judged voiced.

    Notebook: 01_signal_anatomy, 03_features
    """
    y = _as_signal(y)
    sr = _check_sr(sr)
    if not 0 < fmin_hz < fmax_hz < sr / 2:
        raise ValueError(f"need 0 < fmin_hz < fmax_hz < sr/2, got {fmin_hz}, {fmax_hz} at sr={sr}")
    if frame_length is None:
        frame_length = int(round(PYIN_FRAME_LENGTH * sr / 16000))
    _check_frames(frame_length, hop_length)
    f0, voiced, _ = librosa.pyin(
        y,
        fmin=float(fmin_hz),
        fmax=float(fmax_hz),
        sr=sr,
        frame_length=int(frame_length),
        hop_length=int(hop_length),
    )
    times = librosa.times_like(f0, sr=sr, hop_length=hop_length)
    return times, f0, voiced.astype(bool)


def median_f0_hz(f0_hz: np.ndarray, voiced: np.ndarray | None = None) -> float:
    """Median f0 in Hz over voiced frames (NaN if no frame is voiced).

    Notebook: 01_signal_anatomy
    """
    f0_hz = np.asarray(f0_hz, dtype=float)
    mask = np.isfinite(f0_hz)
    if voiced is not None:
        mask &= np.asarray(voiced, dtype=bool)
    return float(np.median(f0_hz[mask])) if mask.any() else float("nan")


def window_median_f0_hz(
    times_s: np.ndarray,
    f0_hz: np.ndarray,
    voiced: np.ndarray | None = None,
    *,
    start_s: float,
    duration_s: float = 0.0625,
) -> float:
    """Median f0 in Hz of the voiced frames centred within ``[start_s, start_s + duration_s]``.

    The local f0 of a zoom window (intonation moves f0, so the clip's median can be off
    by 10 % at any one moment). NaN if no voiced frame falls in the window.

    Notebook: 01_signal_anatomy
    """
    times_s = np.asarray(times_s, dtype=float)
    inside = (times_s >= start_s) & (times_s <= start_s + duration_s)
    f0_hz = np.asarray(f0_hz, dtype=float)
    return median_f0_hz(f0_hz[inside], None if voiced is None else np.asarray(voiced)[inside])


def harmonic_frequencies(f0_hz, n_harmonics: int = 10, *, fmax_hz: float | None = None) -> np.ndarray:
    """Frequencies in Hz of harmonics 1..``n_harmonics`` of ``f0_hz``: ``k * f0``.

    ``f0_hz`` may be a number (returns shape ``(n_harmonics,)``) or a track of shape
    ``(n_frames,)`` (returns ``(n_harmonics, n_frames)``). Harmonics above ``fmax_hz``
    (for example the Nyquist frequency) and of NaN f0 are NaN.

    Notebook: 01_signal_anatomy
    """
    if n_harmonics < 1:
        raise ValueError(f"n_harmonics must be at least 1, got {n_harmonics}")
    f0 = np.asarray(f0_hz, dtype=float)
    k = np.arange(1, n_harmonics + 1, dtype=float)
    h = k * f0 if f0.ndim == 0 else k[:, None] * f0[None, :]
    if fmax_hz is not None:
        h = np.where(h <= fmax_hz, h, np.nan)
    return h


def loudest_segment_start_s(y: np.ndarray, sr: int, *, duration_s: float = 0.0625) -> float:
    """Start time in s of the ``duration_s`` window with the highest energy.

    In speech the loudest stretch is almost always a vowel, where the periodic glottal
    pulses are clearest: a good place to zoom in.

    Notebook: 01_signal_anatomy
    """
    y = _as_signal(y)
    sr = _check_sr(sr)
    n = max(1, int(round(duration_s * sr)))
    if n >= len(y):
        return 0.0
    energy = np.convolve(y.astype(np.float64) ** 2, np.ones(n), mode="valid")
    return float(np.argmax(energy)) / sr


def _check_frames(n_fft: int, hop_length: int) -> None:
    if int(n_fft) < 2:
        raise ValueError(f"n_fft / frame_length must be at least 2 samples, got {n_fft}")
    if int(hop_length) < 1:
        raise ValueError(f"hop_length must be at least 1 sample, got {hop_length}")
