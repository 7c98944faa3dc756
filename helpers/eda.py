"""Exploratory analysis of a feature table: class counts, distributions, outliers, correlations,
mean mel spectrograms, f0 against age, and the speaker structure where leakage starts.

Compute functions take tables or arrays and return tables or arrays; plot functions take
``ax=None`` (``fig=None`` for multi-panel figures), create a figure only when none is given
and return what they drew. The z-score outlier rule lives in :mod:`helpers.models.outliers`
(notebook 05 applies it too).

Notebook: 04_eda
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from workbook.manifest import AGE_GROUPS

GENDER_COLOURS = {"female": "#d95f02", "male": "#1b9e77", "other": "#7570b3"}


def _ax(ax, figsize=(6.0, 3.2)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def present_age_groups(values) -> list[str]:
    """Age groups that occur in ``values``, in age order.

    Notebook: 04_eda
    """
    seen = set(pd.Series(values).dropna().astype(str))
    return [g for g in AGE_GROUPS if g in seen]


# --- counts and speaker structure -----------------------------------------------------------


def class_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Clips per age group x gender, with totals (missing labels shown as "(none)").

    Notebook: 04_eda
    """
    age = table["age_group"].astype("object").fillna("(none)")
    gender = table["gender"].astype("object").fillna("(none)")
    out = pd.crosstab(age, gender, margins=True, margins_name="total")
    order = [g for g in AGE_GROUPS if g in out.index] + [r for r in ("(none)", "total") if r in out.index]
    cols = [g for g in ("female", "male", "other", "(none)") if g in out.columns] + ["total"]
    return out.reindex(index=order, columns=cols)


def speaker_counts(table: pd.DataFrame, by: str = "age_group") -> pd.DataFrame:
    """Per class: clips, speakers, clips per speaker (mean and max), and the largest speaker's share.

    A class whose clips come from a handful of prolific speakers is a class a model can
    "learn" by recognising those speakers.

    Notebook: 04_eda
    """
    d = table[[by, "speaker"]].copy()
    d[by] = d[by].astype("object")
    d = d.dropna(subset=[by])
    per_spk = d.groupby([by, "speaker"]).size()
    out = pd.DataFrame({
        "clips": per_spk.groupby(level=0).sum(),
        "speakers": per_spk.groupby(level=0).size(),
        "clips_per_speaker_mean": per_spk.groupby(level=0).mean(),
        "clips_per_speaker_max": per_spk.groupby(level=0).max(),
    })
    out["largest_speaker_share"] = out["clips_per_speaker_max"] / out["clips"]
    order = [g for g in AGE_GROUPS if g in out.index] if by == "age_group" else sorted(out.index)
    return out.reindex(order)


def clips_per_speaker(table: pd.DataFrame) -> pd.Series:
    """Number of clips of each speaker (index: speaker id), largest first.

    Notebook: 04_eda
    """
    return table.groupby("speaker").size().sort_values(ascending=False)


def random_split_leakage(groups: Sequence, *, test_size: float = 0.2, seed: int = 0) -> dict:
    """What a random 80/20 split of clips does to speakers: how many test clips have a
    training clip of the same speaker.

    Returns ``test_clips``, ``test_clips_with_speaker_in_training`` and its fraction, and
    the same count for speakers.

    Notebook: 04_eda
    """
    g = np.asarray(groups)
    rng = np.random.default_rng([seed, 5])
    order = rng.permutation(len(g))
    n_test = int(round(test_size * len(g)))
    test, train = order[:n_test], order[n_test:]
    train_spk = set(g[train])
    hit = np.array([s in train_spk for s in g[test]])
    test_spk = set(g[test])
    return {
        "test_clips": int(n_test),
        "test_clips_with_speaker_in_training": int(hit.sum()),
        "fraction": float(hit.mean()) if n_test else float("nan"),
        "test_speakers": len(test_spk),
        "test_speakers_also_in_training": len(test_spk & train_spk),
    }


