"""Tests of the extraction engine (workbook.engine): cache, resume, errors, back-ends.

Every fixture is written into a temporary folder by the tests themselves: a handful of
short voice-like clips (pulse trains shaped into syllables), a corrupt file, a silent file
and a 0.1 s file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from helpers.audio import save_audio
from helpers.features import mel_image
from workbook.cli import main as cli_main
from workbook.engine import extract_features, read_features, write_outputs
from workbook.mel_images import extract_mel_images, read_mel_images

SR = 16000
FAMILIES = ("original", "spectral", "voice", "rhythm")


def voice_clip(f0_hz: float, n_syl: int, seed: int) -> np.ndarray:
    """Syllables of a pulse-train voice with a little jitter and noise (about 1 s)."""
    rng = np.random.default_rng(seed)
    out = [np.zeros(int(0.15 * SR))]
    for _ in range(n_syl):
        n = int(rng.uniform(0.12, 0.2) * SR)
        y = np.zeros(n)
        t = 0.0
        while t < n / SR:
            y[int(t * SR)] = 1.0
            t += (1 + 0.01 * rng.standard_normal()) / f0_hz
        k = np.arange(int(0.01 * SR))
        y = np.convolve(y, np.exp(-k / 30) * np.sin(2 * np.pi * 600 * k / SR))[:n] * np.hanning(n)
        out += [y, np.zeros(int(rng.uniform(0.05, 0.15) * SR))]
    y = np.concatenate(out)
    y = 0.3 * y / np.abs(y).max() + 0.002 * rng.standard_normal(len(y))
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    rows = []
    for i, (f0, gender, age) in enumerate([(110, "male", 25), (210, "female", 34), (130, "male", 61), (190, "female", 47), (100, "male", 72)]):
        path = save_audio(root / f"clip{i}.{'wav' if i % 2 else 'flac'}", voice_clip(f0, 5, seed=i), SR)
        rows.append({"path": str(path), "speaker": f"s{i}", "age_group": None, "age_years": float(age), "gender": gender})
    manifest = pd.DataFrame(rows)
    bad = {
        "corrupt": root / "corrupt.wav",
        "silent": root / "silent.wav",
        "short": root / "short.wav",
    }
    bad["corrupt"].write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage that is not audio")
    save_audio(bad["silent"], np.zeros(SR, np.float32), SR)
    save_audio(bad["short"], voice_clip(150, 5, seed=9)[: int(0.1 * SR)], SR)
    return {"root": root, "manifest": manifest, "bad": bad}


def run(data, cache, **kw):
    kw.setdefault("families", FAMILIES)
    kw.setdefault("n_jobs", 1)
    return extract_features(data, cache_dir=cache, progress=False, **kw)


def test_features_table_one_row_per_clip_with_labels(corpus, tmp_path):
    res = run(corpus["manifest"], tmp_path / "cache")
    f = res.features
    assert list(f["path"]) == list(corpus["manifest"]["path"])
    assert {"speaker", "age_years", "gender", "audio_duration_s"} <= set(f.columns)
    for prefix in ("orig_", "spec_", "voice_", "rhythm_"):
        assert any(c.startswith(prefix) for c in f.columns)
    assert np.allclose(f["orig_f0_median_hz"], [110, 210, 130, 190, 100], rtol=0.05)
    assert res.errors.empty and res.stats.n_computed == 5


def test_cache_hit_then_invalidation_by_parameter_and_by_file_change(corpus, tmp_path):
    cache = tmp_path / "cache"
    first = run(corpus["manifest"], cache)
    again = run(corpus["manifest"], cache)
    assert again.stats.n_cached == 5 and again.stats.n_computed == 0
    pd.testing.assert_frame_equal(first.features, again.features)

    other = run(corpus["manifest"], cache, fmax_hz=400.0)  # a parameter changed: all recomputed
    assert other.stats.n_computed == 5 and other.stats.n_cached == 0

    # a file changed: only that one is recomputed; a file merely touched is not
    m = corpus["manifest"].copy()
    changed = tmp_path / "changed.wav"
    touched = tmp_path / "touched.wav"
    save_audio(changed, voice_clip(160, 5, seed=20), SR)
    save_audio(touched, voice_clip(170, 5, seed=21), SR)
    m = pd.concat([m, pd.DataFrame({"path": [str(changed), str(touched)]})], ignore_index=True)
    base = run(m, cache)
    assert base.stats.n_computed == 2
    save_audio(changed, voice_clip(240, 5, seed=22), SR)
    os.utime(touched)  # new mtime, same bytes: re-hashed, found in the cache
    after = run(m, cache)
    assert after.stats.n_computed == 1 and after.stats.n_cached == 6
    row = after.features.set_index("path").loc[str(changed)]
    assert row["orig_f0_median_hz"] == pytest.approx(240, rel=0.05)


def test_same_recording_under_two_paths_is_computed_once(corpus, tmp_path):
    src = corpus["manifest"]["path"].iloc[0]
    copy = tmp_path / "copy.flac"
    copy.write_bytes(open(src, "rb").read())
    res = run([src, str(copy)], tmp_path / "cache")
    assert res.stats.n_computed == 1 and len(res.features) == 2
    a, b = res.features.drop(columns="path").to_numpy(dtype=float)
    assert np.array_equal(a, b, equal_nan=True)


def test_bad_files_are_recorded_not_fatal(corpus, tmp_path):
    bad = corpus["bad"]
    paths = list(corpus["manifest"]["path"][:2]) + [str(p) for p in bad.values()] + [str(tmp_path / "missing.wav")]
    res = run(paths, tmp_path / "cache")
    assert len(res.features) == 2
    err = res.errors.set_index("path")
    assert err.loc[str(bad["corrupt"]), "stage"] == "load"
    assert err.loc[str(bad["silent"]), "stage"] == "check" and "silent" in err.loc[str(bad["silent"]), "error"]
    assert err.loc[str(bad["short"]), "stage"] == "check" and "too short: 0.10 s" in err.loc[str(bad["short"]), "error"]
    assert err.loc[str(tmp_path / "missing.wav"), "error"] == "file not found"
    assert res.stats.n_failed == 4
    # cached failures are reported again without recomputing them
    again = run(paths, tmp_path / "cache")
    assert again.stats.n_computed == 0
    pd.testing.assert_frame_equal(res.errors, again.errors)


KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import pandas as pd
    from workbook.engine import extract_features

    def die(shard, n_done):
        if n_done >= 2:
            os.kill(os.getpid(), signal.SIGKILL)   # killed hard, mid-run

    m = pd.read_csv(sys.argv[1])
    extract_features(m, families={families!r}, cache_dir=sys.argv[2], n_jobs=1, shard_size=1, progress=False, on_shard=die)
    """
)


