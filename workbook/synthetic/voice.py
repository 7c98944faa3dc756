"""Source-filter synthesis of a speaking voice with known ground truth.

A glottal source (Rosenberg pulses at a fundamental frequency f0, with cycle-to-cycle
jitter and shimmer, 4-7 Hz tremor, declination over each phrase and aspiration noise that
sets the harmonics-to-noise ratio) excites a cascade of formant resonators whose
frequencies scale with vocal-tract length. Consonant-like noise bursts and pauses between
phrases give the utterance a rhythm set by the speaking rate. Every quantity that shaped
the sound is returned beside it, so features can be checked against the truth.

Notebook: 01_signal_anatomy (the voices), 03_features (checks against the truth).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
from scipy import signal

__all__ = ["Voice"]

#: Formants F1-F5 in Hz of five vowels for a reference vocal tract of 17 cm (adult male),
#: after Peterson & Barney (1952); F4/F5 from the neutral tube.
_VOWEL_FORMANTS_HZ = {
    "i": (270.0, 2290.0, 3010.0, 3500.0, 4200.0), "e": (530.0, 1840.0, 2480.0, 3500.0, 4200.0),
    "a": (730.0, 1090.0, 2440.0, 3400.0, 4200.0), "o": (570.0, 840.0, 2410.0, 3400.0, 4200.0),
    "u": (300.0, 870.0, 2240.0, 3400.0, 4200.0),
}
#: Voiced consonants (nasal murmur /m n/, approximants /l w/): low F1, weak upper formants.
_SONORANT_FORMANTS_HZ = {
    "m": (250.0, 1100.0, 2300.0, 3300.0, 4200.0), "n": (250.0, 1500.0, 2500.0, 3300.0, 4200.0),
    "l": (350.0, 1100.0, 2700.0, 3400.0, 4200.0), "w": (300.0, 700.0, 2200.0, 3300.0, 4200.0),
}
_SONORANT_GAIN = 0.35  # murmur is about 9 dB weaker than the vowel
_FORMANT_BANDWIDTHS_HZ = (70.0, 100.0, 140.0, 200.0, 260.0)
_REFERENCE_VTL_CM = 17.0


@dataclass(frozen=True)
class Voice:
    """A speaker's latent voice parameters (see :mod:`workbook.synthetic.trends`)."""

    f0_hz: float
    jitter_pct: float
    shimmer_pct: float
    hnr_db: float
    tremor_depth_pct: float
    tremor_rate_hz: float
    speaking_rate_sps: float
    vtl_cm: float

    @classmethod
    def from_row(cls, row) -> "Voice":
        """Build from a mapping or a pandas row holding at least the field names."""
        return cls(**{f.name: float(row[f.name]) for f in fields(cls)})


@dataclass
class Utterance:
    """One synthesised utterance and its truth, all at ``sr`` Hz.

    ``speech`` starts at the first sound and ends with the last one (no lead/trail
    silence), scaled to an RMS of 1 over its sounding samples. ``f0_hz`` holds the
    instantaneous f0 per sample (NaN where unvoiced) and ``voiced`` the voicing mask.
    """

    speech: np.ndarray
    sr: int
    f0_hz: np.ndarray
    voiced: np.ndarray
    n_syllables: int
    articulation_rate_sps: float
    pause_ratio: float
    syllable_onsets_s: np.ndarray

    @property
    def f0_median_hz(self) -> float:
        """Median true f0 over the voiced samples, in Hz."""
        return float(np.nanmedian(self.f0_hz[self.voiced]))

    @property
    def voiced_fraction(self) -> float:
        """Fraction of the samples that are voiced."""
        return float(self.voiced.mean())


