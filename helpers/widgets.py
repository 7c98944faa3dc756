"""The signal explorer: an ipywidgets panel beside notebook 01's static figures.

Every change of a control redraws a matplotlib figure off-screen and puts its PNG bytes
into an ``ipywidgets.Image``; no capturing ``Output`` is involved, so the panel runs under
papermill and headless in tests (set a control's ``value``).

Notebook: 01_signal_anatomy
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping

import ipywidgets as widgets
import librosa
import numpy as np
from matplotlib.figure import Figure

from helpers import plots
from helpers.players import audio_player

__all__ = ["figure_png", "signal_explorer"]

_REPRESENTATIONS = ("waveform", "spectrum", "stft", "mel", "mfcc")
_N_FFT_CHOICES = (256, 512, 1024, 2048, 4096)
_HOP_CHOICES = (64, 128, 256, 512)


def figure_png(fig: Figure, *, dpi: int | None = None) -> bytes:
    """A matplotlib figure as PNG bytes, for an ``ipywidgets.Image`` (``dpi`` in dots/inch).

    Notebook: 01_signal_anatomy (and the explorers of 02 and 04)
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi)
    return buf.getvalue()


def _draw(ax, y: np.ndarray, sr: int, representation: str, *, n_fft: int, hop_length: int, n_mels: int) -> None:
    """Draw one representation of ``y``, with the same library calls notebook 01 shows."""
    frames = {"n_fft": n_fft, "hop_length": hop_length}
    if representation == "waveform":
        plots.plot_waveform(y, sr, ax=ax)
    elif representation == "spectrum":
        window = np.hanning(len(y))
        mag_db = librosa.amplitude_to_db(S=2 * np.abs(np.fft.rfft(y * window)) / window.sum(), ref=1.0, top_db=None)
        plots.plot_spectrum(np.fft.rfftfreq(len(y), d=1 / sr), mag_db, ax=ax)
    elif representation == "stft":
        plots.plot_stft(y, sr, ax=ax, **frames)
    elif representation == "mel":
        M = librosa.feature.melspectrogram(y=y, sr=sr, n_mels=n_mels, **frames)
        plots.plot_spectrogram(librosa.power_to_db(S=M, ref=np.max, top_db=80.0), sr, kind="mel", ax=ax, **frames)
    else:
        C = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_mels=n_mels, **frames)
        plots.plot_spectrogram(C, sr, kind="mfcc", ax=ax, **frames)


class _SignalExplorer(widgets.VBox):
    """The explorer: ``controls`` (name -> widget), ``image`` (the figure), ``player``,
    ``message`` (why a redraw failed) and ``last_error``."""

    def __init__(self, clips, sr, *, representation, n_fft, hop_length, n_mels, figsize=(8.0, 3.2), dpi=80):
        if not clips:
            raise ValueError("signal_explorer needs at least one clip (label -> samples)")
        for name, value, choices in (("representation", representation, _REPRESENTATIONS),
                                     ("n_fft", n_fft, _N_FFT_CHOICES), ("hop_length", hop_length, _HOP_CHOICES)):
            if value not in choices:
                raise ValueError(f"{name} must be one of {choices}, got {value!r}")
        self.clips = {str(k): np.asarray(v, dtype=np.float32) for k, v in clips.items()}
        self.sr, self.figsize, self.dpi = int(sr), figsize, dpi
        self.last_error: str | None = None
        style = {"description_width": "70px"}
        ms = {n: f"{n} ({1000 * n / self.sr:.0f} ms)" for n in _N_FFT_CHOICES + _HOP_CHOICES}
        self.controls = {
            "clip": widgets.Dropdown(options=list(self.clips), description="clip", style=style),
            "representation": widgets.Dropdown(options=_REPRESENTATIONS, value=representation,
                                               description="show", style=style),
            "n_fft": widgets.Dropdown(options=[(ms[n], n) for n in _N_FFT_CHOICES], value=n_fft,
                                      description="n_fft", style=style),
            "hop_length": widgets.Dropdown(options=[(ms[n], n) for n in _HOP_CHOICES], value=hop_length,
                                           description="hop", style=style),
            "n_mels": widgets.IntSlider(value=n_mels, min=16, max=128, step=8, description="n_mels",
                                        continuous_update=False, style=style),
        }
        self.player, self.message = widgets.HTML(), widgets.HTML()
        self.image = widgets.Image(format="png")
        c = self.controls
        wrap = widgets.Layout(flex_flow="row wrap")  # narrow windows: controls wrap, not cut off
        super().__init__(children=[widgets.HBox([c["clip"], c["representation"], self.player], layout=wrap),
                                   widgets.HBox([c["n_fft"], c["hop_length"], c["n_mels"]], layout=wrap),
                                   self.message, self.image])
        for control in c.values():
            control.observe(self._on_change, names="value")
        self._update_player()
        self.redraw()

    def __repr__(self) -> str:
        return f"SignalExplorer({len(self.clips)} clips: {', '.join(self.clips)}; run the notebook live to use it)"

    def _on_change(self, change) -> None:
        if change["owner"] is self.controls["clip"]:
            self._update_player()
        self.redraw()

    def _update_player(self) -> None:
        self.player.value = audio_player(self.clips[self.controls["clip"].value], self.sr)._repr_html_()

    def settings(self) -> dict:
        """The current control values (clip, representation, n_fft, hop_length, n_mels)."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        """Draw the current settings into ``image`` (a failure is shown in ``message``)."""
        s = self.settings()
        rep = s["representation"]
        self.controls["n_mels"].disabled = rep not in ("mel", "mfcc")
        self.controls["n_fft"].disabled = self.controls["hop_length"].disabled = rep not in ("stft", "mel", "mfcc")
        fig = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        ax = fig.add_subplot()
        try:
            _draw(ax, self.clips[s["clip"]], self.sr, rep, n_fft=s["n_fft"], hop_length=s["hop_length"],
                  n_mels=s["n_mels"])
        except Exception as exc:  # shown to the reader; the widget stays usable
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.message.value = f"<pre style='color:#b00'>cannot draw {html.escape(str(s))}: " \
                                 f"{html.escape(self.last_error)}</pre>"
            return
        ax.set_title(f"{s['clip']}: {rep}")
        self.last_error, self.message.value = None, ""
        self.image.value = figure_png(fig, dpi=self.dpi)


def signal_explorer(
    clips: Mapping[str, np.ndarray],
    sr: int,
    *,
    representation: str = "stft",
    n_fft: int = 1024,
    hop_length: int = 256,
    n_mels: int = 64,
) -> widgets.VBox:
    """An interactive explorer of ``clips`` (label -> samples at ``sr`` Hz).

    Choose the clip, the representation (waveform, spectrum, stft, mel, mfcc), ``n_fft``
    and ``hop_length`` in samples and ``n_mels``; the figure redraws on every change.
    Display the returned widget as a cell's last expression.

    Notebook: 01_signal_anatomy
    """
    return _SignalExplorer(clips, sr, representation=representation, n_fft=n_fft, hop_length=hop_length,
                           n_mels=n_mels)
