"""Pitch (f0) tracking for features: pyin (librosa) or Praat (parselmouth), one interface.

Both trackers search the speech range only (default 60-500 Hz, the constants of
:mod:`helpers.spectral`): a 10 Hz-8 kHz search is what the original analysis asked pyin
for, which current librosa refuses at 16 kHz and which costs ~50x more.

- ``method="pyin"`` calls :func:`helpers.spectral.compute_f0` (librosa's probabilistic YIN,
  128 ms frames); accurate, about 10-15 ms of CPU per second of audio.
- ``method="praat"`` uses Praat's autocorrelation pitch (``To Pitch (ac)``) through
  parselmouth; about 3 ms per second of audio (Praat's own 12.5 ms time step at a 60 Hz
  floor), and the tracker the voice-science field uses
  for jitter, shimmer and HNR.

:func:`gross_pitch_error` scores a track against a reference (the synthetic corpus gives
the true f0 of every sample).

Notebook: 03_features (tracker comparison, f0 features).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from helpers.spectral import PYIN_FRAME_LENGTH, SPEECH_FMAX_HZ, SPEECH_FMIN_HZ, compute_f0

#: Pitch trackers :func:`track_pitch` knows.
PITCH_METHODS: tuple[str, ...] = ("praat", "pyin")

#: Default frame hops in seconds: pyin 32 ms (librosa's frame_length // 4 at 2048 samples,
#: 16 kHz); Praat None, meaning Praat's own rule of 0.75 / pitch floor (12.5 ms at 60 Hz).
DEFAULT_HOP_S = {"pyin": 0.032, "praat": None}


def praat_default_hop_s(fmin_hz: float) -> float:
    """Praat's automatic pitch time step in s: 0.75 / pitch floor (Hz), i.e. four frames per
    analysis window of three periods of the floor.

    Notebook: 03_features
    """
    return 0.75 / float(fmin_hz)


@dataclass
class PitchTrack:
    """An f0 track: frame-centre ``times_s`` (s), ``f0_hz`` (Hz, NaN where unvoiced),
    ``voiced`` (bool per frame), the ``method`` that made it and its frame hop ``hop_s`` (s).
    ``praat_pitch`` keeps Praat's own Pitch object (method "praat") for jitter analysis."""

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


def _check_range(sr: int, fmin_hz: float, fmax_hz: float) -> None:
    if not 0 < fmin_hz < fmax_hz < sr / 2:
        raise ValueError(f"need 0 < fmin_hz < fmax_hz < sr/2, got fmin_hz={fmin_hz}, fmax_hz={fmax_hz} at sr={sr} Hz")


def pitch_praat(
    y: np.ndarray,
    sr: int,
    *,
    fmin_hz: float = SPEECH_FMIN_HZ,
    fmax_hz: float = SPEECH_FMAX_HZ,
    hop_s: float | None = DEFAULT_HOP_S["praat"],
    sound=None,
) -> PitchTrack:
    """Praat's autocorrelation pitch (``To Pitch (ac)``) with floor ``fmin_hz`` and ceiling
    ``fmax_hz`` (Hz), one frame every ``hop_s`` s (None: Praat's rule, 0.75 / ``fmin_hz``;
    12.5 ms at 60 Hz). ``sound``: a ready ``parselmouth.Sound``
    of ``y`` (saves a copy). Praat's frames start half a window in; times are in s from the
    start of ``y``.

    Notebook: 03_features
    """
    import parselmouth

    _check_range(sr, fmin_hz, fmax_hz)
    if hop_s is None:
        hop_s = praat_default_hop_s(fmin_hz)
    if sound is None:
        sound = parselmouth.Sound(np.asarray(y, dtype=np.float64), sampling_frequency=float(sr))
    pitch = sound.to_pitch_ac(time_step=float(hop_s), pitch_floor=float(fmin_hz), pitch_ceiling=float(fmax_hz))
    f0 = np.asarray(pitch.selected_array["frequency"], dtype=float)
    voiced = f0 > 0
    f0 = np.where(voiced, f0, np.nan)
    return PitchTrack(np.asarray(pitch.xs(), dtype=float), f0, voiced, "praat", float(hop_s), praat_pitch=pitch)


