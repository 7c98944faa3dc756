"""The recording chain: how a clean voice becomes a crowd-sourced clip.

Each speaker records through their own channel (microphone colouring, noise floor,
level, file format and sample rate), as in Common Voice, so a model can learn to
recognise speakers from the channel alone. Each clip adds what real crowd-sourced clips
suffer: long silences before and after speech, button clicks in those silences,
stationary background noise (mains hum with harmonics, fan-like coloured noise) or
non-stationary noise (babble, bursts) at a stated SNR, and sometimes clipping.

SNR here is ``10 log10(P_speech / P_noise)`` with ``P_speech`` the mean power of the
recorded clean speech between its true boundaries and ``P_noise`` the mean power of all
additive noise (floor plus environment) over the whole clip. Clicks are counted apart.

Notebook: 01_signal_anatomy, 02_cleaning (noise types, clicks, silences).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

__all__ = ["Channel"]

#: (format, sample rate in Hz) of speakers' devices and how often each occurs.
_DEVICE_FORMATS = (
    (("wav", 16000), 0.60), (("wav", 44100), 0.10), (("wav", 48000), 0.10),
    (("mp3", 48000), 0.10), (("mp3", 16000), 0.05), (("flac", 16000), 0.05),
)

#: Environment noise types of a clip and how often each occurs.
NOISE_TYPES = (("none", 0.40), ("hum", 0.15), ("fan", 0.15), ("babble", 0.15), ("bursts", 0.15))


@dataclass(frozen=True)
class Channel:
    """A speaker's recording channel: microphone, noise floor, level and file format."""

    format: str
    sr_hz: int
    hpf_hz: float  # microphone high-pass corner
    lpf_hz: float  # microphone low-pass corner
    eq_hz: tuple[float, float]  # two resonances of the microphone/room
    eq_gain_db: tuple[float, float]
    eq_q: tuple[float, float]
    floor_beta: float  # noise-floor colour, power spectrum ~ 1 / f**beta
    level_dbfs: float  # speech RMS level in dB re full scale
    mains_hz: float  # 50 or 60 Hz, for hum

    def as_columns(self) -> dict:
        """The channel as manifest columns: ``format``, ``sr_hz`` and ``channel_*``."""
        out = {"format": self.format, "sr_hz": self.sr_hz}
        out |= {f"channel_{k}": getattr(self, k) for k in ("hpf_hz", "lpf_hz", "floor_beta", "level_dbfs", "mains_hz")}
        for i in range(2):
            out[f"channel_eq{i + 1}_hz"] = self.eq_hz[i]
            out[f"channel_eq{i + 1}_gain_db"] = self.eq_gain_db[i]
        return out


def sample_channel(rng: np.random.Generator) -> Channel:
    """Draw one speaker's channel."""
    choices = [c for c, _ in _DEVICE_FORMATS]
    probs = np.array([p for _, p in _DEVICE_FORMATS])
    fmt, sr = choices[rng.choice(len(choices), p=probs / probs.sum())]
    lpf = rng.uniform(3400.0, 7600.0) if sr <= 16000 else rng.uniform(6000.0, min(16000.0, 0.45 * sr))
    return Channel(
        format=fmt,
        sr_hz=int(sr),
        hpf_hz=float(rng.uniform(60.0, 250.0)),
        lpf_hz=float(lpf),
        eq_hz=(float(rng.uniform(300.0, 1500.0)), float(rng.uniform(1500.0, 4500.0))),
        eq_gain_db=(float(rng.uniform(-8.0, 8.0)), float(rng.uniform(-8.0, 8.0))),
        eq_q=(float(rng.uniform(0.7, 2.5)), float(rng.uniform(0.7, 2.5))),
        floor_beta=float(rng.uniform(0.0, 1.5)),
        level_dbfs=float(rng.uniform(-32.0, -20.0)),
        mains_hz=float(rng.choice([50.0, 60.0])),
    )


def _peaking_sos(f0: float, gain_db: float, q: float, sr: int) -> np.ndarray:
    """RBJ peaking equaliser as one SOS row."""
    a = 10 ** (gain_db / 40.0)
    w0 = 2 * np.pi * f0 / sr
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a])
    return np.concatenate([b / den[0], den / den[0]])[None, :]


def microphone_sos(channel: Channel) -> np.ndarray:
    """The channel's microphone colouring as SOS: high-pass, low-pass and two resonances."""
    sr = channel.sr_hz
    nyq = 0.5 * sr
    parts = [
        signal.butter(2, channel.hpf_hz / nyq, btype="highpass", output="sos"),
        signal.butter(4, min(channel.lpf_hz, 0.95 * nyq) / nyq, btype="lowpass", output="sos"),
    ]
    for f, g, q in zip(channel.eq_hz, channel.eq_gain_db, channel.eq_q):
        if f < 0.9 * nyq:
            parts.append(_peaking_sos(f, g, q, sr))
    return np.vstack(parts)