def test_run_killed_half_way_resumes_to_the_same_table(corpus, tmp_path):
    csv = tmp_path / "manifest.csv"
    corpus["manifest"].to_csv(csv, index=False)
    script = tmp_path / "killed_run.py"
    script.write_text(KILL_SCRIPT.format(families=FAMILIES))
    proc = subprocess.run([sys.executable, str(script), str(csv), str(tmp_path / "cache")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr  # it really was killed
    shards = list((tmp_path / "cache").glob("features-*/part-*.parquet"))
    assert len(shards) == 2  # the two finished files survived, nothing half-written
    resumed = run(corpus["manifest"], tmp_path / "cache")
    assert resumed.stats.n_cached == 2 and resumed.stats.n_computed == 3
    fresh = run(corpus["manifest"], tmp_path / "fresh_cache")
    pd.testing.assert_frame_equal(resumed.features, fresh.features)


@pytest.fixture(scope="module")
def dask_cluster():
    import logging

    import distributed  # a core dependency: missing, this fails rather than skips

    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR
    )
    yield cluster
    cluster.close()


def test_dask_backend_and_two_joblib_workers_give_the_same_features(corpus, tmp_path, dask_cluster):
    data = list(corpus["manifest"]["path"]) + [str(corpus["bad"]["corrupt"])]
    serial = run(data, tmp_path / "c1")
    on_dask = run(data, tmp_path / "c2", backend="dask", scheduler=dask_cluster.scheduler_address, n_jobs=2)
    assert on_dask.stats.backend == "dask" and on_dask.stats.n_computed == 6
    pd.testing.assert_frame_equal(serial.features, on_dask.features)
    pd.testing.assert_frame_equal(serial.errors, on_dask.errors)
    two = run(data, tmp_path / "c3", n_jobs=2)
    pd.testing.assert_frame_equal(serial.features, two.features)


def test_pitch_method_is_a_parameter(corpus, tmp_path):
    m = corpus["manifest"].iloc[:2]
    praat = run(m, tmp_path / "cache", families="original")
    pyin = run(m, tmp_path / "cache", families="original", pitch_method="pyin")
    assert pyin.stats.n_computed == 2  # another parameter, another cache entry
    assert np.allclose(praat.features["orig_f0_median_hz"], pyin.features["orig_f0_median_hz"], rtol=0.03)
    assert pyin.spec["params"]["pitch_method"] == "pyin"


def test_cleaning_is_applied_on_the_workers_when_asked(corpus, tmp_path):
    m = corpus["manifest"].iloc[:2]
    raw = run(m, tmp_path / "cache", families="original")
    trimmed = run(m, tmp_path / "cache", families="original", cleaning="trim")
    assert trimmed.stats.n_computed == 2
    assert (trimmed.features["orig_duration_s"] < raw.features["orig_duration_s"]).all()
    with pytest.raises(ValueError, match="unknown cleaning preset"):
        run(m, tmp_path / "cache", cleaning="sparkly")


def test_outputs_round_trip_and_mel_images(corpus, tmp_path):
    paths = list(corpus["manifest"]["path"]) + [str(corpus["bad"]["silent"])]
    res = run(corpus["manifest"], tmp_path / "cache", families="original")
    write_outputs(res, tmp_path / "out")
    back = read_features(tmp_path / "out")
    pd.testing.assert_frame_equal(back, res.features, check_dtype=False, check_categorical=False)
    mel = extract_mel_images(paths, tmp_path / "out", cache_dir=tmp_path / "cache", n_jobs=1, progress=False)
    images, index = read_mel_images(tmp_path / "out")
    assert images.shape == (5, 128, 94) and images.dtype == np.float32
    assert list(index["path"]) == list(corpus["manifest"]["path"])
    assert list(mel.errors["stage"]) == ["check"]
    again = extract_mel_images(paths, tmp_path / "out2", cache_dir=tmp_path / "cache", n_jobs=1, progress=False)
    assert again.stats.n_computed == 0
    assert np.array_equal(np.load(again.path), np.asarray(images))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_mel_images_in_the_feature_pass_are_the_ones_a_second_pass_makes(corpus, tmp_path, n_jobs):
    """extract_features(mel_images=True) decodes and cleans each file once for both: the same
    features, the same images and the same failures as two passes, and the images' own call
    then computes nothing."""
    paths = list(corpus["manifest"]["path"]) + [str(p) for p in corpus["bad"].values()]
    kw = {"families": "original", "cleaning": "gentle", "n_jobs": n_jobs}
    one = run(paths, tmp_path / "one", mel_images=True, **kw)
    mel_one = extract_mel_images(paths, tmp_path / "out1", cleaning="gentle", cache_dir=tmp_path / "one", n_jobs=1,
                                 progress=False)
    assert one.stats.n_computed == len(paths)  # the bad files too: their failures are cached
    assert mel_one.stats.n_computed == 0 and mel_one.stats.n_cached == mel_one.stats.n_unique
    two = run(paths, tmp_path / "two", **kw)
    mel_two = extract_mel_images(paths, tmp_path / "out2", cleaning="gentle", cache_dir=tmp_path / "two", n_jobs=1,
                                 progress=False)
    assert mel_two.stats.n_computed > 0
    pd.testing.assert_frame_equal(one.features, two.features)
    pd.testing.assert_frame_equal(one.errors, two.errors)
    pd.testing.assert_frame_equal(mel_one.errors, mel_two.errors)
    assert np.array_equal(mel_one.load(), mel_two.load())
    # features cached, images not: the second pass computes only the images
    partial = extract_mel_images(paths, tmp_path / "out3", cleaning="gentle", cache_dir=tmp_path / "two", n_jobs=1,
                                 progress=False)
    assert partial.stats.n_computed == 0
    # a new family, the images cached: the images are not computed again
    shards = sorted(p.name for p in (tmp_path / "two").glob("melimages-*/*"))
    assert run(paths, tmp_path / "two", mel_images=True, **{**kw, "families": "spectral"}).stats.n_computed == len(paths)
    assert sorted(p.name for p in (tmp_path / "two").glob("melimages-*/*")) == shards
    with pytest.raises(ValueError, match="load, clean and check alike"):
        from workbook.engine import make_feature_job, run_job
        from workbook.engine import _MelImageJob

        run_job(pd.DataFrame({"path": paths}), make_feature_job("original"), also=(_MelImageJob(sr=8000),))


def test_cli_writes_the_table_and_reports_failures(corpus, tmp_path, capsys):
    paths = list(corpus["manifest"]["path"][:2]) + [str(corpus["bad"]["corrupt"])]
    rc = cli_main(["features", *paths, "--families", "original", "--cleaning", "none", "--jobs", "1", "--no-progress",
                   "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")])
    assert rc == 0
    assert len(read_features(tmp_path / "out")) == 2
    assert "1 problem(s) recorded" in capsys.readouterr().out
    assert cli_main(["features", str(corpus["bad"]["corrupt"]), "--cleaning", "none", "--no-progress", "--out", str(tmp_path / "o2"),
                     "--cache-dir", str(tmp_path / "cache")]) == 1
    assert cli_main(["features", "--families", "nonsense", *paths[:1], "--cleaning", "none", "--out", str(tmp_path / "o3")]) == 2
    assert cli_main(["features", *paths[:1], "--tracker", "crepe", "--out", str(tmp_path / "o4")]) == 2
    assert "pitch_method must be one of" in capsys.readouterr().err
    assert cli_main(["features", "--backend", "spark"]) == 2  # refused by argparse


