"""Scale: the faster real-data path computes the same values, and large manifests load in seconds."""

from __future__ import annotations

import numpy as np
import pandas as pd
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
    monkeypatch.setattr(nr, "reduce_noise", lambda **kw: real(**{**kw, "padding": 30_000}))
    for x, a in zip(clips, fast):
        b = clean(x, 16000, preset)
        assert a.trim == b.trim
        np.testing.assert_allclose(a.y, b.y, rtol=0, atol=1e-6)
        np.testing.assert_allclose([a.snr_before_db, a.snr_after_db], [b.snr_before_db, b.snr_after_db], rtol=1e-9)
        assert a.notes == b.notes


def test_unquoted_table_reader_matches_the_csv_module(tmp_path):
    """The vectorised TSV reader (Common Voice) against csv.reader on awkward input."""
    from workbook.sources import tables

    tsv = tmp_path / "validated.tsv"
    tsv.write_bytes(b'\xef\xbb\xbfclient_id\tpath\tsentence\tage\tgender\r\n\r\na\tx.mp3\t"quoted\tsentence\tfifties\tmale\r\n'
                    b'b\tcommon_voice_de_1.mp3\thi "there\tteens\tfemale\n   \n\tmissing\tlast\t\t\nc\ty\tz\n'
                    b'\xff\xfebad\tbytes.mp3\ts\tforties\t\rd\tnfd_e\xcc\x81.mp3\ts\tForties\tmale\n')
    (tmp_path / "clips").mkdir()
    for name in ("common_voice_de_1.mp3", "missing.mp3", "nfd_\u00e9.mp3"):
        (tmp_path / "clips" / name).write_bytes(b"")
    fast, fast_problems = tables._read_table(tsv, sep="\t", quoting="none")
    monkey = tables._read_unquoted
    try:
        tables._read_unquoted = None  # force the csv path: quoting "none" through csv.QUOTE_NONE
        import csv

        ref_rows = []
        with open(tsv, newline="", encoding="utf-8-sig", errors="replace") as fh:
            for fields in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE, strict=False):
                ref_rows.append(fields)
    finally:
        tables._read_unquoted = monkey
    body = [r for r in ref_rows[1:] if r and not (len(r) == 1 and not r[0].strip())]
    assert fast.drop(columns="source_line").values.tolist() == [r for r in body if len(r) == 5]
    assert fast["source_line"].tolist() == [4, 6, 8, 9]
    assert [p["source_line"] for p in fast_problems] == [3, 7]
    rows, problems, kind = tables.read_rows(tsv, tmp_path, audio_dirs=[tmp_path / "clips"], path_column="path", age_column="age",
                                            gender_column="gender", speaker_column="client_id", sep="\t", quoting="none",
                                            optional_columns=True, extensions=(".mp3",))
    clips = tmp_path.absolute() / "clips"
    assert rows["path"].tolist() == [str(clips / "common_voice_de_1.mp3"), str(clips / "missing.mp3"), str(clips / "bytes.mp3"),
                                     str(clips / "nfd_\u00e9.mp3")]  # extension added, NFC spelling found, absent kept
    assert rows["age_group"].fillna("-").tolist() == ["teens", "-", "fourties", "fourties"]


def test_a_million_row_release_table_reads_in_seconds(tmp_path):
    from workbook.sources import tables
    import time

    n = 1_000_000
    rng = np.random.default_rng(0)
    ages = np.array(["", "", "twenties", "thirties", "fourties", "teens", "sixties"])
    ids = np.char.add("spk", rng.integers(0, n // 20, n).astype(str))
    lines = np.char.add(np.char.add(ids, "\tcommon_voice_xx_"), np.arange(n).astype(str))
    lines = np.char.add(lines, ".mp3\ta sentence with \"quotes\"\t")
    lines = np.char.add(np.char.add(lines, ages[rng.integers(0, 7, n)]), "\tmale\txx")
    tsv = tmp_path / "validated.tsv"
    tsv.write_text("client_id\tpath\tsentence\tage\tgender\tlocale\n" + "\n".join(lines.tolist()) + "\n")
    (tmp_path / "clips").mkdir()
    t0 = time.perf_counter()
    rows, problems, kind = tables.read_rows(tsv, tmp_path, audio_dirs=[tmp_path / "clips"], path_column="path", age_column="age",
                                            gender_column="gender", speaker_column="client_id", sep="\t", quoting="none",
                                            optional_columns=True, extensions=(".mp3",))
    seconds = time.perf_counter() - t0
    assert len(rows) == n and not problems and kind == "real"
    assert rows["path"].iat[-1] == str(tmp_path.absolute() / "clips" / f"common_voice_xx_{n - 1}.mp3")
    # a few seconds on a quiet 2-core machine, 50-130 s at load average 31; the per-row reader took > 400 s there
    assert seconds < 180, f"{seconds:.0f} s for {n} rows"


def test_header_checks_run_in_chunks_in_parallel_in_order(tmp_path):
    from helpers.audio import save_audio
    from workbook.sources.loading import _check_audio_files

    good = save_audio(tmp_path / "a.wav", np.zeros(1600, dtype=np.float32), 16000)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio")
    paths = []
    for i in range(4500):
        link = tmp_path / f"l{i}.wav"
        link.symlink_to(bad if i % 1000 == 7 else good)
        paths.append(str(link))
    serial = _check_audio_files(paths, "header", n_jobs=1)
    parallel = _check_audio_files(paths, "header", n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert parallel["problem"].notna().sum() == 5 and parallel.loc[7, "problem"]
    assert parallel.loc[0, "duration_s"] == pytest.approx(0.1)
