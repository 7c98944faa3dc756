"""Figures of the modelling notebook: confusion matrices, grid-search curves, the comparison.

Every function takes ``ax=None`` (or ``axes``/``fig`` for multi-panel figures), creates a
figure only when none is given, and returns what it drew (Axes, or the Figure for
multi-panel ones). No ``plt.show()``.

Notebook: 05_modeling, 06_predict
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def _ax(ax, figsize=(6.0, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_confusion(matrix: pd.DataFrame, *, ax: Axes | None = None, title: str = "", ratio: bool | None = None,
                   cmap: str = "Blues", unit: str = "clips") -> Axes:
    """A confusion matrix (rows: true class, columns: predicted) with its values written in.

    ``ratio`` (default: guessed from the values) formats cells as fractions, else counts
    of ``unit`` ("clips" or "speakers", the colour bar's label).

    Notebook: 05_modeling
    """
    ax = _ax(ax, (4.6, 4.0))
    m = matrix.to_numpy(dtype=float)
    if ratio is None:
        ratio = bool(np.nanmax(m) <= 1.0) if m.size else False
    im = ax.imshow(m, cmap=cmap, vmin=0, vmax=1.0 if ratio else max(1.0, np.nanmax(m)))
    labels_r, labels_c = list(matrix.index), list(matrix.columns)
    ax.set_xticks(range(len(labels_c)), labels=labels_c, rotation=45, ha="right")
    ax.set_yticks(range(len(labels_r)), labels=labels_r)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.grid(False)
    top = np.nanmax(m) if m.size else 1.0
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = m[i, j]
            if np.isnan(v):
                continue
            text = f"{v:.2f}" if ratio else f"{int(v)}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if v > 0.6 * (1.0 if ratio else top) else "black")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="fraction of the true class" if ratio else unit)
    return ax


def plot_grid_curves(cv_results: pd.DataFrame, *, fig: Figure | None = None) -> Figure:
    """Training and validation accuracy against C, one panel per scaler, one colour per PCA setting.

    ``cv_results``: :attr:`helpers.models.original.OriginalResult.cv_results`. Solid lines
    are validation (4-fold CV) accuracy, dashed lines training accuracy: where they part,
    the model starts to memorise.

    Notebook: 05_modeling
    """
    scalers = list(dict.fromkeys(cv_results["scaler"]))
    pcas = list(dict.fromkeys(cv_results["pca"]))
    if fig is None:
        fig = plt.figure(figsize=(3.4 * len(scalers), 3.2))
    axes = fig.subplots(1, len(scalers), sharey=True, squeeze=False)[0]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, scaler in zip(axes, scalers):
        for k, pca in enumerate(pcas):
            d = cv_results[(cv_results["scaler"] == scaler) & (cv_results["pca"] == pca)].sort_values("C")
            c = colours[k % len(colours)]
            ax.plot(d["C"], d["validation_accuracy"], "-o", color=c, ms=3, label=f"PCA {pca} (validation)")
            ax.plot(d["C"], d["train_accuracy"], "--", color=c, alpha=0.7, label=f"PCA {pca} (training)")
        ax.set_xscale("log")
        ax.set_xlabel("C (inverse regularisation)")
        ax.set_title(f"{scaler} scaler")
    axes[0].set_ylabel("accuracy")
    axes[-1].legend(fontsize=7, loc="best")
    return fig


def plot_comparison(table: pd.DataFrame, *, level: str = "clip", chance: float | None = None,
                    ax: Axes | None = None, title: str = "") -> Axes:
    """UAR with 95 % intervals per features x model, random split beside speaker-grouped split.

    ``table``: :func:`helpers.models.comparison.compare_splits`'s table; ``level``: "clip"
    or "speaker"; ``chance``: drawn as a line (1/K).

    Notebook: 05_modeling
    """
    ax = _ax(ax, (8.0, 3.4))
    keys = list(dict.fromkeys(zip(table["features"], table["model"])))
    splits = [s for s in ("random", "grouped") if s in set(table["split"])]
    width = 0.8 / max(1, len(splits))
    colours = {"random": "#d95f02", "grouped": "#1b9e77"}
    x = np.arange(len(keys))
    for k, split in enumerate(splits):
        d = table[table["split"] == split].set_index(["features", "model"]).reindex(keys)
        v = d[f"{level}_uar"].to_numpy(dtype=float)
        lo = v - d[f"{level}_uar_low"].to_numpy(dtype=float)
        hi = d[f"{level}_uar_high"].to_numpy(dtype=float) - v
        ax.bar(x + (k - (len(splits) - 1) / 2) * width, v, width, yerr=np.vstack([lo, hi]), capsize=2,
               color=colours.get(split), label=f"{split} split")
    if chance is not None:
        ax.axhline(chance, color="grey", ls=":", lw=1, label=f"chance ({chance:.3f})")
    ax.set_xticks(x, labels=[f"{f}\n{m}" for f, m in keys], fontsize=8)
    ax.set_ylabel(f"UAR ({level} level)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="upper right")
    if title:
        ax.set_title(title)
    return ax


def plot_importance(importance: pd.DataFrame, *, top: int = 15, ax: Axes | None = None, title: str = "") -> Axes:
    """Horizontal bars of permutation importance (UAR drop) with the s.d. over folds.

    Notebook: 05_modeling
    """
    d = importance.head(top).iloc[::-1]
    ax = _ax(ax, (6.0, 0.25 * len(d) + 1.0))
    labels = [f"{f} ({n})" if n > 1 else f for f, n in zip(d["feature"], d["n_features"])]
    ax.barh(np.arange(len(d)), d["importance"], xerr=d["sd"], color="#7570b3", capsize=2)
    ax.set_yticks(np.arange(len(d)), labels=labels, fontsize=8)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel("UAR lost when shuffled")
    if title:
        ax.set_title(title)
    return ax


def plot_age_regression(years, predicted, *, ax: Axes | None = None, title: str = "") -> Axes:
    """Predicted against true age in years, with the identity line.

    Notebook: 05_modeling
    """
    ax = _ax(ax, (4.2, 4.0))
    t = np.asarray(years, dtype=float)
    p = np.asarray(predicted, dtype=float)
    ok = np.isfinite(t) & np.isfinite(p)
    ax.scatter(t[ok], p[ok], s=6, alpha=0.4)
    lo, hi = np.nanmin(t[ok]) if ok.any() else 0, np.nanmax(t[ok]) if ok.any() else 1
    ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, label="perfect")
    ax.set_xlabel("true age (years)")
    ax.set_ylabel("predicted age (years)")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_probabilities(proba: Sequence[float], classes: Sequence[str], *, ax: Axes | None = None, title: str = "") -> Axes:
    """Bars of one prediction's class probabilities, the most likely class highlighted.

    Notebook: 06_predict
    """
    ax = _ax(ax, (5.0, 2.6))
    p = np.asarray(proba, dtype=float)
    colours = ["#1b9e77" if i == int(np.argmax(p)) else "#a6a6a6" for i in range(len(p))]
    ax.bar(np.arange(len(p)), p, color=colours)
    ax.set_xticks(np.arange(len(p)), labels=list(classes), rotation=30, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    if title:
        ax.set_title(title)
    return ax


def plot_prediction(y: np.ndarray, sr: int, row: dict, card: dict, *, fig: Figure | None = None, title: str = "") -> Figure:
    """A recording's spectrogram beside its predicted age-group and gender probabilities.

    ``row``: one row of :meth:`workbook.predict.Predictor.predict_files`; ``card``:
    the model card (for the class order).

    Notebook: 06_predict
    """
    from helpers.plots import plot_spectrogram
    from helpers.spectral import compute_stft_db

    if fig is None:
        fig = plt.figure(figsize=(11.0, 3.0))
    axes = fig.subplots(1, 3, width_ratios=[2.2, 1.4, 0.8])
    plot_spectrogram(compute_stft_db(y, sr), sr, kind="stft", ax=axes[0], fmax_hz=min(8000, sr / 2),
                     title=title or "spectrogram")
    models = card.get("models", {})
    if row.get("status") != "ok":
        for ax in axes[1:]:
            ax.set_axis_off()
        axes[1].text(0, 0.5, str(row.get("error", "no prediction")), wrap=True, fontsize=8)
        return fig
    if "age" in models:
        classes = models["age"]["classes"]
        plot_probabilities([row[f"p_{c}"] for c in classes], classes, ax=axes[1],
                           title=f"age group: {row['age_group']}")
    if "gender" in models:
        classes = models["gender"]["classes"]
        plot_probabilities([row[f"p_{c}"] for c in classes], classes, ax=axes[2], title=f"gender: {row['gender']}")
    return fig
