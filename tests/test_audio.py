"""Audio input: every supported format loads as mono float32 at the chosen rate, and bad
files fail with an error that names the file and the problem."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from helpers.audio import AudioLoadError, audio_info, load_audio, save_audio

SR = 16000


def tone(seconds=1.0, sr=SR, f=220.0):
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
@pytest.mark.parametrize("target_sr", [16000, 22050, None])
def test_formats_load_mono_float32(tmp_path, fmt, target_sr):
    path = tmp_path / f"tone.{fmt}"
    sf.write(path, tone(1.0, sr=44100), 44100)
    y, sr = load_audio(path, sr=target_sr)
    expected_sr = target_sr or 44100
    assert sr == expected_sr
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - expected_sr) < 0.02 * expected_sr  # mp3 adds encoder padding
    # the tone survives: its spectrum peaks at 220 Hz
    spec = np.abs(np.fft.rfft(y))
    peak_hz = np.argmax(spec) * sr / len(y)
    assert abs(peak_hz - 220) < 3


def test_stereo_is_downmixed(tmp_path):
    left, right = tone(0.5), -0.5 * tone(0.5)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), SR)
    y, _ = load_audio(path, sr=SR)
    assert y.ndim == 1
    np.testing.assert_allclose(y, 0.5 * (left + right), atol=1e-4)


def test_offset_and_duration(tmp_path):
    path = save_audio(tmp_path / "x.wav", tone(2.0), SR)
    y, _ = load_audio(path, sr=SR, offset_s=0.5, duration_s=1.0)
    assert len(y) == SR


def test_missing_file(tmp_path):
    path = tmp_path / "nope.wav"
    with pytest.raises(AudioLoadError) as err:
        load_audio(path)
    assert str(path) in str(err.value) and "not found" in str(err.value)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    with pytest.raises(AudioLoadError) as err:
        load_audio(path)
    assert str(path) in str(err.value) and "empty" in str(err.value)


def test_undecodable_file(tmp_path):
    path = tmp_path / "junk.wav"
    path.write_bytes(b"this is not audio at all" * 20)
    with pytest.raises(AudioLoadError) as err:
        load_audio(path)
    assert str(path) in str(err.value) and "cannot decode" in str(err.value)


def test_folder_is_not_audio(tmp_path):
    with pytest.raises(AudioLoadError, match="folder"):
        load_audio(tmp_path)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_truncated_file(tmp_path, fmt):
    full = tmp_path / f"full.{fmt}"
    sf.write(full, (0.3 * np.random.default_rng(0).standard_normal(3 * SR)).astype(np.float32), SR)
    data = full.read_bytes()
    cut = tmp_path / f"cut.{fmt}"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioLoadError) as err:
        load_audio(cut)
    message = str(err.value)
    assert str(cut) in message
    assert "truncated" in message or "corrupt" in message


def test_audio_info(tmp_path):
    path = save_audio(tmp_path / "x.flac", tone(1.5), SR)
    info = audio_info(path)
    assert info["sr_hz"] == SR and info["channels"] == 1
    assert info["duration_s"] == pytest.approx(1.5, abs=1e-3)


def test_save_is_byte_identical(tmp_path):
    y = tone(0.5)
    for fmt in ("wav", "flac", "mp3"):
        a = save_audio(tmp_path / f"a.{fmt}", y, SR).read_bytes()
        b = save_audio(tmp_path / f"b.{fmt}", y, SR).read_bytes()
        assert a == b, fmt
