"""The original analysis's features, kept so its results can be reproduced, and its procedure.

The original described each clip by the number of onsets (its "words"), the duration,
onsets per second, the tempo, f0 mean/median/s.d./5th/95th percentile and the mean power of
each of 128 mel bands. :func:`original_features` computes that set with current librosa
(keyword arguments, ``librosa.feature.tempo``) and a speech-range pitch track;
:func:`original_procedure` re-enacts the original per-file procedure, for the benchmark.

Notebook: 03_features; benchmarks/bench_features.py.
"""

from __future__ import annotations

import warnings

import librosa
import numpy as np

from helpers.audio import load_audio
from helpers.pitch import PitchTrack, f0_statistics

__all__ = ["original_features", "original_procedure", "original_pyin_settings"]

#: The original's mel and onset settings (librosa's defaults): 128 bands, 2048-sample FFT, hop 512.
_N_MELS, _N_FFT, _HOP_LENGTH = 128, 2048, 512

#: The original analysis's pyin settings (16 Hz to 8 kHz, 1024-sample frames).
_ORIGINAL_PYIN = {"fmin": 16.0, "fmax": 8000.0, "frame_length": 1024}


def original_features(y: np.ndarray, sr: int, *, track: PitchTrack) -> dict[str, float]:
    """The original feature set of one clip (``y`` at ``sr`` Hz) with its pitch ``track``.

    One mel power spectrogram (2048-sample FFT, hop 512, 128 bands) serves both the onset
    envelope (exactly what ``librosa.onset.onset_strength(y=...)`` computes) and the mel
    means. Returns ``n_onsets``, ``duration_s``, ``onsets_per_s``, ``tempo_bpm`` (NaN on a
    flat envelope), the five f0 statistics (Hz) and ``mel000``..``mel127`` (linear power).

    Notebook: 03_features
    """
    mel_power = librosa.feature.melspectrogram(y=np.asarray(y, dtype=np.float32), sr=sr, n_fft=_N_FFT, hop_length=_HOP_LENGTH,
                                               n_mels=_N_MELS)
    envelope = librosa.onset.onset_strength(S=librosa.power_to_db(mel_power), sr=sr, hop_length=_HOP_LENGTH)
    onsets = librosa.onset.onset_detect(onset_envelope=envelope, sr=sr, hop_length=_HOP_LENGTH, units="time")
    if envelope.size < 2 or not np.any(envelope > 0):
        tempo = float("nan")
    else:
        tempo = float(librosa.feature.tempo(onset_envelope=envelope, sr=sr, hop_length=_HOP_LENGTH)[0])
    return _feature_row(len(onsets), len(y) / sr, tempo, track.voiced_f0_hz, mel_power)


def _feature_row(n_onsets: int, duration_s: float, tempo_bpm: float, voiced_f0_hz, mel_power) -> dict[str, float]:
    """The original set's columns in order: onset counts and rate, tempo, f0 statistics, mel-band means."""
    out = {"n_onsets": float(n_onsets), "duration_s": float(duration_s),
           "onsets_per_s": float(n_onsets / duration_s) if duration_s > 0 else float("nan"), "tempo_bpm": float(tempo_bpm)}
    out.update(f0_statistics(voiced_f0_hz))
    return out | {f"mel{i:03d}": float(v) for i, v in enumerate(mel_power.mean(axis=1))}


def original_pyin_settings(sr: int) -> tuple[dict, list[str]]:
    """The original pyin settings adjusted only as far as the installed librosa demands.

    Returns ``(kwargs, changes)``: ``kwargs`` for ``librosa.pyin``, ``changes`` what had to
    differ from fmin 16 Hz, fmax 8 kHz, frame 1024 and why (empty if nothing). librosa needs
    ``fmax <= sr / 2`` and one period of ``fmin`` in a frame (``sr / fmin < frame_length - 1``).

    Notebook: benchmarks/bench_features.py
    """
    kw = dict(_ORIGINAL_PYIN)
    changes: list[str] = []
    if kw["fmax"] > sr / 2:
        changes.append(f"fmax {kw['fmax']:g} Hz > Nyquist {sr / 2:g} Hz: lowered to {sr / 2:g} Hz")
        kw["fmax"] = sr / 2
    if sr / kw["fmin"] >= kw["frame_length"] - 1:
        need = int(np.ceil(sr / kw["fmin"])) + 2
        changes.append(f"frame {kw['frame_length']} cannot hold one {kw['fmin']:g} Hz period at {sr} Hz: raised to {need}")
        kw["frame_length"] = need
    return kw, changes


def original_procedure(path, *, sr: int = 16000) -> dict[str, float]:
    """Re-enact the original analysis on one file: load at ``sr`` Hz, ``nr.reduce_noise``
    (non-stationary), ``librosa.effects.trim`` (60 dB), onsets and tempo each from the signal,
    pyin over 16 Hz-8 kHz with 1024-sample frames (:func:`original_pyin_settings`). Slow by
    design: the baseline the engine is measured against. Same columns as :func:`original_features`.

    Notebook: benchmarks/bench_features.py
    """
    import noisereduce as nr  # here, not at the top: importing it takes about 3 s

    y, sr = load_audio(path, sr=sr)
    y = nr.reduce_noise(y=y, sr=sr, stationary=False).astype(np.float32)
    y, _ = librosa.effects.trim(y)
    onsets = librosa.onset.onset_detect(y=y, sr=sr, units="time")
    tempo = librosa.feature.tempo(y=y, sr=sr)
    kw, _ = original_pyin_settings(sr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "less than two periods of fmin fit into the frame"
        f0, voiced, _ = librosa.pyin(y=y, sr=sr, **kw)
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_mels=_N_MELS)
    return _feature_row(len(onsets), len(y) / sr, tempo[0], f0[voiced], mel)
