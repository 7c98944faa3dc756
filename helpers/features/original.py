"""The original analysis's features, kept so its results can be reproduced.

The original analysis described each clip by: the number of onsets (its "words"), the
duration, onsets per second, the tempo, f0 mean/median/s.d./5th/95th percentile, and the
mean strength of each of 128 mel bands. :func:`original_features` computes the same set
with current librosa (keyword arguments, :func:`librosa.feature.tempo`) and a speech-range
pitch tracker; :func:`original_procedure` re-enacts the original per-file procedure
(load at 16 kHz, noisereduce, trim, pyin at 16 Hz-8 kHz with 1024-sample frames) as closely
as current librosa allows, for the benchmark.

Notebook: 03_features; benchmarks/bench_features.py.
"""

from __future__ import annotations

import warnings

import numpy as np

from helpers.features.pitch import PitchTrack, f0_statistics
from helpers.features.rhythm import ONSET_HOP_LENGTH, detect_onsets, estimate_tempo

#: Mel settings of the original analysis (librosa's defaults): 128 bands, 2048-sample FFT, hop 512.
N_MELS, MEL_N_FFT, MEL_HOP_LENGTH = 128, 2048, 512

#: The original analysis's pyin settings (16 Hz to 8 kHz, 1024-sample frames).
ORIGINAL_PYIN = {"fmin": 16.0, "fmax": 8000.0, "frame_length": 1024}


def mel_power_spectrogram(y: np.ndarray, sr: int, *, n_mels: int = N_MELS) -> np.ndarray:
    """Mel power spectrogram with the original's settings (librosa's defaults: 2048-sample
    FFT, hop 512, ``n_mels`` bands), shape ``(n_mels, n_frames)``, linear power.

    Notebook: 03_features
    """
    import librosa

    return librosa.feature.melspectrogram(
        y=np.asarray(y, dtype=np.float32), sr=sr, n_fft=MEL_N_FFT, hop_length=MEL_HOP_LENGTH, n_mels=n_mels
    )


def original_features(
    y: np.ndarray,
    sr: int,
    *,
    track: PitchTrack,
    mel_power: np.ndarray | None = None,
) -> dict[str, float]:
    """The original feature set of one clip.

    ``track``: its pitch track (any tracker); ``mel_power``: its mel power spectrogram from
    :func:`mel_power_spectrogram` (computed when None; the onset envelope is derived from
    it, exactly as :func:`librosa.onset.onset_strength` would). Returns ``n_onsets``,
    ``duration_s``, ``onsets_per_s``, ``tempo_bpm``, the five f0 statistics (Hz) and
    ``mel000``..``mel127`` (mean mel-band power over time, linear, as the original).

    Notebook: 03_features
    """
    import librosa

    if mel_power is None:
        mel_power = mel_power_spectrogram(y, sr)
    envelope = librosa.onset.onset_strength(S=librosa.power_to_db(mel_power), sr=sr, hop_length=ONSET_HOP_LENGTH)
    onsets = detect_onsets(None, sr, envelope=envelope, hop_length=ONSET_HOP_LENGTH)
    duration = len(y) / sr
    out: dict[str, float] = {
        "n_onsets": float(len(onsets)),
        "duration_s": float(duration),
        "onsets_per_s": float(len(onsets) / duration) if duration > 0 else float("nan"),
        "tempo_bpm": estimate_tempo(envelope, sr, hop_length=ONSET_HOP_LENGTH),
    }
    out.update(f0_statistics(track.voiced_f0_hz))
    for i, v in enumerate(mel_power.mean(axis=1)):
        out[f"mel{i:03d}"] = float(v)
    return out


def original_pyin_settings(sr: int) -> tuple[dict, list[str]]:
    """The original pyin settings adjusted only as far as the installed librosa demands.

    Returns ``(kwargs, changes)``: ``kwargs`` for :func:`librosa.pyin`, ``changes`` a list of
    what had to differ from fmin 16 Hz, fmax 8 kHz, frame 1024 and why (empty if nothing).
    librosa requires ``fmax <= sr / 2`` and at least one period of ``fmin`` in a frame
    (``sr / fmin < frame_length - 1``); two periods are advised with a warning only.

    Notebook: benchmarks/bench_features.py
    """
    kw = dict(ORIGINAL_PYIN)
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
    """Re-enact the original analysis on one file: load at ``sr`` Hz, noisereduce
    (non-stationary, its default), trim (``librosa.effects.trim``, 60 dB), then its features
    computed the way it computed them (onsets and tempo each from the signal, pyin over
    16 Hz-8 kHz with 1024-sample frames, see :func:`original_pyin_settings`). Slow by
    design: this is the baseline the engine is measured against. Returns the same columns
    as :func:`original_features`.

    Notebook: benchmarks/bench_features.py
    """
    import librosa
    import noisereduce as nr

    from helpers.audio import load_audio

    y, sr = load_audio(path, sr=sr)
    y = nr.reduce_noise(y=y, sr=sr, stationary=False).astype(np.float32)
    y, _ = librosa.effects.trim(y)
    duration = len(y) / sr
    onsets = librosa.onset.onset_detect(y=y, sr=sr, units="time")
    tempo = librosa.feature.tempo(y=y, sr=sr)
    kw, _ = original_pyin_settings(sr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "less than two periods of fmin fit into the frame"
        f0, voiced, _ = librosa.pyin(y, sr=sr, **kw)
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_mels=N_MELS)
    out = {
        "n_onsets": float(len(onsets)),
        "duration_s": float(duration),
        "onsets_per_s": float(len(onsets) / duration) if duration > 0 else float("nan"),
        "tempo_bpm": float(tempo[0]),
    }
    out.update(f0_statistics(f0[voiced]))
    for i, v in enumerate(mel.mean(axis=1)):
        out[f"mel{i:03d}"] = float(v)
    return out
