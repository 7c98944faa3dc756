"""Signal figures the notebooks reuse: waveform, zoom, spectrum, spectrograms, f0 overlays.

Every ``plot_*`` function takes ``ax=None``, creates a figure only when no Axes is given,
labels its axes with units and returns what it drew (the Axes, or the Figure of a grid);
none calls ``plt.show()``, so they compose in subplots and run headless (Agg).
Spectrograms are drawn with ``librosa.display.specshow``. Call :func:`use_workbook_style`
once at the top of a notebook.

Notebook: 01_signal_anatomy (and the figures of every later notebook).
"""

from __future__ import annotations

from collections.abc import Mapping

import librosa
import librosa.display
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

__all__ = ["plot_spectrogram", "plot_spectrum", "plot_stft", "plot_stft_grid", "plot_waveform", "plot_waveform_zoom",
           "use_workbook_style"]

#: Colour-bar labels (with units) of the spectrogram kinds.
_COLORBAR_LABELS = {
    "stft": "level (dBFS)",
    "mel": "mel-band power (dB re loudest)",
    "mfcc": "coefficient value (dimensionless)",
}

#: rcParams set by :func:`use_workbook_style` (no named style sheets, which come and go).
_WORKBOOK_RC = {
    "figure.figsize": (8.0, 3.0),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8,
    "legend.framealpha": 0.8,
    "image.cmap": "magma",
    "lines.linewidth": 1.0,
}

_HZ_TICKS = (20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000)


def _cmap(name: str):
    """A colour map in 32 steps (2.5 dB over 80 dB): reads as well as a continuous one and
    keeps the PNGs in committed notebooks about a third smaller."""
    return mpl.colormaps[name].resampled(32)


def _get_ax(ax: Axes | None) -> Axes:
    return plt.subplots(figsize=(8.0, 3.0))[1] if ax is None else ax


def _log_hz_axis(ax: Axes, fmin_hz: float, fmax_hz: float) -> None:
    ax.set_xscale("log")
    ax.set_xlim(fmin_hz, fmax_hz)
    ax.set_xticks([t for t in _HZ_TICKS if fmin_hz <= t <= fmax_hz])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def use_workbook_style(*, dpi: int = 85) -> None:
    """Set readable matplotlib defaults (sizes, grid, ``dpi`` in dots per inch).

    Updates plain rcParams; never uses a named style sheet, whose names change between
    matplotlib releases.

    Notebook: every notebook
    """
    mpl.rcParams.update({**_WORKBOOK_RC, "figure.dpi": dpi, "savefig.dpi": dpi})


def plot_waveform(
    y: np.ndarray,
    sr: int,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    highlight_s: tuple[float, float] | None = None,
    color: str = "C0",
) -> Axes:
    """Waveform (``librosa.display.waveshow``): amplitude (full scale +-1) against time in s.

    ``highlight_s=(start_s, end_s)`` shades a stretch, for example a zoom window.

    Notebook: 01_signal_anatomy, 03_features
    """
    y = np.asarray(y, dtype=np.float32)
    ax = _get_ax(ax)
    librosa.display.waveshow(y=y, sr=sr, ax=ax, axis="s", color=color)
    ax.set_xlim(0, len(y) / sr)
    lim = max(1.1 * float(np.max(np.abs(y))) if y.size else 1.0, 1e-3)
    ax.set(ylim=(-lim, lim), xlabel="time (s)", ylabel="amplitude (full scale = 1)", title=title or "")
    if highlight_s is not None:
        ax.axvspan(*highlight_s, color="C3", alpha=0.25, lw=0, label="zoom window")
        ax.legend(loc="upper right")
    return ax


