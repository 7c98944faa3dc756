"""Tests of what notebook 01 shows and plays: helpers.plots, players, widgets and examples.

Signals are made here (sines, harmonic complexes, noise); no corpus is needed. Plots run on
the Agg backend; the tests read back what was drawn (data, labels, units), not only types.
"""

from __future__ import annotations

import base64
import io
import re

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import examples, players, plots, widgets  # noqa: E402

SR = 16000


def sine(freq_hz, duration_s=1.0, amp=0.5, sr=SR):
    t = np.arange(int(round(duration_s * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def harmonic_complex(f0_hz, duration_s=1.0, n_harmonics=12, sr=SR, seed=0):
    """Sawtooth-like voiced sound: harmonics k*f0 with amplitude 1/k, a little noise."""
    t = np.arange(int(round(duration_s * sr))) / sr
    y = sum(np.sin(2 * np.pi * k * f0_hz * t) / k for k in range(1, n_harmonics + 1))
    y = 0.3 * y / np.max(np.abs(y))
    y += 0.001 * np.random.default_rng(seed).standard_normal(len(t))
    return y.astype(np.float32)


def mesh_db(ax) -> np.ndarray:
    """The (bins x frames) matrix a spectrogram Axes shows."""
    return np.asarray(ax.collections[0].get_array())


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- plots: style, waveform, zoom ------------------------------------------------------


def test_use_workbook_style_sets_rcparams_without_style_sheets():
    plots.use_workbook_style(dpi=72)
    assert matplotlib.rcParams["figure.dpi"] == 72 and matplotlib.rcParams["savefig.dpi"] == 72
    assert matplotlib.rcParams["axes.spines.top"] is False
    src = open(plots.__file__).read()
    assert "style.use" not in src and "seaborn" not in src


def test_plot_waveform_draws_the_samples_with_units_and_highlight():
    y = harmonic_complex(200.0, 0.5)
    ax = plots.plot_waveform(y, SR, highlight_s=(0.1, 0.1625), title="w")
    assert ax.get_xlabel() == "time (s)" and "amplitude" in ax.get_ylabel() and ax.get_title() == "w"
    assert ax.get_xlim() == pytest.approx((0, 0.5))
    assert ax.get_ylim()[1] == pytest.approx(1.1 * np.max(np.abs(y)), rel=1e-4)
    span = [p for p in ax.patches if p.get_label() == "zoom window"]
    assert len(span) == 1
    box = span[0].get_bbox()  # x in s (data), y in axes fractions
    assert (box.x0, box.x1) == pytest.approx((0.1, 0.1625))


def test_waveform_zoom_marks_one_period_apart():
    y = harmonic_complex(200.0, 0.5)
    fig, axes = plt.subplots(1, 2)
    ax = plots.plot_waveform_zoom(y, SR, start_s=0.1, f0_hz=200.0, ax=axes[1])
    assert ax is axes[1] and ax.get_xlabel() == "time (ms)"
    lo, hi = ax.get_xlim()
    assert lo == pytest.approx(100.0) and hi - lo == pytest.approx(62.5, abs=0.1)
    samples = ax.lines[0]
    np.testing.assert_allclose(samples.get_ydata(), y[1600:2600])  # exactly the 1000 samples shown
    marks = [line for line in ax.lines if line.get_linestyle() == ":"]
    gaps = np.diff(sorted(line.get_xdata()[0] for line in marks))
    assert len(marks) >= 12 and np.allclose(gaps, 5.0)  # one period of 200 Hz = 5 ms
    assert any("T = 1/f0 = 5.0 ms" in t.get_text() for t in ax.texts)
    no_f0 = plots.plot_waveform_zoom(y, SR, start_s=0.1, show_samples=False)
    assert not [line for line in no_f0.lines if line.get_linestyle() == ":"] and len(no_f0.lines) == 1
    with pytest.raises(ValueError, match="outside"):
        plots.plot_waveform_zoom(y, SR, start_s=2.0)


# --- plots: spectrum and spectrograms -------------------------------------------------


def test_plot_spectrum_log_axis_data_and_harmonic_marks():
    freqs = np.linspace(0, SR / 2, 4097)
    mag = -60.0 + 50.0 * np.exp(-0.5 * ((freqs - 440.0) / 5.0) ** 2)
    ax = plots.plot_spectrum(freqs, mag, f0_hz=150.0, n_harmonics=5)
    assert ax.get_xscale() == "log" and "Hz" in ax.get_xlabel() and "dBFS" in ax.get_ylabel()
    line = ax.lines[0]
    assert line.get_xdata().min() >= 50.0  # below fmin_hz is cut
    assert line.get_xdata()[np.argmax(line.get_ydata())] == pytest.approx(440.0, abs=2.0)
    top = line.get_ydata().max()
    assert top == pytest.approx(-10.0, abs=0.5) and ax.get_ylim() == pytest.approx((top - 90, top + 5))
    marks = sorted(line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == ":")
    np.testing.assert_allclose(marks, [150, 300, 450, 600, 750])
    assert "f0 = 150 Hz" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="shape"):
        plots.plot_spectrum(freqs, mag[:-1])


def test_plot_stft_is_dbfs_with_the_peak_at_the_right_frequency():
    ax = plots.plot_stft(sine(1000.0, 1.0, amp=1.0), SR, n_fft=512, hop_length=128)
    S = mesh_db(ax)
    assert S.shape == (257, 1 + SR // 128)
    middle = S[:, S.shape[1] // 2]
    assert np.argmax(middle) * SR / 512 == pytest.approx(1000.0)  # bin 32
    assert middle.max() == pytest.approx(0.0, abs=0.1)  # full-scale sine on a bin: 0 dBFS
    half = mesh_db(plots.plot_stft(sine(1000.0, 1.0, amp=0.5), SR, n_fft=512, hop_length=128))
    assert half[:, half.shape[1] // 2].max() == pytest.approx(-6.02, abs=0.1)
    assert ax.collections[0].get_clim() == pytest.approx((S.max() - 80.0, S.max()))
    assert ax.get_ylabel() == "frequency (Hz)" and ax.get_xlabel() == "time (s)"
    assert ax.figure.axes[1].get_ylabel() == "level (dBFS)"


def test_plot_stft_shows_the_harmonics_and_the_time_frequency_tradeoff():
    f0 = 125.0
    ax = plots.plot_stft(harmonic_complex(f0, 1.0), SR, n_fft=2048, hop_length=256, fmax_hz=2000)
    assert ax.get_ylim() == (0, 2000)
    column = mesh_db(ax)[:, 30]
    bin_hz = SR / 2048
    for k in (1, 2, 3, 5, 8):
        on, between = round(k * f0 / bin_hz), round((k + 0.5) * f0 / bin_hz)
        assert column[on] > column[between] + 30, f"harmonic {k} is not a peak"
    short = mesh_db(plots.plot_stft(sine(300.0), SR, n_fft=256, hop_length=256))
    long = mesh_db(plots.plot_stft(sine(300.0), SR, n_fft=2048, hop_length=256))
    assert long.shape[0] > short.shape[0] and long.shape[1] == short.shape[1]
    width_hz = lambda S, n_fft: np.sum(S[:, 30] > S[:, 30].max() - 6) * SR / n_fft  # noqa: E731
    assert width_hz(long, 2048) < width_hz(short, 256) / 4


@pytest.mark.parametrize("kind, label", [("mel", "dB re loudest"), ("mfcc", "dimensionless")])
def test_plot_spectrogram_mel_and_mfcc_from_librosa(kind, label):
    import librosa

    y = harmonic_complex(150.0, 0.5)
    M = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=1024, hop_length=256, n_mels=40)
    S = (librosa.power_to_db(M, ref=np.max, top_db=80.0) if kind == "mel"
         else librosa.feature.mfcc(y=y, sr=SR, n_mfcc=13, n_fft=1024, hop_length=256, n_mels=40))
    ax = plots.plot_spectrogram(S, SR, kind=kind, n_fft=1024, hop_length=256)
    np.testing.assert_allclose(mesh_db(ax), S)
    colorbars = [a for a in ax.figure.axes if a is not ax]
    assert len(colorbars) == 1 and label in colorbars[0].get_ylabel()
    assert ax.get_xlabel() == "time (s)" and ax.get_xlim()[1] == pytest.approx(0.5, abs=0.02)
    if kind == "mfcc":
        lo, hi = ax.collections[0].get_clim()
        assert lo == -hi and hi == pytest.approx(np.percentile(np.abs(S[1:]), 99))
        assert ax.get_ylabel() == "MFCC index"
    else:
        assert "mel" in ax.get_ylabel()


def test_plot_spectrogram_rejects_mismatched_settings():
    S = np.zeros((257, 10))
    with pytest.raises(ValueError, match="n_fft"):
        plots.plot_spectrogram(S, SR, kind="stft", n_fft=1024)
    with pytest.raises(ValueError, match="kind"):
        plots.plot_spectrogram(S, SR, kind="cqt", n_fft=512)
    with pytest.raises(ValueError, match="2-D"):
        plots.plot_spectrogram(np.zeros(257), SR, kind="stft", n_fft=512)


def test_plot_f0_harmonics_draws_k_times_f0():
    times = np.linspace(0, 1, 20)
    f0 = np.where(np.arange(20) < 15, 110.0, np.nan)
    ax = plots.plot_f0_harmonics(times, f0, n_harmonics=4, true_f0_hz=112.0)
    assert len(ax.lines) == 5  # f0, 3 harmonics, the true-f0 line
    for k, line in enumerate(ax.lines[:4], start=1):
        assert np.nanmedian(line.get_ydata()) == pytest.approx(110.0 * k)
    assert np.isnan(ax.lines[0].get_ydata()[-1])  # unvoiced frames stay gaps
    assert ax.lines[4].get_ydata()[0] == pytest.approx(112.0)
    assert "true median f0 112 Hz" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="shape"):
        plots.plot_f0_harmonics(times[:-1], f0)


def test_plot_stft_grid_shares_one_colour_scale_and_overlays_tracks():
    y1, y2 = harmonic_complex(110.0, 0.6), harmonic_complex(220.0, 0.6)
    t1 = np.linspace(0, 0.6, 30)
    fig = plots.plot_stft_grid(
        {"low": y1, "high": y2, "quiet": 0.1 * y2}, SR, f0_tracks={"low": (t1, np.full(30, 110.0))},
        true_f0_hz={"low": 110.0}, n_harmonics=4, range_db=60.0, suptitle="voices",
    )
    assert isinstance(fig, Figure) and fig.get_suptitle() == "voices"
    panels = [a for a in fig.axes if a.get_title()]
    assert [a.get_title() for a in panels] == ["low", "high", "quiet"]
    loudest = max(mesh_db(a).max() for a in panels)
    for a in panels:
        assert a.collections[0].get_clim() == pytest.approx((loudest - 60.0, loudest))
    assert mesh_db(panels[2]).max() == pytest.approx(mesh_db(panels[1]).max() - 20.0, abs=0.5)  # 0.1 x = -20 dB
    assert len(panels[0].lines) == 5 and len(panels[1].lines) == 0  # overlay only where a track is given
    assert sum(not a.get_visible() for a in fig.axes) == 1  # the empty fourth panel
    assert any(a.get_ylabel() == "level (dBFS)" for a in fig.axes)  # one shared colour bar
    with pytest.raises(ValueError, match="empty"):
        plots.plot_stft_grid({}, SR)


# --- players ---------------------------------------------------------------------------


def _mp3_of(html: str) -> list[bytes]:
    found = re.findall(r'src="data:audio/mpeg;base64,([A-Za-z0-9+/=]+)"', html)
    return [base64.b64decode(b) for b in found]


def test_audio_player_is_a_small_deterministic_mp3():
    y = harmonic_complex(150.0, 2.0)
    p1, p2 = players.audio_player(y, SR), players.audio_player(y, SR)
    assert p1._repr_html_() == p2._repr_html_()
    assert p1.mimetype == "audio/mpeg"
    [mp3] = _mp3_of(p1._repr_html_())
    assert mp3 == p1.data and len(mp3) < 12_000  # 2 s of 16 kHz audio, not 64 kB of WAV
    decoded, sr = sf.read(io.BytesIO(mp3))
    assert sr == SR and abs(len(decoded) - len(y)) < 0.05 * len(y)
    heard = decoded[: len(y)]
    assert np.argmax(np.abs(np.fft.rfft(heard))) * sr / len(heard) == pytest.approx(150.0, abs=2.0)
    labelled = players.audio_player(y, SR, label="a <voice>")._repr_html_()
    assert "a &lt;voice&gt;" in labelled and _mp3_of(labelled) == [mp3]


def test_audio_player_resamples_odd_rates_and_rejects_bad_audio():
    [mp3] = _mp3_of(players.audio_player(sine(300.0, 0.5, sr=20000), 20000)._repr_html_())
    decoded, sr = sf.read(io.BytesIO(mp3))
    assert sr == 22050 and len(decoded) == pytest.approx(0.5 * 22050, rel=0.05)
    with pytest.raises(ValueError, match="no samples"):
        players.audio_player(np.zeros(0), SR)
    with pytest.raises(ValueError, match="NaN"):
        players.audio_player(np.array([0.0, np.inf]), SR)
    with pytest.raises(ValueError, match="1-D"):
        players.audio_player(np.zeros((2, 100)), SR)
    with pytest.raises(ValueError, match="nothing to play"):
        players.audio_players({}, SR)


def test_audio_players_labelled_side_by_side():
    clips = {"x": sine(200.0, 0.3), "y": sine(300.0, 0.3)}
    html = players.audio_players(clips, SR)._repr_html_()
    assert html.count("<audio") == 2 and "display:flex" in html
    assert html.index(">x</div>") < html.index(">y</div>")
    assert _mp3_of(html) == [players.audio_player(v, SR).data for v in clips.values()]


# --- widgets ---------------------------------------------------------------------------


def _all_children(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _all_children(child)


def test_signal_explorer_redraws_into_an_image_on_every_change():
    clips = {"voice": harmonic_complex(140.0, 0.5), "tone": sine(1000.0, 0.5)}
    ex = widgets.signal_explorer(clips, SR, representation="waveform")
    tree = list(_all_children(ex))
    assert not any(isinstance(w, ipywidgets.Output) for w in tree)  # nothing captures output
    assert ex.image in tree and bytes(ex.image.value).startswith(b"\x89PNG")
    shown = ex.controls["representation"]
    assert isinstance(shown, ipywidgets.Dropdown)  # full labels, nothing cut off
    assert list(shown.options) == ["waveform", "spectrum", "stft", "mel", "mfcc"]
    assert _mp3_of(ex.player.value) == [players.audio_player(clips["voice"], SR).data]
    pngs = {bytes(ex.image.value)}
    for rep in ("spectrum", "stft", "mel", "mfcc"):
        shown.value = rep
        pngs.add(bytes(ex.image.value))
    assert len(pngs) == 5 and ex.last_error is None and ex.message.value == ""
    assert ex.controls["n_mels"].disabled is False
    for name, value in (("n_mels", 32), ("n_fft", 2048), ("hop_length", 128), ("clip", "tone")):
        before = bytes(ex.image.value)
        ex.controls[name].value = value
        assert bytes(ex.image.value) != before, name
    assert _mp3_of(ex.player.value) == [players.audio_player(clips["tone"], SR).data]
    assert ex.settings() == {"clip": "tone", "representation": "mfcc", "n_fft": 2048, "hop_length": 128,
                             "n_mels": 32}
    shown.value = "waveform"
    assert ex.controls["n_mels"].disabled and ex.controls["n_fft"].disabled
    assert "2 clips" in repr(ex)
    with pytest.raises(ValueError, match="at least one clip"):
        widgets.signal_explorer({}, SR)
    with pytest.raises(ValueError, match="n_fft"):
        widgets.signal_explorer(clips, SR, n_fft=1000)


def test_signal_explorer_draws_the_spectrum_in_dbfs():
    fig = Figure()
    ax = fig.add_subplot()
    widgets._draw(ax, sine(440.0, 1.0, amp=1.0), SR, "spectrum", n_fft=1024, hop_length=256, n_mels=64)
    line = ax.lines[0]
    assert line.get_xdata()[np.argmax(line.get_ydata())] == pytest.approx(440.0, abs=1.0)
    assert line.get_ydata().max() == pytest.approx(0.0, abs=0.1)  # a full-scale sine at 0 dBFS


def test_signal_explorer_reports_a_failed_redraw(monkeypatch):
    ex = widgets.signal_explorer({"voice": harmonic_complex(140.0, 0.3)}, SR, representation="stft")
    before = bytes(ex.image.value)

    def broken(*args, **kwargs):
        raise RuntimeError("no figure today")

    monkeypatch.setattr(widgets.plots, "plot_stft", broken)
    ex.controls["n_fft"].value = 2048
    assert ex.last_error == "RuntimeError: no figure today" and bytes(ex.image.value) == before
    assert "no figure today" in ex.message.value
    monkeypatch.undo()
    ex.controls["n_fft"].value = 512
    assert ex.last_error is None and ex.message.value == "" and bytes(ex.image.value) != before


def test_figure_png():
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1])
    png = widgets.figure_png(fig, dpi=50)
    assert png.startswith(b"\x89PNG") and png[16:24] == (100).to_bytes(4, "big") + (50).to_bytes(4, "big")


# --- examples --------------------------------------------------------------------------


def _fake_manifest(tmp_path, rows):
    recs = []
    for i, (spk, gender, group, age, noise, *clicks) in enumerate(rows):
        p = tmp_path / f"{spk}_{i}.wav"
        sf.write(p, sine(150.0, 0.1), SR)
        recs.append({"path": str(p), "speaker": spk, "age_group": group, "age_years": age,
                     "gender": gender, "noise_type": noise, "n_clicks": clicks[0] if clicks else 0})
    return pd.DataFrame(recs)


def test_pick_age_contrast_prefers_clean_and_target_age(tmp_path):
    m = _fake_manifest(tmp_path, [
        ("s1", "female", "twenties", 28, "none"),
        ("s2", "female", "twenties", 22, "hum"),
        ("s3", "female", "twenties", 23, "none"),
        ("s3b", "female", "twenties", 22, "none", 2),  # closest age, but has clicks
        ("s4", "female", "seventies", 71, "none"),
        ("s5", "female", "seventies", 76, "none"),
        ("s6", "male", "teens", 17, "none"),
        ("s7", "male", "eighties", 82, "fan"),
    ])
    out = examples.pick_age_contrast(m)
    assert list(out["role"]) == ["young female", "old female", "young male", "old male"]
    assert list(out["speaker"]) == ["s3", "s5", "s6", "s7"]
    assert "no clean clip" in out.loc[3, "selection_note"]  # eighties fallback, noisy only
    assert "eighties" in out.loc[3, "selection_note"]
    assert out.attrs["missing_roles"] == []
    assert out.loc[0, "label"] == "young female, 23 y"
    assert examples.pick_age_contrast(m).equals(out)  # deterministic


def test_pick_age_contrast_without_ages_or_noise_column(tmp_path):
    m = _fake_manifest(tmp_path, [
        ("b", "female", "twenties", np.nan, "x"),
        ("a", "female", "twenties", np.nan, "x"),
        ("c", "male", "sixties", np.nan, "x"),
    ]).drop(columns=["noise_type", "n_clicks"])
    out = examples.pick_age_contrast(m)
    assert list(out["role"]) == ["young female", "old male"]
    assert out.loc[0, "speaker"] == "a"  # ties broken by speaker id
    assert out.loc[1, "label"] == "old male, sixties"
    assert out.attrs["missing_roles"] == ["old female", "young male"]


def test_pick_age_contrast_checks_groups_against_the_manifest_categories(tmp_path):
    m = _fake_manifest(tmp_path, [("a", "female", "twenties", 25, "none"), ("b", "male", "seventies", 74, "none")])
    groups = ["teens", "twenties", "thirties", "fourties", "fifties", "sixties", "seventies", "eighties", "nineties"]
    m["age_group"] = m["age_group"].astype(pd.CategoricalDtype(groups, ordered=True))
    with pytest.raises(ValueError, match="unknown age group.*elderly"):
        examples.pick_age_contrast(m, old_groups=("elderly",))
    out = examples.pick_age_contrast(m)
    assert list(out["speaker"]) == ["a", "b"] and out["age_group"].dtype == m["age_group"].dtype
    assert examples.pick_age_contrast(m.astype({"age_group": str}), old_groups=("elderly",)).attrs[
        "missing_roles"] == ["old female", "young male", "old male"]  # plain strings: unknown groups just find nothing


def test_pick_example_clips_named_examples_and_fallback(tmp_path):
    class DS:  # the two attributes pick_example_clips reads from a LoadedDataset
        root = tmp_path
        manifest = _fake_manifest(tmp_path, [
            ("s0", None, None, np.nan, "none"),
            ("s1", "female", "twenties", 25, "none"),
            ("s1", "female", "twenties", 25, "none"),
            ("s2", "male", "seventies", 75, "none"),
        ])

    fallback = examples.pick_example_clips(DS, n=4)
    assert list(fallback["speaker"]) == ["s1", "s2", "s0"]  # labelled speakers first
    assert fallback.loc[0, "label"] == "clip1 (female, 25 y)"
    assert fallback.loc[2, "label"] == "clip3 (unlabelled)"
    assert list(examples.pick_example_clips(DS, n=1)["speaker"]) == ["s1"]

    (tmp_path / "examples" / "clean").mkdir(parents=True)
    for name in ("tone_a", "tone_b"):
        sf.write(tmp_path / "examples" / f"{name}.wav", sine(200.0, 0.1), SR)
        sf.write(tmp_path / "examples" / "clean" / f"{name}.wav", sine(200.0, 0.1), SR)
    pd.DataFrame({
        "name": ["tone_a", "tone_b"],
        "path": ["examples/tone_a.wav", "examples/tone_b.wav"],
        "clean_path": ["examples/clean/tone_a.wav", "examples/clean/tone_b.wav"],
    }).to_csv(tmp_path / "examples" / "examples.csv", index=False)
    named = examples.pick_example_clips(DS)
    assert list(named["label"]) == ["tone_a", "tone_b"]
    assert named.loc[1, "clean_path"] == str((tmp_path / "examples/clean/tone_b.wav").resolve())

    pd.DataFrame({"name": ["gone"], "path": ["examples/gone.wav"]}).to_csv(
        tmp_path / "examples" / "examples.csv", index=False)
    with pytest.raises(FileNotFoundError, match="gone.wav"):
        examples.pick_example_clips(DS)
    with pytest.raises(ValueError, match="empty"):
        examples.pick_example_clips(pd.DataFrame(columns=DS.manifest.columns))
