"""Scale: the faster real-data path computes the same values, and large manifests load in seconds."""

from __future__ import annotations

import numpy as np
import noisereduce as nr
import pytest

from helpers import cleaning
from helpers.audio import load_audio
from helpers.cleaning import clean, resolve_cleaning
from workbook.manifest import read_manifest


def _clips(small_corpus, n=6):
    paths = read_manifest(small_corpus / "manifest.csv", check_files=False).manifest["path"].astype(str).tolist()
    return [load_audio(p, sr=16000)[0].astype(np.float64) for p in paths[:n]]


@pytest.mark.parametrize("sr", [16000, 44100])
@pytest.mark.parametrize("prop", [0.7, 1.0])
def test_stationary_gate_with_short_padding_equals_noisereduce_default(small_corpus, sr, prop):
    """The stationary gate pads each chunk by a few frames instead of 30,000 samples: same output."""
    _, p = resolve_cleaning("stationary")
    rng = np.random.default_rng(0)
    signals = [np.interp(np.arange(int(len(x) * sr / 16000)) * 16000 / sr, np.arange(len(x)), x) for x in _clips(small_corpus, 3)]
    long = np.tile(signals[0], 1 + 700_000 // len(signals[0]))[:700_000]  # more than one 600,000-sample chunk
    signals.append(long + 1e-3 * rng.standard_normal(long.size))
    for x in signals:
        fast, _ = cleaning._gate(x, sr, p, "stationary", prop)
        noise = cleaning.noise_clip_from_silence(x, sr)
        ref = nr.reduce_noise(y=x, sr=sr, stationary=True, prop_decrease=prop, n_fft=512, chunk_size=600_000, padding=30_000,
                              y_noise=noise if noise is not None and noise.size >= 512 else None, n_std_thresh_stationary=1.5,
                              n_jobs=1, use_tqdm=False)
        assert fast.shape == ref.shape
        assert np.max(np.abs(fast - ref)) < 1e-12 * max(1.0, np.max(np.abs(ref)))


@pytest.mark.parametrize("preset", ["gentle", "stationary", "nonstationary"])
def test_clean_output_unchanged_by_the_faster_gate(small_corpus, monkeypatch, preset):
    """clean() with the short padding (and one shared speech/pause split) against the full padding."""
    clips = _clips(small_corpus)
    fast = [clean(x, 16000, preset) for x in clips]
    real = nr.reduce_noise
    monkeypatch.setattr(cleaning.nr, "reduce_noise", lambda **kw: real(**{**kw, "padding": 30_000}))
    for x, a in zip(clips, fast):
        b = clean(x, 16000, preset)
        assert a.trim == b.trim
        np.testing.assert_allclose(a.y, b.y, rtol=0, atol=1e-6)
        np.testing.assert_allclose([a.snr_before_db, a.snr_after_db], [b.snr_before_db, b.snr_after_db], rtol=1e-9)
        assert a.notes == b.notes
