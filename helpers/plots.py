"""Figures of the workbook: waveforms, spectra, spectrograms, pitch overlays, comparisons.

Every ``plot_*`` function takes ``ax=None``, creates a figure only when no Axes is given,
draws, labels axes with units, and returns the Axes it drew on (multi-panel helpers
return the Figure). None calls ``plt.show()``, so they compose in subplots and run
headless (Agg). Computations come from :mod:`helpers.spectral`; spectrograms are drawn
with ``librosa.display.specshow`` called with keyword arguments only.

Call :func:`use_workbook_style` once at the top of a notebook for readable defaults.

Notebook: 01_signal_anatomy (and the figures of every later notebook).
"""

from __future__ import annotations

from collections.abc import Mapping

import librosa.display
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from helpers import spectral

#: Representations :func:`plot_representation` (and the explorer widget) can draw.
REPRESENTATIONS: tuple[str, ...] = ("waveform", "spectrum", "stft", "mel", "mfcc")

#: Colour-bar labels (with units) of the spectrogram kinds.
COLORBAR_LABELS = {
    "stft": "level (dBFS)",
    "mel": "mel-band power (dB re loudest)",
    "mfcc": "coefficient value (dimensionless)",
}

#: rcParams set by :func:`use_workbook_style` (no named style sheets, which come and go).
WORKBOOK_RC = {
    "figure.figsize": (8.0, 3.0),
    "figure.dpi": 85,
    "savefig.dpi": 85,
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

#: Colour levels of spectrogram colour maps: 32 steps (2.5 dB over 80 dB) read as well as
#: a continuous map and keep the PNGs in committed notebooks about a third smaller.
COLOUR_LEVELS = 32


def _cmap(name: str):
    return mpl.colormaps[name].resampled(COLOUR_LEVELS)


_HZ_TICKS = (20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000)


def use_workbook_style(*, dpi: int = 85) -> None:
    """Set readable matplotlib defaults for the workbook (sizes, grid, ``dpi`` in dots/inch).

    Updates plain rcParams (:data:`WORKBOOK_RC`); never uses a named style sheet, whose
    names change between matplotlib releases.

    Notebook: 01_signal_anatomy (and every later notebook)
    """
    mpl.rcParams.update({**WORKBOOK_RC, "figure.dpi": dpi, "savefig.dpi": dpi})


def _get_ax(ax: Axes | None, figsize=(8.0, 3.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _hz_formatter(value, _pos) -> str:
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"


def plot_waveform(
    y: np.ndarray,
    sr: int,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    highlight_s: tuple[float, float] | None = None,
    color: str = "C0",
) -> Axes:
    """Waveform: amplitude (full scale +-1) against time in seconds.

    ``highlight_s=(start_s, end_s)`` shades a stretch (for example the zoom window).
    Drawn with ``librosa.display.waveshow``, which shows the envelope when zoomed out.

    Notebook: 01_signal_anatomy
    """
    y = np.asarray(y, dtype=np.float32)
    ax = _get_ax(ax)
    librosa.display.waveshow(y, sr=sr, ax=ax, axis="s", color=color)
    ax.set_xlim(0, len(y) / sr)
    peak = float(np.max(np.abs(y))) if y.size else 1.0
    lim = max(peak * 1.1, 1e-3)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude (full scale = 1)")
    if highlight_s is not None:
        ax.axvspan(*highlight_s, color="C3", alpha=0.25, lw=0, label="zoom window")
        ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return ax


def plot_waveform_zoom(
    y: np.ndarray,
    sr: int,
    *,
    start_s: float | None = None,
    duration_s: float = 0.0625,
    f0_hz: float | None = None,
    show_samples: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """A short stretch of the waveform (default 62.5 ms) with its individual samples.

    ``start_s`` defaults to the loudest stretch of that length (usually a vowel);
    ``show_samples`` marks each sample with a dot (up to 1200 samples). With
    ``f0_hz`` the period ``T = 1 / f0`` is marked by dotted lines one period apart,
    aligned on the highest peak, and one period is annotated in ms. Time axis in ms.

    Notebook: 01_signal_anatomy
    """
    y = np.asarray(y, dtype=np.float32)
    if start_s is None:
        start_s = spectral.loudest_segment_start_s(y, sr, duration_s=duration_s)
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
    ax.set_xlim(t_ms[0], t_ms[-1])
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("amplitude")
    if f0_hz is not None and np.isfinite(f0_hz) and f0_hz > 0:
        period_ms = 1000.0 / f0_hz
        peak_ms = t_ms[int(np.argmax(seg))]
        k = np.arange(np.floor((t_ms[0] - peak_ms) / period_ms), np.ceil((t_ms[-1] - peak_ms) / period_ms) + 1)
        marks = peak_ms + k * period_ms
        marks = marks[(marks >= t_ms[0]) & (marks <= t_ms[-1])]
        for j, m in enumerate(marks):
            ax.axvline(m, color="C3", ls=":", lw=1.0, label="one period apart" if j == 0 else None)
        top = float(np.max(np.abs(seg))) or 1.0
        ax.set_ylim(-1.3 * top, 1.65 * top)
        if len(marks) >= 2:
            ax.annotate(
                "",
                xy=(marks[1], 1.18 * top),
                xytext=(marks[0], 1.18 * top),
                arrowprops={"arrowstyle": "<->", "color": "C3"},
            )
            left = marks[1] < t_ms[0] + 0.5 * (t_ms[-1] - t_ms[0])
            ax.text(
                marks[1] + 0.5 if left else marks[0] - 0.5,
                1.18 * top,
                f"T = 1/f0 = {period_ms:.1f} ms  (f0 = {f0_hz:.0f} Hz)",
                ha="left" if left else "right",
                va="center",
                color="C3",
                fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.0},
            )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
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

    With ``f0_hz`` the first ``n_harmonics`` harmonics ``k * f0`` are marked with dotted
    lines, so the regular comb of a voiced sound is easy to check. The view spans
    ``dynamic_range_db`` below the peak.

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
    ax.set_xscale("log")
    ax.set_xlim(fmin_hz, fmax_hz)
    ax.set_xticks([t for t in _HZ_TICKS if fmin_hz <= t <= fmax_hz])
    ax.xaxis.set_major_formatter(FuncFormatter(_hz_formatter))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    top = float(np.max(mag_db[keep])) if keep.any() else 0.0
    ax.set_ylim(top - dynamic_range_db, top + 5)
    ax.set_xlabel("frequency (Hz, log scale)")
    ax.set_ylabel("magnitude (dBFS)")
    if f0_hz is not None and np.isfinite(f0_hz) and f0_hz > 0:
        harmonics = spectral.harmonic_frequencies(f0_hz, n_harmonics, fmax_hz=fmax_hz)
        for k, h in enumerate(harmonics[np.isfinite(harmonics)], start=1):
            ax.axvline(h, color="C3", ls=":", lw=0.9, alpha=0.9, label=f"harmonics k·f0 (f0 = {f0_hz:.0f} Hz)" if k == 1 else None)
        ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return ax


def plot_spectrogram(
    S: np.ndarray,
    sr: int,
    *,
    kind: str = "stft",
    hop_length: int = spectral.DEFAULT_HOP_LENGTH,
    n_fft: int = spectral.DEFAULT_N_FFT,
    fmax_hz: float | None = None,
    ax: Axes | None = None,
    colorbar: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
):
    """Draw an STFT (dBFS), mel (dB) or MFCC matrix against time, with a labelled colour bar.

    Parameters
    ----------
    S : ``(n_bins, n_frames)`` array from :func:`helpers.spectral.compute_stft_db`,
        :func:`~helpers.spectral.compute_mel_db` or :func:`~helpers.spectral.compute_mfcc`.
    sr, hop_length, n_fft : the settings S was computed with (Hz, samples, samples).
    kind : ``"stft"`` (linear Hz axis), ``"mel"`` (mel-spaced Hz axis) or ``"mfcc"``
        (coefficient index; colour scale symmetric, coefficient 0 may saturate).
    fmax_hz : top of the frequency axis in Hz (STFT: y limit; mel: the ``fmax`` the
        filterbank was built with). Default ``sr / 2`` (Nyquist).
    vmin, vmax : colour limits (share them across panels to compare clips).

    Returns the Axes.

    Notebook: 01_signal_anatomy
    """
    if kind not in COLORBAR_LABELS:
        raise ValueError(f"kind must be one of {sorted(COLORBAR_LABELS)}, got {kind!r}")
    S = np.asarray(S)
    if S.ndim != 2:
        raise ValueError(f"S must be 2-D (bins x frames), got shape {S.shape}")
    ax = _get_ax(ax)
    nyq = sr / 2.0
    if kind == "stft":
        if S.shape[0] != n_fft // 2 + 1:
            raise ValueError(f"S has {S.shape[0]} rows but n_fft={n_fft} gives {n_fft // 2 + 1} bins")
        if vmax is None:
            vmax = float(np.max(S))
        if vmin is None:
            vmin = vmax - 80.0
        mesh = librosa.display.specshow(
            S, sr=sr, hop_length=hop_length, n_fft=n_fft, x_axis="s", y_axis="hz",
            ax=ax, cmap=_cmap("magma"), vmin=vmin, vmax=vmax,
        )
        ax.set_ylim(0, fmax_hz or nyq)
        ax.set_ylabel("frequency (Hz)")
    elif kind == "mel":
        mesh = librosa.display.specshow(
            S, sr=sr, hop_length=hop_length, n_fft=n_fft, x_axis="s", y_axis="mel",
            fmax=fmax_hz or nyq, ax=ax, cmap=_cmap("magma"), vmin=vmin, vmax=vmax,
        )
        ax.set_ylabel("frequency (Hz, mel-spaced)")
    else:
        if vmin is None and vmax is None:
            body = S[1:] if S.shape[0] > 1 else S
            lim = float(np.percentile(np.abs(body), 99)) or 1.0
            vmin, vmax = -lim, lim
        mesh = librosa.display.specshow(
            S, sr=sr, hop_length=hop_length, n_fft=n_fft, x_axis="s", ax=ax,
            cmap=_cmap("coolwarm"), vmin=vmin, vmax=vmax,
        )
        n = S.shape[0]
        step = max(1, int(np.ceil(n / 7)))
        ax.set_yticks(np.arange(0, n, step))
        ax.set_ylabel("MFCC index")
    ax.set_xlabel("time (s)")
    ax.grid(False)
    if colorbar:
        cb = ax.figure.colorbar(mesh, ax=ax, pad=0.01)
        cb.set_label(COLORBAR_LABELS[kind])
    if title:
        ax.set_title(title)
    return ax


def plot_mel_filterbank(
    sr: int,
    *,
    n_fft: int = spectral.DEFAULT_N_FFT,
    n_mels: int = spectral.DEFAULT_N_MELS,
    fmax_hz: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The triangular mel filters (each scaled to peak 1) against frequency in Hz.

    Filters are narrow and dense at low frequencies and wide at high ones: a mel
    spectrogram keeps detail where the ear (and the voice's f0 and first formants) live.

    Notebook: 01_signal_anatomy
    """
    fmax_hz = fmax_hz or sr / 2.0
    W = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmax=fmax_hz, norm=None)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    ax = _get_ax(ax)
    colors = mpl.colormaps["viridis"](np.linspace(0, 1, n_mels))
    for w, c in zip(W, colors):
        ax.plot(freqs, w, color=c, lw=0.8)
    ax.set_xlim(0, fmax_hz)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("filter weight")
    ax.set_title(title or f"{n_mels} mel filters (n_fft = {n_fft})")
    return ax


def plot_mfcc_envelope(
    log_mel_db: np.ndarray,
    envelope_db: np.ndarray,
    sr: int,
    *,
    frame: int,
    n_mfcc: int,
    fmax_hz: float | None = None,
    hop_length: int = spectral.DEFAULT_HOP_LENGTH,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """One frame's log-mel spectrum and its smooth rebuild from ``n_mfcc`` MFCCs (dB vs Hz).

    Inputs from :func:`helpers.spectral.mfcc_envelope_db`; ``frame`` is the frame index
    (its time, ``frame * hop_length / sr`` s, goes in the title).

    Notebook: 01_signal_anatomy
    """
    log_mel_db = np.asarray(log_mel_db)
    envelope_db = np.asarray(envelope_db)
    if log_mel_db.shape != envelope_db.shape:
        raise ValueError(f"log_mel_db {log_mel_db.shape} and envelope_db {envelope_db.shape} differ in shape")
    if not 0 <= frame < log_mel_db.shape[1]:
        raise ValueError(f"frame {frame} outside 0..{log_mel_db.shape[1] - 1}")
    n_mels = log_mel_db.shape[0]
    centres = librosa.mel_frequencies(n_mels=n_mels + 2, fmax=fmax_hz or sr / 2.0)[1:-1]
    ax = _get_ax(ax)
    ax.plot(centres, log_mel_db[:, frame], ".-", color="C0", lw=0.8, ms=3, label=f"log-mel spectrum ({n_mels} bands)")
    ax.plot(centres, envelope_db[:, frame], color="C3", lw=2.0, label=f"rebuilt from {n_mfcc} MFCCs")
    ax.set_xscale("log")
    ax.set_xticks([t for t in _HZ_TICKS if centres[0] <= t <= centres[-1]])
    ax.xaxis.set_major_formatter(FuncFormatter(_hz_formatter))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    ax.set_xlabel("mel-band centre frequency (Hz, log scale)")
    ax.set_ylabel("mel-band power (dB)")
    ax.legend(loc="lower left")
    ax.set_title(title or f"one frame at {frame * hop_length / sr:.2f} s")
    return ax


def overlay_harmonics(
    ax: Axes,
    times_s: np.ndarray,
    f0_hz: np.ndarray,
    *,
    n_harmonics: int = 5,
    fmax_hz: float | None = None,
    true_f0_hz: float | None = None,
    color: str = "cyan",
) -> Axes:
    """Draw an f0 track (solid) and its harmonics ``k * f0`` (dashed) on a spectrogram Axes.

    ``times_s`` in s and ``f0_hz`` in Hz (NaN where unvoiced) as from
    :func:`helpers.spectral.compute_f0`. ``true_f0_hz`` (a known median f0, e.g. from the
    synthetic corpus) adds a white dotted reference line.

    Notebook: 01_signal_anatomy
    """
    times_s = np.asarray(times_s, dtype=float)
    f0_hz = np.asarray(f0_hz, dtype=float)
    if times_s.shape != f0_hz.shape:
        raise ValueError(f"times_s {times_s.shape} and f0_hz {f0_hz.shape} differ in shape")
    harmonics = spectral.harmonic_frequencies(f0_hz, n_harmonics, fmax_hz=fmax_hz)
    ax.plot(times_s, harmonics[0], color=color, lw=2.0, label="f0 (pyin)")
    for k in range(1, n_harmonics):
        ax.plot(times_s, harmonics[k], color=color, lw=0.9, ls="--", alpha=0.8,
                label=f"harmonics 2..{n_harmonics}·f0" if k == 1 else None)
    if true_f0_hz is not None and np.isfinite(true_f0_hz):
        ax.axhline(true_f0_hz, color="white", ls=":", lw=1.2, label=f"true median f0 {true_f0_hz:.0f} Hz")
    ax.legend(loc="upper right", fontsize=7)
    return ax


def plot_f0_and_harmonics(
    y: np.ndarray,
    sr: int,
    *,
    times_s: np.ndarray,
    f0_hz: np.ndarray,
    n_fft: int = 2048,
    hop_length: int = spectral.DEFAULT_HOP_LENGTH,
    n_harmonics: int = 5,
    fmax_hz: float | None = 2000.0,
    true_f0_hz: float | None = None,
    ax: Axes | None = None,
    colorbar: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
) -> Axes:
    """Narrow-band STFT spectrogram (0 to ``fmax_hz`` Hz, None = Nyquist) with f0 and harmonics.

    A long frame (``n_fft=2048``: 128 ms, 7.8 Hz bins at 16 kHz) resolves the individual
    harmonics as horizontal stripes; the pyin track and its multiples should sit on them.

    Notebook: 01_signal_anatomy
    """
    S = spectral.compute_stft_db(y, sr, n_fft=n_fft, hop_length=hop_length)
    ax = plot_spectrogram(
        S, sr, kind="stft", n_fft=n_fft, hop_length=hop_length, fmax_hz=fmax_hz,
        ax=ax, colorbar=colorbar, vmin=vmin, vmax=vmax, title=title,
    )
    overlay_harmonics(ax, times_s, f0_hz, n_harmonics=n_harmonics, fmax_hz=fmax_hz or sr / 2.0,
                      true_f0_hz=true_f0_hz)
    return ax


def plot_representation(
    y: np.ndarray,
    sr: int,
    representation: str,
    *,
    n_fft: int = spectral.DEFAULT_N_FFT,
    hop_length: int = spectral.DEFAULT_HOP_LENGTH,
    n_mels: int = spectral.DEFAULT_N_MELS,
    n_mfcc: int = spectral.DEFAULT_N_MFCC,
    ax: Axes | None = None,
    colorbar: bool = True,
    title: str | None = None,
) -> Axes:
    """Compute and draw one of :data:`REPRESENTATIONS` of a clip (used by the explorer).

    ``waveform``: amplitude over time; ``spectrum``: one FFT of the whole clip (dBFS, log
    Hz); ``stft``: dBFS spectrogram with ``n_fft``/``hop_length``; ``mel``: ``n_mels``
    mel bands in dB; ``mfcc``: ``n_mfcc`` coefficients from ``n_mels`` bands.

    Notebook: 01_signal_anatomy
    """
    if representation not in REPRESENTATIONS:
        raise ValueError(f"representation must be one of {REPRESENTATIONS}, got {representation!r}")
    if representation == "waveform":
        return plot_waveform(y, sr, ax=ax, title=title)
    if representation == "spectrum":
        freqs, mag = spectral.compute_spectrum(y, sr)
        return plot_spectrum(freqs, mag, ax=ax, title=title)
    if representation == "stft":
        S = spectral.compute_stft_db(y, sr, n_fft=n_fft, hop_length=hop_length)
    elif representation == "mel":
        S = spectral.compute_mel_db(y, sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    else:
        S = spectral.compute_mfcc(y, sr, n_mfcc=min(n_mfcc, n_mels), n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    return plot_spectrogram(
        S, sr, kind=representation, n_fft=n_fft, hop_length=hop_length, ax=ax, colorbar=colorbar, title=title
    )


def plot_comparison(
    clips: Mapping[str, np.ndarray],
    sr: int,
    *,
    representation: str = "stft",
    f0_tracks: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    true_f0_hz: Mapping[str, float] | None = None,
    n_fft: int = 2048,
    hop_length: int = spectral.DEFAULT_HOP_LENGTH,
    n_mels: int = spectral.DEFAULT_N_MELS,
    n_harmonics: int = 5,
    fmax_hz: float | None = 2000.0,
    ncols: int = 2,
    panel_size: tuple[float, float] = (4.6, 2.8),
    suptitle: str | None = None,
) -> Figure:
    """Side-by-side panels of several clips (label -> samples), one representation each.

    For ``"stft"`` all panels share one dBFS colour scale and one colour bar, so a louder
    or breathier voice really looks different; ``fmax_hz`` limits the frequency axis.
    ``f0_tracks`` (label -> ``(times_s, f0_hz)``) overlays f0 and harmonics on the STFT
    panels, ``true_f0_hz`` (label -> Hz) a reference line. Other representations draw
    their own colour bars. Returns the Figure.

    Notebook: 01_signal_anatomy
    """
    if not clips:
        raise ValueError("clips is empty: nothing to compare")
    if representation not in REPRESENTATIONS:
        raise ValueError(f"representation must be one of {REPRESENTATIONS}, got {representation!r}")
    labels = list(clips)
    ncols = max(1, min(ncols, len(labels)))
    nrows = int(np.ceil(len(labels) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), squeeze=False,
        sharey=representation in ("stft", "mel", "mfcc"),
    )
    f0_tracks = f0_tracks or {}
    true_f0_hz = true_f0_hz or {}
    if representation == "stft":
        spectra = {k: spectral.compute_stft_db(clips[k], sr, n_fft=n_fft, hop_length=hop_length) for k in labels}
        vmax = max(float(np.max(S)) for S in spectra.values())
        mesh_ax = None
        for ax, label in zip(axes.flat, labels):
            if label in f0_tracks:
                times_s, f0 = f0_tracks[label]
                plot_f0_and_harmonics(
                    clips[label], sr, times_s=times_s, f0_hz=f0, n_fft=n_fft, hop_length=hop_length,
                    n_harmonics=n_harmonics, fmax_hz=fmax_hz, true_f0_hz=true_f0_hz.get(label),
                    ax=ax, colorbar=False, vmin=vmax - 80.0, vmax=vmax, title=label,
                )
            else:
                plot_spectrogram(
                    spectra[label], sr, kind="stft", n_fft=n_fft, hop_length=hop_length, fmax_hz=fmax_hz,
                    ax=ax, colorbar=False, vmin=vmax - 80.0, vmax=vmax, title=label,
                )
            mesh_ax = ax
        cb = fig.colorbar(mesh_ax.collections[0], ax=axes.ravel().tolist(), pad=0.01, shrink=0.9)
        cb.set_label(COLORBAR_LABELS["stft"])
    else:
        for ax, label in zip(axes.flat, labels):
            plot_representation(clips[label], sr, representation, n_fft=n_fft, hop_length=hop_length,
                                n_mels=n_mels, ax=ax, title=label)
    for ax in axes.flat[len(labels):]:
        ax.set_visible(False)
    for ax in axes[:, 1:].flat:
        ax.set_ylabel("")
    if suptitle:
        fig.suptitle(suptitle)
    return fig
