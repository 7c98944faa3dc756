"""Clicks: find short high-frequency bursts in the pauses and repair them by LSAR interpolation.

A button click is a few milliseconds of broadband energy that starts abruptly; a /s/ or a
/t/ rises and falls over tens of milliseconds. The detector compares the 1 ms envelope of
the signal above 2 kHz with its 60 ms running median and flags short jumps of more than
26 dB, in the pauses only (a plosive burst is acoustically a click). Repair replaces each
click by a least-squares autoregressive (LSAR) interpolation from the audio either side
(Janssen, Veldhuis & Vries 1986; Godsill & Rayner 1998, *Digital Audio Restoration*,
ch. 5). Hand-written because none of the workbook's audio libraries (librosa, scipy,
noisereduce) detects or repairs clicks.

Notebook: 02_cleaning.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, ndimage, signal

from helpers.speech_activity import _runs, speech_activity

__all__ = ["click_strength", "declip", "detect_clicks", "remove_clicks"]

_NO_CLICKS = np.zeros((0, 2), dtype=np.int64)


def click_strength(
    y: np.ndarray, sr: int, *, highpass_hz: float = 2000.0, env_ms: float = 1.0, background_ms: float = 60.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample ``(envelope, background)``: the click detector's statistic is their ratio.

    ``envelope``: RMS over ``env_ms`` of ``y`` high-passed at ``highpass_hz`` (4th-order
    Butterworth, zero phase); ``background``: its running median over ``background_ms``,
    computed on a 1 ms grid so the cost stays linear.

    Notebook: 02_cleaning
    """
    x = np.asarray(y, dtype=np.float64)
    sos = signal.butter(4, min(highpass_hz, 0.4 * sr), btype="highpass", fs=sr, output="sos")
    h = signal.sosfiltfilt(sos, x) if x.size > 27 else x - x.mean()
    n = max(1, int(round(env_ms * 1e-3 * sr)))
    if n <= 1:
        env = np.abs(h)
    else:
        env = ndimage.uniform_filter1d(h * h, size=n, mode="constant")
        env = np.sqrt(np.maximum(env, 0.0, out=env), out=env)
    step = max(1, int(round(1e-3 * sr)))
    width = max(3, int(round(background_ms / 1.0)) | 1)
    bg_coarse = ndimage.median_filter(env[::step], size=width, mode="nearest")
    return env, np.repeat(bg_coarse, step)[: x.size]


def _speech_mask(x: np.ndarray, sr: int, *, min_speech_s: float = 0.25) -> np.ndarray:
    """Per-sample mask of detected speech stretches of at least ``min_speech_s``."""
    act = speech_activity(x, sr)
    hop = act.hop_s * sr
    mask = np.zeros(x.size, dtype=bool)
    for s, e in act.segments_s():
        if e - s >= min_speech_s:
            mask[max(0, int(round(s * sr - hop / 2))) : int(round(e * sr + hop / 2))] = True
    return mask


def detect_clicks(
    y: np.ndarray,
    sr: int,
    *,
    threshold: float = 20.0,
    max_click_ms: float = 15.0,
    merge_ms: float = 5.0,
    abs_floor: float = 1e-4,
    extend_ratio: float = 3.0,
    in_speech: bool = False,
) -> np.ndarray:
    """Find clicks in ``y`` (``sr`` Hz); returns an ``(n, 2)`` array of ``[start, end)`` samples.

    A click is where the :func:`click_strength` envelope exceeds ``threshold`` times its
    background (20 = 26 dB) and ``abs_floor``, for at most ``max_click_ms`` (events closer
    than ``merge_ms`` merged); each is then widened while the envelope stays above
    ``extend_ratio`` times the background, to take in its decaying tail. Only the pauses
    are searched unless ``in_speech`` (then expect plosives among the finds).

    Notebook: 02_cleaning
    """
    x = np.asarray(y, dtype=np.float64)
    if x.size < max(32, int(0.005 * sr)):
        return _NO_CLICKS
    env, bg = click_strength(x, sr)
    floor = max(abs_floor, 1e-3 * float(np.max(env)) if env.size else abs_floor)
    cand = (env > threshold * np.maximum(bg, 1e-12)) & (env > floor)
    if not in_speech:
        cand &= ~_speech_mask(x, sr)
    if not cand.any():
        return _NO_CLICKS
    merge = int(round(merge_ms * 1e-3 * sr))
    merged: list[list[int]] = []
    for s, e in _runs(cand):
        if merged and s - merged[-1][1] <= merge:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    max_len = int(round(max_click_ms * 1e-3 * sr))
    keep = [(s, e) for s, e in merged if e - s <= max_len]
    if not keep:
        return _NO_CLICKS
    low = env > extend_ratio * np.maximum(bg, 1e-12)  # the tail: at most max_len after, merge before
    out: list[list[int]] = []
    for s, e in keep:
        lo_lim, hi_lim = max(0, s - merge), min(x.size, e + max_len)
        a, b = s, e
        while a > lo_lim and low[a - 1]:
            a -= 1
        while b < hi_lim and low[b]:
            b += 1
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return np.asarray(out, dtype=np.int64)


