"""Audio players: ``IPython.display.Audio`` fed with a small MP3 instead of a WAV.

``Audio(data=samples, rate=sr)`` embeds 16-bit WAV, 32 kB per second of 16 kHz speech;
encoding to MP3 first (libsndfile, through soundfile) makes it under 3 kB per second,
which is what keeps the notebooks under 2 MB with their outputs. The same samples always
give the same bytes, so re-executed notebooks diff cleanly.

Notebook: 01_signal_anatomy (and every notebook that lets the reader listen).
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping

import numpy as np
import soundfile as sf
from IPython.display import HTML, Audio

__all__ = ["audio_player", "audio_players"]

#: Sample rates in Hz an MP3 stream can carry (MPEG-1, -2 and -2.5 layer III).
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


def _encode_mp3(y: np.ndarray, sr: int) -> bytes:
    """Mono samples (full scale +-1, clipped) as MP3 bytes; odd rates go up to the next MP3 rate."""
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
    if sr not in _MP3_RATES:
        import soxr

        target = next((r for r in _MP3_RATES if r >= sr), _MP3_RATES[-1])
        y, sr = soxr.resample(y, sr, target, quality="HQ").astype(np.float32), target
    buf = io.BytesIO()
    try:  # soundfile >= 0.13: about 21 kbps at 16 kHz, plenty for speech
        sf.write(buf, np.clip(y, -1.0, 1.0), sr, format="MP3", compression_level=0.8)
    except TypeError:  # older soundfile: libsndfile's default (about 35 kbps)
        buf = io.BytesIO()
        sf.write(buf, np.clip(y, -1.0, 1.0), sr, format="MP3")
    return buf.getvalue()


def _labelled(player: Audio, label: str) -> str:
    caption = f'<div style="font-size:0.85em">{html.escape(label)}</div>'
    return f'<div style="display:inline-block;margin:2px 8px">{caption}{player._repr_html_()}</div>'


def audio_player(y: np.ndarray, sr: int, label: str | None = None) -> Audio | HTML:
    """A player for samples ``y`` at ``sr`` Hz: ``IPython.display.Audio`` of a small MP3.

    Without ``label`` it is the ``Audio`` object itself; with one, an ``HTML`` block with
    the label above the player. Display it as a cell's last expression.

    Notebook: 01_signal_anatomy, 03_features, 07_predict
    """
    player = Audio(data=_encode_mp3(y, sr))
    player.mimetype = "audio/mpeg"  # Audio assumes WAV for raw bytes
    return player if label is None else HTML(_labelled(player, label))


def audio_players(clips: Mapping[str, np.ndarray], sr: int) -> HTML:
    """Labelled players for ``{label: samples}`` at ``sr`` Hz, side by side.

    Notebook: 01_signal_anatomy, 02_cleaning
    """
    if not clips:
        raise ValueError("no clips given: nothing to play")
    inner = "".join(_labelled(audio_player(y, sr), str(label)) for label, y in clips.items())
    return HTML(f'<div style="display:flex;flex-wrap:wrap;align-items:flex-end">{inner}</div>')
