"""Interactive explorers (ipywidgets) that sit beside the notebooks' static figures.

:func:`signal_explorer` returns a :class:`SignalExplorer`, an ipywidgets ``VBox`` with
controls for the clip, the representation (waveform, spectrum, STFT, mel, MFCC),
``n_fft``, ``hop_length`` and ``n_mels``, a player for the chosen clip and an ``Output``
area. Every change redraws a matplotlib figure (built off-screen with
:func:`helpers.plots.plot_representation`, rendered to PNG) and puts it into the Output
as its only display item, so it works with any matplotlib backend, under papermill, and
headless in tests by setting a control's ``value``.

Notebook: 01_signal_anatomy
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from helpers import plots
from helpers.display import audio_player

#: Choices offered by the explorer (samples; at 16 kHz 1024 samples = 64 ms).
N_FFT_CHOICES = (256, 512, 1024, 2048, 4096)
HOP_CHOICES = (64, 128, 256, 512)


class SignalExplorer(widgets.VBox):
    """The explorer widget. ``controls`` maps control name to widget; ``output`` is the
    Output area; ``last_png`` the PNG bytes of the latest figure; ``n_draws`` counts redraws;
    ``last_error`` holds the message of a failed redraw (shown in the Output too).
    """

    def __init__(
        self,
        clips: Mapping[str, np.ndarray],
        sr: int,
        *,
        representation: str = "stft",
        n_fft: int = 1024,
        hop_length: int = 256,
        n_mels: int = 64,
        figsize: tuple[float, float] = (8.0, 3.2),
        dpi: int = 80,
    ):
        if not clips:
            raise ValueError("signal_explorer needs at least one clip (label -> samples)")
        if representation not in plots.REPRESENTATIONS:
            raise ValueError(f"representation must be one of {plots.REPRESENTATIONS}, got {representation!r}")
        if n_fft not in N_FFT_CHOICES:
            raise ValueError(f"n_fft must be one of {N_FFT_CHOICES}, got {n_fft}")
        if hop_length not in HOP_CHOICES:
            raise ValueError(f"hop_length must be one of {HOP_CHOICES}, got {hop_length}")
        self.clips = {str(k): np.asarray(v, dtype=np.float32) for k, v in clips.items()}
        self.sr = int(sr)
        self.figsize = figsize
        self.dpi = dpi
        self.last_png: bytes = b""
        self.last_error: str | None = None
        self.n_draws = 0
        style = {"description_width": "70px"}
        self.controls = {
            "clip": widgets.Dropdown(options=list(self.clips), description="clip", style=style),
            "representation": widgets.ToggleButtons(
                options=list(plots.REPRESENTATIONS), value=representation, description="show",
                style={**style, "button_width": "80px"},
            ),
            "n_fft": widgets.Dropdown(
                options=[(f"{n} ({1000 * n / self.sr:.0f} ms)", n) for n in N_FFT_CHOICES],
                value=n_fft, description="n_fft", style=style,
            ),
            "hop_length": widgets.Dropdown(
                options=[(f"{n} ({1000 * n / self.sr:.0f} ms)", n) for n in HOP_CHOICES],
                value=hop_length, description="hop", style=style,
            ),
            "n_mels": widgets.IntSlider(
                value=n_mels, min=16, max=128, step=8, description="n_mels",
                continuous_update=False, style=style,
            ),
        }
        self.player = widgets.HTML()
        self.output = widgets.Output()
        c = self.controls
        super().__init__(
            children=[
                widgets.HBox([c["clip"], self.player]),
                c["representation"],
                widgets.HBox([c["n_fft"], c["hop_length"], c["n_mels"]]),
                self.output,
            ]
        )
        for name, control in c.items():
            control.observe(self._on_change, names="value")
        self._update_player()
        self.redraw()

    def __repr__(self) -> str:
        return (
            f"SignalExplorer({len(self.clips)} clips: {', '.join(self.clips)}; "
            "run the notebook live to use the controls)"
        )

    def _on_change(self, change) -> None:
        if change["owner"] is self.controls["clip"]:
            self._update_player()
        self.redraw()

    def _update_player(self) -> None:
        y = self.clips[self.controls["clip"].value]
        self.player.value = audio_player(y, self.sr).audio_tag()

    def settings(self) -> dict:
        """The current control values (clip label, representation, n_fft, hop_length, n_mels)."""
        return {name: control.value for name, control in self.controls.items()}

    def render_png(self) -> bytes:
        """Draw the current settings into an off-screen figure; return it as PNG bytes."""
        s = self.settings()
        rep = s["representation"]
        self.controls["n_mels"].disabled = rep not in ("mel", "mfcc")
        self.controls["n_fft"].disabled = self.controls["hop_length"].disabled = rep not in ("stft", "mel", "mfcc")
        fig = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        ax = fig.add_subplot()
        plots.plot_representation(
            self.clips[s["clip"]], self.sr, rep,
            n_fft=s["n_fft"], hop_length=s["hop_length"], n_mels=s["n_mels"], ax=ax,
            title=f"{s['clip']}: {rep}",
        )
        return figure_png(fig, dpi=self.dpi)

    def redraw(self) -> None:
        """Re-render the figure for the current settings into the Output area.

        The Output's ``outputs`` are replaced directly (no ``with output:`` capture), so
        headless executors (nbclient, papermill) never have to mirror a capturing Output
        widget, which can stall them.
        """
        try:
            png = self.render_png()
        except Exception as exc:  # shown to the reader; the widget stays usable
            self.last_error = f"{type(exc).__name__}: {exc}"
            show_text(self.output, f"cannot draw {self.settings()}: {self.last_error}\n", stream="stderr")
            return
        self.last_error = None
        self.last_png = png
        self.n_draws += 1
        s = self.settings()
        show_png(self.output, png, f"<figure: {s['clip']}, {s['representation']}>")


def figure_png(fig, *, dpi: int | None = None) -> bytes:
    """A matplotlib figure as PNG bytes (for widgets that redraw without pyplot)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi)
    return buf.getvalue()


def show_png(output, png: bytes, label: str = "<figure>") -> None:
    """Replace an ipywidgets ``Output``'s content with a PNG image.

    Sets ``output.outputs`` directly instead of capturing with ``with output:``: a
    capturing Output can stall headless executors (nbclient, papermill) forever.
    """
    output.outputs = (
        {
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": label},
            "metadata": {},
        },
    )


def show_text(output, text: str, *, stream: str = "stdout") -> None:
    """Replace an ipywidgets ``Output``'s content with text (see :func:`show_png` for why)."""
    output.outputs = ({"output_type": "stream", "name": stream, "text": text},)


def signal_explorer(
    clips: Mapping[str, np.ndarray],
    sr: int,
    *,
    representation: str = "stft",
    n_fft: int = 1024,
    hop_length: int = 256,
    n_mels: int = 64,
) -> SignalExplorer:
    """An interactive explorer of ``clips`` (label -> samples at ``sr`` Hz).

    Choose the clip, the representation (waveform / spectrum / STFT / mel / MFCC),
    ``n_fft`` and ``hop_length`` in samples and ``n_mels``; the figure redraws on every
    change. Returns the widget (display it as a cell's last expression).

    Notebook: 01_signal_anatomy
    """
    return SignalExplorer(
        clips, sr, representation=representation, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels
    )
