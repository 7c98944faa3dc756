"""Noise reduction by spectral gating (noisereduce), stationary or non-stationary.

Spectral gating estimates, for every frequency, how loud the noise is, and turns down the
time-frequency cells that do not rise above it:

- **stationary**: one noise threshold per frequency (mean + ``n_std_thresh`` standard
  deviations of the noise's dB spectrum), learned from a noise-only clip. We take that clip
  from the detected silences (:func:`helpers.cleaning.activity.noise_clip_from_silence`);
  without silences, noisereduce's fallback (the whole signal) is used. Suits constant noise
  such as mains hum or a fan.
- **non-stationary**: the threshold follows a running average of each frequency's level
  (time constant ``time_constant_s``), so it adapts to noise that changes (babble,
  traffic), at the price of also eating into long steady sounds (sustained vowels).

``prop_decrease`` (0..1) is the strength: 1 removes the gated cells entirely, 0.5 halves
them. Gating removes noise but can leave "musical noise" (isolated tonal blips) and dull
weak consonants, which is why the notebook measures, not only listens.

noisereduce processes ``chunk_size`` samples at a time (600 000 by default, about 38 s at
16 kHz), so memory stays flat for long recordings; it needs a 1-D array (we downmix first).

Notebook: 02_cleaning.
"""

from __future__ import annotations

import warnings

import numpy as np

from helpers.cleaning.activity import Activity, noise_clip_from_silence

METHODS = ("stationary", "nonstationary")


def reduce_noise(
    y: np.ndarray,
    sr: int,
    *,
    method: str = "nonstationary",
    prop_decrease: float = 1.0,
    noise_clip: np.ndarray | None = None,
    activity: Activity | None = None,
    n_fft: int = 1024,
    time_constant_s: float = 2.0,
    n_std_thresh: float = 1.5,
    thresh_n_mult: float = 2.0,
    chunk_size: int = 600_000,
) -> tuple[np.ndarray, list[str]]:
    """Spectral-gating noise reduction of a 1-D signal; returns ``(y_out, notes)``.

    Parameters
    ----------
    y : 1-D float signal (mono; downmix first).
    sr : sample rate in Hz.
    method : "stationary" or "nonstationary".
    prop_decrease : strength, 0 (no change) to 1 (gated cells removed).
    noise_clip : noise-only samples for the stationary method; ``None`` takes them from the
        detected silences of ``y`` (``activity`` may pass a ready speech/silence split).
    n_fft : STFT size in samples (1024 = 64 ms at 16 kHz).
    time_constant_s : smoothing time of the non-stationary noise floor, s.
    n_std_thresh : stationary threshold, in noise standard deviations above the noise mean.
    thresh_n_mult : non-stationary threshold, in multiples above the running mean.
    chunk_size : samples processed at a time (memory bound for long inputs).

    Returns the processed signal (float64, same length) and notes on what happened. A signal
    shorter than ``n_fft`` is returned unchanged with a note.
    """
    import noisereduce as nr  # imported here: it pulls in joblib and tqdm

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0.0 <= prop_decrease <= 1.0:
        raise ValueError(f"prop_decrease must be between 0 and 1, got {prop_decrease}")
    x = np.asarray(y, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"reduce_noise needs a 1-D (mono) signal, got shape {x.shape}; downmix first")
    notes: list[str] = []
    if x.size < n_fft:
        notes.append(
            f"noise reduction skipped: {x.size / sr * 1000:.0f} ms is shorter than one "
            f"analysis window ({n_fft / sr * 1000:.0f} ms)"
        )
        return x.copy(), notes
    if not np.any(x):
        notes.append("noise reduction skipped: the signal is all zeros")
        return x.copy(), notes
    if prop_decrease == 0.0:
        return x.copy(), notes

    kwargs = dict(
        y=x,
        sr=sr,
        prop_decrease=prop_decrease,
        n_fft=n_fft,
        time_constant_s=time_constant_s,
        chunk_size=chunk_size,
        padding=min(30_000, max(n_fft * 4, int(time_constant_s * sr))),
        n_jobs=1,
        use_tqdm=False,
    )
    if method == "stationary":
        if noise_clip is None:
            noise_clip = noise_clip_from_silence(x, sr, activity=activity)
            if noise_clip is None:
                notes.append("stationary noise reduction: no silence long enough, noise estimated from the whole signal")
            else:
                notes.append(f"stationary noise reduction: noise profile from {noise_clip.size / sr:.2f} s of detected silence")
        if noise_clip is not None and np.asarray(noise_clip).size < n_fft:
            notes.append("noise clip shorter than one analysis window: noise estimated from the whole signal")
            noise_clip = None
        kwargs.update(stationary=True, y_noise=noise_clip, n_std_thresh_stationary=n_std_thresh)
    else:
        kwargs.update(stationary=False, thresh_n_mult_nonstationary=thresh_n_mult)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = np.asarray(nr.reduce_noise(**kwargs), dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        # the non-stationary gate divides by the running noise level: 0/0 in digital silence
        out[bad] = 0.0
        notes.append(f"{int(bad.sum())} samples in digital silence came out undefined and were set to 0")
    for w in caught:
        if "divide" not in str(w.message):
            notes.append(f"noisereduce warned: {w.message}")
    return out, notes