def plot_waveform_zoom(
    y: np.ndarray,
    sr: int,
    *,
    start_s: float,
    duration_s: float = 0.0625,
    f0_hz: float | None = None,
    show_samples: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """``duration_s`` of the waveform from ``start_s`` (time axis in ms), samples as dots.

    With ``f0_hz`` dotted lines mark the period ``T = 1 / f0`` (aligned on the highest
    peak) and one period is annotated in ms. Dots are drawn for up to 1200 samples.

    Notebook: 01_signal_anatomy
    """
    y = np.asarray(y, dtype=np.float32)
    i0 = max(0, int(round(start_s * sr)))
    i1 = min(len(y), i0 + int(round(duration_s * sr)))
    if i1 <= i0:
        raise ValueError(f"zoom window {start_s:.3f} s + {duration_s:.4f} s lies outside the signal")
    seg = y[i0:i1]
    t_ms = 1000.0 * np.arange(i0, i1) / sr
    ax = _get_ax(ax)
    ax.plot(t_ms, seg, color="C0", lw=0.9, zorder=2)
    if show_samples and len(seg) <= 1200:
        ax.plot(t_ms, seg, ".", color="C0", ms=2.0, zorder=3, label=f"samples (1 every {1000 / sr:.4g} ms)")
    ax.set(xlim=(t_ms[0], t_ms[-1]), xlabel="time (ms)", ylabel="amplitude", title=title or "")
    if f0_hz is not None and np.isfinite(f0_hz) and f0_hz > 0:
        period_ms = 1000.0 / f0_hz
        peak_ms = t_ms[int(np.argmax(seg))]
        marks = peak_ms + period_ms * np.arange(
            np.floor((t_ms[0] - peak_ms) / period_ms), np.ceil((t_ms[-1] - peak_ms) / period_ms) + 1)
        marks = marks[(marks >= t_ms[0]) & (marks <= t_ms[-1])]
        for j, m in enumerate(marks):
            ax.axvline(m, color="C3", ls=":", lw=1.0, label="one period apart" if j == 0 else None)
        top = float(np.max(np.abs(seg))) or 1.0
        ax.set_ylim(-1.3 * top, 1.65 * top)
        if len(marks) >= 2:
            ax.annotate("", xy=(marks[1], 1.18 * top), xytext=(marks[0], 1.18 * top),
                        arrowprops={"arrowstyle": "<->", "color": "C3"})
            left = marks[1] < (t_ms[0] + t_ms[-1]) / 2
            ax.text(marks[1] + 0.5 if left else marks[0] - 0.5, 1.18 * top,
                    f"T = 1/f0 = {period_ms:.1f} ms  (f0 = {f0_hz:.0f} Hz)", ha="left" if left else "right",
                    va="center", color="C3", fontsize=9,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.0})
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right")
    return ax


def plot_spectrum(
    freqs_hz: np.ndarray,
    mag_db: np.ndarray,
    *,
    ax: Axes | None = None,
    fmin_hz: float = 50.0,
    fmax_hz: float | None = None,
    f0_hz: float | None = None,
    n_harmonics: int = 10,
    dynamic_range_db: float = 90.0,
    title: str | None = None,
) -> Axes:
    """Magnitude spectrum (dBFS) on a logarithmic frequency axis in Hz.

    With ``f0_hz`` the harmonics ``k * f0`` (k = 1..``n_harmonics``, up to ``fmax_hz``)
    are marked with dotted lines. The view spans ``dynamic_range_db`` below the peak.

    Notebook: 01_signal_anatomy
    """
    freqs_hz = np.asarray(freqs_hz, dtype=float)
    mag_db = np.asarray(mag_db, dtype=float)
    if freqs_hz.shape != mag_db.shape:
        raise ValueError(f"freqs_hz {freqs_hz.shape} and mag_db {mag_db.shape} differ in shape")
    fmax_hz = float(freqs_hz[-1]) if fmax_hz is None else fmax_hz
    keep = (freqs_hz >= fmin_hz) & (freqs_hz <= fmax_hz)
    ax = _get_ax(ax)
    ax.plot(freqs_hz[keep], mag_db[keep], color="C0", lw=0.6)
    _log_hz_axis(ax, fmin_hz, fmax_hz)
    top = float(np.max(mag_db[keep])) if keep.any() else 0.0
    ax.set(ylim=(top - dynamic_range_db, top + 5), xlabel="frequency (Hz, log scale)", ylabel="magnitude (dBFS)",
           title=title or "")
    if f0_hz is not None and np.isfinite(f0_hz) and f0_hz > 0:
        harmonics = f0_hz * np.arange(1, n_harmonics + 1)
        for k, h in enumerate(harmonics[harmonics <= fmax_hz], start=1):
            ax.axvline(h, color="C3", ls=":", lw=0.9, alpha=0.9,
                       label=f"harmonics k·f0 (f0 = {f0_hz:.0f} Hz)" if k == 1 else None)
        ax.legend(loc="upper right")
    return ax


