"""The exploratory figures of notebook 04 that are too long for a cell, and its feature explorer.

Everything else notebook 04 shows is pandas, seaborn and scipy in its cells. Plot functions
take ``ax=None``, create a figure only when none is given and return the Axes they drew.

Notebook: 04_eda
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.widgets import figure_png

__all__ = ["GENDER_COLOURS", "plot_band_histograms", "plot_f0_vs_age", "feature_explorer"]

#: One colour per gender, used by every figure of notebook 04 (seaborn ``palette=``).
GENDER_COLOURS = {"female": "#d95f02", "male": "#1b9e77", "other": "#7570b3"}


def _ax(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


def _present_groups(values: pd.Series) -> list[str]:
    """The age groups present in ``values``, in the order of its ordered categorical dtype."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(g) for g in values.cat.remove_unused_categories().cat.categories]
    return sorted(str(v) for v in values.dropna().unique())


def plot_band_histograms(table: pd.DataFrame, columns: Sequence[str], *, bins: int = 40,
                         ax: Axes | None = None) -> Axes:
    """Histograms of many positive columns (the 128 mel-band mean powers) as one image.

    Each row is one column's histogram of ``log10`` values on bin edges shared by all
    columns, as the fraction of its clips (each row sums to 1). Returns the Axes; the image
    is ``ax.images[0]``.

    Notebook: 04_eda
    """
    ax = _ax(ax, (6.0, 3.6))
    X = np.log10(np.clip(table[list(columns)].to_numpy(dtype=float), 1e-12, None))
    edges = np.histogram_bin_edges(X[np.isfinite(X)], bins=bins)
    counts = np.vstack([np.histogram(col[np.isfinite(col)], bins=edges)[0] for col in X.T]).astype(float)
    density = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    im = ax.imshow(density, aspect="auto", origin="lower", cmap="magma",
                   extent=(edges[0], edges[-1], 0, density.shape[0]))
    ax.set_xlabel("log10 mean power")
    ax.set_ylabel("column (mel band)")
    ax.grid(False)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="fraction of clips")
    return ax


def plot_f0_vs_age(table: pd.DataFrame, column: str, *,
                   trend: Callable[[np.ndarray, str], np.ndarray] | None = None,
                   ax: Axes | None = None, seed: int = 0) -> Axes:
    """One point per speaker: the median of ``column`` (f0 in Hz) over their clips against age.

    With ``age_years`` the x axis is years; without (Common Voice has only groups) each
    speaker sits at its age group's position, spread a little sideways (``seed``).
    ``trend(age_years, gender) -> Hz`` (e.g. the synthetic corpus's literature means) is
    drawn for female and male speakers from 13 to 80 years, when the x axis is years.

    Notebook: 04_eda
    """
    ax = _ax(ax, (6.0, 3.6))
    have_years = "age_years" in table.columns and table["age_years"].notna().any()
    speakers = table.groupby("speaker", observed=True).agg(
        gender=("gender", "first"), age_group=("age_group", "first"), f0=(column, "median"),
        **({"age_years": ("age_years", "first")} if have_years else {}))
    if have_years:
        x = speakers["age_years"].astype(float)
    else:
        order = _present_groups(table["age_group"])
        position = speakers["age_group"].astype("object").map({g: i for i, g in enumerate(order)})
        x = position.astype(float) + np.random.default_rng(seed).uniform(-0.25, 0.25, len(speakers))
        ax.set_xticks(range(len(order)), labels=order, rotation=30, ha="right")
    for g in ("female", "male"):
        sel = (speakers["gender"].astype("object") == g).to_numpy()
        ax.scatter(x[sel], speakers.loc[sel, "f0"], s=8, alpha=0.5, color=GENDER_COLOURS[g], label=f"{g} speakers")
        if trend is not None and have_years:
            years = np.linspace(13, 80, 200)
            ax.plot(years, trend(years, g), color=GENDER_COLOURS[g], lw=2, label=f"{g}: literature mean")
    ax.set_xlabel("age (years)" if have_years else "age group (speakers spread sideways)")
    ax.set_ylabel(f"{column} (Hz), speaker median")
    ax.legend(fontsize=7, ncol=2)
    return ax


def _feature_figure(table: pd.DataFrame, column: str, order: list[str]) -> Figure:
    """Off-screen figure of the explorer: histogram by gender, and mean per age group and gender."""
    fig = Figure(figsize=(9.0, 3.0), layout="constrained")
    left, right = fig.subplots(1, 2)
    genders = [g for g in ("female", "male") if (table["gender"].astype("object") == g).any()]
    sns.histplot(data=table, x=column, hue="gender", hue_order=genders, palette=GENDER_COLOURS,
                 bins=40, element="step", ax=left)
    sns.pointplot(data=table, x="age_group", y=column, hue="gender", order=order, hue_order=genders,
                  palette=GENDER_COLOURS, errorbar=("se", 1.96), dodge=0.3, markersize=3, ax=right)
    right.tick_params(axis="x", labelrotation=30)
    right.set_xlabel("")
    return fig


def feature_explorer(table: pd.DataFrame, columns: Sequence[str], *, dpi: int = 80) -> widgets.VBox:
    """A dropdown of ``columns``; shows the chosen feature's histogram by gender and its mean
    (± 1.96 s.e.) per age group and gender, redrawn as PNG into an ``ipywidgets.Image``.

    The widget's ``children`` are ``(dropdown, image)``; the static figures of notebook 04
    show the same views for a fixed selection.

    Notebook: 04_eda
    """
    order = _present_groups(table["age_group"])
    choice = widgets.Dropdown(options=list(columns), description="feature",
                             layout=widgets.Layout(width="auto", max_width="420px"))  # fills narrow windows, no wider
    image = widgets.Image(format="png")

    def draw(_change=None) -> None:
        image.value = figure_png(_feature_figure(table, choice.value, order), dpi=dpi)

    choice.observe(draw, names="value")
    draw()
    return widgets.VBox([choice, image])
