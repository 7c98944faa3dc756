"""Voice quality with Praat (parselmouth): jitter, shimmer, HNR, formants, vocal-tract length, tremor.

Older voices shake more from cycle to cycle (jitter: period, shimmer: amplitude), are
breathier (lower HNR), shake slowly at 4-8 Hz (tremor), and a longer vocal tract lowers the
formants (Linville 2001). Praat is the field's reference implementation. The tremor measure
is hand-written because running speech has voiced stretches of 0.25-0.6 s, too short for a
filter or an FFT to resolve 4-8 Hz (see :func:`f0_tremor`).

Notebook: 03_features
"""

from __future__ import annotations

import numpy as np
import parselmouth
from parselmouth.praat import call

from helpers.pitch import SPEECH_FMAX_HZ, SPEECH_FMIN_HZ, PitchTrack, track_pitch

__all__ = ["f0_tremor", "voice_features"]

#: Speed of sound in warm moist air, cm/s (vocal-tract length estimates).
_SPEED_OF_SOUND_CM_S = 35000.0

#: Praat's standard jitter/shimmer settings: shortest and longest period (s), largest
#: ratio of consecutive periods, largest ratio of consecutive amplitudes.
_PERIOD_ARGS = (0.0, 0.0, 0.0001, 0.02, 1.3)
_MAX_AMPLITUDE_FACTOR = 1.6

#: Modulation frequencies (Hz) at which the f0 contour is fitted, and the tremor bands (Hz):
#: where the rate is searched, whose mean amplitude is the depth, whose energy share is the ratio.
_TREMOR_GRID_HZ = np.round(np.arange(2.0, 15.0 + 1e-9, 0.1), 1)
_RATE_BAND_HZ, _DEPTH_BAND_HZ, _RATIO_BAND_HZ = (3.0, 9.0), (4.0, 8.0), (4.0, 7.0)

_TREMOR_KEYS = ("tremor_depth_pct", "tremor_rate_hz", "tremor_band_ratio")

_VOICE_KEYS = ("n_pulses", "jitter_local_pct", "jitter_rap_pct", "jitter_ppq5_pct", "shimmer_local_pct", "shimmer_apq3_pct",
               "shimmer_apq5_pct", "hnr_db", "f1_hz", "f2_hz", "f3_hz", "vtl_cm", "formant_spacing_hz", *_TREMOR_KEYS)


def _nan_if_undefined(value) -> float:
    v = float(value)
    return v if np.isfinite(v) else float("nan")


def _jitter_shimmer(sound: parselmouth.Sound, *, fmin_hz: float = SPEECH_FMIN_HZ, fmax_hz: float = SPEECH_FMAX_HZ, pitch=None) -> dict[str, float]:
    """Jitter (local, RAP, PPQ5) and shimmer (local, APQ3, APQ5) in % of a ``parselmouth.Sound``.

    Glottal pulses come from Praat's cross-correlation point process, guided by ``pitch``
    (a Praat Pitch object, e.g. :attr:`PitchTrack.praat_pitch`) when given, otherwise from
    the sound with pitch floor/ceiling ``fmin_hz``/``fmax_hz`` in Hz. Praat's standard
    settings (periods 0.1-20 ms, period factor 1.3, amplitude factor 1.6). NaN when Praat
    finds too few pulses (unvoiced or very short input).

    Notebook: 03_features
    """
    if pitch is not None:
        pulses = call([sound, pitch], "To PointProcess (cc)")
    else:
        pulses = call(sound, "To PointProcess (periodic, cc)", float(fmin_hz), float(fmax_hz))
    out = {"n_pulses": float(call(pulses, "Get number of points"))}
    for name in ("local", "rap", "ppq5"):
        out[f"jitter_{name}_pct"] = 100 * _nan_if_undefined(call(pulses, f"Get jitter ({name})", *_PERIOD_ARGS))
    for name in ("local", "apq3", "apq5"):
        value = call([sound, pulses], f"Get shimmer ({name})", *_PERIOD_ARGS, _MAX_AMPLITUDE_FACTOR)
        out[f"shimmer_{name}_pct"] = 100 * _nan_if_undefined(value)
    return out


