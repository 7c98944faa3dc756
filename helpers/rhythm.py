"""Rhythm: voicing, pauses and speaking rate from syllable nuclei on a Praat intensity contour.

A *pause* is a run of at least ``min_pause_s`` inside the speech span (first to last voiced
frame) that is both unvoiced and quiet. *Syllable nuclei* follow de Jong & Wempe (2009,
Behav. Res. Methods 41): intensity peaks at least ``dip_db`` dB above the dip before them,
above the quiet threshold and voiced. The articulation rate divides their number by the
phonation time (span minus pauses), as the synthetic corpus's ``speaking_rate_sps`` does.
Times in s, levels in dB, rates per second.

Notebook: 03_features
"""

from __future__ import annotations

import numpy as np
import parselmouth
from scipy.signal import find_peaks

from helpers.speech_activity import _runs

__all__ = ["intensity_db", "rhythm_features"]


def intensity_db(y: np.ndarray, sr: int, *, hop_s: float = 0.01, min_pitch_hz: float = 50.0, sound: parselmouth.Sound | None = None):
    """Praat intensity contour ``(times_s, level_db)``, one value every ``hop_s`` s.

    Gaussian window of effective length 3.2 / ``min_pitch_hz`` s (64 ms at 50 Hz): one hump
    per syllable. dB re 2e-5 (Praat's convention; only differences matter here).

    Notebook: 03_features
    """
    if sound is None:
        sound = parselmouth.Sound(np.asarray(y, dtype=np.float64), sampling_frequency=float(sr))
    intensity = sound.to_intensity(minimum_pitch=float(min_pitch_hz), time_step=float(hop_s), subtract_mean=False)
    return np.asarray(intensity.xs(), dtype=float), np.asarray(intensity.values[0], dtype=float)


def _quiet_threshold_db(level_db: np.ndarray, *, fraction: float = 0.35) -> float:
    """``fraction`` of the way from the noise floor (10th percentile) to the speech level (95th)."""
    level = np.asarray(level_db, dtype=float)
    level = level[np.isfinite(level)]
    if level.size == 0:
        return float("nan")
    floor, speech = np.percentile(level, [10, 95])
    return float(floor + fraction * (speech - floor))


def voicing_and_pauses(times_s: np.ndarray, voiced: np.ndarray, quiet: np.ndarray, *, min_pause_s: float = 0.12) -> dict[str, float]:
    """Voiced fraction, pause ratio and speech span from per-frame voicing and quietness.

    ``times_s``: frame times (s, uniform hop); ``voiced``, ``quiet``: booleans per frame.
    Returns ``speech_span_s``, ``voiced_fraction`` (voiced frames / span), ``pause_ratio``
    (pause time / span), ``n_pauses`` and ``phonation_s`` (span minus pauses).

    Notebook: 03_features
    """
    times_s = np.asarray(times_s, dtype=float)
    voiced = np.asarray(voiced, dtype=bool)
    quiet = np.asarray(quiet, dtype=bool)
    nan = float("nan")
    if not voiced.any() or times_s.size < 2:
        return {"speech_span_s": 0.0, "voiced_fraction": nan, "pause_ratio": nan, "n_pauses": 0.0, "phonation_s": 0.0}
    hop = float(np.median(np.diff(times_s)))
    first, last = np.flatnonzero(voiced)[[0, -1]]
    span = slice(first, last + 1)
    n_span = last - first + 1
    min_frames = max(1, int(round(min_pause_s / hop)))
    pauses = [(a, b) for a, b in _runs((~voiced[span]) & quiet[span]) if b - a >= min_frames]
    pause_frames = sum(b - a for a, b in pauses)
    return {
        "speech_span_s": n_span * hop,
        "voiced_fraction": float(voiced[span].mean()),
        "pause_ratio": pause_frames / n_span,
        "n_pauses": float(len(pauses)),
        "phonation_s": (n_span - pause_frames) * hop,
    }


def syllable_nuclei(
    times_s: np.ndarray, level_db: np.ndarray, voiced: np.ndarray, *, threshold_db: float, dip_db: float = 2.0, min_gap_s: float = 0.06
) -> np.ndarray:
    """Times (s) of syllable nuclei: voiced intensity peaks above ``threshold_db`` that rise at
    least ``dip_db`` dB above the dips beside them, at least ``min_gap_s`` s apart.

    ``voiced``: the voicing of the intensity frames (e.g. from a pitch track).

    Notebook: 03_features
    """
    times_s = np.asarray(times_s, dtype=float)
    level = np.asarray(level_db, dtype=float)
    if level.size < 3 or not np.isfinite(threshold_db):
        return np.zeros(0)
    level = np.where(np.isfinite(level), level, np.nanmin(level) if np.isfinite(level).any() else 0.0)
    hop = float(np.median(np.diff(times_s)))
    peaks, _ = find_peaks(level, height=threshold_db, prominence=dip_db, distance=max(1, int(round(min_gap_s / hop))))
    return times_s[peaks[np.asarray(voiced, dtype=bool)[peaks]]]


def rhythm_features(
    int_times_s: np.ndarray, int_db: np.ndarray, voiced_at_int: np.ndarray, *, min_pause_s: float = 0.12, dip_db: float = 2.0,
    quiet_fraction: float = 0.35,
) -> dict[str, float]:
    """The rhythm family from an intensity contour (s, dB) and the voicing of its frames.

    Quiet frames lie ``quiet_fraction`` of the way from the noise floor (10th percentile of
    the level) to the speech level (95th). Returns ``voiced_fraction``, ``pause_ratio``,
    ``n_pauses``, ``speech_span_s``, ``n_nuclei`` (syllables), ``speech_rate_sps`` (nuclei
    per second of span) and ``articulation_rate_sps`` (nuclei per second of phonation time).

    Notebook: 03_features
    """
    thr = _quiet_threshold_db(int_db, fraction=quiet_fraction)
    out = voicing_and_pauses(int_times_s, voiced_at_int, np.asarray(int_db) < thr, min_pause_s=min_pause_s)
    n = float(len(syllable_nuclei(int_times_s, int_db, voiced_at_int, threshold_db=thr, dip_db=dip_db)))
    out["n_nuclei"] = n
    out["speech_rate_sps"] = n / out["speech_span_s"] if out["speech_span_s"] > 0 else float("nan")
    out["articulation_rate_sps"] = n / out["phonation_s"] if out["phonation_s"] > 0 else float("nan")
    del out["phonation_s"]
    return out
