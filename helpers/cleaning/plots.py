"""Figures of the cleaning notebook: before/after, boundaries and clicks, measured gains.

Every ``plot_*`` function takes ``ax=None`` (or ``fig=None`` for multi-panel figures),
creates a figure only when none is given, and returns what it drew. Waveforms and
spectrograms come from :mod:`helpers.plots`; this module adds what is specific to
cleaning: overlays of the input and the cleaned signal, the trimmed-away stretches, the
repaired clicks, the true boundaries, and the measurement tables drawn as figures.

Notebook: 02_cleaning.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers import plots, spectral

#: Colours of the noise types (and "all") in the measurement figures.
NOISE_COLOURS = {"none": "C7", "hum": "C1", "fan": "C2", "babble": "C4", "bursts": "C3", "all": "k"}


def _get_ax(ax: Axes | None, figsize=(8.0, 3.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


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
    """Input (grey) and cleaned (colour) waveforms on one time axis, in seconds.

    ``y_after`` must be the un-trimmed cleaned signal (same length as ``y_before``);
    ``trim`` = (start, end) samples shades what trimming removes; ``clicks`` = ``(n, 2)``
    sample intervals marks repaired clicks (red bands); ``truth_s`` draws the true speech
    boundaries (green dashed) and ``true_clicks_s`` the inserted clicks (red triangles).
    Returns the Axes.

    Notebook: 02_cleaning
    """
    ax = _get_ax(ax)
    yb = np.asarray(y_before, dtype=np.float32)
    ya = np.asarray(y_after, dtype=np.float32)
    t = np.arange(len(yb)) / sr
    step = max(1, len(yb) // 20000)  # enough points to show the envelope, no more
    ax.plot(t[::step], yb[::step], color="0.65", lw=0.6, label="input")
    ax.plot(np.arange(len(ya))[::step] / sr, ya[::step], color="C0", lw=0.6, label="cleaned")
    peak = float(max(np.max(np.abs(yb)) if yb.size else 0, np.max(np.abs(ya)) if ya.size else 0, 1e-3))
    ax.set_ylim(-1.1 * peak, 1.1 * peak)
    ax.set_xlim(0, max(len(yb), 1) / sr)
    if trim is not None:
        a, b = trim
        if a > 0:
            ax.axvspan(0, a / sr, color="0.3", alpha=0.15, lw=0, label="trimmed away")
        if b < len(yb):
            ax.axvspan(b / sr, len(yb) / sr, color="0.3", alpha=0.15, lw=0,
                       label=None if a > 0 else "trimmed away")
    if clicks is not None and len(clicks):
        for k, (s, e) in enumerate(np.asarray(clicks).reshape(-1, 2)):
            ax.axvspan(s / sr - 0.01, e / sr + 0.01, color="C3", alpha=0.35, lw=0,
                       label="repaired click" if k == 0 else None)
    if truth_s is not None:
        for k, x in enumerate(truth_s):
            ax.axvline(x, color="C2", ls="--", lw=1.2, label="true speech boundary" if k == 0 else None)
    if len(true_clicks_s):
        ax.plot(list(true_clicks_s), [1.02 * peak] * len(true_clicks_s), "v", color="C3", ms=7,
                label="inserted click")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude (full scale = 1)")
    ax.legend(loc="upper right", ncols=3)
    if title:
        ax.set_title(title)
    return ax


def plot_cleaning_figure(
    y_before: np.ndarray,
    result,
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
    """Three stacked panels: waveform overlay, spectrogram before, spectrogram after.

    ``result`` is a :class:`helpers.cleaning.CleaningResult` of ``y_before``. Both
    spectrograms (dBFS, ``n_fft``/``hop_length`` in samples) share one colour scale, so
    what the cleaning removed shows as darker cells; ``range_db`` is the colour range below
    the loudest cell (dB). Returns the Figure.

    Notebook: 02_cleaning
    """
    sr = result.sr
    if fig is None:
        fig = plt.figure(figsize=(9.0, 6.6), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    plot_before_after(y_before, result.y_untrimmed, sr, trim=result.trim, clicks=result.clicks,
                      truth_s=truth_s, true_clicks_s=true_clicks_s, ax=axes[0],
                      title=title or f"cleaning {result.label!r}")
    S0 = spectral.compute_stft_db(np.asarray(y_before, dtype=np.float32), sr, n_fft=n_fft, hop_length=hop_length)
    S1 = spectral.compute_stft_db(result.y_untrimmed, sr, n_fft=n_fft, hop_length=hop_length)
    vmax = float(max(S0.max(), S1.max()))
    plots.plot_spectrogram(S0, sr, n_fft=n_fft, hop_length=hop_length, fmax_hz=fmax_hz, ax=axes[1],
                           vmin=vmax - range_db, vmax=vmax, title="before")
    plots.plot_spectrogram(S1, sr, n_fft=n_fft, hop_length=hop_length, fmax_hz=fmax_hz, ax=axes[2],
                           vmin=vmax - range_db, vmax=vmax, title="after (before trimming; shaded above: trimmed)")
    axes[0].set_xlabel("")
    axes[1].set_xlabel("")
    return fig


def plot_gain_by_noise_type(
    scores: pd.DataFrame,
    *,
    metric: str = "si_sdr_gain_db",
    variants: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Box plots of a per-clip gain (dB) for each variant, grouped by noise type.

    ``scores`` is the long table of :func:`helpers.cleaning.evaluate.evaluate_corpus`.
    Boxes show the middle half of the clips, whiskers the 5th-95th percentiles; the line
    at 0 dB separates helping from hurting. Returns the Axes.

    Notebook: 02_cleaning
    """
    ax = _get_ax(ax, figsize=(10.0, 3.6))
    variants = list(variants) if variants is not None else list(dict.fromkeys(scores["variant"]))
    noise_types = [n for n in NOISE_COLOURS if n in set(scores["noise_type"])]
    width = 0.8 / max(len(variants), 1)
    cmap = plt.get_cmap("tab10")
    for k, variant in enumerate(variants):
        d = scores[scores["variant"] == variant]
        data = [d.loc[d["noise_type"] == nt, metric].dropna().to_numpy() for nt in noise_types]
        pos = np.arange(len(noise_types)) + (k - (len(variants) - 1) / 2) * width
        keep = [i for i, x in enumerate(data) if len(x)]
        if not keep:
            continue
        bp = ax.boxplot([data[i] for i in keep], positions=pos[keep], widths=width * 0.85,
                        whis=(5, 95), showfliers=False, patch_artist=True)
        for box in bp["boxes"]:
            box.set(facecolor=cmap(k % 10), alpha=0.6)
        for med in bp["medians"]:
            med.set(color="k")
        ax.plot([], [], "s", color=cmap(k % 10), alpha=0.6, label=variant)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(np.arange(len(noise_types)), noise_types)
    ax.set_xlim(-0.6, len(noise_types) - 0.4)
    ax.set_xlabel("noise type")
    ax.set_ylabel(metric.replace("_db", " (dB)").replace("_", " "))
    ax.legend(loc="lower left", ncols=min(len(variants), 4))
    if title:
        ax.set_title(title)
    return ax