def _hnr_floor_hz(f0_hz, *, fmin_hz: float = SPEECH_FMIN_HZ, ceiling_hz: float = 150.0) -> float:
    """HNR analysis floor (Hz): 0.7 x the clip's 5th-percentile f0, within ``fmin_hz``..``ceiling_hz``.

    A floor fitted to the voice gives shorter windows (4.5 periods of it), sharper estimates
    and a several-fold faster analysis than one fitted to the lowest voice in the data set.
    """
    f = np.asarray(f0_hz, dtype=float)
    f = f[np.isfinite(f)]
    if f.size == 0:
        return float(fmin_hz)
    return float(np.clip(0.7 * np.percentile(f, 5), fmin_hz, max(fmin_hz, ceiling_hz)))


def _harmonicity_db(sound: parselmouth.Sound, *, floor_hz: float = SPEECH_FMIN_HZ, hop_s: float = 0.03):
    """Praat harmonics-to-noise ratio contour ``(times_s, hnr_db)``, NaN where Praat finds no
    periodicity (its -200 dB).

    ``To Harmonicity (ac)`` with 4.5 periods of ``floor_hz`` per window ("best for speech",
    Praat's manual); one frame every ``hop_s`` s (30 ms: the windows still overlap, and the
    clip's mean HNR is the same as with 10 ms at a third of the cost, checked on the
    synthetic corpus).

    Notebook: 03_features
    """
    h = sound.to_harmonicity_ac(time_step=float(hop_s), minimum_pitch=float(floor_hz), silence_threshold=0.1, periods_per_window=4.5)
    values = np.asarray(h.values[0], dtype=float)
    return np.asarray(h.xs(), dtype=float), np.where(values > -199.0, values, np.nan)


def _voiced_part(sound: parselmouth.Sound, times_s: np.ndarray, voiced: np.ndarray, *, margin_s: float = 0.1):
    """``sound`` from the first to the last voiced frame plus ``margin_s`` s each side, on the
    original time axis (None when nothing is voiced): Praat's cost grows with length."""
    voiced = np.asarray(voiced, dtype=bool)
    if not voiced.any():
        return None
    t = np.asarray(times_s, dtype=float)[voiced]
    a, b = max(sound.xmin, t[0] - margin_s), min(sound.xmax, t[-1] + margin_s)
    return sound.extract_part(from_time=float(a), to_time=float(b), preserve_times=True)


def _formant_tracks(sound: parselmouth.Sound, *, max_formant_hz: float = 5500.0, hop_s: float = 0.02, n_formants: int = 3):
    """Burg formant tracks ``(times_s, F)``, ``F`` of shape ``(n_frames, n_formants)`` in Hz (NaN where undefined)."""
    formant = sound.to_formant_burg(time_step=float(hop_s), max_number_of_formants=5.0, maximum_formant=float(max_formant_hz))
    times = np.asarray(formant.xs(), dtype=float)
    F = np.full((times.size, n_formants), np.nan)
    for j, t in enumerate(times):
        for i in range(n_formants):
            F[j, i] = formant.get_value_at_time(i + 1, float(t))
    return times, F


def vocal_tract_length_cm(formants_hz) -> float:
    """Apparent vocal-tract length in cm from formant frequencies F1..Fn in Hz.

    Least-squares fit of F_i = (2i - 1) c / (4 L), a uniform tube closed at the glottis,
    c = 35,000 cm/s (Reby & McComb 2003); NaN if any formant is missing.

    Notebook: 03_features
    """
    f = np.asarray(formants_hz, dtype=float)
    if f.size == 0 or not np.all(np.isfinite(f)):
        return float("nan")
    k = (2 * np.arange(1, f.size + 1) - 1) / 4.0
    spacing = float(np.sum(f * k) / np.sum(k * k))  # = c / L
    return _SPEED_OF_SOUND_CM_S / spacing


def _voiced_runs(f0_hz: np.ndarray, *, min_frames: int, max_jump_st: float = 1.5) -> list[tuple[int, int]]:
    """``(start, stop)`` frame ranges of voiced stretches at least ``min_frames`` long, cut where
    f0 jumps by more than ``max_jump_st`` semitones (octave errors; a 4 % tremor at 8 Hz moves
    f0 by < 0.5 st per 12.5 ms frame)."""
    f = np.asarray(f0_hz, dtype=float)
    ok = np.isfinite(f) & (f > 0)
    st = 12.0 * np.log2(np.where(ok, f, 1.0))
    start_here = ok & ~np.r_[False, ok[:-1]]
    start_here[1:] |= ok[1:] & ok[:-1] & (np.abs(np.diff(st)) > max_jump_st)
    runs = []
    for a in np.flatnonzero(start_here):
        b = a + 1
        while b < f.size and ok[b] and not start_here[b]:
            b += 1
        if b - a >= min_frames:
            runs.append((int(a), int(b)))
    return runs


def _f0_modulation_spectrum(times_s: np.ndarray, f0_hz: np.ndarray, *, min_run_s: float = 0.25, trend_degree: int = 2) -> dict:
    """How strongly f0 oscillates at each frequency of the tremor grid, over the voiced stretches.

    Each stretch of at least ``min_run_s`` s is taken in semitones, its intonation removed by
    a polynomial of ``trend_degree``, and a sinusoid at each frequency fitted to what remains
    (least squares, orthogonal to the trend: a periodogram for short stretches). Returns
    ``freqs_hz``, ``amplitude_st`` (duration-weighted RMS amplitude, semitones),
    ``energy_share`` (share of the detrended variance explained), ``voiced_s``, ``n_runs``.
    """
    t = np.asarray(times_s, dtype=float)
    f0 = np.asarray(f0_hz, dtype=float)
    if t.shape != f0.shape:
        raise ValueError(f"times_s {t.shape} and f0_hz {f0.shape} differ in shape")
    hop = float(np.median(np.diff(t))) if t.size > 1 else float("nan")
    freqs = _TREMOR_GRID_HZ
    if np.isfinite(hop) and hop > 0:
        freqs = freqs[freqs < 0.5 / hop]
        runs = _voiced_runs(f0, min_frames=max(int(np.ceil(min_run_s / hop)), trend_degree + 4))
    else:
        runs = []
    amp2, explained = np.zeros(freqs.size), np.zeros(freqs.size)
    weight = total = 0.0
    for a, b in runs:
        tt = t[a:b] - t[a:b].mean()
        st = 12.0 * np.log2(f0[a:b])
        Q, _ = np.linalg.qr(np.vander(tt / max(np.abs(tt).max(), 1e-9), trend_degree + 1))
        r = st - Q @ (Q.T @ st)
        phase = 2 * np.pi * freqs[:, None] * tt[None, :]
        C = np.stack([np.cos(phase), np.sin(phase)], axis=-1)  # (freq, frame, 2)
        C -= np.einsum("nk,fkj->fnj", Q, np.einsum("nk,fnj->fkj", Q, C))
        G = np.einsum("fni,fnj->fij", C, C) + 1e-9 * np.eye(2)
        c = np.einsum("fni,n->fi", C, r)
        coef = np.linalg.solve(G, c[..., None])[..., 0]
        duration = (b - a) * hop
        amp2 += duration * np.sum(coef**2, axis=1)
        explained += np.einsum("fi,fi->f", coef, c)
        weight += duration
        total += float(r @ r)
    return {
        "freqs_hz": freqs,
        "amplitude_st": np.sqrt(amp2 / weight) if weight > 0 else np.full(freqs.size, np.nan),
        "energy_share": explained / total if total > 0 else np.full(freqs.size, np.nan),
        "voiced_s": weight,
        "n_runs": len(runs),
    }


