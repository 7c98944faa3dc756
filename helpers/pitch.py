"""Pitch (f0) tracking with Praat or pyin behind one function, f0 statistics, gross pitch error.

Both trackers search the speech range only (60-500 Hz): the original analysis asked pyin
for 16 Hz-8 kHz, which current librosa refuses at 16 kHz and which costs ~50x more.
Praat's autocorrelation pitch (parselmouth) takes about 3 ms of CPU per second of audio,
pyin (librosa, 128 ms frames) 10-15 ms.

Notebook: 03_features
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import librosa
import numpy as np
import parselmouth

__all__ = ["PITCH_METHODS", "SPEECH_FMAX_HZ", "SPEECH_FMIN_HZ", "PitchTrack", "f0_statistics", "gross_pitch_error",
           "track_pitch"]

#: Pitch search range for speech in Hz (adult and teenage voices, low male to high female).
SPEECH_FMIN_HZ = 60.0
SPEECH_FMAX_HZ = 500.0

#: Pitch trackers :func:`track_pitch` knows.
PITCH_METHODS: tuple[str, ...] = ("praat", "pyin")

#: pyin frame hop (s) and frame length (samples at 16 kHz, 128 ms, scaled with sr).
_PYIN_HOP_S = 0.032
_PYIN_FRAME_16K = 2048


@dataclass
class PitchTrack:
    """An f0 track: frame-centre ``times_s`` (s), ``f0_hz`` (Hz, NaN where unvoiced),
    ``voiced`` (bool per frame), the ``method`` that made it and its frame hop ``hop_s`` (s).
    ``praat_pitch`` keeps Praat's own Pitch object (method "praat") for jitter analysis.

    Notebook: 03_features
    """

    times_s: np.ndarray
    f0_hz: np.ndarray
    voiced: np.ndarray
    method: str
    hop_s: float
    praat_pitch: object | None = None

    @property
    def voiced_f0_hz(self) -> np.ndarray:
        """f0 values (Hz) of the voiced frames only."""
        return self.f0_hz[self.voiced & np.isfinite(self.f0_hz)]

    def at(self, times_s: np.ndarray) -> np.ndarray:
        """f0 (Hz, NaN if unvoiced) of the frame nearest to each of ``times_s`` (s)."""
        if self.times_s.size == 0:
            return np.full(np.shape(times_s), np.nan)
        idx = np.clip(np.round((np.asarray(times_s) - self.times_s[0]) / self.hop_s).astype(int), 0, self.times_s.size - 1)
        return np.where(self.voiced[idx], self.f0_hz[idx], np.nan)


def track_pitch(
    y: np.ndarray,
    sr: int,
    *,
    method: str = "praat",
    fmin_hz: float = SPEECH_FMIN_HZ,
    fmax_hz: float = SPEECH_FMAX_HZ,
    hop_s: float | None = None,
    sound: parselmouth.Sound | None = None,
) -> PitchTrack:
    """f0 track of ``y`` (sr in Hz) with the tracker ``method``, searching ``fmin_hz``..``fmax_hz``.

    - "praat": ``sound.to_pitch_ac(time_step=hop_s, pitch_floor=fmin_hz, pitch_ceiling=fmax_hz)``;
      ``hop_s`` None means Praat's own rule, 0.75 / ``fmin_hz`` (12.5 ms at 60 Hz).
      ``sound``: a ready ``parselmouth.Sound`` of ``y`` (saves a copy).
    - "pyin": ``librosa.pyin`` with 128 ms frames, one every ``hop_s`` s (None: 32 ms).

    Notebook: 03_features
    """
    if method not in PITCH_METHODS:
        raise ValueError(f"unknown pitch method {method!r}; choose one of {PITCH_METHODS}")
    if not 0 < fmin_hz < fmax_hz < sr / 2:
        raise ValueError(f"need 0 < fmin_hz < fmax_hz < sr/2, got fmin_hz={fmin_hz}, fmax_hz={fmax_hz} at sr={sr} Hz")
    if method == "praat":
        hop_s = 0.75 / float(fmin_hz) if hop_s is None else float(hop_s)
        if sound is None:
            sound = parselmouth.Sound(np.asarray(y, dtype=np.float64), sampling_frequency=float(sr))
        pitch = sound.to_pitch_ac(time_step=hop_s, pitch_floor=float(fmin_hz), pitch_ceiling=float(fmax_hz))
        f0 = np.asarray(pitch.selected_array["frequency"], dtype=float)
        voiced = f0 > 0
        return PitchTrack(np.asarray(pitch.xs(), dtype=float), np.where(voiced, f0, np.nan), voiced, "praat", hop_s, pitch)
    hop = max(1, int(round((_PYIN_HOP_S if hop_s is None else float(hop_s)) * sr)))
    frame_length = int(round(_PYIN_FRAME_16K * sr / 16000))
    with warnings.catch_warnings():  # numba's "invalid value encountered in cast" on silent frames
        warnings.simplefilter("ignore", RuntimeWarning)
        f0, voiced, _ = librosa.pyin(
            y=np.asarray(y, dtype=np.float32), fmin=float(fmin_hz), fmax=float(fmax_hz), sr=sr,
            frame_length=frame_length, hop_length=hop,
        )
    times = librosa.times_like(f0, sr=sr, hop_length=hop)
    voiced = voiced.astype(bool) & np.isfinite(f0)
    return PitchTrack(times, np.where(voiced, f0, np.nan), voiced, "pyin", hop / sr)


def f0_statistics(f0_hz: np.ndarray) -> dict[str, float]:
    """Mean, median, standard deviation, 5th and 95th percentile (Hz) of the finite values
    of ``f0_hz`` (voiced frames); all NaN when no frame is voiced.

    Notebook: 03_features
    """
    f = np.asarray(f0_hz, dtype=float)
    f = f[np.isfinite(f)]
    keys = ("f0_mean_hz", "f0_median_hz", "f0_std_hz", "f0_p5_hz", "f0_p95_hz")
    if f.size == 0:
        return dict.fromkeys(keys, float("nan"))
    p5, p50, p95 = np.percentile(f, [5, 50, 95])
    return dict(zip(keys, map(float, (f.mean(), p50, f.std(), p5, p95))))


def gross_pitch_error(f0_est_hz: np.ndarray, f0_ref_hz: np.ndarray, *, threshold: float = 0.2) -> dict[str, float]:
    """Gross pitch error and voicing errors of an estimated track against a reference.

    Both are f0 values in Hz on the same frames, NaN where unvoiced. A frame voiced in both
    is a *gross* error when the estimate is more than ``threshold`` (20 %) off the
    reference. Returns ``gpe`` (share of frames voiced in both that are gross errors),
    ``n_voiced_both``, ``n_gross``, ``voicing_recall`` (share of reference-voiced frames
    the tracker calls voiced), ``voicing_false_alarm`` (share of reference-unvoiced frames
    called voiced) and ``median_abs_error_cents`` over the frames voiced in both that are
    not gross errors.

    Notebook: 03_features
    """
    est = np.asarray(f0_est_hz, dtype=float)
    ref = np.asarray(f0_ref_hz, dtype=float)
    if est.shape != ref.shape:
        raise ValueError(f"estimate {est.shape} and reference {ref.shape} differ in shape")
    ve, vr = np.isfinite(est) & (est > 0), np.isfinite(ref) & (ref > 0)
    both = ve & vr
    gross = np.abs(est[both] / ref[both] - 1.0) > threshold
    fine = ~gross
    cents = 1200 * np.abs(np.log2(est[both][fine] / ref[both][fine])) if fine.any() else np.array([np.nan])
    return {
        "gpe": float(gross.mean()) if both.any() else float("nan"),
        "n_voiced_both": int(both.sum()),
        "n_gross": int(gross.sum()),
        "voicing_recall": float(both.sum() / vr.sum()) if vr.any() else float("nan"),
        "voicing_false_alarm": float((ve & ~vr).sum() / (~vr).sum()) if (~vr).any() else float("nan"),
        "median_abs_error_cents": float(np.median(cents)),
    }
