"""Where is the speech? Frame energy, a blind speech/silence split, noise clips and an SNR estimate.

Noise reduction needs a sample of noise alone, and an SNR can only be estimated without a
clean reference if we know which frames hold speech. Both come from one simple, explainable
detector: frame power in dB (25 ms frames every 10 ms, after an 80 Hz high-pass so mains
hum does not dominate), a noise floor (a low percentile of those powers), a speech level (a
high percentile) and a threshold between them. Frames above the threshold are "active";
short gaps between active frames are filled (speech pauses shorter than the hangover still
count as speech).

The blind SNR estimate is then

    SNR = 10 log10((P_active - P_silence) / P_silence)

with ``P_active`` and ``P_silence`` the mean power of active and silent frames: the noise is
assumed to continue under the speech at the level it has in the pauses. It is a *blind*
estimate (no clean reference) and biased where that assumption fails: bursty noise that
happens to fall in the pauses, or clips without pauses (then it is NaN).

Notebook: 02_cleaning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

#: Power floor in dB (relative to full-scale power 1.0) that digital silence is clamped to.
POWER_FLOOR_DB = -120.0


def frame_power_db(
    y: np.ndarray,
    sr: int,
    *,
    frame_s: float = 0.025,
    hop_s: float = 0.010,
    highpass_hz: float | None = 80.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean power of centred frames, in dB re full scale, and the frame centre times in s.

    Frames are ``frame_s`` long every ``hop_s`` seconds; frame ``i`` is centred on sample
    ``i * hop`` (the signal is treated as zero outside). Computed from a cumulative sum, so a
    10-minute signal costs a few copies of the signal, not a frame matrix. Powers below
    :data:`POWER_FLOOR_DB` are clamped to it.
    """
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
    power_db = 10.0 * np.log10(np.maximum(power, 10.0 ** (POWER_FLOOR_DB / 10.0)))
    return centres / float(sr), power_db


@dataclass
class Activity:
    """Speech/silence decision per frame.

    ``times_s``: frame centres (s); ``power_db``: frame power (dB); ``active``: True where
    speech (or another loud sound) is; ``threshold_db``, ``floor_db``, ``top_db``: the
    levels the decision used; ``hop_s``: frame step (s).
    """

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


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True runs of a boolean array (end exclusive)."""
    edges = np.diff(np.concatenate(([0], np.asarray(mask, dtype=np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


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
    """Split frames into speech (active) and silence with an energy threshold.

    threshold = floor + max(min_margin_db, rel_threshold * (top - floor)), where floor and
    top are the ``floor_percentile`` and ``top_percentile`` of the frame powers in dB.
    Active runs shorter than ``min_active_s`` (clicks, thumps) are dropped, then gaps
    shorter than ``hangover_s`` between active runs are filled.
    """
    times, pdb = frame_power_db(y, sr, frame_s=frame_s, hop_s=hop_s)
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
    for (s0, e0), (s1, e1) in zip(runs[:-1], runs[1:]):
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
    """A noise-only sample taken from the detected silences, or None if there is too little.

    Silent runs of at least ``min_run_s`` (after shrinking each by ``guard_s`` at both ends,
    away from speech onsets) are concatenated, up to ``max_total_s``. Returns None when
    they add up to less than ``min_total_s`` (a clip with no pauses).
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
    """Blind SNR estimate in dB from active (speech) versus silent frames.

    ``10 log10((P_active - P_silence) / P_silence)``; NaN when fewer than 10 frames
    (100 ms) of either kind exist. Digital silence is clamped to -120 dB, so a noiseless
    clip reads about 100 dB rather than infinity.
    """
    act = activity if activity is not None else speech_activity(y, sr)
    if act.active.sum() < 10 or (~act.active).sum() < 10:
        return float("nan")
    p = 10.0 ** (act.power_db / 10.0)
    p_speech = float(p[act.active].mean())
    p_noise = float(p[~act.active].mean())
    excess = max(p_speech - p_noise, p_noise * 1e-3)
    return float(10.0 * np.log10(excess / p_noise))
