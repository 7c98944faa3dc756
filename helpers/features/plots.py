"""Figures of the features notebook: each feature drawn on the clip it was measured from,
and the checks against the synthetic truth.

Every function takes ``ax=None`` (creating a figure only when none is given) and returns
the Axes it drew on (grids return the Figure). Waveforms and spectrograms come from
:mod:`helpers.plots`; nothing here calls ``plt.show()``.

Notebook: 03_features
"""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from helpers import plots as base
from helpers import spectral

_TRACK_COLOURS = {"praat": "cyan", "pyin": "lime"}


def _ax(ax, figsize=(8.0, 3.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_onsets(y: np.ndarray, sr: int, onset_times_s: np.ndarray, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Waveform with a vertical line at each detected onset (s): the original's "words".

    Notebook: 03_features
    """
    ax = base.plot_waveform(y, sr, ax=_ax(ax), title=title)
    for i, t in enumerate(np.asarray(onset_times_s, dtype=float)):
        ax.axvline(t, color="C3", lw=0.8, alpha=0.8, label=f"{len(onset_times_s)} onsets" if i == 0 else None)
    if len(onset_times_s):
        ax.legend(loc="upper right")
    return ax


def plot_pitch_tracks(
    y: np.ndarray,
    sr: int,
    tracks: Mapping[str, object],
    *,
    true_f0: tuple[np.ndarray, np.ndarray] | None = None,
    fmax_hz: float = 1000.0,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Narrow-band spectrogram (0-``fmax_hz`` Hz) with f0 tracks on it.

    ``tracks``: name -> :class:`~helpers.features.pitch.PitchTrack`; ``true_f0``:
    ``(times_s, f0_hz)`` of the truth (synthetic clips), drawn as a white dashed line.

    Notebook: 03_features
    """
    n_fft, hop = 2048, 256
    S = spectral.compute_stft_db(y, sr, n_fft=n_fft, hop_length=hop)
    ax = base.plot_spectrogram(S, sr, kind="stft", n_fft=n_fft, hop_length=hop, fmax_hz=fmax_hz, ax=_ax(ax), title=title)
    if true_f0 is not None:
        ax.plot(true_f0[0], true_f0[1], color="white", lw=2.2, ls="--", label="true f0")
    for name, tr in tracks.items():
        ax.plot(tr.times_s, tr.f0_hz, color=_TRACK_COLOURS.get(name, "C1"), lw=1.4, label=f"{name}")
    ax.set_ylim(0, fmax_hz)
    ax.legend(loc="upper right", fontsize=7)
    return ax


def plot_spectral_shape(y: np.ndarray, sr: int, *, fmax_hz: float | None = None, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Spectrogram (25 ms frames) with the spectral centroid and the 85 % roll-off per frame (Hz).

    Notebook: 03_features
    """
    import librosa

    from helpers.features.spectral_stats import frame_settings, magnitude_spectrogram

    n_fft, _, hop = frame_settings(sr)
    S = magnitude_spectrogram(y, sr)
    db = spectral.compute_stft_db(y, sr, n_fft=n_fft, hop_length=hop)
    ax = base.plot_spectrogram(db, sr, kind="stft", n_fft=n_fft, hop_length=hop, fmax_hz=fmax_hz, ax=_ax(ax), title=title)
    times = librosa.frames_to_time(np.arange(S.shape[1]), sr=sr, hop_length=hop)
    ax.plot(times, librosa.feature.spectral_centroid(S=S, sr=sr, n_fft=n_fft)[0], color="cyan", lw=1.0, label="centroid")
    ax.plot(times, librosa.feature.spectral_rolloff(S=S, sr=sr, n_fft=n_fft, roll_percent=0.85)[0], color="white", lw=0.8, ls="--", label="85 % roll-off")
    ax.legend(loc="upper right", fontsize=7)
    return ax


def plot_formants(
    y: np.ndarray,
    sr: int,
    times_s: np.ndarray,
    formants_hz: np.ndarray,
    *,
    fmax_hz: float = 5000.0,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Wide-band spectrogram (short frames show the vocal-tract resonances as dark bands)
    with formant tracks F1.. (Hz, NaN where undefined) as dots.

    Notebook: 03_features
    """
    n_fft, hop = 512, 80
    S = spectral.compute_stft_db(y, sr, n_fft=n_fft, hop_length=hop)
    ax = base.plot_spectrogram(S, sr, kind="stft", n_fft=n_fft, hop_length=hop, fmax_hz=fmax_hz, ax=_ax(ax), title=title)
    F = np.atleast_2d(np.asarray(formants_hz, dtype=float))
    for i in range(F.shape[1]):
        ax.plot(times_s, F[:, i], ".", ms=3, color=f"C{i}", label=f"F{i + 1}")
    ax.legend(loc="upper right", fontsize=7, markerscale=3)
    return ax


def plot_intensity_nuclei(
    times_s: np.ndarray,
    level_db: np.ndarray,
    voiced: np.ndarray,
    nuclei_s: np.ndarray,
    threshold_db: float,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Intensity contour (dB) with voiced stretches, the quiet threshold and the syllable
    nuclei counted for the speaking rate.

    Notebook: 03_features
    """
    ax = _ax(ax)
    times_s = np.asarray(times_s, dtype=float)
    level_db = np.asarray(level_db, dtype=float)
    ax.plot(times_s, level_db, color="0.3", lw=1.0, label="intensity")
    ax.plot(times_s, np.where(voiced, level_db, np.nan), color="C0", lw=2.0, label="voiced")
    ax.axhline(threshold_db, color="C7", ls=":", label="quiet threshold")
    if len(nuclei_s):
        ax.plot(nuclei_s, np.interp(nuclei_s, times_s, level_db), "v", color="C3", ms=7, label=f"{len(nuclei_s)} syllable nuclei")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("intensity (dB)")
    ax.legend(loc="lower right", fontsize=7)
    if title:
        ax.set_title(title)
    return ax


def plot_truth_scatter(
    table: pd.DataFrame,
    latent: str,
    feature: str,
    *,
    hue: str | None = "noise_type",
    identity: bool = True,
    legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Measured feature against its latent value, one dot per clip, with Pearson's r.

    ``table`` from :func:`workbook.synthetic.ground_truth.truth_table` (latent as ``true_<latent>``);
    ``hue``: column to colour by (noise type shows where measures break down); ``identity``
    draws y = x (for measures in the latent's units); ``legend`` shows the colour key.

    Notebook: 03_features
    """
    ax = _ax(ax, figsize=(4.0, 3.5))
    x = table[f"true_{latent}"].to_numpy(dtype=float)
    y = table[feature].to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if hue and hue in table.columns:
        groups = table[hue].astype(str).to_numpy()
        for i, g in enumerate(sorted(set(groups[ok]))):
            sel = ok & (groups == g)
            ax.scatter(x[sel], y[sel], s=10, alpha=0.7, color=f"C{i}", label=g)
        if legend:
            ax.legend(fontsize=6, loc="best", title=hue, title_fontsize=6)
    else:
        ax.scatter(x[ok], y[ok], s=10, alpha=0.7)
    if identity and ok.any():
        lo, hi = np.nanmin([x[ok].min(), y[ok].min()]), np.nanmax([x[ok].max(), y[ok].max()])
        ax.plot([lo, hi], [lo, hi], color="0.5", lw=0.8, ls="--")
    r = np.corrcoef(x[ok], y[ok])[0, 1] if ok.sum() >= 3 else np.nan
    ax.set_title(f"{feature}\nr = {r:.2f} (n = {int(ok.sum())})", fontsize=9)
    ax.set_xlabel(f"true {latent}")
    ax.set_ylabel("measured")
    return ax


def plot_truth_grid(table: pd.DataFrame, pairs: Mapping[str, str], *, ncols: int = 3, hue: str | None = "noise_type"):
    """A grid of :func:`plot_truth_scatter` panels, one per (latent, feature) pair present.

    Returns the Figure.

    Notebook: 03_features
    """
    present = [(k, v) for k, v in pairs.items() if f"true_{k}" in table.columns and v in table.columns]
    nrows = max(1, int(np.ceil(len(present) / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.1 * nrows), squeeze=False)
    for ax, (latent, feature) in zip(axes.ravel(), present):
        plot_truth_scatter(table, latent, feature, hue=hue, legend=ax is axes.ravel()[0], identity=True, ax=ax)
    for ax in axes.ravel()[len(present):]:
        ax.set_visible(False)
    return fig


def plot_tracker_comparison(pooled: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Gross pitch error (%) against CPU cost (ms per s of audio), one point per tracker,
    with the 5 % acceptance line.

    Notebook: 03_features
    """
    ax = _ax(ax, figsize=(4.5, 3.2))
    for i, row in pooled.reset_index(drop=True).iterrows():
        ax.scatter(row["cpu_ms_per_audio_s"], 100 * row["gpe"], s=60, color=f"C{i}", label=row["method"])
        ax.annotate(row["method"], (row["cpu_ms_per_audio_s"], 100 * row["gpe"]), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.axhline(5.0, color="C3", ls="--", lw=0.8, label="5 % limit")
    ax.set_xlabel("CPU time (ms per s of audio)")
    ax.set_ylabel("gross pitch error (% of frames)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0, top=max(6.0, 100 * pooled["gpe"].max() * 1.3))
    ax.legend(fontsize=7, loc="upper right")
    return ax


def plot_mel_images(images: np.ndarray, labels: list[str], sr: int, *, hop_length: int = 512, ncols: int = 4, vmin: float = -60.0, vmax: float | None = None):
    """A row (or grid) of fixed-length mel images with a shared colour scale; returns the Figure.

    Notebook: 03_features, 04_eda
    """
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.4 * nrows), squeeze=False)
    vmax = float(np.max(images)) if vmax is None else vmax
    for ax, img, lab in zip(axes.ravel(), images, labels):
        import librosa.display

        librosa.display.specshow(np.asarray(img), sr=sr, hop_length=hop_length, x_axis="s", y_axis="mel", ax=ax, cmap="magma", vmin=vmin, vmax=vmax)
        ax.set_title(lab, fontsize=8)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("Hz (mel)")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig
