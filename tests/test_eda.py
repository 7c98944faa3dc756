"""Tests of helpers.eda_plots: the figures notebook 04 keeps out of its cells, and its explorer.

The tables are small and built by hand, so every drawn value can be checked against the
value it must show.
"""

from __future__ import annotations

import struct

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from helpers.eda_plots import GENDER_COLOURS, feature_explorer, plot_band_histograms, plot_f0_vs_age  # noqa: E402

AGE_DTYPE = pd.CategoricalDtype(["teens", "twenties", "thirties", "fourties", "fifties"], ordered=True)


@pytest.fixture()
def table():
    """Six speakers x three clips of f0 = speaker's f0 + (-2, 0, +10) Hz: the median is the speaker's f0."""
    speakers = pd.DataFrame({
        "speaker": [f"s{i}" for i in range(6)],
        "gender": ["female", "female", "female", "male", "male", "male"],
        "age_group": ["twenties", "teens", "fifties", "teens", "twenties", "fifties"],
        "age_years": [25.0, 16.0, 55.0, 15.0, 27.0, 52.0],
        "f0": [210.0, 230.0, 190.0, 150.0, 120.0, 115.0],
    })
    rows = speakers.loc[speakers.index.repeat(3)].reset_index(drop=True)
    rows["f0_median_hz"] = rows["f0"] + np.tile([-2.0, 0.0, 10.0], len(speakers))
    rows["age_group"] = rows["age_group"].astype(AGE_DTYPE)  # "thirties", "fourties" unused
    rows["gender"] = rows["gender"].astype("category")
    rows["other_feature"] = np.arange(len(rows), dtype=float)
    return rows.drop(columns="f0"), speakers.set_index("speaker")


def test_band_histograms_one_row_per_column_each_summing_to_one():
    t = pd.DataFrame({"low": np.full(50, 1e-3), "high": np.r_[np.full(25, 10.0), np.full(25, 100.0)]})
    _, ax = plt.subplots()
    assert plot_band_histograms(t, ["low", "high"], bins=10, ax=ax) is ax
    image = ax.images[0]
    density = np.asarray(image.get_array())
    assert density.shape == (2, 10)
    assert density.sum(axis=1) == pytest.approx([1.0, 1.0])
    left, right, _, _ = image.get_extent()
    assert (left, right) == pytest.approx((-3.0, 2.0))  # log10 of 1e-3 and of 100: bins shared by both rows
    assert density[0, 0] == 1.0  # every "low" clip in the first bin
    assert density[1, -1] == 0.5 and density[1, 8] == 0.5  # log10 10 = 1.0 falls in bin 8 of [-3, 2] / 10
    plt.close("all")


def test_f0_vs_age_draws_each_speakers_median_at_their_age_and_the_trend(table):
    clips, speakers = table
    calls = []

    def trend(years, gender):
        calls.append(gender)
        return np.full_like(years, 300.0 if gender == "female" else 100.0)

    ax = plot_f0_vs_age(clips, "f0_median_hz", trend=trend)
    assert calls == ["female", "male"]
    scatters = {c.get_label(): c.get_offsets() for c in ax.collections}
    assert set(scatters) == {"female speakers", "male speakers"}
    for gender in ("female", "male"):
        want = speakers[speakers["gender"] == gender].sort_index()
        got = np.asarray(scatters[f"{gender} speakers"])
        assert got[:, 0] == pytest.approx(want["age_years"].to_numpy())
        assert got[:, 1] == pytest.approx(want["f0"].to_numpy())  # the median of f0 - 2, f0, f0 + 10
    lines = {line.get_label(): line for line in ax.lines}
    assert np.all(lines["female: literature mean"].get_ydata() == 300.0)
    assert np.all(lines["male: literature mean"].get_ydata() == 100.0)
    assert lines["female: literature mean"].get_xdata()[[0, -1]] == pytest.approx([13.0, 80.0])
    assert lines["male: literature mean"].get_color() == GENDER_COLOURS["male"]
    plt.close("all")


def test_f0_vs_age_without_years_places_speakers_at_their_groups_in_age_order(table):
    clips, speakers = table
    _, ax = plt.subplots()
    assert plot_f0_vs_age(clips.drop(columns="age_years"), "f0_median_hz", trend=lambda y, g: y, ax=ax) is ax
    assert not ax.lines  # no trend without years
    assert [t.get_text() for t in ax.get_xticklabels()] == ["teens", "twenties", "fifties"]  # unused groups left out
    position = {"teens": 0, "twenties": 1, "fifties": 2}
    for collection in ax.collections:
        gender = collection.get_label().split()[0]
        want = speakers[speakers["gender"] == gender].sort_index()
        got = np.asarray(collection.get_offsets())
        assert np.abs(got[:, 0] - want["age_group"].map(position).to_numpy()).max() <= 0.25
        assert got[:, 1] == pytest.approx(want["f0"].to_numpy())
    plt.close("all")


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_feature_explorer_redraws_a_png_image_for_the_chosen_feature(table):
    import ipywidgets as widgets

    clips, _ = table
    explorer = feature_explorer(clips, ["f0_median_hz", "other_feature"], dpi=50)
    dropdown, image = explorer.children
    assert isinstance(dropdown, widgets.Dropdown) and isinstance(image, widgets.Image)
    assert list(dropdown.options) == ["f0_median_hz", "other_feature"]
    first = bytes(image.value)
    assert _png_size(first) == (450, 150)  # a 9 x 3 inch figure at 50 dpi
    dropdown.value = "other_feature"
    second = bytes(image.value)
    assert _png_size(second) == (450, 150) and second != first
    dropdown.value = "f0_median_hz"
    assert bytes(image.value) == first  # the same feature draws the same figure
    plt.close("all")
