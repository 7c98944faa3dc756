"""Tests of the display layer: helpers.spectral, plots, display, widgets and examples.

Signals are made here (sines, harmonic complexes, noise); no corpus is needed. Plots run
on the Agg backend and must return Axes (or a Figure for multi-panel helpers).
"""

from __future__ import annotations

import base64
import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import display, examples, plots, spectral  # noqa: E402

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


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- spectral -------------------------------------------------------------------------


def test_spectrum_peak_frequency_and_dbfs_level():
    y = sine(440.0, duration_s=1.0, amp=0.5)
    freqs, mag = spectral.compute_spectrum(y, SR, n_fft=SR)  # 1 Hz bins: 440 Hz on a bin
    assert freqs.shape == mag.shape == (SR // 2 + 1,)
    assert freqs[0] == 0 and freqs[-1] == pytest.approx(SR / 2)
    assert freqs[np.argmax(mag)] == pytest.approx(440.0)
    assert mag.max() == pytest.approx(20 * np.log10(0.5), abs=0.05)  # -6.02 dBFS
    assert mag.min() >= -100.0 - 1e-9


def test_spectrum_default_length_and_bad_input():
    freqs, mag = spectral.compute_spectrum(sine(100.0, 0.1), SR)
    assert len(freqs) == 2048 // 2 + 1  # 1600 samples -> next power of two 2048
    with pytest.raises(ValueError, match="1-D"):
        spectral.compute_spectrum(np.zeros((2, 100)), SR)
    with pytest.raises(ValueError, match="no samples"):
        spectral.compute_spectrum(np.zeros(0), SR)
    with pytest.raises(ValueError, match="NaN"):
        spectral.compute_spectrum(np.array([0.0, np.nan]), SR)
    with pytest.raises(ValueError, match="sample rate"):
        spectral.compute_spectrum(sine(100.0), 0)
    with pytest.raises(ValueError, match="shorter"):
        spectral.compute_spectrum(sine(100.0, 1.0), SR, n_fft=1024)


def test_harmonics_visible_in_spectrum():
    f0 = 125.0
    freqs, mag = spectral.compute_spectrum(harmonic_complex(f0, 1.0), SR, n_fft=SR)
    for k in (1, 2, 3, 5, 8):
        i = int(k * f0)
        between = int((k + 0.5) * f0)
        assert mag[i] > mag[between] + 30, f"harmonic {k} not a peak"


def test_stft_shape_level_and_axes():
    y = sine(1000.0, 1.0, amp=1.0)
    S = spectral.compute_stft_db(y, SR, n_fft=512, hop_length=128)
    assert S.shape == (257, 1 + len(y) // 128)
    times, freqs = spectral.stft_axes(S.shape[1], SR, n_fft=512, hop_length=128)
    assert times[1] == pytest.approx(128 / SR) and freqs[1] == pytest.approx(SR / 512)
    mid = S[:, S.shape[1] // 2]
    assert freqs[np.argmax(mid)] == pytest.approx(1000.0)
    assert mid.max() == pytest.approx(0.0, abs=0.1)  # full-scale sine on a bin: 0 dBFS
    assert S.min() >= S.max() - 100.0 - 1e-3


def test_time_frequency_tradeoff():
    """A longer frame has finer frequency bins and fewer frames."""
    y = sine(300.0, 1.0)
    short = spectral.compute_stft_db(y, SR, n_fft=256, hop_length=256)
    long = spectral.compute_stft_db(y, SR, n_fft=2048, hop_length=256)
    assert long.shape[0] > short.shape[0] and long.shape[1] == short.shape[1]
    # the 300 Hz peak is narrower (fewer bins within 6 dB, in Hz) with the long frame
    w_short = np.sum(short[:, 30] > short[:, 30].max() - 6) * SR / 256
    w_long = np.sum(long[:, 30] > long[:, 30].max() - 6) * SR / 2048
    assert w_long < w_short / 4


def test_mel_and_mfcc_shapes_and_units():
    y = harmonic_complex(150.0, 1.0)
    M = spectral.compute_mel_db(y, SR, n_fft=1024, hop_length=256, n_mels=40)
    assert M.shape == (40, 1 + len(y) // 256)
    assert M.max() == pytest.approx(0.0) and M.min() >= -80.0 - 1e-6  # dB re loudest, top_db 80
    C = spectral.compute_mfcc(y, SR, n_mfcc=13, n_fft=1024, hop_length=256, n_mels=40)
    assert C.shape == (13, M.shape[1]) and np.all(np.isfinite(C))
    with pytest.raises(ValueError, match="n_mfcc"):
        spectral.compute_mfcc(y, SR, n_mfcc=50, n_mels=40)
    with pytest.raises(ValueError, match="hop_length"):
        spectral.compute_mel_db(y, SR, hop_length=0)


def test_mfcc_ignores_pitch_more_than_spectrum_does():
    """MFCCs summarise the envelope: same 1/k envelope at two f0s gives closer MFCCs
    than a different envelope at the same f0."""
    a = harmonic_complex(120.0, 1.0, n_harmonics=30)
    b = harmonic_complex(130.0, 1.0, n_harmonics=30)
    c = harmonic_complex(120.0, 1.0, n_harmonics=4)  # far less high-frequency energy
    mean = lambda y: spectral.compute_mfcc(y, SR)[1:].mean(axis=1)  # noqa: E731
    assert np.linalg.norm(mean(a) - mean(b)) < np.linalg.norm(mean(a) - mean(c))


def test_mfcc_envelope_matches_librosa_mfcc_and_is_smoother():
    y = harmonic_complex(150.0, 0.5, n_harmonics=30)
    log_mel, env = spectral.mfcc_envelope_db(y, SR, n_mfcc=13, n_mels=64)
    assert log_mel.shape == env.shape == (64, 1 + len(y) // 256)
    import scipy.fft

    C = scipy.fft.dct(env, type=2, norm="ortho", axis=0)
    np.testing.assert_allclose(C[:13], spectral.compute_mfcc(y, SR, n_mfcc=13, n_mels=64), atol=1e-3)
    assert np.allclose(C[13:], 0, atol=1e-3)
    # the rebuild keeps the overall level but loses band-to-band ripple
    assert abs(env.mean() - log_mel.mean()) < 1e-3
    assert np.abs(np.diff(env, n=2, axis=0)).mean() < np.abs(np.diff(log_mel, n=2, axis=0)).mean()
    full, _ = spectral.mfcc_envelope_db(y, SR, n_mfcc=64, n_mels=64)
    np.testing.assert_allclose(spectral.mfcc_envelope_db(y, SR, n_mfcc=64, n_mels=64)[1], full, atol=1e-3)


@pytest.mark.parametrize("f0", [95.0, 210.0])
def test_f0_track_of_harmonic_complex(f0):
    times, track, voiced = spectral.compute_f0(harmonic_complex(f0, 1.0), SR)
    assert times.shape == track.shape == voiced.shape and voiced.dtype == bool
    assert times[1] - times[0] == pytest.approx(256 / SR)
    assert voiced.mean() > 0.8
    assert spectral.median_f0_hz(track, voiced) == pytest.approx(f0, rel=0.02)


def test_f0_of_noise_is_mostly_unvoiced_and_range_checked():
    noise = (0.1 * np.random.default_rng(1).standard_normal(SR)).astype(np.float32)
    _, track, voiced = spectral.compute_f0(noise, SR)
    assert voiced.mean() < 0.3
    assert np.all(np.isnan(track[~voiced]))
    with pytest.raises(ValueError, match="fmin_hz"):
        spectral.compute_f0(noise, SR, fmin_hz=500, fmax_hz=100)
    assert np.isnan(spectral.median_f0_hz(np.full(5, np.nan)))


def test_window_median_f0():
    times = np.arange(10) * 0.016
    f0 = np.array([100, 100, 100, 200, 210, 220, np.nan, 100, 100, 100], dtype=float)
    voiced = np.isfinite(f0)
    assert spectral.window_median_f0_hz(times, f0, voiced, start_s=0.045, duration_s=0.05) == 210
    assert np.isnan(spectral.window_median_f0_hz(times, f0, voiced, start_s=0.09, duration_s=0.01))


def test_harmonic_frequencies():
    np.testing.assert_allclose(spectral.harmonic_frequencies(100.0, 4), [100, 200, 300, 400])
    h = spectral.harmonic_frequencies(np.array([100.0, np.nan, 300.0]), 3, fmax_hz=700)
    assert h.shape == (3, 3)
    np.testing.assert_allclose(h[:, 0], [100, 200, 300])
    assert np.all(np.isnan(h[:, 1]))
    np.testing.assert_allclose(h[:2, 2], [300, 600])
    assert np.isnan(h[2, 2])  # 900 Hz > fmax
    with pytest.raises(ValueError):
        spectral.harmonic_frequencies(100.0, 0)


def test_nyquist_time_axis_and_loudest_segment():
    assert spectral.nyquist_hz(16000) == 8000.0
    np.testing.assert_allclose(spectral.time_axis_s(3, 16000), [0, 1 / 16000, 2 / 16000])
    y = np.zeros(SR, dtype=np.float32)
    y[8000:9000] = sine(200.0, 1000 / SR)
    assert spectral.loudest_segment_start_s(y, SR, duration_s=1000 / SR) == pytest.approx(0.5)


# --- plots -----------------------------------------------------------------------------


def test_use_workbook_style_sets_rcparams_without_style_sheets():
    plots.use_workbook_style(dpi=72)
    assert matplotlib.rcParams["figure.dpi"] == 72
    assert matplotlib.rcParams["axes.spines.top"] is False
    src = open(plots.__file__).read()
    assert "style.use" not in src and "seaborn" not in src


def test_waveform_plots_return_axes_with_units():
    y = harmonic_complex(200.0, 0.5)
    ax = plots.plot_waveform(y, SR, highlight_s=(0.1, 0.1625), title="w")
    assert isinstance(ax, Axes) and "s" in ax.get_xlabel()
    assert ax.get_xlim() == pytest.approx((0, 0.5))
    fig, axes = plt.subplots(1, 2)
    ax2 = plots.plot_waveform_zoom(y, SR, start_s=0.1, f0_hz=200.0, ax=axes[1])
    assert ax2 is axes[1] and "ms" in ax2.get_xlabel()
    lo, hi = ax2.get_xlim()
    assert hi - lo == pytest.approx(62.5, abs=0.2)
    marks = [l for l in ax2.lines if l.get_linestyle() == ":"]
    gaps = np.diff(sorted(l.get_xdata()[0] for l in marks))
    assert len(marks) >= 10 and np.allclose(gaps, 5.0)  # one period of 200 Hz = 5 ms
    assert any("5.0 ms" in t.get_text() for t in ax2.texts)
    with pytest.raises(ValueError, match="outside"):
        plots.plot_waveform_zoom(y, SR, start_s=2.0)


def test_plot_spectrum_log_axis_and_harmonic_marks():
    freqs, mag = spectral.compute_spectrum(harmonic_complex(150.0), SR)
    ax = plots.plot_spectrum(freqs, mag, f0_hz=150.0, n_harmonics=5)
    assert isinstance(ax, Axes) and ax.get_xscale() == "log"
    assert "Hz" in ax.get_xlabel() and "dBFS" in ax.get_ylabel()
    marks = sorted(l.get_xdata()[0] for l in ax.lines if l.get_linestyle() == ":")
    np.testing.assert_allclose(marks, [150, 300, 450, 600, 750])
    with pytest.raises(ValueError, match="shape"):
        plots.plot_spectrum(freqs, mag[:-1])


@pytest.mark.parametrize(
    "kind, label", [("stft", "dBFS"), ("mel", "dB"), ("mfcc", "dimensionless")]
)
def test_plot_spectrogram_kinds_have_colorbar_with_units(kind, label):
    y = harmonic_complex(150.0, 0.5)
    S = {
        "stft": lambda: spectral.compute_stft_db(y, SR),
        "mel": lambda: spectral.compute_mel_db(y, SR),
        "mfcc": lambda: spectral.compute_mfcc(y, SR),
    }[kind]()
    ax = plots.plot_spectrogram(S, SR, kind=kind)
    assert isinstance(ax, Axes)
    cbar_axes = [a for a in ax.figure.axes if a is not ax]
    assert len(cbar_axes) == 1 and label in cbar_axes[0].get_ylabel()
    assert "time (s)" == ax.get_xlabel()
    assert ax.get_xlim()[1] == pytest.approx(0.5, abs=0.02)


def test_plot_spectrogram_rejects_mismatched_settings():
    S = spectral.compute_stft_db(sine(200.0, 0.2), SR, n_fft=512)
    with pytest.raises(ValueError, match="n_fft"):
        plots.plot_spectrogram(S, SR, kind="stft", n_fft=1024)
    with pytest.raises(ValueError, match="kind"):
        plots.plot_spectrogram(S, SR, kind="cqt")


def test_mel_filterbank_and_mfcc_envelope_plots():
    ax = plots.plot_mel_filterbank(SR, n_fft=512, n_mels=20)
    assert isinstance(ax, Axes) and len(ax.lines) == 20 and ax.get_xlim() == (0, SR / 2)
    widths = [np.ptp(l.get_xdata()[l.get_ydata() > 0]) for l in ax.lines]
    assert widths[-1] > 4 * widths[1]  # high filters are much wider than low ones
    log_mel, env = spectral.mfcc_envelope_db(harmonic_complex(150.0, 0.3), SR, n_mels=40)
    ax2 = plots.plot_mfcc_envelope(log_mel, env, SR, frame=5, n_mfcc=13)
    assert isinstance(ax2, Axes) and ax2.get_xscale() == "log" and "dB" in ax2.get_ylabel()
    np.testing.assert_allclose(ax2.lines[1].get_ydata(), env[:, 5])
    with pytest.raises(ValueError, match="frame"):
        plots.plot_mfcc_envelope(log_mel, env, SR, frame=10_000, n_mfcc=13)


def test_plot_representation_all_kinds():
    y = harmonic_complex(180.0, 0.4)
    fig, axes = plt.subplots(1, len(plots.REPRESENTATIONS))
    for ax, rep in zip(axes, plots.REPRESENTATIONS):
        assert plots.plot_representation(y, SR, rep, n_fft=512, hop_length=128, n_mels=32, ax=ax) is ax
    with pytest.raises(ValueError, match="representation"):
        plots.plot_representation(y, SR, "chroma")


def test_f0_and_harmonics_overlay_and_comparison_figure():
    y1, y2 = harmonic_complex(110.0, 0.6), harmonic_complex(220.0, 0.6)
    t1, f1, _ = spectral.compute_f0(y1, SR)
    ax = plots.plot_f0_and_harmonics(y1, SR, times_s=t1, f0_hz=f1, n_harmonics=4, fmax_hz=1000, true_f0_hz=110)
    assert isinstance(ax, Axes) and ax.get_ylim() == (0, 1000)
    f0_line = ax.lines[0]
    assert np.nanmedian(f0_line.get_ydata()) == pytest.approx(110, rel=0.02)
    assert np.nanmedian(ax.lines[3].get_ydata()) == pytest.approx(440, rel=0.02)  # 4th harmonic
    fig = plots.plot_comparison(
        {"low": y1, "high": y2, "quiet": 0.1 * y2}, SR, f0_tracks={"low": (t1, f1)},
        true_f0_hz={"low": 110.0}, suptitle="voices",
    )
    assert isinstance(fig, Figure)
    panels = [a for a in fig.axes if a.get_title()]
    assert [a.get_title() for a in panels] == ["low", "high", "quiet"]
    meshes = [a.collections[0] for a in panels]
    assert len({m.get_clim() for m in meshes}) == 1  # one shared colour scale
    assert len(panels[0].lines) >= 5 and len(panels[1].lines) == 0  # overlay only where a track is given
    fig2 = plots.plot_comparison({"a": y1}, SR, representation="mel")
    assert isinstance(fig2, Figure)
    with pytest.raises(ValueError, match="empty"):
        plots.plot_comparison({}, SR)


# --- display ---------------------------------------------------------------------------


def test_audio_player_html_is_small_deterministic_mp3():
    y = harmonic_complex(150.0, 2.0)
    p1, p2 = display.audio_player(y, SR, label="a <voice>"), display.audio_player(y, SR, label="a <voice>")
    html1 = p1._repr_html_()
    assert html1 == p2._repr_html_()
    assert "&lt;voice&gt;" in html1  # label escaped
    m = re.search(r'<audio controls[^>]*src="data:audio/mpeg;base64,([A-Za-z0-9+/=]+)"', html1)
    assert m, html1[:200]
    mp3 = base64.b64decode(m.group(1))
    assert mp3 == p1.mp3 and len(mp3) < 12_000  # 2 s of 16 kHz audio, not 64 kB of WAV
    decoded, sr = sf.read(io.BytesIO(mp3))
    assert sr == SR and abs(len(decoded) - len(y)) < 0.05 * len(y)
    assert "2.00 s" in repr(p1)


def test_audio_player_resamples_odd_rates_and_rejects_bad_audio():
    p = display.audio_player(sine(300.0, 0.5, sr=20000), 20000)
    assert p.sr == 22050 and p.duration_s == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no samples"):
        display.audio_player(np.zeros(0), SR)
    with pytest.raises(ValueError, match="NaN"):
        display.audio_player(np.array([0.0, np.inf]), SR)
    row = display.audio_players({"x": sine(200.0, 0.3), "y": sine(300.0, 0.3)}, SR)
    html = row._repr_html_()
    assert html.count("<audio") == 2 and "display:flex" in html


# --- widgets ---------------------------------------------------------------------------


def test_signal_explorer_constructs_and_redraws_on_change():
    from helpers import widgets as w

    clips = {"voice": harmonic_complex(140.0, 0.5), "noise": sine(1000.0, 0.5)}
    ex = w.signal_explorer(clips, SR, representation="waveform")
    assert ex.n_draws == 1 and ex.last_png.startswith(b"\x89PNG")
    shown = ex.output.outputs
    assert len(shown) == 1 and base64.b64decode(shown[0]["data"]["image/png"]) == ex.last_png
    assert "data:audio/mpeg;base64," in ex.player.value
    first_player = ex.player.value
    pngs = {ex.last_png}
    for rep in ("spectrum", "stft", "mel", "mfcc"):
        ex.controls["representation"].value = rep
        pngs.add(ex.last_png)
    assert ex.n_draws == 5 and ex.last_error is None and len(pngs) == 5
    assert ex.controls["n_mels"].disabled is False
    ex.controls["n_mels"].value = 32
    ex.controls["n_fft"].value = 2048
    ex.controls["hop_length"].value = 128
    ex.controls["clip"].value = "noise"
    assert ex.n_draws == 9 and ex.player.value != first_player
    assert base64.b64decode(ex.output.outputs[0]["data"]["image/png"]) == ex.last_png
    assert "noise, mfcc" in ex.output.outputs[0]["data"]["text/plain"]
    assert ex.settings() == {
        "clip": "noise", "representation": "mfcc", "n_fft": 2048, "hop_length": 128, "n_mels": 32,
    }
    ex.controls["representation"].value = "waveform"
    assert ex.controls["n_mels"].disabled and ex.controls["n_fft"].disabled
    assert "2 clips" in repr(ex)
    with pytest.raises(ValueError, match="at least one clip"):
        w.signal_explorer({}, SR)


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
    assert out.attrs["missing_roles"] == ["old female", "young male"]
    with pytest.raises(ValueError, match="unknown age group"):
        examples.pick_age_contrast(m, old_groups=("elderly",))


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


def test_file_format_counts(tmp_path):
    paths = []
    for i, (sr, fmt) in enumerate([(16000, "WAV"), (16000, "WAV"), (44100, "FLAC"), (48000, "WAV")]):
        p = tmp_path / f"f{i}.{fmt.lower()}"
        sf.write(p, sine(200.0, 0.1, sr=sr), sr, format=fmt)
        paths.append(p)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    counts = examples.file_format_counts(paths + [bad])
    assert list(counts.columns) == ["format", "sr_hz", "channels", "files"]
    assert counts.iloc[0].tolist() == ["WAV", 16000, 1, 2]
    assert counts["files"].sum() == 5 and "unreadable" in set(counts["format"])
    assert examples.file_format_counts(paths, max_files=2)["files"].sum() == 2


def test_signal_explorer_reports_a_failed_redraw(monkeypatch):
    from helpers import widgets as w

    ex = w.signal_explorer({"voice": harmonic_complex(140.0, 0.3)}, SR)

    def broken(*args, **kwargs):
        raise RuntimeError("no figure today")

    monkeypatch.setattr(w.plots, "plot_representation", broken)
    ex.controls["representation"].value = "mel"
    assert ex.last_error == "RuntimeError: no figure today" and ex.n_draws == 1
    assert ex.output.outputs[0]["name"] == "stderr" and "no figure today" in ex.output.outputs[0]["text"]
