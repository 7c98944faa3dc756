"""Clicks: find short broadband transients and repair them by interpolation.

A button or mouse click is a few milliseconds of broadband energy that starts abruptly.
Speech has high-frequency energy too (/s/, /t/), but it rises and falls over tens of
milliseconds. So the detector works on the high-passed signal (above ``highpass_hz``):

1. envelope ``e`` = RMS of the high-passed signal over ``env_ms`` (about 1 ms);
2. background ``b`` = running median of ``e`` over ``background_ms`` (about 60 ms), so a
   click is judged against what surrounds it, in silence as in speech;
3. samples where ``e > threshold * b`` (and above an absolute floor) are candidates; nearby
   candidates are merged, and events longer than ``max_click_ms`` are discarded as
   ordinary sound; each click is widened while ``e > 3 b`` to take in its decaying tail;
4. only the detected silences are searched by default: a plosive burst after its closure
   (/p/, /t/, /k/) is acoustically a click, and "repairing" it would damage the speech.

Repair replaces each click (plus a small margin) with a least-squares autoregressive
(LSAR) interpolation: an AR model fitted on the audio either side, and the missing
samples chosen to minimise its prediction error (Janssen, Veldhuis & Vries 1986;
Godsill & Rayner 1998, *Digital Audio Restoration*, ch. 5). In silence this continues the
noise; in speech it continues the waveform.

Notebook: 02_cleaning.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, ndimage, signal


def _moving_rms(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving RMS over ``n`` samples (same length as ``x``)."""
    if n <= 1:
        return np.abs(x)
    power = ndimage.uniform_filter1d(x * x, size=n, mode="constant")
    return np.sqrt(np.maximum(power, 0.0, out=power), out=power)