def _ramp_envelope(n: int, ramp: int) -> np.ndarray:
    """Raised-cosine on/off envelope of ``n`` samples with ``ramp``-sample edges."""
    env = np.ones(n)
    ramp = min(ramp, n // 2)
    if ramp > 0:
        edge = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
        env[:ramp] = edge
        env[n - ramp :] = edge[::-1]
    return env


def _rosenberg_flow(phase: np.ndarray, open_phase: float = 0.40, closing_phase: float = 0.16) -> np.ndarray:
    """Glottal flow of a Rosenberg pulse at cycle phase in [0, 1) (0 at glottal opening)."""
    flow = np.zeros_like(phase)
    opening = phase < open_phase
    flow[opening] = 0.5 - 0.5 * np.cos(np.pi * phase[opening] / open_phase)
    closing = (phase >= open_phase) & (phase < open_phase + closing_phase)
    flow[closing] = np.cos(0.5 * np.pi * (phase[closing] - open_phase) / closing_phase)
    return flow


def _formant_sos(formants_hz, bandwidths_hz, sr: int) -> np.ndarray:
    """Cascade of second-order resonators (unity gain at 0 Hz) as an SOS array.

    Formants at or above 0.45 * sr are left out.
    """
    rows = []
    for f, b in zip(formants_hz, bandwidths_hz):
        if f >= 0.45 * sr:
            continue
        r = np.exp(-np.pi * b / sr)
        c = -2.0 * r * np.cos(2.0 * np.pi * f / sr)
        gain = 1.0 + c + r * r
        rows.append([gain, 0.0, 0.0, 1.0, c, r * r])
    return np.array(rows)


@lru_cache(maxsize=256)
def _bandpass_sos(lo_hz: float, hi_hz: float, sr: int) -> np.ndarray:
    """Second-order Butterworth band-pass (cached: designs repeat across clips)."""
    return signal.butter(2, [lo_hz, hi_hz], btype="bandpass", fs=sr, output="sos")


@lru_cache(maxsize=16)
def _highpass_sos(corner_hz: float, sr: int) -> np.ndarray:
    """First-order Butterworth high-pass (cached)."""
    return signal.butter(1, corner_hz, btype="highpass", fs=sr, output="sos")


def synthesize_utterance(
    voice: Voice, sr: int, rng: np.random.Generator, *, n_syllables: int = 12, f0_scale: float = 1.0
) -> Utterance:
    """Synthesise one utterance of ``n_syllables`` syllables in the given voice at ``sr`` Hz.

    ``f0_scale`` shifts this utterance's f0 (day-to-day variation of one speaker).
    """
    rate = voice.speaking_rate_sps * np.exp(0.04 * rng.standard_normal())
    syl = np.exp(0.25 * rng.standard_normal(n_syllables))
    syl = syl / syl.mean() / rate  # mean syllable duration is exactly 1 / rate
    # phrases of 3-7 syllables, pauses of 0.15-0.5 s between them
    breaks = [int(rng.integers(3, 8))]
    while breaks[-1] < n_syllables:
        breaks.append(breaks[-1] + int(rng.integers(3, 8)))
    pauses = {b: float(rng.uniform(0.15, 0.5)) for b in breaks[:-1]}

    # lay out segments: (kind, start_s, end_s, extra)
    segments = []
    t = 0.0
    phrase_bounds = [0.0]
    syllable_starts = []
    for k in range(n_syllables):
        if k in pauses:
            phrase_bounds.append(t)
            t += pauses[k]
            phrase_bounds.append(t)
        d = syl[k]
        syllable_starts.append(t)
        kind = rng.choice(["fricative", "plosive", "sonorant", "none"], p=[0.3, 0.3, 0.3, 0.1])
        if k == 0 and kind == "plosive":
            kind = "fricative"  # the utterance starts with a sound, not a closure
        vowel = str(rng.choice(list(_VOWEL_FORMANTS_HZ)))
        if kind == "sonorant":
            cd = d * rng.uniform(0.2, 0.35)
            segments.append(("sonorant", t, t + cd + 0.01, str(rng.choice(list(_SONORANT_FORMANTS_HZ)))))
        elif kind == "fricative":
            cd = d * rng.uniform(0.25, 0.4)
            segments.append(("fricative", t, t + cd, int(rng.integers(0, 3))))
        elif kind == "plosive":
            closure = d * rng.uniform(0.15, 0.25)
            burst = 0.015
            segments.append(("plosive", t + closure, t + closure + burst, None))
            cd = closure + burst
        else:
            cd = 0.0
        segments.append(("vowel", t + cd, t + d, vowel))
        t += d
    phrase_bounds.append(t)
    total_s = t
    n = int(np.ceil(total_s * sr)) + 1
    times = np.arange(n) / sr

    # --- f0 contour: declination per phrase, syllable accents, tremor ------------------
    base = voice.f0_hz * f0_scale
    contour_st = np.zeros(n)
    for p0, p1 in zip(phrase_bounds[0::2], phrase_bounds[1::2]):
        a, b = int(p0 * sr), min(n, int(np.ceil(p1 * sr)) + 1)
        decl = rng.uniform(1.5, 3.5)
        contour_st[a:b] = decl * (0.5 - (times[a:b] - p0) / max(p1 - p0, 1e-3))
    for kind, s0, s1, _ in segments:
        if kind == "vowel":
            centre, width = 0.5 * (s0 + s1), max(0.8 * (s1 - s0), 0.06)
            contour_st += rng.normal(0.0, 0.8) * np.exp(-0.5 * ((times - centre) / width) ** 2)
    tremor = 1.0 + voice.tremor_depth_pct / 100.0 * np.sin(
        2 * np.pi * voice.tremor_rate_hz * times + rng.uniform(0, 2 * np.pi)
    )
    f0_smooth = base * 2.0 ** (contour_st / 12.0) * tremor  # semitones to a frequency ratio

    # --- glottal cycles with jitter and shimmer ----------------------------------------
    # For i.i.d. relative period deviations of s.d. sigma, local jitter (mean absolute
    # difference of consecutive periods over the mean period) is 2 sigma / sqrt(pi).
    sigma_j = voice.jitter_pct / 100.0 * np.sqrt(np.pi) / 2.0
    sigma_s = voice.shimmer_pct / 100.0 * np.sqrt(np.pi) / 2.0
    max_cycles = int(total_s * f0_smooth.max() * 1.3) + 16
    z_period = np.clip(rng.standard_normal(max_cycles), -3, 3)
    z_amp = np.clip(rng.standard_normal(max_cycles), -3, 3)
    pulse_times = np.empty(max_cycles + 1)
    tt, k = 0.0, 0
    while tt <= total_s and k < max_cycles:
        pulse_times[k] = tt
        f = f0_smooth[min(int(tt * sr), n - 1)]
        tt += (1.0 + sigma_j * z_period[k]) / f
        k += 1
    pulse_times[k] = tt
    n_cycles = k
    pulse_times = pulse_times[: n_cycles + 1]
    cycle_pos = np.interp(times, pulse_times, np.arange(n_cycles + 1))
    cycle_idx = np.minimum(cycle_pos.astype(int), n_cycles - 1)
    phase = cycle_pos - cycle_idx
    amplitude = np.maximum(1.0 + sigma_s * z_amp[:n_cycles], 0.2)
    # breathier voices keep the glottis open longer (larger open quotient)
    open_phase = float(np.clip(0.36 + 0.01 * (20.0 - voice.hnr_db), 0.30, 0.52))
    flow = amplitude[cycle_idx] * _rosenberg_flow(phase, open_phase=open_phase)
    source = np.diff(flow, prepend=0.0) * sr / base  # flow derivative (lip radiation folded in)
    f0_inst = 1.0 / np.diff(pulse_times)[cycle_idx]

    # --- voicing, aspiration noise at the target HNR ------------------------------------
    voiced = np.zeros(n, dtype=bool)
    v_env = np.zeros(n)
    ramp = int(0.012 * sr)
    for kind, s0, s1, _ in segments:
        if kind in ("vowel", "sonorant"):
            a, b = int(round(s0 * sr)), min(n, int(round(s1 * sr)))
            v_env[a:b] = np.maximum(v_env[a:b], _ramp_envelope(b - a, ramp))
            voiced[a:b] = True
    # aspiration is turbulence: broadband, strongest relative to the harmonics at high
    # frequencies, where breathy voices lose their harmonic structure first
    breath = signal.sosfilt(_highpass_sos(500.0, sr), rng.standard_normal(n))
    breath *= 0.4 + flow / max(amplitude.max(), 1e-9)  # pulsatile, as at the glottis
    p_periodic = np.mean(source[voiced] ** 2)
    p_breath = np.mean(breath[voiced] ** 2)
    breath *= np.sqrt(p_periodic / (p_breath * 10 ** (voice.hnr_db / 10.0)))
    excitation = (source + breath) * v_env

    # --- formant filtering, vowel by vowel; consonant noise -----------------------------
    speech = np.zeros(n)
    scale = _REFERENCE_VTL_CM / voice.vtl_cm
    tail = int(0.03 * sr)
    vowel_power = []
    for kind, s0, s1, phone in segments:
        if kind not in ("vowel", "sonorant"):
            continue
        a, b = int(round(s0 * sr)), min(n, int(round(s1 * sr)) + tail)
        table, gain = (_VOWEL_FORMANTS_HZ, 1.0) if kind == "vowel" else (_SONORANT_FORMANTS_HZ, _SONORANT_GAIN)
        formants = np.array(table[phone]) * scale * np.exp(0.04 * rng.standard_normal(5))
        # the segment's own share of the excitation (neighbours overlap only in the ramps)
        own = excitation[a:b] * _ramp_envelope(b - a, ramp) if kind == "sonorant" else excitation[a:b]
        out = gain * signal.sosfilt(_formant_sos(formants, _FORMANT_BANDWIDTHS_HZ, sr), own)
        speech[a:b] += out
        if kind == "vowel":
            vowel_power.append(np.mean(out**2))
    vowel_rms = np.sqrt(np.mean(vowel_power))
    for kind, s0, s1, sub in segments:
        a, b = int(round(s0 * sr)), min(n, int(round(s1 * sr)))
        if kind == "fricative" and b > a:
            lo, hi = [(3500.0, 7500.0), (1200.0, 6500.0), (2000.0, 4500.0)][sub]
            hi = min(hi, 0.45 * sr)
            sos = _bandpass_sos(lo, hi, sr)
            noise = signal.sosfilt(sos, rng.standard_normal(b - a))
            noise *= _ramp_envelope(b - a, int(0.015 * sr))
            level = vowel_rms * 10 ** (rng.uniform(-18.0, -10.0) / 20.0)
            speech[a:b] += noise / (np.sqrt(np.mean(noise**2)) + 1e-12) * level
        elif kind == "plosive" and b > a:
            sos = _bandpass_sos(1000.0, min(5000.0, 0.45 * sr), sr)
            m = b - a + int(0.02 * sr)
            burst = signal.sosfilt(sos, rng.standard_normal(m)) * np.exp(-np.arange(m) / (0.006 * sr))
            level = vowel_rms * 10 ** (rng.uniform(-10.0, -4.0) / 20.0)
            end = min(n, a + m)
            speech[a:end] += (burst / (np.abs(burst).max() + 1e-12) * level * 2.0)[: end - a]

    sounding = np.abs(speech) > 1e-6
    speech /= np.sqrt(np.mean(speech[sounding] ** 2))
    f0_track = np.where(voiced, f0_inst, np.nan)
    pause_total = float(sum(pauses.values()))
    return Utterance(speech=speech, sr=sr, f0_hz=f0_track, voiced=voiced, n_syllables=n_syllables,
                     articulation_rate_sps=float(n_syllables / (total_s - pause_total)),
                     pause_ratio=float(pause_total / total_s), syllable_onsets_s=np.array(syllable_starts))