def test_mel_image_is_fixed_length_float32(corpus):
    y = voice_clip(120, 5, seed=3)  # about 1 s: padded to 3 s with silence
    long = np.tile(y, 5)  # about 5 s: cut to 3 s
    a, b = mel_image(y, SR), mel_image(long, SR)
    assert a.shape == b.shape == (128, 94) and a.dtype == np.float32
    assert np.all(a[:, -10:] == pytest.approx(-100.0, abs=1e-3))  # the padding sits at the floor
    assert np.array_equal(mel_image(long[: 3 * SR], SR), b)


def test_nothing_readable_gives_an_empty_table_and_every_error(tmp_path):
    res = run([str(tmp_path / "a.wav"), str(tmp_path / "b.mp3")], tmp_path / "cache")
    assert res.features.empty and "path" in res.features.columns
    assert list(res.errors["error"]) == ["file not found", "file not found"]
    assert res.stats.n_failed == 2


def test_cache_key_is_the_content_even_with_size_and_mtime_restored(corpus, tmp_path):
    path = tmp_path / "a.wav"
    y = voice_clip(110, 5, seed=1)
    save_audio(path, y, SR)
    first = run([str(path)], tmp_path / "cache", families=("original",))
    st = path.stat()
    save_audio(path, np.resize(voice_clip(220, 5, seed=1), len(y)), SR)  # same length, other voice
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    second = run([str(path)], tmp_path / "cache", families=("original",))
    assert second.stats.n_computed == 1
    assert first.features["orig_f0_median_hz"][0] == pytest.approx(110, rel=0.05)
    assert second.features["orig_f0_median_hz"][0] == pytest.approx(220, rel=0.05)


def test_devices_pipes_and_folders_are_recorded_and_never_block(corpus, tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    (tmp_path / "folder.wav").mkdir()
    good = corpus["manifest"]["path"][0]
    args = ["features", str(fifo), "/dev/zero", "/dev/urandom", str(tmp_path / "folder.wav"), good, "--families", "original",
            "--cleaning", "none", "--jobs", "1", "--no-progress", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c")]
    proc = subprocess.run([sys.executable, "-m", "workbook", *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert list(read_features(tmp_path / "out")["path"]) == [good]
    errors = pd.read_csv(tmp_path / "out" / "feature_errors.csv").set_index("path")["error"]
    assert errors[str(fifo)] == errors["/dev/zero"] == errors["/dev/urandom"] == \
        "cannot read: not a regular file (a device, pipe or socket); not read"
    assert errors[str(tmp_path / "folder.wav")] == "cannot read: is a folder, not an audio file"