def plot_spectrogram(S_db: np.ndarray, sr: int, *, kind: str = "stft", n_fft: int = 1024, hop_length: int = 256,
                     fmax_hz: float | None = None, vmin: float | None = None, vmax: float | None = None,
                     ax: Axes | None = None, colorbar: bool = True, title: str | None = None) -> Axes:
    """Draw an STFT (dBFS), mel (dB) or MFCC matrix against time, with a labelled colour bar.

    ``S_db`` is ``(n_bins, n_frames)``; ``sr``, ``n_fft`` and ``hop_length`` (Hz, samples)
    are the settings it was computed with. ``kind``: ``"stft"`` (linear Hz axis up to
    ``fmax_hz``, colours from ``vmax - 80`` dB), ``"mel"`` (mel-spaced Hz axis; ``fmax_hz``
    is the filterbank's top) or ``"mfcc"`` (coefficient index, a symmetric colour scale
    that lets coefficient 0 saturate). Share ``vmin``/``vmax`` across panels to compare.

    Notebook: 01_signal_anatomy, 02_cleaning, 03_features, 07_predict
    """
    if kind not in _COLORBAR_LABELS:
        raise ValueError(f"kind must be one of {sorted(_COLORBAR_LABELS)}, got {kind!r}")
    S_db = np.asarray(S_db)
    if S_db.ndim != 2:
        raise ValueError(f"S_db must be 2-D (bins x frames), got shape {S_db.shape}")
    ax = _get_ax(ax)
    frames = {"sr": sr, "hop_length": hop_length, "n_fft": n_fft, "x_axis": "s", "ax": ax}
    if kind == "stft":
        if S_db.shape[0] != n_fft // 2 + 1:
            raise ValueError(f"S_db has {S_db.shape[0]} rows but n_fft={n_fft} gives {n_fft // 2 + 1} bins")
        vmax = float(np.max(S_db)) if vmax is None else vmax
        vmin = vmax - 80.0 if vmin is None else vmin
        mesh = librosa.display.specshow(data=S_db, y_axis="hz", cmap=_cmap("magma"), vmin=vmin, vmax=vmax, **frames)
        ax.set(ylim=(0, fmax_hz or sr / 2), ylabel="frequency (Hz)")
    elif kind == "mel":
        mesh = librosa.display.specshow(data=S_db, y_axis="mel", fmax=fmax_hz or sr / 2, cmap=_cmap("magma"),
                                        vmin=vmin, vmax=vmax, **frames)
        ax.set_ylabel("frequency (Hz, mel-spaced)")
    else:
        if vmin is None and vmax is None:
            lim = float(np.percentile(np.abs(S_db[1:] if len(S_db) > 1 else S_db), 99)) or 1.0
            vmin, vmax = -lim, lim
        mesh = librosa.display.specshow(data=S_db, cmap=_cmap("coolwarm"), vmin=vmin, vmax=vmax, **frames)
        ax.set_yticks(np.arange(0, len(S_db), max(1, int(np.ceil(len(S_db) / 7)))))
        ax.set_ylabel("MFCC index")
    ax.set(xlabel="time (s)", title=title or "")
    ax.grid(False)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, pad=0.01).set_label(_COLORBAR_LABELS[kind])
    return ax


def plot_stft(y: np.ndarray, sr: int, *, n_fft: int = 1024, hop_length: int = 256, fmax_hz: float | None = None,
              vmin: float | None = None, vmax: float | None = None, ax: Axes | None = None, colorbar: bool = True,
              title: str | None = None) -> Axes:
    """Compute the STFT of ``y`` in dBFS and draw it (:func:`plot_spectrogram`, kind stft).

    ``librosa.amplitude_to_db(|librosa.stft(y)|, ref=n_fft / 4)``: a Hann window of
    ``n_fft`` samples sums to ``n_fft / 2`` and a sine's amplitude splits between +f and
    -f, so a full-scale sine peaks at 0 dBFS and levels compare across clips.

    Notebook: 01_signal_anatomy (after the cell that shows these calls), 02, 03, 06
    """
    S = np.abs(librosa.stft(y=np.asarray(y, dtype=np.float32), n_fft=n_fft, hop_length=hop_length, window="hann"))
    S_db = librosa.amplitude_to_db(S=S, ref=n_fft / 4, top_db=100.0)
    return plot_spectrogram(S_db, sr, kind="stft", n_fft=n_fft, hop_length=hop_length, fmax_hz=fmax_hz,
                            vmin=vmin, vmax=vmax, ax=ax, colorbar=colorbar, title=title)