def f0_tremor(times_s: np.ndarray, f0_hz: np.ndarray, *, min_run_s: float = 0.25, min_voiced_s: float = 0.5) -> dict[str, float]:
    """Frequency tremor of a pitch track (``times_s`` in s, evenly spaced; ``f0_hz`` in Hz, NaN unvoiced).

    Voiced stretches of >= ``min_run_s`` s, in semitones, minus a quadratic trend (intonation),
    are fitted with sinusoids of 2-15 Hz:

    - ``tremor_depth_pct``: RMS fitted amplitude over 4-8 Hz in % of f0 (cf. MDVP's FTRI);
      intonation and jitter leave a floor of a few tenths of a %.
    - ``tremor_rate_hz``: the 3-9 Hz frequency that explains most f0 variance (cf. MDVP's Fftr).
    - ``tremor_band_ratio``: the share of modulation energy at 4-7 Hz among 2-15 Hz.

    All NaN when less than ``min_voiced_s`` s of the track lies in long enough stretches.

    Notebook: 03_features
    """
    spec = _f0_modulation_spectrum(times_s, f0_hz, min_run_s=min_run_s)
    f, amp, share = spec["freqs_hz"], spec["amplitude_st"], spec["energy_share"]
    rate_band, depth_band, ratio_band = ((f >= lo) & (f <= hi) for lo, hi in (_RATE_BAND_HZ, _DEPTH_BAND_HZ, _RATIO_BAND_HZ))
    if spec["voiced_s"] < min_voiced_s or not (rate_band.any() and depth_band.any()):
        return {k: float("nan") for k in _TREMOR_KEYS}
    depth_st = float(np.sqrt(np.mean(amp[depth_band] ** 2)))
    return {
        "tremor_depth_pct": 100.0 * (2.0 ** (depth_st / 12.0) - 1.0),
        "tremor_rate_hz": float(f[rate_band][np.argmax(share[rate_band])]),
        "tremor_band_ratio": float(share[ratio_band].sum() / share.sum()) if share.sum() > 0 else float("nan"),
    }


def voice_features(
    y: np.ndarray,
    sr: int,
    *,
    track: PitchTrack | None = None,
    sound: parselmouth.Sound | None = None,
    fmin_hz: float = SPEECH_FMIN_HZ,
    fmax_hz: float = SPEECH_FMAX_HZ,
    max_formant_hz: float = 5500.0,
) -> dict[str, float]:
    """The voice family of one clip (``y`` at ``sr`` Hz): jitter, shimmer, HNR, formants, tract length, tremor.

    ``track``: its pitch track (Praat when None); its voiced frames select where HNR and
    formants are summarised and its Praat Pitch object (if any) guides the glottal pulses.
    ``sound``: a ready ``parselmouth.Sound`` of ``y``. Returns ``jitter_*_pct``,
    ``shimmer_*_pct`` (%), ``n_pulses``, ``hnr_db`` (mean over voiced frames), ``f1_hz``..
    ``f3_hz`` (medians over voiced frames; Burg, 5 formants below ``max_formant_hz``),
    ``vtl_cm``, ``formant_spacing_hz`` and the :func:`f0_tremor` measures; NaN without voiced frames.

    Notebook: 03_features
    """
    if sound is None:
        sound = parselmouth.Sound(np.asarray(y, dtype=np.float64), sampling_frequency=float(sr))
    if track is None:
        track = track_pitch(y, sr, method="praat", fmin_hz=fmin_hz, fmax_hz=fmax_hz, sound=sound)
    part = _voiced_part(sound, track.times_s, track.voiced)
    if part is None:
        return {k: float("nan") for k in _VOICE_KEYS}
    out = _jitter_shimmer(sound, fmin_hz=fmin_hz, fmax_hz=fmax_hz, pitch=track.praat_pitch)
    h_times, hnr = _harmonicity_db(part, floor_hz=_hnr_floor_hz(track.voiced_f0_hz, fmin_hz=fmin_hz))
    hnr = np.where(np.isfinite(track.at(h_times)), hnr, np.nan)
    out["hnr_db"] = float(np.nanmean(hnr)) if np.isfinite(hnr).any() else float("nan")
    f_times, F = _formant_tracks(part, max_formant_hz=max_formant_hz)
    F = F[np.isfinite(track.at(f_times))]
    med = np.array([np.nanmedian(F[:, i]) if np.isfinite(F[:, i]).any() else np.nan for i in range(F.shape[1])])
    for i, v in enumerate(med):
        out[f"f{i + 1}_hz"] = float(v)
    out["vtl_cm"] = vocal_tract_length_cm(med)
    out["formant_spacing_hz"] = _SPEED_OF_SOUND_CM_S / (2 * out["vtl_cm"]) if np.isfinite(out["vtl_cm"]) else float("nan")
    out.update(f0_tremor(track.times_s, np.where(track.voiced, track.f0_hz, np.nan)))
    return out