def click_strength(
    y: np.ndarray,
    sr: int,
    *,
    highpass_hz: float = 2000.0,
    env_ms: float = 1.0,
    background_ms: float = 60.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Envelope of the high-passed signal and its local background (both per sample).

    Returns ``(envelope, background)``; their ratio is the click detector's statistic.
    The background is a running median computed on a 1 ms grid, so the cost stays linear
    for long signals.
    """
    x = np.asarray(y, dtype=np.float64)
    hp = min(highpass_hz, 0.4 * sr)
    sos = signal.butter(4, hp, btype="highpass", fs=sr, output="sos")
    h = signal.sosfiltfilt(sos, x) if x.size > 27 else x - x.mean()
    env = _moving_rms(h, max(1, int(round(env_ms * 1e-3 * sr))))
    step = max(1, int(round(1e-3 * sr)))
    coarse = env[::step]
    width = max(3, int(round(background_ms / 1.0)) | 1)
    bg_coarse = ndimage.median_filter(coarse, size=width, mode="nearest")
    bg = np.repeat(bg_coarse, step)[: x.size]
    return env, bg


def detect_clicks(
    y: np.ndarray,
    sr: int,
    *,
    threshold: float = 20.0,
    highpass_hz: float = 2000.0,
    env_ms: float = 1.0,
    background_ms: float = 60.0,
    max_click_ms: float = 15.0,
    merge_ms: float = 5.0,
    abs_floor: float = 1e-4,
    extend_ratio: float = 3.0,
    in_speech: bool = False,
) -> np.ndarray:
    """Find clicks; returns an ``(n, 2)`` int array of ``[start, end)`` sample intervals.

    ``threshold`` is the envelope-to-background ratio (linear) a click must
    exceed (default 20 = 26 dB); ``abs_floor`` the high-passed envelope level (linear) it must exceed too, so
    that digital silence with a tiny blip is not flagged. Events closer than ``merge_ms``
    are merged; events longer than ``max_click_ms`` are not clicks and are dropped. Each
    click found is then widened while the envelope stays above ``extend_ratio`` times the
    background (hysteresis), so its decaying tail is repaired too.

    By default only clicks in the silences (frames :func:`speech_activity` calls inactive)
    are searched for: a plosive burst after its closure (/p/, /t/, /k/) is acoustically a
    click, 20-45 dB above its background like a button click, and repairing it would damage
    the speech. ``in_speech=True`` searches everywhere (expect false alarms on plosives).
    """
    x = np.asarray(y, dtype=np.float64)
    if x.size < max(32, int(0.005 * sr)):
        return np.zeros((0, 2), dtype=np.int64)
    env, bg = click_strength(x, sr, highpass_hz=highpass_hz, env_ms=env_ms, background_ms=background_ms)
    floor = max(abs_floor, 1e-3 * float(np.max(env)) if env.size else abs_floor)
    cand = (env > threshold * np.maximum(bg, 1e-12)) & (env > floor)
    if not in_speech:
        cand &= ~_speech_mask(x, sr)
    if not cand.any():
        return np.zeros((0, 2), dtype=np.int64)
    edges = np.diff(np.concatenate(([0], cand.view(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    merge = int(round(merge_ms * 1e-3 * sr))
    merged: list[list[int]] = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        if merged and s - merged[-1][1] <= merge:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    max_len = int(round(max_click_ms * 1e-3 * sr))
    keep = [(s, e) for s, e in merged if e - s <= max_len]
    if not keep:
        return np.zeros((0, 2), dtype=np.int64)
    # hysteresis: extend each click while its envelope stays above extend_ratio x background
    # (the decaying tail), by at most max_click_ms after it and merge_ms before it
    low = env > extend_ratio * np.maximum(bg, 1e-12)
    out = []
    for s, e in keep:
        lo_lim, hi_lim = max(0, s - merge), min(x.size, e + max_len)
        a = s
        while a > lo_lim and low[a - 1]:
            a -= 1
        b = e
        while b < hi_lim and low[b]:
            b += 1
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return np.asarray(out, dtype=np.int64)


def _speech_mask(x: np.ndarray, sr: int, *, min_speech_s: float = 0.25) -> np.ndarray:
    """Per-sample mask of detected speech: active stretches of at least ``min_speech_s``.

    Shorter active stretches (a click with its echo, a blip of background babble) are not
    treated as speech, so clicks inside them can still be found.
    """
    from helpers.cleaning.activity import speech_activity

    act = speech_activity(x, sr)
    hop = act.hop_s * sr
    mask = np.zeros(x.size, dtype=bool)
    for s, e in act.segments_s():
        if e - s >= min_speech_s:
            mask[max(0, int(round(s * sr - hop / 2))) : int(round(e * sr + hop / 2))] = True
    return mask


def _ar_coefficients(context: np.ndarray, order: int) -> np.ndarray:
    """AR prediction-error filter ``[1, a1, ..., ap]`` by the autocorrelation method."""
    c = context - context.mean()
    r = np.correlate(c, c, mode="full")[c.size - 1 : c.size + order]
    if r[0] <= 0:
        return np.concatenate(([1.0], np.zeros(order)))
    r = r.copy()
    r[0] *= 1.0 + 1e-6  # white-noise correction keeps the system well conditioned
    a = linalg.solve_toeplitz(r[:order], -r[1 : order + 1])
    return np.concatenate(([1.0], a))


def lsar_interpolate(x: np.ndarray, start: int, end: int, *, order: int = 32, context: int | None = None) -> np.ndarray:
    """Fill ``x[start:end]`` by least-squares AR interpolation; returns a repaired copy.

    An AR(``order``) model is fitted on ``context`` samples either side of the gap (default
    ``max(4 * order, 3 * gap)``); the gap samples then minimise the summed squared
    prediction error of that model over the gap and ``order`` samples after it.
    """
    x = np.asarray(x, dtype=np.float64).copy()
    n = x.size
    start, end = max(0, int(start)), min(n, int(end))
    gap = end - start
    if gap <= 0:
        return x
    ctx = context if context is not None else max(4 * order, 3 * gap)
    left = x[max(0, start - ctx) : start]
    right = x[end : min(n, end + ctx)]
    known = np.concatenate((left, right))
    order = int(min(order, max(1, known.size // 4)))
    if known.size < 2 * order + 2:
        # too little context for a model: linear ramp between the neighbours
        a = x[start - 1] if start > 0 else (x[end] if end < n else 0.0)
        b = x[end] if end < n else a
        x[start:end] = np.linspace(a, b, gap + 2)[1:-1]
        return x
    coeffs = _ar_coefficients(np.concatenate((left, right)), order)
    # segment = order samples before, the gap, order samples after (as far as they exist)
    s0, s1 = max(0, start - order), min(n, end + order)
    seg = x[s0:s1]
    m = seg.size
    # prediction-error matrix rows t = order..m-1: e_t = sum_k a_k seg[t-k]
    rows = m - order
    if rows <= 0:
        x[start:end] = np.linspace(x[start - 1] if start else 0.0, x[end] if end < n else 0.0, gap + 2)[1:-1]
        return x
    A = np.zeros((rows, m))
    for k, a_k in enumerate(coeffs):
        A[np.arange(rows), np.arange(rows) + order - k] = a_k
    unknown = np.arange(start - s0, end - s0)
    known_idx = np.setdiff1d(np.arange(m), unknown)
    Au, Ak = A[:, unknown], A[:, known_idx]
    rhs = -Ak @ seg[known_idx]
    sol, *_ = np.linalg.lstsq(Au, rhs, rcond=None)
    x[start:end] = sol
    return x


def remove_clicks(
    y: np.ndarray,
    sr: int,
    intervals: np.ndarray,
    *,
    margin_ms: float = 1.0,
    order: int = 32,
    max_gap_ms: float = 25.0,
) -> np.ndarray:
    """Repair each ``[start, end)`` interval (widened by ``margin_ms``) by LSAR interpolation.

    Returns a float64 copy of ``y``. Intervals longer than ``max_gap_ms`` after widening are
    repaired piecewise in ``max_gap_ms`` pieces (LSAR quality falls with gap length).
    """
    x = np.asarray(y, dtype=np.float64).copy()
    margin = int(round(margin_ms * 1e-3 * sr))
    max_gap = max(1, int(round(max_gap_ms * 1e-3 * sr)))
    for s, e in np.asarray(intervals, dtype=np.int64).reshape(-1, 2):
        s, e = max(0, int(s) - margin), min(x.size, int(e) + margin)
        for a in range(s, e, max_gap):
            x = _repair_in_place(x, a, min(e, a + max_gap), order)
    return x


def _repair_in_place(x: np.ndarray, start: int, end: int, order: int) -> np.ndarray:
    """LSAR-repair ``x[start:end]`` working on a local window only (cheap for long signals)."""
    gap = end - start
    ctx = max(4 * order, 3 * gap)
    lo, hi = max(0, start - ctx - order), min(x.size, end + ctx + order)
    window = lsar_interpolate(x[lo:hi], start - lo, end - lo, order=order, context=ctx)
    x[lo:hi] = window
    return x


def declip(y: np.ndarray, mask: np.ndarray, level: float, *, order: int = 32, max_run: int = 400) -> np.ndarray:
    """Re-estimate clipped samples (``mask``) by LSAR interpolation, kept beyond ``level``.

    Each run of clipped samples is interpolated from the audio around it; the estimate is
    then forced to at least the clip level with the run's sign (the true waveform went
    past the limit there). Runs longer than ``max_run`` samples are left as they
    are (too long to interpolate). Returns a float64 copy.
    """
    x = np.asarray(y, dtype=np.float64).copy()
    m = np.asarray(mask, dtype=bool)
    edges = np.diff(np.concatenate(([0], m.view(np.int8), [0])))
    for s, e in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()):
        if e - s > max_run:
            continue
        sign = np.sign(x[s:e].mean()) or 1.0
        x = _repair_in_place(x, s, e, order)
        x[s:e] = sign * np.maximum(sign * x[s:e], level)
    return x
