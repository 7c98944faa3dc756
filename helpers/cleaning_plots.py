"""Figures of cleaning: input and cleaned waveforms with what was trimmed and repaired, and the panel.

:func:`plot_before_after` and :func:`plot_cleaning_figure` draw one cleaning result;
:func:`cleaning_panel` is the interactive version (ipywidgets: clip, method, strength,
``top_db``, click repair, SNR gate), redrawing the same figure into an ``Image`` widget.
The measurement figures of notebook 02 are a few lines of seaborn in its cells.

Notebook: 02_cleaning.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.cleaning import DEFAULT_CLEANING, CleaningResult, clean, resolve_cleaning
from helpers.cleaning_scores import si_sdr_db
from helpers.players import audio_player
from helpers.plots import plot_stft

__all__ = ["cleaning_panel", "plot_before_after", "plot_cleaning_figure"]


def plot_before_after(
    y_before: np.ndarray,
    y_after: np.ndarray,
    sr: int,
    *,
    trim: tuple[int, int] | None = None,
    clicks: np.ndarray | None = None,
    truth_s: tuple[float, float] | None = None,
    true_clicks_s: Sequence[float] = (),
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Input (grey) and cleaned (colour) waveforms on one time axis (s); returns the Axes.

    ``y_after`` is the un-trimmed cleaned signal (same length); ``trim`` (samples) shades
    what trimming removes, ``clicks`` (``(n, 2)`` samples) marks repaired clicks (red bands),
    ``truth_s`` draws the true speech boundaries (green) and ``true_clicks_s`` the inserted
    clicks (red triangles).

    Notebook: 02_cleaning
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 3.0))
    yb, ya = np.asarray(y_before, dtype=np.float32), np.asarray(y_after, dtype=np.float32)
    step = max(1, len(yb) // 20000)  # enough points to show the envelope, no more
    ax.plot(np.arange(len(yb))[::step] / sr, yb[::step], color="0.65", lw=0.6, label="input")
    ax.plot(np.arange(len(ya))[::step] / sr, ya[::step], color="C0", lw=0.6, label="cleaned")
    peak = float(max(np.max(np.abs(yb)) if yb.size else 0, np.max(np.abs(ya)) if ya.size else 0, 1e-3))
    ax.set_ylim(-1.1 * peak, 1.1 * peak)
    ax.set_xlim(0, max(len(yb), 1) / sr)
    if trim is not None:
        spans = [(0, trim[0]), (trim[1], len(yb))]
        for k, (a, b) in enumerate([(a, b) for a, b in spans if b > a]):
            ax.axvspan(a / sr, b / sr, color="0.3", alpha=0.15, lw=0, label=None if k else "trimmed away")
    for k, (s, e) in enumerate(np.asarray(clicks if clicks is not None else [], dtype=float).reshape(-1, 2)):
        ax.axvspan(s / sr - 0.01, e / sr + 0.01, color="C3", alpha=0.35, lw=0, label=None if k else "repaired click")
    for k, x in enumerate(truth_s or ()):
        ax.axvline(x, color="C2", ls="--", lw=1.2, label=None if k else "true speech boundary")
    if len(true_clicks_s):
        ax.plot(list(true_clicks_s), [1.02 * peak] * len(true_clicks_s), "v", color="C3", ms=7, label="inserted click")
    ax.set(xlabel="time (s)", ylabel="amplitude (full scale = 1)", title=title or "")
    ax.legend(loc="upper right", ncols=3)
    return ax


def plot_cleaning_figure(
    y_before: np.ndarray,
    result: CleaningResult,
    *,
    truth_s: tuple[float, float] | None = None,
    true_clicks_s: Sequence[float] = (),
    n_fft: int = 512,
    hop_length: int = 128,
    fmax_hz: float | None = 4000.0,
    range_db: float = 70.0,
    fig: Figure | None = None,
    title: str | None = None,
) -> Figure:
    """Waveforms (:func:`plot_before_after`) over the spectrograms before and after; returns the Figure.

    Both spectrograms (dBFS; ``n_fft``, ``hop_length`` in samples) share one colour scale
    spanning ``range_db`` below the loudest cell, so what cleaning removed shows darker.

    Notebook: 02_cleaning
    """
    sr = result.sr
    fig = fig if fig is not None else plt.figure(figsize=(9.0, 6.6), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    plot_before_after(y_before, result.y_untrimmed, sr, trim=result.trim, clicks=result.clicks, truth_s=truth_s,
                      true_clicks_s=true_clicks_s, ax=axes[0], title=title or f"cleaning {result.label!r}")
    for ax, v, name in zip(axes[1:], (y_before, result.y_untrimmed), ("before", "after (before trimming; shaded above: trimmed)")):
        plot_stft(v, sr, n_fft=n_fft, hop_length=hop_length, fmax_hz=fmax_hz, ax=ax, title=name)
    meshes = [ax.collections[0] for ax in axes[1:]]
    vmax = max(float(np.max(m.get_array())) for m in meshes)
    for mesh in meshes:  # one colour scale for both, range_db below the loudest cell
        mesh.set_clim(vmax - range_db, vmax)
    axes[0].set_xlabel("")
    axes[1].set_xlabel("")
    return fig


class _CleaningPanel(widgets.VBox):
    """The panel: ``controls`` (name -> widget), ``image`` (the figure), ``players`` and
    ``info`` (HTML), ``result`` (latest CleaningResult), ``n_draws``, ``last_error``."""

    def __init__(self, clips, sr, references, truths, cleaning):
        if not clips:
            raise ValueError("cleaning_panel needs at least one clip (label -> samples)")
        self.clips = {str(k): np.asarray(v, dtype=np.float32) for k, v in clips.items()}
        self.references = {str(k): np.asarray(v, dtype=np.float32) for k, v in (references or {}).items()}
        self.truths = {str(k): v for k, v in (truths or {}).items()}
        self.sr = int(sr)
        label, self.base = resolve_cleaning(cleaning)
        self.base_label = label.split("+")[0]
        self.result, self.last_error, self.n_draws = None, None, 0
        style = {"description_width": "90px"}
        b = self.base
        self.controls = {
            "clip": widgets.Dropdown(options=list(self.clips), description="clip", style=style),
            "method": widgets.ToggleButtons(options=[("none", None), ("stationary", "stationary"),
                                                     ("non-stationary", "nonstationary")],
                                            value=b["denoise"], description="noise red.", style=style),
            "strength": widgets.FloatSlider(value=float(b["prop_decrease"]), min=0.0, max=1.0, step=0.05,
                                            description="strength", continuous_update=False, style=style),
            "top_db": widgets.IntSlider(value=int(b["top_db"] or 25), min=5, max=60, step=1,
                                        description="top_db (dB)", continuous_update=False, style=style),
            "clicks": widgets.Checkbox(value=bool(b["clicks"]), description="repair clicks"),
            "snr_gate": widgets.Checkbox(value=b["max_snr_db"] is not None,
                                         description=f"only if blind SNR < {b['max_snr_db'] or 20:g} dB"),
        }
        self.players, self.info, self.image = widgets.HTML(), widgets.HTML(), widgets.Image(format="png")
        c = self.controls
        wrap = widgets.Layout(flex_flow="row wrap")  # narrow windows: controls wrap, not cut off
        super().__init__(children=[widgets.HBox([c["clip"], c["clicks"], c["snr_gate"]], layout=wrap), c["method"],
                                   widgets.HBox([c["strength"], c["top_db"]], layout=wrap), self.players, self.info,
                                   self.image])
        for control in c.values():
            control.observe(lambda _change: self.redraw(), names="value")
        self.redraw()

    def __repr__(self) -> str:
        return f"cleaning panel ({len(self.clips)} clips: {', '.join(self.clips)}; run the notebook live to use it)"

    def params(self) -> dict:
        """The cleaning parameters the controls describe (for :func:`helpers.cleaning.clean`)."""
        c = self.controls
        preset = {"preset": self.base_label} if self.base_label != "custom" else {}
        return {**preset, **self.base, "denoise": c["method"].value, "prop_decrease": float(c["strength"].value),
                "top_db": float(c["top_db"].value), "clicks": bool(c["clicks"].value),
                "max_snr_db": (self.base["max_snr_db"] or 20.0) if c["snr_gate"].value else None}

    def redraw(self) -> None:
        """Re-clean the chosen clip and redraw (an error is shown in the panel, not raised)."""
        label = self.controls["clip"].value
        y = self.clips[label]
        self.controls["strength"].disabled = self.controls["method"].value is None
        try:
            result = clean(y, self.sr, self.params(), name=label)
            fig = Figure(figsize=(8.5, 6.0), dpi=72, layout="constrained")
            plot_cleaning_figure(y, result, truth_s=self.truths.get(label), fig=fig, title=f"{label}: {result.label}")
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        except Exception as exc:  # shown to the reader; the panel stays usable
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.info.value = f"<pre>cannot clean {html.escape(label)}: {html.escape(self.last_error)}</pre>"
            return
        self.last_error, self.result, self.image.value = None, result, buf.getvalue()
        self.n_draws += 1
        players = [audio_player(y, self.sr, label="input")]
        if len(result.y):
            players.append(audio_player(result.y, self.sr, label="cleaned and trimmed"))
        self.players.value = "".join(p._repr_html_() for p in players)
        p = self.params()
        lines = [html.escape(f"applied: click repair {'on' if p['clicks'] else 'off'}, gate {p['denoise'] or 'off'}"
                             f" at {p['prop_decrease']:.0%}, SNR test {'on' if p['max_snr_db'] else 'off'}, trim at {p['top_db']:.0f} dB"),
                 html.escape(result.summary().splitlines()[0])]
        ref = self.references.get(label)
        if ref is not None and len(ref) == len(result.y_untrimmed):
            before, after = si_sdr_db(y, ref), si_sdr_db(result.y_untrimmed, ref)
            lines.append(f"SI-SDR against the clean reference: {before:.1f} dB → {after:.1f} dB ({after - before:+.1f} dB)")
        lines += [f"note: {html.escape(n)}" for n in result.notes]
        self.info.value = "<div style='font-size:0.9em'>" + "<br>".join(lines) + "</div>"


def cleaning_panel(
    clips: Mapping[str, np.ndarray],
    sr: int,
    *,
    references: Mapping[str, np.ndarray] | None = None,
    truths: Mapping[str, tuple[float, float]] | None = None,
    cleaning=DEFAULT_CLEANING,
) -> widgets.VBox:
    """An interactive cleaning panel for ``clips`` (label -> samples at ``sr`` Hz); returns the widget.

    The controls start from ``cleaning`` (preset name or parameter dict); ``references``
    (label -> clean samples, same length) add the SI-SDR before and after, ``truths``
    (label -> true (start_s, end_s)) the true boundaries. Set a control's ``value`` to redraw.

    Notebook: 02_cleaning
    """
    return _CleaningPanel(clips, sr, references, truths, cleaning)