def plot_gain_vs_input(
    scores: pd.DataFrame,
    variant: str,
    *,
    x: str = "si_sdr_in_db",
    y: str = "si_sdr_gain_db",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Scatter of the per-clip gain against the input quality, coloured by noise type.

    Points below the 0 dB line are clips the variant made worse: typically the cleanest
    inputs, where there is little noise to remove and the gate's damage to the speech
    dominates. Returns the Axes.

    Notebook: 02_cleaning
    """
    ax = _get_ax(ax, figsize=(5.0, 3.6))
    d = scores[scores["variant"] == variant]
    for nt, g in d.groupby("noise_type", sort=False):
        ax.scatter(g[x], g[y], s=12, alpha=0.75, color=NOISE_COLOURS.get(nt, "C9"), label=nt)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel(x.replace("_db", " (dB)").replace("_", " "))
    ax.set_ylabel(y.replace("_db", " (dB)").replace("_", " "))
    ax.legend(loc="best", fontsize=7)
    ax.set_title(title or variant)
    return ax


def plot_top_db_sweep(
    bounds: pd.DataFrame,
    *,
    variants: Sequence[str] | None = None,
    tolerance_ms: int = 100,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Share of clips trimmed within tolerance (solid) and cut into the speech (dotted) vs ``top_db``.

    ``bounds`` is :func:`helpers.cleaning.evaluate.boundary_summary` of a run with a
    ``top_db_sweep``. Returns the Axes.

    Notebook: 02_cleaning
    """
    ax = _get_ax(ax, figsize=(8.0, 3.4))
    col = f"within_{tolerance_ms}ms_pct"
    variants = list(variants) if variants is not None else list(dict.fromkeys(bounds["variant"]))
    markers = "osD^vP*X"
    for k, variant in enumerate(variants):
        d = bounds[bounds["variant"] == variant].sort_values("top_db")
        style = dict(color=f"C{k}", marker=markers[k % len(markers)], ms=5 + (len(variants) - k), alpha=0.85)
        ax.plot(d["top_db"], d[col], "-", label=f"{variant}: within {tolerance_ms} ms", **style)
        ax.plot(d["top_db"], d["cut_speech_pct"], ":", label=f"{variant}: cut speech", **style)
    ax.set_xlabel("top_db (dB below the loudest frame)")
    ax.set_ylabel("clips (%)")
    ax.set_ylim(-2, 102)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    if title:
        ax.set_title(title)
    return ax


def plot_boundary_errors(
    scores: pd.DataFrame,
    variant: str,
    *,
    by: str = "noise_type",
    limit_s: float = 1.0,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Strip plot of signed start and end errors (s) of one variant, per noise type.

    Start errors are drawn left of each group, end errors right; errors beyond
    ``limit_s`` are drawn at the limit. The band marks +-100 ms. Negative start / positive
    end error = silence kept; the opposite = speech cut. Returns the Axes.

    Notebook: 02_cleaning
    """
    ax = _get_ax(ax, figsize=(7.0, 3.4))
    d = scores[scores["variant"] == variant]
    groups = [g for g in NOISE_COLOURS if g in set(d[by])]
    rng = np.random.default_rng(0)
    for i, g in enumerate(groups):
        sub = d[d[by] == g]
        for j, col in enumerate(("start_err_s", "end_err_s")):
            vals = np.clip(sub[col].to_numpy(float), -limit_s, limit_s)
            xs = i + (j - 0.5) * 0.35 + rng.uniform(-0.08, 0.08, len(vals))
            ax.scatter(xs, vals, s=9, alpha=0.7, color=NOISE_COLOURS.get(g, "C9"),
                       marker="o" if j == 0 else "s")
    ax.axhspan(-0.1, 0.1, color="C2", alpha=0.12, lw=0)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(np.arange(len(groups)), [f"{g}\nstart | end" for g in groups])
    ax.set_ylabel("trimmed - true boundary (s)")
    ax.set_ylim(-limit_s * 1.05, limit_s * 1.05)
    ax.set_title(title or f"{variant}: boundary errors (green band: within 100 ms)")
    return ax


def plot_blind_snr(
    scores: pd.DataFrame,
    *,
    variant: str | None = None,
    column: str = "blind_snr_in_db",
    ax: Axes | None = None,
) -> Axes:
    """Blind SNR estimate against the true SNR (dB), coloured by noise type.

    Uses ``column`` of one variant's rows: ``blind_snr_in_db`` is the estimate on the raw
    input (clicks count as noise there); ``blind_snr_out_db`` of a variant that only
    repairs clicks (``clicks_trim``) is the estimate the SNR gate of ``gentle`` sees.
    Returns the Axes.

    Notebook: 02_cleaning
    """
    ax = _get_ax(ax, figsize=(4.6, 4.0))
    v = variant if variant is not None else scores["variant"].iloc[0]
    d = scores[scores["variant"] == v]
    for nt, g in d.groupby("noise_type", sort=False):
        ax.scatter(g["snr_db"], g[column], s=12, alpha=0.75, color=NOISE_COLOURS.get(nt, "C9"), label=nt)
    lo = float(np.nanmin([d["snr_db"].min(), d[column].min()])) - 2
    hi = float(np.nanmax([d["snr_db"].max(), d[column].max()])) + 2
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="estimate = truth")
    ax.set_xlabel("true SNR (dB)")
    ax.set_ylabel("blind SNR estimate (dB)")
    ax.legend(loc="upper left", fontsize=7)
    return ax


def plot_summary_heatmap(table: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None,
                         fmt: str = "{:+.1f}", cmap: str = "RdBu") -> Axes:
    """A table of gains (rows x columns, dB) as a diverging heat map centred on 0 dB.

    Returns the Axes.

    Notebook: 02_cleaning
    """
    ax = _get_ax(ax, figsize=(1.2 + 0.9 * table.shape[1], 0.8 + 0.38 * table.shape[0]))
    vals = table.to_numpy(float)
    lim = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
    ax.imshow(vals, cmap=cmap, vmin=-lim, vmax=lim, aspect="auto")
    for (i, j), v in np.ndenumerate(vals):
        if np.isfinite(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8,
                    color="white" if abs(v) > 0.6 * lim else "black")
    ax.set_xticks(np.arange(table.shape[1]), [str(c) for c in table.columns])
    ax.set_yticks(np.arange(table.shape[0]), [str(r) for r in table.index])
    ax.grid(False)
    if title:
        ax.set_title(title)
    return ax