def _ar_coefficients(context: np.ndarray, order: int) -> np.ndarray:
    """AR prediction-error filter ``[1, a1, ..., ap]`` by the autocorrelation method."""
    c = context - context.mean()
    r = np.correlate(c, c, mode="full")[c.size - 1 : c.size + order]
    if r[0] <= 0:
        return np.concatenate(([1.0], np.zeros(order)))
    r = r.copy()
    r[0] *= 1.0 + 1e-6  # white-noise correction keeps the system well conditioned
    return np.concatenate(([1.0], linalg.solve_toeplitz(r[:order], -r[1 : order + 1])))


def lsar_interpolate(x: np.ndarray, start: int, end: int, *, order: int = 32, context: int | None = None) -> np.ndarray:
    """Fill ``x[start:end]`` by least-squares AR interpolation; returns a repaired float64 copy.

    An AR(``order``) model is fitted on ``context`` samples either side of the gap (default
    ``max(4 * order, 3 * gap)``); the gap samples are those that minimise the model's summed
    squared prediction error over the gap and ``order`` samples after it.

    Notebook: 02_cleaning
    """
    x = np.asarray(x, dtype=np.float64).copy()
    n = x.size
    start, end = max(0, int(start)), min(n, int(end))
    gap = end - start
    if gap <= 0:
        return x
    ctx = context if context is not None else max(4 * order, 3 * gap)
    known = np.concatenate((x[max(0, start - ctx) : start], x[end : min(n, end + ctx)]))
    order = int(min(order, max(1, known.size // 4)))
    s0, s1 = max(0, start - order), min(n, end + order)
    rows = (s1 - s0) - order
    if known.size < 2 * order + 2 or rows <= 0:  # too little context: a straight line
        a = x[start - 1] if start > 0 else (x[end] if end < n else 0.0)
        b = x[end] if end < n else a
        x[start:end] = np.linspace(a, b, gap + 2)[1:-1]
        return x
    coeffs = _ar_coefficients(known, order)
    seg = x[s0:s1]  # order samples before, the gap, order samples after
    A = np.zeros((rows, seg.size))  # prediction errors e_t = sum_k a_k seg[t - k]
    for k, a_k in enumerate(coeffs):
        A[np.arange(rows), np.arange(rows) + order - k] = a_k
    unknown = np.arange(start - s0, end - s0)
    known_idx = np.setdiff1d(np.arange(seg.size), unknown)
    sol, *_ = np.linalg.lstsq(A[:, unknown], -A[:, known_idx] @ seg[known_idx], rcond=None)
    x[start:end] = sol
    return x


def _repair(x: np.ndarray, start: int, end: int, order: int) -> np.ndarray:
    """LSAR-repair ``x[start:end]`` in place, working on a local window only."""
    ctx = max(4 * order, 3 * (end - start))
    lo, hi = max(0, start - ctx - order), min(x.size, end + ctx + order)
    x[lo:hi] = lsar_interpolate(x[lo:hi], start - lo, end - lo, order=order, context=ctx)
    return x


def remove_clicks(
    y: np.ndarray, sr: int, intervals: np.ndarray, *, margin_ms: float = 1.0, order: int = 32, max_gap_ms: float = 25.0
) -> np.ndarray:
    """Repair each ``[start, end)`` interval of ``y`` (widened by ``margin_ms``) by LSAR.

    Returns a float64 copy. Longer stretches are repaired in ``max_gap_ms`` pieces (LSAR
    quality falls with the gap length).

    Notebook: 02_cleaning
    """
    x = np.asarray(y, dtype=np.float64).copy()
    margin = int(round(margin_ms * 1e-3 * sr))
    max_gap = max(1, int(round(max_gap_ms * 1e-3 * sr)))
    for s, e in np.asarray(intervals, dtype=np.int64).reshape(-1, 2):
        s, e = max(0, int(s) - margin), min(x.size, int(e) + margin)
        for a in range(s, e, max_gap):
            x = _repair(x, a, min(e, a + max_gap), order)
    return x


def declip(y: np.ndarray, mask: np.ndarray, level: float, *, order: int = 32, max_run: int = 400) -> np.ndarray:
    """Re-estimate the clipped samples (``mask``) of ``y`` by LSAR, kept beyond ``level``.

    Each run is interpolated from the audio around it, then forced past the clip level
    with the run's sign (the true waveform went beyond it). Runs longer than ``max_run``
    samples are left as they are. Returns a float64 copy.

    Notebook: 02_cleaning (the ``declip`` option of ``clean``)
    """
    x = np.asarray(y, dtype=np.float64).copy()
    for s, e in _runs(np.asarray(mask, dtype=bool)):
        if e - s > max_run:
            continue
        sign = np.sign(x[s:e].mean()) or 1.0
        x = _repair(x, s, e, order)
        x[s:e] = sign * np.maximum(sign * x[s:e], level)
    return x