def plot_f0_harmonics(
    times_s: np.ndarray,
    f0_hz: np.ndarray,
    *,
    n_harmonics: int = 5,
    true_f0_hz: float | None = None,
    ax: Axes | None = None,
    color: str = "cyan",
) -> Axes:
    """An f0 track (solid) and its harmonics ``k * f0`` (dashed), usually over a spectrogram.

    ``times_s`` in s and ``f0_hz`` in Hz (NaN where unvoiced), as from ``librosa.pyin``
    and ``librosa.times_like``; ``true_f0_hz`` (a known median f0) adds a dotted white line.

    Notebook: 01_signal_anatomy
    """
    times_s = np.asarray(times_s, dtype=float)
    f0_hz = np.asarray(f0_hz, dtype=float)
    if times_s.shape != f0_hz.shape:
        raise ValueError(f"times_s {times_s.shape} and f0_hz {f0_hz.shape} differ in shape")
    ax = _get_ax(ax)
    ax.plot(times_s, f0_hz, color=color, lw=2.0, label="f0 (pyin)")
    for k in range(2, n_harmonics + 1):
        ax.plot(times_s, k * f0_hz, color=color, lw=0.9, ls="--", alpha=0.8,
                label=f"harmonics 2..{n_harmonics}·f0" if k == 2 else None)
    if true_f0_hz is not None and np.isfinite(true_f0_hz):
        ax.axhline(true_f0_hz, color="white", ls=":", lw=1.2, label=f"true median f0 {true_f0_hz:.0f} Hz")
    ax.legend(loc="upper right", fontsize=7)
    return ax


def plot_stft_grid(
    clips: Mapping[str, np.ndarray],
    sr: int,
    *,
    n_fft: int = 2048,
    hop_length: int = 256,
    fmax_hz: float | None = 2000.0,
    range_db: float = 80.0,
    f0_tracks: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    true_f0_hz: Mapping[str, float] | None = None,
    n_harmonics: int = 5,
    ncols: int = 2,
    panel_size: tuple[float, float] = (4.6, 2.8),
    suptitle: str | None = None,
) -> Figure:
    """STFT panels (dBFS) of several clips (label -> samples) on ONE colour scale.

    Colours span ``range_db`` below the loudest cell of all panels, so a quieter or
    breathier voice really looks different. ``f0_tracks`` (label -> ``(times_s, f0_hz)``)
    overlays f0 and harmonics (:func:`plot_f0_harmonics`), ``true_f0_hz`` (label -> Hz) a
    reference line. Returns the Figure.

    Notebook: 01_signal_anatomy
    """
    if not clips:
        raise ValueError("clips is empty: nothing to compare")
    labels = list(clips)
    ncols = max(1, min(ncols, len(labels)))
    nrows = -(-len(labels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                             squeeze=False, sharey=True)
    f0_tracks, true_f0_hz = f0_tracks or {}, true_f0_hz or {}
    for ax, label in zip(axes.flat, labels):
        plot_stft(clips[label], sr, n_fft=n_fft, hop_length=hop_length, fmax_hz=fmax_hz, ax=ax,
                  colorbar=False, title=label)
        if label in f0_tracks:
            plot_f0_harmonics(*f0_tracks[label], n_harmonics=n_harmonics, true_f0_hz=true_f0_hz.get(label), ax=ax)
    meshes = [ax.collections[0] for ax in axes.flat[: len(labels)]]
    vmax = max(float(np.max(m.get_array())) for m in meshes)
    for m in meshes:
        m.set_clim(vmax - range_db, vmax)
    fig.colorbar(meshes[0], ax=axes.ravel().tolist(), pad=0.01, shrink=0.9).set_label(_COLORBAR_LABELS["stft"])
    for ax in axes.flat[len(labels):]:
        ax.set_visible(False)
    for ax in axes[:, 1:].flat:
        ax.set_ylabel("")
    if suptitle:
        fig.suptitle(suptitle)
    return fig
