"""Audio players for notebooks that stay small when committed with their outputs.

:func:`audio_player` encodes a clip as MP3 (libsndfile through soundfile, in memory) and
shows it as an HTML ``<audio controls>`` element with the MP3 embedded as a base64 data
URI: under 3 kB per second of 16 kHz speech instead of 32 kB for WAV, and the same
samples always give the same bytes, so re-executed notebooks diff cleanly.
:func:`audio_players` lays out several labelled players side by side.

Notebook: 01_signal_anatomy (and every notebook that lets the reader listen).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import soundfile as sf

#: Sample rates in Hz an MP3 stream can carry (MPEG-1, -2 and -2.5 layer III).
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

#: libsndfile compression level for MP3 (0 = best quality .. 1 = smallest file).
MP3_COMPRESSION_LEVEL = 0.8


def encode_mp3(y: np.ndarray, sr: int) -> tuple[bytes, int]:
    """Encode mono samples (full scale +-1) as MP3 bytes; return ``(mp3_bytes, sr_hz)``.

    Samples are clipped to +-1. A rate MP3 cannot carry is resampled (soxr) to the next
    higher one it can (e.g. 20 kHz -> 22.05 kHz); the returned ``sr_hz`` says which.
    Deterministic: the same samples give the same bytes.

    Notebook: 01_signal_anatomy
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"audio must be 1-D mono samples, got shape {y.shape}")
    if y.size == 0:
        raise ValueError("audio holds no samples: nothing to play")
    if not np.all(np.isfinite(y)):
        raise ValueError("audio contains NaN or infinite samples")
    if sr <= 0:
        raise ValueError(f"sr must be a positive sample rate in Hz, got {sr!r}")
    sr = int(sr)
    if sr not in MP3_SAMPLE_RATES:
        import soxr

        target = next((r for r in MP3_SAMPLE_RATES if r >= sr), MP3_SAMPLE_RATES[-1])
        y = soxr.resample(y, sr, target, quality="HQ").astype(np.float32)
        sr = target
    y = np.clip(y, -1.0, 1.0)
    buf = io.BytesIO()
    try:  # soundfile >= 0.13: about 21 kbps at 16 kHz, plenty for speech
        sf.write(buf, y, sr, format="MP3", compression_level=MP3_COMPRESSION_LEVEL)
    except TypeError:  # older soundfile: libsndfile's default (about 35 kbps)
        buf = io.BytesIO()
        sf.write(buf, y, sr, format="MP3")
    return buf.getvalue(), sr


@dataclass
class AudioPlayer:
    """An embedded MP3 player; displays as ``<audio controls>`` in Jupyter.

    ``mp3`` holds the encoded bytes, ``sr`` their sample rate in Hz, ``duration_s`` the
    clip length in seconds, ``label`` an optional caption shown above the player.
    """

    mp3: bytes
    sr: int
    duration_s: float
    label: str | None = None

    def audio_tag(self) -> str:
        """The bare ``<audio>`` element with the MP3 as a base64 data URI."""
        data = base64.b64encode(self.mp3).decode("ascii")
        return f'<audio controls preload="none" src="data:audio/mpeg;base64,{data}"></audio>'

    def _repr_html_(self) -> str:
        caption = f'<div style="font-size:0.85em">{html.escape(self.label)}</div>' if self.label else ""
        return f'<div style="display:inline-block;margin:2px 8px">{caption}{self.audio_tag()}</div>'

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        return f"AudioPlayer({name}{self.duration_s:.2f} s, {self.sr} Hz, {len(self.mp3)} bytes mp3)"


def audio_player(y: np.ndarray, sr: int, *, label: str | None = None) -> AudioPlayer:
    """A small embedded MP3 player for samples ``y`` at ``sr`` Hz (see :func:`encode_mp3`).

    Display it as a cell's last expression (or with ``IPython.display.display``).

    Notebook: 01_signal_anatomy
    """
    mp3, mp3_sr = encode_mp3(y, sr)
    return AudioPlayer(mp3=mp3, sr=mp3_sr, duration_s=len(y) / float(sr), label=label)


@dataclass
class AudioPlayerRow:
    """Several labelled players shown side by side (wrapping on narrow screens)."""

    players: list[AudioPlayer]

    def _repr_html_(self) -> str:
        inner = "".join(p._repr_html_() for p in self.players)
        return f'<div style="display:flex;flex-wrap:wrap;align-items:flex-end">{inner}</div>'

    def __repr__(self) -> str:
        return f"AudioPlayerRow({', '.join(repr(p.label) for p in self.players)})"


def audio_players(clips: Mapping[str, np.ndarray], sr: int) -> AudioPlayerRow:
    """Labelled players for ``{label: samples}`` at ``sr`` Hz, side by side.

    Notebook: 01_signal_anatomy
    """
    if not clips:
        raise ValueError("no clips given: nothing to play")
    return AudioPlayerRow([audio_player(y, sr, label=label) for label, y in clips.items()])