def pitch_pyin(
    y: np.ndarray,
    sr: int,
    *,
    fmin_hz: float = SPEECH_FMIN_HZ,
    fmax_hz: float = SPEECH_FMAX_HZ,
    hop_s: float = DEFAULT_HOP_S["pyin"],
    frame_length: int | None = None,
) -> PitchTrack:
    """librosa pyin through :func:`helpers.spectral.compute_f0`: frames of ``frame_length``
    samples (default 2048 at 16 kHz = 128 ms, scaled with ``sr``), one every ``hop_s`` s.

    Notebook: 03_features
    """
    _check_range(sr, fmin_hz, fmax_hz)
    if frame_length is None:
        frame_length = int(round(PYIN_FRAME_LENGTH * sr / 16000))
    hop = max(1, int(round(hop_s * sr)))
    with warnings.catch_warnings():  # numba's "invalid value encountered in cast" on silent frames
        warnings.simplefilter("ignore", RuntimeWarning)
        times, f0, voiced = compute_f0(
            np.asarray(y, dtype=np.float32), sr, fmin_hz=fmin_hz, fmax_hz=fmax_hz, frame_length=frame_length, hop_length=hop
        )
    voiced = voiced & np.isfinite(f0)
    return PitchTrack(times, np.where(voiced, f0, np.nan), voiced, "pyin", hop / sr)


def track_pitch(
    y: np.ndarray,
    sr: int,
    *,
    method: str = "praat",
    fmin_hz: float = SPEECH_FMIN_HZ,
    fmax_hz: float = SPEECH_FMAX_HZ,
    hop_s: float | None = None,
    sound=None,
) -> PitchTrack:
    """f0 track of ``y`` (sr in Hz) with the tracker ``method`` ("praat" or "pyin").

    ``fmin_hz``/``fmax_hz``: search range in Hz; ``hop_s``: frame hop in s (default
    :data:`DEFAULT_HOP_S` of the method: pyin 32 ms, Praat 0.75 / ``fmin_hz``).

    Notebook: 03_features
    """
    if method not in PITCH_METHODS:
        raise ValueError(f"unknown pitch method {method!r}; choose one of {PITCH_METHODS}")
    hop_s = DEFAULT_HOP_S[method] if hop_s is None else float(hop_s)
    if method == "praat":  # hop_s None: Praat's own rule
        return pitch_praat(y, sr, fmin_hz=fmin_hz, fmax_hz=fmax_hz, hop_s=hop_s, sound=sound)
    return pitch_pyin(y, sr, fmin_hz=fmin_hz, fmax_hz=fmax_hz, hop_s=hop_s)


def f0_statistics(f0_hz: np.ndarray) -> dict[str, float]:
    """Mean, median, standard deviation, 5th and 95th percentile (Hz) of the finite values
    of ``f0_hz`` (voiced frames); all NaN when no frame is voiced.

    Notebook: 03_features
    """
    f = np.asarray(f0_hz, dtype=float)
    f = f[np.isfinite(f)]
    if f.size == 0:
        return {k: float("nan") for k in ("f0_mean_hz", "f0_median_hz", "f0_std_hz", "f0_p5_hz", "f0_p95_hz")}
    p5, p50, p95 = np.percentile(f, [5, 50, 95])
    return {
        "f0_mean_hz": float(f.mean()),
        "f0_median_hz": float(p50),
        "f0_std_hz": float(f.std()),
        "f0_p5_hz": float(p5),
        "f0_p95_hz": float(p95),
    }


def reference_at(times_s: np.ndarray, f0_ref_hz: np.ndarray, sr_ref: int) -> np.ndarray:
    """Sample a per-sample reference f0 (Hz, NaN where unvoiced, at ``sr_ref`` Hz) at
    ``times_s`` (s): the value of the nearest sample, NaN outside the reference.

    Notebook: 03_features
    """
    idx = np.round(np.asarray(times_s, dtype=float) * sr_ref).astype(int)
    ok = (idx >= 0) & (idx < len(f0_ref_hz))
    out = np.full(idx.shape, np.nan)
    out[ok] = np.asarray(f0_ref_hz, dtype=float)[idx[ok]]
    return out


def gross_pitch_error(
    f0_est_hz: np.ndarray,
    f0_ref_hz: np.ndarray,
    *,
    threshold: float = 0.2,
) -> dict[str, float]:
    """Gross pitch error and voicing errors of an estimated track against a reference.

    Both are f0 values in Hz on the same frames, NaN where unvoiced. A frame voiced in both
    is a *gross* error when the estimate is more than ``threshold`` (20 %) off the
    reference. Returns ``gpe`` (share of frames voiced in both that are gross errors),
    ``n_voiced_both``, ``n_gross``, ``voicing_recall`` (share of reference-voiced frames
    the tracker calls voiced), ``voicing_false_alarm`` (share of reference-unvoiced frames
    called voiced) and ``median_abs_error_cents`` over frames voiced in both that are not
    gross errors.

    Notebook: 03_features
    """
    est = np.asarray(f0_est_hz, dtype=float)
    ref = np.asarray(f0_ref_hz, dtype=float)
    if est.shape != ref.shape:
        raise ValueError(f"estimate {est.shape} and reference {ref.shape} differ in shape")
    ve, vr = np.isfinite(est) & (est > 0), np.isfinite(ref) & (ref > 0)
    both = ve & vr
    rel = np.abs(est[both] / ref[both] - 1.0)
    gross = rel > threshold
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
