"""Figures of the modelling notebooks: grid-search curves, the split comparison, importance, a prediction.

Every function takes ``ax=None`` (or ``fig=None`` for multi-panel figures), creates a figure
only when none is given, and returns what it drew. Confusion matrices need no helper:
notebook 05 draws them with scikit-learn's ``ConfusionMatrixDisplay``.

Notebook: 05_modeling, 07_predict
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.plots import plot_stft

__all__ = ["plot_comparison", "plot_grid_curves", "plot_importance", "plot_prediction"]


def _ax(ax, figsize) -> Axes:
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


def _grid_label(value) -> str:
    """Short name of a grid value: ``MinMaxScaler()`` -> "minmax", a PCA -> "90% variance"."""
    if isinstance(value, str):
        return "none" if value == "passthrough" else value
    n = getattr(value, "n_components", None)
    if n is not None:
        return f"{n:.0%} variance" if isinstance(n, float) and n < 1 else f"{n} components"
    return type(value).__name__.removesuffix("Scaler").lower()


def plot_grid_curves(cv_results: Mapping, *, fig: Figure | None = None) -> Figure:
    """Training and validation accuracy against C, one panel per scaler, one colour per PCA setting.

    ``cv_results``: ``GridSearchCV.cv_results_`` of a search over ``scaler``, ``pca`` and
    ``model__C`` with ``return_train_score=True``. Solid lines are validation accuracy,
    dashed lines training accuracy: where they part, the model starts to memorise.

    Notebook: 05_modeling
    """
    d = pd.DataFrame({
        "scaler": [_grid_label(v) for v in cv_results["param_scaler"]],
        "pca": [_grid_label(v) for v in cv_results["param_pca"]],
        "C": np.asarray(cv_results["param_model__C"], dtype=float),
        "train": cv_results["mean_train_score"],
        "validation": cv_results["mean_test_score"],
    })
    scalers, pcas = list(dict.fromkeys(d["scaler"])), list(dict.fromkeys(d["pca"]))
    if fig is None:
        fig = plt.figure(figsize=(3.4 * len(scalers), 3.2))
    axes = fig.subplots(1, len(scalers), sharey=True, squeeze=False)[0]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, scaler in zip(axes, scalers):
        for k, pca in enumerate(pcas):
            curve = d[(d["scaler"] == scaler) & (d["pca"] == pca)].sort_values("C")
            c = colours[k % len(colours)]
            ax.plot(curve["C"], curve["validation"], "-o", color=c, ms=3, label=f"PCA {pca} (validation)")
            ax.plot(curve["C"], curve["train"], "--", color=c, alpha=0.7, label=f"PCA {pca} (training)")
        ax.set_xscale("log")
        ax.set_xlabel("C (inverse regularisation)")
        ax.set_title(f"{scaler} scaler")
    axes[0].set_ylabel("accuracy")
    axes[-1].legend(fontsize=7, loc="best")
    return fig


def plot_comparison(table: pd.DataFrame, *, level: str = "clip", chance: float | None = None,
                    ax: Axes | None = None, title: str = "") -> Axes:
    """UAR with 95 % intervals per features x model, random split beside speaker-grouped split.

    ``table``: :func:`helpers.evaluation.compare_splits`'s table; ``level``: "clip" or
    "speaker"; ``chance``: drawn as a line (1/K).

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
        err = np.vstack([v - d[f"{level}_uar_low"].to_numpy(dtype=float), d[f"{level}_uar_high"].to_numpy(dtype=float) - v])
        ax.bar(x + (k - (len(splits) - 1) / 2) * width, v, width, yerr=err, capsize=2,
               color=colours.get(split), label=f"{split} split")
    if chance is not None:
        ax.axhline(chance, color="grey", ls=":", lw=1, label=f"chance ({chance:.3f})")
    ax.set_xticks(x, labels=[f"{f}\n{m}" for f, m in keys], fontsize=8)
    ax.set(ylabel=f"UAR ({level} level)", ylim=(0, 1), title=title)
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_importance(importance: pd.DataFrame, *, top: int = 15, ax: Axes | None = None, title: str = "") -> Axes:
    """Horizontal bars of permutation importance (UAR drop) with the s.d. over folds.

    ``importance``: :func:`helpers.evaluation.permutation_importance_grouped`'s table.

    Notebook: 05_modeling
    """
    d = importance.head(top).iloc[::-1]
    ax = _ax(ax, (6.0, 0.25 * len(d) + 1.0))
    labels = [f"{f} ({n})" if n > 1 else f for f, n in zip(d["feature"], d["n_features"])]
    ax.barh(np.arange(len(d)), d["importance"], xerr=d["sd"], color="#7570b3", capsize=2)
    ax.set_yticks(np.arange(len(d)), labels=labels, fontsize=8)
    ax.axvline(0, color="black", lw=0.6)
    ax.set(xlabel="UAR lost when shuffled", title=title)
    return ax


def plot_probabilities(proba: Sequence[float], classes: Sequence[str], *, ax: Axes | None = None,
                       title: str = "") -> Axes:
    """Bars of one prediction's class probabilities, the most likely class highlighted.

    Notebook: 07_predict
    """
    ax = _ax(ax, (5.0, 2.6))
    p = np.asarray(proba, dtype=float)
    ax.bar(np.arange(len(p)), p, color=["#1b9e77" if i == int(np.argmax(p)) else "#a6a6a6" for i in range(len(p))])
    ax.set_xticks(np.arange(len(p)), labels=list(classes), rotation=30, ha="right")
    ax.set(ylim=(0, 1), ylabel="probability", title=title)
    return ax


def plot_prediction(y: np.ndarray, sr: int, row: Mapping, card: Mapping, *, fig: Figure | None = None,
                    title: str = "") -> Figure:
    """A recording's spectrogram beside its predicted age-group and gender probabilities.

    ``y``: samples at ``sr`` Hz; ``row``: one row of ``Predictor.predict_files`` (``status``,
    ``age_group``, ``gender``, ``p_<class>``; ``error`` if it failed); ``card``: the model
    card (for the class order).

    Notebook: 07_predict
    """
    if fig is None:
        fig = plt.figure(figsize=(11.0, 3.0))
    axes = fig.subplots(1, 3, width_ratios=[2.2, 1.4, 0.8])
    plot_stft(y, sr, ax=axes[0], fmax_hz=min(8000, sr / 2), title=title or "spectrogram")
    if row.get("status") != "ok":
        for ax in axes[1:]:
            ax.set_axis_off()
        axes[1].text(0, 0.5, str(row.get("error", "no prediction")), wrap=True, fontsize=8)
        return fig
    for ax, name, label in ((axes[1], "age", "age_group"), (axes[2], "gender", "gender")):
        if name in card.get("models", {}):
            classes = card["models"][name]["classes"]
            plot_probabilities([row[f"p_{c}"] for c in classes], classes, ax=ax,
                               title=f"{label.replace('_', ' ')}: {row[label]}")
        else:
            ax.set_axis_off()
    return fig