def coloured_noise(n: int, beta: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise of unit RMS whose power spectrum falls as ``1 / f**beta``."""
    m = sp_fft.next_fast_len(n, real=True)  # arbitrary lengths make the FFT slow
    spec = sp_fft.rfft(rng.standard_normal(m))
    # relative frequency; the slope starts at 1/400 of the sample rate (40 Hz at 16 kHz)
    # so the noise has no sub-audio rumble
    f = np.maximum(np.arange(len(spec), dtype=float), m / 400.0)
    spec *= f ** (-beta / 2.0)
    x = sp_fft.irfft(spec, n=m)[:n]
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def _mains_hum(n: int, sr: int, mains_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Constant tonal noise: mains hum (buzz) whose harmonics fade out smoothly, unit RMS."""
    t = np.arange(n) / sr
    x = np.zeros(n)
    rolloff_hz = rng.uniform(400.0, 1200.0)
    for k in range(1, int(min(3000.0, 0.45 * sr) // mains_hz) + 1):
        amp = k**-0.5 * np.exp(-k * mains_hz / rolloff_hz) * (1.5 if k % 2 else 1.0)
        x += amp * np.sin(2 * np.pi * k * mains_hz * t + rng.uniform(0, 2 * np.pi))
    x += 0.05 * coloured_noise(n, 1.0, rng)
    return x / np.sqrt(np.mean(x**2))


def _fan_noise(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Stationary fan-like noise: brownish broadband noise with a broad low resonance, unit RMS."""
    x = coloured_noise(n, 1.6, rng)
    centre = rng.uniform(150.0, 600.0)
    b, a = signal.iirpeak(centre, Q=1.5, fs=sr)
    x = x + 0.8 * signal.lfilter(b, a, coloured_noise(n, 0.5, rng))
    blade = rng.uniform(20.0, 60.0)
    x += 0.1 * np.sin(2 * np.pi * blade * np.arange(n) / sr)
    return x / np.sqrt(np.mean(x**2))


def _burst_noise(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Non-stationary noise: a fluctuating noise bed with loud decaying bursts, unit RMS."""
    bed = coloured_noise(n, 1.0, rng)
    lfo = 1.0 + 0.8 * np.sin(2 * np.pi * rng.uniform(0.2, 1.5) * np.arange(n) / sr + rng.uniform(0, 6.3))
    x = 0.3 * bed * lfo
    n_bursts = int(rng.integers(3, 9))
    for _ in range(n_bursts):
        length = int(rng.uniform(0.03, 0.3) * sr)
        start = int(rng.integers(0, max(1, n - length)))
        lo = rng.uniform(100.0, 2000.0)
        hi = min(lo * rng.uniform(2.0, 8.0), 0.45 * sr)
        sos = signal.butter(2, [lo, hi], btype="bandpass", fs=sr, output="sos")
        burst = signal.sosfilt(sos, rng.standard_normal(length))
        burst *= np.exp(-np.arange(length) / (rng.uniform(0.2, 0.6) * length))
        burst /= np.sqrt(np.mean(burst**2)) + 1e-12
        x[start : start + length] += rng.uniform(1.5, 4.0) * burst[: n - start]
    return x / np.sqrt(np.mean(x**2))


def _babble_noise(n: int, bank: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Non-stationary babble: an excerpt of a bank of several overlapping talkers, unit RMS."""
    start = int(rng.integers(0, len(bank)))
    idx = (start + np.arange(n)) % len(bank)
    x = bank[idx] * (1.0 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * np.arange(n) / len(bank) * 8))
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def environment_noise(kind: str, n: int, channel: Channel, rng: np.random.Generator, bank=None) -> np.ndarray:
    """``n`` samples of one of :data:`NOISE_TYPES` (not ``none``) at unit RMS; ``bank`` feeds ``babble``."""
    sr = channel.sr_hz
    if kind == "hum":
        return _mains_hum(n, sr, channel.mains_hz, rng)
    if kind == "fan":
        return _fan_noise(n, sr, rng)
    if kind == "bursts":
        return _burst_noise(n, sr, rng)
    if kind == "babble":
        return _babble_noise(n, bank, rng)
    raise ValueError(f"unknown noise type {kind!r}")


def button_click(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A mechanical button click: a damped resonance and a weaker bounce, peak 1."""
    length = int(0.012 * sr)
    t = np.arange(length) / sr
    f = rng.uniform(1500.0, 4000.0)
    tau = rng.uniform(0.0005, 0.002)
    click = np.sin(2 * np.pi * f * t) * np.exp(-t / tau)
    click[0] += 1.0
    bounce = int(rng.uniform(0.003, 0.008) * sr)
    if bounce < length:
        click[bounce:] += 0.5 * click[: length - bounce]
    return click / np.abs(click).max()
