"""Where is the speech? A speech/silence split by frame energy, a noise sample and a blind SNR.

The gate needs a noise-only sample, click repair must stay out of the speech, and an SNR
without a reference needs to know which frames hold speech. One detector serves all three:
frame power (25 ms frames every 10 ms, above 80 Hz) against a threshold between the noise
floor and the speech level. Hand-written because ``librosa.effects.split`` measures from
the loudest frame: on the hum example (6 dB SNR) it found no pause at all at
``top_db=25``, where this detector finds the pauses (52 % of the clip).

Notebook: 02_cleaning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

__all__ = ["estimate_snr_db", "noise_clip_from_silence", "speech_activity"]

#: Power floor in dB (re full-scale power 1.0) that digital silence is clamped to.
_POWER_FLOOR_DB = -120.0


def _frame_power_db(y, sr: int, *, frame_s: float, hop_s: float, highpass_hz: float = 80.0):
    """Mean power (dB) of centred frames and the frame centre times (s), from a cumulative sum."""
    x = np.asarray(y, dtype=np.float64)
    hop = max(1, int(round(hop_s * sr)))
    frame = max(hop, int(round(frame_s * sr)))
    if highpass_hz and x.size > 64 and highpass_hz < 0.45 * sr:
        sos = signal.butter(2, highpass_hz, btype="highpass", fs=sr, output="sos")
        x = signal.sosfilt(sos, x)
    n_frames = 1 + x.size // hop
    cs = np.concatenate(([0.0], np.cumsum(x * x)))
    centres = np.arange(n_frames) * hop
    lo = np.clip(centres - frame // 2, 0, x.size)
    hi = np.clip(centres - frame // 2 + frame, 0, x.size)
    power = np.maximum(cs[hi] - cs[lo], 0.0) / frame
    power_db = 10.0 * np.log10(np.maximum(power, 10.0 ** (_POWER_FLOOR_DB / 10.0)))
    return centres / float(sr), power_db


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True runs of a boolean array (end exclusive)."""
    edges = np.diff(np.concatenate(([0], np.asarray(mask, dtype=np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


@dataclass
class Activity:
    """Speech/silence per frame: ``times_s`` (centres), ``power_db``, ``active`` (speech or
    another loud sound), the levels used (``threshold_db``, ``floor_db``, ``top_db``), ``hop_s``."""

    times_s: np.ndarray
    power_db: np.ndarray
    active: np.ndarray
    threshold_db: float
    floor_db: float
    top_db: float
    hop_s: float

    def segments_s(self) -> list[tuple[float, float]]:
        """Active stretches as (start_s, end_s) pairs."""
        return [(s * self.hop_s, e * self.hop_s) for s, e in _runs(self.active)]


def speech_activity(
    y: np.ndarray,
    sr: int,
    *,
    frame_s: float = 0.025,
    hop_s: float = 0.010,
    floor_percentile: float = 10.0,
    top_percentile: float = 99.0,
    rel_threshold: float = 0.35,
    min_margin_db: float = 3.0,
    hangover_s: float = 0.15,
    min_active_s: float = 0.08,
) -> Activity:
    """Split the frames of ``y`` (``sr`` Hz) into speech (active) and silence.

    threshold = floor + max(``min_margin_db``, ``rel_threshold`` * (top - floor)), floor and
    top being percentiles of the frame powers (dB). Active runs shorter than
    ``min_active_s`` (clicks, thumps) are dropped, then pauses shorter than ``hangover_s``
    between active runs are filled.

    Notebook: 02_cleaning
    """
    times, pdb = _frame_power_db(y, sr, frame_s=frame_s, hop_s=hop_s)
    floor = float(np.percentile(pdb, floor_percentile))
    top = float(np.percentile(pdb, top_percentile))
    threshold = floor + max(min_margin_db, rel_threshold * (top - floor))
    active = pdb > threshold
    min_active = max(1, int(round(min_active_s / hop_s)))
    for s, e in _runs(active):
        if e - s < min_active:
            active[s:e] = False
    hang = int(round(hangover_s / hop_s))
    runs = _runs(active)
    for (_, e0), (s1, _) in zip(runs[:-1], runs[1:]):
        if s1 - e0 <= hang:
            active[e0:s1] = True
    return Activity(times, pdb, active, threshold, floor, top, hop_s)


def noise_clip_from_silence(
    y: np.ndarray,
    sr: int,
    *,
    activity: Activity | None = None,
    min_total_s: float = 0.25,
    min_run_s: float = 0.05,
    guard_s: float = 0.03,
    max_total_s: float = 10.0,
) -> np.ndarray | None:
    """The detected pauses of ``y``, concatenated: a noise-only sample for a stationary gate.

    Each pause is shrunk by ``guard_s`` at both ends (away from speech onsets) and kept if
    still ``min_run_s`` long, up to ``max_total_s`` in all. Returns None when the pauses add
    up to less than ``min_total_s`` (a clip without pauses).

    Notebook: 02_cleaning
    """
    act = activity if activity is not None else speech_activity(y, sr)
    hop = act.hop_s * sr
    guard = int(round(guard_s / act.hop_s))
    pieces, total = [], 0
    for s, e in _runs(~act.active):
        s, e = s + guard, e - guard
        if (e - s) * act.hop_s < min_run_s:
            continue
        a, b = int(round(s * hop)), min(int(round(e * hop)), len(y))
        if b <= a:
            continue
        pieces.append(np.asarray(y[a:b]))
        total += b - a
        if total >= max_total_s * sr:
            break
    if total < min_total_s * sr:
        return None
    return np.concatenate(pieces)[: int(max_total_s * sr)]


def estimate_snr_db(y: np.ndarray, sr: int, *, activity: Activity | None = None) -> float:
    """Blind SNR estimate (dB) of ``y``: ``10 log10((P_speech - P_pause) / P_pause)``.

    The noise is assumed to go on under the speech at its level in the pauses, so the
    estimate is biased where that fails (loud bursts counted as speech). NaN when fewer
    than 10 frames (100 ms) of either kind exist; a noiseless clip reads about 100 dB.

    Notebook: 02_cleaning
    """
    act = activity if activity is not None else speech_activity(y, sr)
    if act.active.sum() < 10 or (~act.active).sum() < 10:
        return float("nan")
    p = 10.0 ** (act.power_db / 10.0)
    p_speech = float(p[act.active].mean())
    p_noise = float(p[~act.active].mean())
    excess = max(p_speech - p_noise, p_noise * 1e-3)
    return float(10.0 * np.log10(excess / p_noise))