def plot_clips_per_speaker(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Histogram of clips per speaker (log count axis when a few speakers have many clips).

    Notebook: 04_eda
    """
    ax = _ax(ax)
    n = clips_per_speaker(table)
    bins = np.arange(0.5, n.max() + 1.5, 1 if n.max() <= 40 else max(1, int(n.max() // 40)))
    ax.hist(n, bins=bins, color="#7570b3")
    if n.max() > 10:
        ax.set_yscale("log")
    ax.set_xlabel("clips per speaker")
    ax.set_ylabel("speakers")
    ax.set_title(f"{len(n)} speakers, {int(n.sum())} clips")
    return ax


def plot_class_counts(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bars of clips and speakers per age group, split by gender (clips) .

    Notebook: 04_eda
    """
    ax = _ax(ax, (7.0, 3.2))
    counts = class_counts(table).drop(index=["total", "(none)"], errors="ignore").drop(columns=["total"])
    x = np.arange(len(counts))
    bottom = np.zeros(len(counts))
    for g in counts.columns:
        ax.bar(x, counts[g], bottom=bottom, label=g, color=GENDER_COLOURS.get(g, "#aaaaaa"))
        bottom += counts[g].to_numpy()
    spk = speaker_counts(table).reindex(counts.index)["speakers"]
    for xi, (c, s) in enumerate(zip(bottom, spk)):
        ax.text(xi, c, f"{int(s)} spk", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, labels=list(counts.index), rotation=30, ha="right")
    ax.set_ylabel("clips")
    ax.legend(fontsize=8)
    return ax


# --- distributions ------------------------------------------------------------------------------


def skewness(table: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Sample skewness of each column (NaN ignored), largest first.

    Notebook: 04_eda
    """
    return table[list(columns)].astype(float).skew().sort_values(ascending=False)


def log1p_candidates(table: pd.DataFrame, columns: Sequence[str], *, threshold: float = 1.0) -> list[str]:
    """Columns that are non-negative and right-skewed (skewness above ``threshold``): log1p helps them.

    Notebook: 04_eda
    """
    X = table[list(columns)].astype(float)
    sk = X.skew()
    return [c for c in columns if sk[c] > threshold and X[c].min() >= 0]


def log1p_columns(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy of ``table`` with ``log1p`` applied to ``columns`` (which must be non-negative).

    Notebook: 04_eda
    """
    out = table.copy()
    bad = [c for c in columns if (out[c] < 0).any()]
    if bad:
        raise ValueError(f"log1p needs non-negative values; negative in {bad[:5]}")
    out[list(columns)] = np.log1p(out[list(columns)].astype(float))
    return out


def plot_histograms(table: pd.DataFrame, columns: Sequence[str], *, ncols: int = 8, bins: int = 30,
                    fig: Figure | None = None, hue: str | None = None) -> Figure:
    """One small histogram per column (by ``hue`` if given), in a grid.

    Notebook: 04_eda
    """
    columns = list(columns)
    nrows = int(np.ceil(len(columns) / ncols))
    if fig is None:
        fig = plt.figure(figsize=(1.6 * ncols, 1.25 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, c in zip(axes, columns):
        v = table[c].astype(float)
        finite = v[np.isfinite(v)]
        edges = np.histogram_bin_edges(finite, bins=bins) if len(finite) else bins
        if hue is None:
            ax.hist(finite, bins=edges, color="#7570b3")
        else:
            for g, d in table.groupby(table[hue].astype("object"), sort=True):
                dv = d[c].astype(float)
                ax.hist(dv[np.isfinite(dv)], bins=edges, alpha=0.55, color=GENDER_COLOURS.get(g), label=str(g))
        ax.set_title(c, fontsize=6)
        ax.tick_params(labelsize=5)
        ax.set_yticks([])
        ax.grid(False)
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    return fig


def band_histograms(table: pd.DataFrame, columns: Sequence[str], *, bins: int = 40, log: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of every column on one shared axis: ``(density (n_columns, bins), bin edges)``.

    For the 128 mel-band means, ``log=True`` histograms ``log10`` of the (positive) power.

    Notebook: 04_eda
    """
    X = table[list(columns)].to_numpy(dtype=float)
    if log:
        X = np.log10(np.clip(X, 1e-12, None))
    finite = X[np.isfinite(X)]
    edges = np.histogram_bin_edges(finite, bins=bins)
    dens = np.vstack([np.histogram(col[np.isfinite(col)], bins=edges)[0] for col in X.T]).astype(float)
    dens /= np.maximum(dens.sum(axis=1, keepdims=True), 1)
    return dens, edges


def plot_band_histograms(density: np.ndarray, edges: np.ndarray, *, ax: Axes | None = None,
                         xlabel: str = "log10 mean mel power", ylabel: str = "mel band") -> Axes:
    """The histograms of :func:`band_histograms` as an image: one row per band.

    Notebook: 04_eda
    """
    ax = _ax(ax, (6.0, 3.6))
    im = ax.imshow(density, aspect="auto", origin="lower", extent=[edges[0], edges[-1], 0, density.shape[0]], cmap="magma")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(False)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="fraction of clips")
    return ax


def plot_histogram_by_gender(table: pd.DataFrame, column: str, *, bins: int = 50, xlabel: str | None = None,
                             ax: Axes | None = None) -> Axes:
    """Histogram of one feature over all clips (grey) with the female and male clips outlined.

    Notebook: 04_eda
    """
    ax = _ax(ax)
    v = table[column].astype(float)
    finite = v[np.isfinite(v)]
    edges = np.histogram_bin_edges(finite, bins=bins) if len(finite) else bins
    ax.hist(finite, bins=edges, color="#cccccc", label="all")
    for g in ("female", "male"):
        d = v[(table["gender"].astype("object") == g).to_numpy()]
        ax.hist(d[np.isfinite(d)], bins=edges, histtype="step", lw=1.5, color=GENDER_COLOURS[g], label=g)
    ax.set_xlabel(xlabel or column)
    ax.set_ylabel("clips")
    ax.legend(fontsize=8)
    return ax


def plot_f0_by_gender(table: pd.DataFrame, column: str, *, bins: int = 50, ax: Axes | None = None) -> Axes:
    """Histogram of median f0 (Hz) by gender: the bimodal f0 distribution splits into two.

    Notebook: 04_eda
    """
    return plot_histogram_by_gender(table, column, bins=bins, xlabel=f"{column} (Hz)", ax=ax)


def group_means(table: pd.DataFrame, column: str, *, by: str = "age_group", hue: str | None = "gender") -> pd.DataFrame:
    """Mean, 95 % interval (mean ± 1.96 s.e.) and count of ``column`` per class (and ``hue``).

    Notebook: 04_eda
    """
    keys = [by] + ([hue] if hue else [])
    d = table[keys + [column]].copy()
    for k in keys:
        d[k] = d[k].astype("object")
    d = d.dropna(subset=keys)
    if hue:
        d = d[d[hue].isin(["female", "male"])] if hue == "gender" else d
    g = d.groupby(keys)[column]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(), "n": g.count()})
    se = out["sd"] / np.sqrt(out["n"].clip(lower=1))
    out["low"], out["high"] = out["mean"] - 1.96 * se, out["mean"] + 1.96 * se
    return out.reset_index()


def plot_point(table: pd.DataFrame, column: str, *, by: str = "age_group", hue: str | None = "gender",
               ax: Axes | None = None) -> Axes:
    """Point plot: mean and 95 % interval of ``column`` per age group, one line per gender.

    Notebook: 04_eda
    """
    ax = _ax(ax, (3.2, 2.4))
    gm = group_means(table, column, by=by, hue=hue)
    order = present_age_groups(gm[by]) if by == "age_group" else sorted(gm[by].unique())
    pos = {g: i for i, g in enumerate(order)}
    for h, d in (gm.groupby(hue) if hue else [(None, gm)]):
        d = d.assign(x=d[by].map(pos)).sort_values("x")
        ax.errorbar(d["x"], d["mean"], yerr=[d["mean"] - d["low"], d["high"] - d["mean"]], marker="o", ms=3,
                    capsize=2, color=GENDER_COLOURS.get(h), label=h)
    ax.set_xticks(range(len(order)), labels=order, rotation=40, ha="right", fontsize=7)
    ax.set_title(column, fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    return ax


def plot_points(table: pd.DataFrame, columns: Sequence[str], *, ncols: int = 4, fig: Figure | None = None) -> Figure:
    """:func:`plot_point` for several columns in a grid.

    Notebook: 04_eda
    """
    columns = list(columns)
    nrows = int(np.ceil(len(columns) / ncols))
    if fig is None:
        fig = plt.figure(figsize=(2.7 * ncols, 2.2 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, c in zip(axes, columns):
        plot_point(table, c, ax=ax)
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    return fig


# --- correlations -----------------------------------------------------------------------------


def plot_correlation(table: pd.DataFrame, columns: Sequence[str], *, method: str = "spearman",
                     ax: Axes | None = None, annotate: bool = False) -> Axes:
    """Heatmap of pairwise correlations (Spearman by default: robust to skew and outliers).

    Notebook: 04_eda
    """
    columns = list(columns)
    ax = _ax(ax, (0.22 * len(columns) + 2.5, 0.22 * len(columns) + 1.5))
    c = table[columns].astype(float).corr(method=method)
    im = ax.imshow(c.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(len(columns)), labels=columns, rotation=90, fontsize=6)
    ax.set_yticks(range(len(columns)), labels=columns, fontsize=6)
    ax.grid(False)
    if annotate:
        for i in range(len(columns)):
            for j in range(len(columns)):
                ax.text(j, i, f"{c.iat[i, j]:.1f}", ha="center", va="center", fontsize=5)
    ax.figure.colorbar(im, ax=ax, shrink=0.7, label=f"{method} correlation")
    return ax


def correlation_with(table: pd.DataFrame, columns: Sequence[str], target: pd.Series, *, method: str = "spearman") -> pd.Series:
    """Correlation of each column with ``target`` (e.g. age in years or age-group rank), by size.

    Notebook: 04_eda
    """
    t = pd.Series(np.asarray(target, dtype=float), index=table.index)
    X = table[list(columns)].astype(float)
    r = X.apply(lambda col: col.corr(t, method=method))
    return r.reindex(r.abs().sort_values(ascending=False).index)


def age_rank(values) -> np.ndarray:
    """Age groups as ranks 0, 1, 2... (teens = 0); NaN where missing.

    Notebook: 04_eda
    """
    rank = {g: i for i, g in enumerate(AGE_GROUPS)}
    return np.array([rank.get(str(v), np.nan) if v is not None and v == v else np.nan for v in values], dtype=float)


# --- mel images ----------------------------------------------------------------------------------


def mean_images(images: np.ndarray, labels: Sequence, *, order: Sequence | None = None) -> dict:
    """Mean mel image (dB) of each label: ``{label: (n_mels, n_frames) array}``.

    ``images``: ``(n_clips, n_mels, n_frames)`` (a memory map is fine: read class by class).

    Notebook: 04_eda
    """
    labels = np.asarray(pd.Series(labels).astype("object"))
    order = list(order) if order is not None else sorted({l for l in labels if l == l and l is not None})
    out = {}
    for g in order:
        idx = np.flatnonzero(labels == g)
        if len(idx):
            out[g] = np.asarray(images[idx], dtype=np.float64).mean(axis=0)
    return out


def mean_mel_profiles(images: np.ndarray, labels: Sequence, *, order: Sequence | None = None,
                      active_db: float | None = -80.0) -> pd.DataFrame:
    """Mean level (dB) of each mel band per label, over time and clips: rows labels, columns bands.

    Frames whose mean level is below ``active_db`` (the silent padding of short clips) are
    left out, so clip length does not bias the profile.

    Notebook: 04_eda
    """
    labels = np.asarray(pd.Series(labels).astype("object"))
    order = list(order) if order is not None else sorted({l for l in labels if l == l and l is not None})
    rows = {}
    for g in order:
        idx = np.flatnonzero(labels == g)
        if not len(idx):
            continue
        acc = np.zeros(images.shape[1])
        n = 0
        for i in idx:
            img = np.asarray(images[i], dtype=np.float64)
            keep = img.mean(axis=0) > active_db if active_db is not None else np.ones(img.shape[1], bool)
            acc += img[:, keep].sum(axis=1)
            n += int(keep.sum())
        rows[g] = acc / max(n, 1)
    return pd.DataFrame(rows).T.rename_axis("label")


def plot_mel_image(image: np.ndarray, *, sr: int = 16000, hop_length: int = 512, ax: Axes | None = None,
                   title: str = "", vmin=None, vmax=None, cmap: str = "magma", label: str = "dB") -> Axes:
    """A mel image (bands x frames) with time in s and mel-band index axes.

    Notebook: 04_eda
    """
    ax = _ax(ax, (4.0, 2.8))
    n_mels, n_frames = image.shape
    im = ax.imshow(image, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                   extent=[0, n_frames * hop_length / sr, 0, n_mels])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mel band")
    ax.grid(False)
    if title:
        ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label=label)
    return ax


def plot_gender_mel(means: Mapping[str, np.ndarray], *, sr: int = 16000, hop_length: int = 512,
                    fig: Figure | None = None) -> Figure:
    """Mean mel images of female and male speakers and their difference (female - male), dB.

    Notebook: 04_eda
    """
    if fig is None:
        fig = plt.figure(figsize=(12.0, 3.0))
    axes = fig.subplots(1, 3)
    f, m = means["female"], means["male"]
    lo, hi = float(min(f.min(), m.min())), float(max(f.max(), m.max()))
    plot_mel_image(f, sr=sr, hop_length=hop_length, ax=axes[0], title="female (mean)", vmin=lo, vmax=hi)
    plot_mel_image(m, sr=sr, hop_length=hop_length, ax=axes[1], title="male (mean)", vmin=lo, vmax=hi)
    d = f - m
    lim = float(np.abs(d).max()) or 1.0
    plot_mel_image(d, sr=sr, hop_length=hop_length, ax=axes[2], title="female - male", vmin=-lim, vmax=lim,
                   cmap="RdBu_r", label="dB difference")
    return fig


def plot_mel_profiles(profiles: pd.DataFrame, *, relative: bool = True, ax: Axes | None = None) -> Axes:
    """Mean mel-band levels per age group as a heatmap; ``relative`` subtracts the mean over groups.

    Notebook: 04_eda
    """
    ax = _ax(ax, (7.0, 2.8))
    P = profiles.to_numpy(dtype=float)
    if relative:
        P = P - P.mean(axis=0, keepdims=True)
        lim = float(np.abs(P).max()) or 1.0
        im = ax.imshow(P, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, origin="lower")
        label = "dB re the mean over groups"
    else:
        im = ax.imshow(P, aspect="auto", cmap="magma", origin="lower")
        label = "dB"
    ax.set_yticks(range(len(profiles)), labels=list(profiles.index))
    ax.set_xlabel("mel band")
    ax.grid(False)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label=label)
    return ax


# --- f0 against age ----------------------------------------------------------------------------


def speaker_table(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One row per speaker: median of ``columns`` over their clips, with age and gender.

    Notebook: 04_eda
    """
    keep = ["age_group", "gender"] + (["age_years"] if "age_years" in table.columns else [])
    d = table[["speaker", *keep, *columns]].copy()
    for k in ("age_group", "gender"):
        d[k] = d[k].astype("object")
    agg = {c: "median" for c in columns}
    agg.update({k: "first" for k in keep})
    return d.groupby("speaker").agg(agg).reset_index()


def plot_f0_vs_age(table: pd.DataFrame, column: str, *, trend=None, ax: Axes | None = None) -> Axes:
    """Per-speaker median f0 (Hz) against age, by gender, with a trend curve if given.

    With ``age_years``: a scatter over years. Without (Common Voice has only groups):
    points at the group's middle year, spread a little sideways. ``trend``: a function
    ``trend(age_years, gender) -> Hz`` (e.g. :func:`workbook.synthetic.trends.f0_trend_hz`),
    drawn for both genders as the literature's mean.

    Notebook: 04_eda
    """
    from workbook.manifest import AGE_GROUP_START_YEARS

    ax = _ax(ax, (6.0, 3.6))
    spk = speaker_table(table, [column])
    if "age_years" in spk and spk["age_years"].notna().any():
        x = spk["age_years"].astype(float)
        xlabel = "age (years)"
    else:
        rng = np.random.default_rng(0)
        mid = spk["age_group"].map(lambda g: AGE_GROUP_START_YEARS.get(g, np.nan) + (3.0 if g == "teens" else 5.0))
        x = mid.astype(float) + rng.uniform(-3, 3, len(spk))
        xlabel = "age group (middle year, spread sideways)"
    for g in ("female", "male"):
        sel = spk["gender"] == g
        ax.scatter(x[sel], spk.loc[sel, column], s=8, alpha=0.5, color=GENDER_COLOURS[g], label=f"{g} speakers")
        if trend is not None:
            years = np.linspace(13, 80, 200)
            ax.plot(years, trend(years, g), color=GENDER_COLOURS[g], lw=2, label=f"{g}: literature mean")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{column} (Hz), speaker median")
    ax.legend(fontsize=7, ncol=2)
    return ax


# --- interactive --------------------------------------------------------------------------------


def feature_explorer(table: pd.DataFrame, columns: Sequence[str]):
    """A dropdown of features; shows the chosen one's histogram by gender and its point plot by age.

    The static figures of notebook 04 show the same views for a fixed selection.

    Notebook: 04_eda
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    from helpers.widgets import figure_png, show_png

    choice = widgets.Dropdown(options=list(columns), description="feature", layout=widgets.Layout(width="420px"))
    out = widgets.Output()

    def draw(_change=None):
        fig = Figure(figsize=(9.0, 3.0), layout="constrained")
        axes = fig.subplots(1, 2)
        plot_histogram_by_gender(table, choice.value, ax=axes[0])
        plot_point(table, choice.value, ax=axes[1])
        axes[1].legend(fontsize=7)
        show_png(out, figure_png(fig, dpi=80), f"<{choice.value}>")

    choice.observe(draw, names="value")
    draw()
    return widgets.VBox([choice, out])
