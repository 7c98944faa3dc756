"""Fault injection: a data set with bad entries of every kind, run through load and extraction.

A folder + CSV (audio in ``recordings/``, some rows naming the file by its stem) holds 8
good recordings and 11 bad ones, one of each kind (each kind is over 5 % of the rows):
zero-byte, truncated, random bytes, silence, NaN samples, a file over the length limit, a
folder named ``.wav``, a FIFO, a device, a missing file and an unknown label; a stereo
48 kHz file, a non-ASCII name and a stem are good. The run must complete, name every bad row
with its reason in one problems table and keep every good row; a worker killed mid-file, a
worker that always dies and a parent killed mid-run must not change the table or hang.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import cloudpickle  # what loky pickles with
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from helpers.audio import save_audio
from test_engine import voice_clip  # noqa: E402  (tests/ is on sys.path under pytest)
from workbook.engine import extract_features, run_job
from workbook.sources.folder_csv import load_folder_csv
from workbook.workers import MAX_DURATION_S, Job, compute_rows

SR = 16000

#: Each bad row: file name in the CSV -> (stage, words its error must contain).
BAD = {
    "empty.wav": ("load", "empty (0 bytes)"),
    "truncated.wav": ("load", "truncated"),
    "random.wav": ("load", "cannot decode as audio"),
    "silent.wav": ("check", "silent"),
    "nan.wav": ("load", "NaN"),
    "long.wav": ("load", "too long"),
    "folder.wav": ("load", "is a folder"),
    "pipe.wav": ("load", "not a regular file"),
    "/dev/zero": ("load", "not a regular file"),
    "missing.wav": ("load", "closest file there: "),
    "label.wav": ("load", "unknown label"),
}
GOOD = ["good0.wav", "good1.wav", "good2.wav", "good3.wav", "good4.wav", "stereo48k.wav", "stimme_äöü_声.wav", "stem"]


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    root = tmp_path_factory.mktemp("faulty")
    rec = root / "recordings"
    rec.mkdir()
    for i, name in enumerate(["good0.wav", "good1.wav", "good2.wav", "good3.wav", "good4.wav", "stimme_äöü_声.wav",
                              "stem.flac", "label.wav"]):
        save_audio(rec / name, voice_clip(100 + 25 * i, 4, seed=i), SR)
    y48 = np.interp(np.arange(0, len(y := voice_clip(180, 4, seed=30)), SR / 48000), np.arange(len(y)), y)
    sf.write(rec / "stereo48k.wav", np.column_stack([y48, 0.5 * y48]).astype(np.float32), 48000)
    (rec / "empty.wav").write_bytes(b"")
    save_audio(rec / "truncated.wav", voice_clip(150, 4, seed=40), SR)
    (rec / "truncated.wav").write_bytes((rec / "truncated.wav").read_bytes()[:6000])
    (rec / "random.wav").write_bytes(np.random.default_rng(0).bytes(6000))
    save_audio(rec / "silent.wav", np.zeros(SR, np.float32), SR)
    nan = voice_clip(150, 4, seed=41)
    nan[100:200] = np.nan
    sf.write(rec / "nan.wav", nan, SR, subtype="FLOAT")
    sf.write(rec / "long.wav", np.zeros(int(8000 * (MAX_DURATION_S + 1)), np.int16), 8000)
    (rec / "folder.wav").mkdir()
    os.mkfifo(rec / "pipe.wav")
    labels = {name: ("30", "female") for name in [*GOOD, *BAD]} | {"label.wav": ("30", "robot")}
    lines = [f"{name},{age},{gender},spk{i}" for i, (name, (age, gender)) in enumerate(labels.items())]
    (root / "labels.csv").write_text("file,age,gender,speaker\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return root


def extract(ds, cache, n_jobs=2):
    return extract_features(ds, families="original", n_jobs=n_jobs, cache_dir=cache, progress=False)


def load(root):
    return load_folder_csv(root, path_column="file", speaker_column="speaker", audio_dir="recordings", n_jobs=1)


def test_every_bad_row_is_named_and_every_good_row_kept(faulty, tmp_path):
    ds = load(faulty)
    res = extract(ds, tmp_path / "cache")
    assert sorted(os.path.basename(p).replace(".flac", "") for p in res.features["path"]) == sorted(GOOD)
    errors = res.errors.assign(name=res.errors["path"].map(lambda p: p if p.startswith("/dev") else os.path.basename(p)))
    assert sorted(errors["name"]) == sorted(BAD), errors
    for _, row in errors.iterrows():
        stage, words = BAD[row["name"]]
        assert row["stage"] == stage and words in row["error"], row.to_dict()
    assert res.summary().count("errors at") == 2  # load and check


@dataclass
class KillingJob(Job):
    """Kills its own worker on a clip of ``victim_len`` samples: once (``marker`` absent), or always;
    computes the RMS level (the test is about the workers, not the features)."""

    victim_len: int = -1
    marker: str = ""

    kind = "rms"

    def compute(self, y, sr):
        if len(y) == self.victim_len and not (self.marker and os.path.exists(self.marker)):
            if self.marker:
                open(self.marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return {"rms": float(np.sqrt(np.mean(y.astype(np.float64) ** 2)))}, []


# A worker unpickles the job by value: by reference it would import this module, and with it
# test_engine and the CLI (about 8 s in each new worker process).
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def killing_job(victim: str | None, marker: str = "") -> KillingJob:
    return KillingJob(victim_len=sf.info(victim).frames if victim else -1, marker=marker)


def rows(tasks, job, n_jobs=2):
    return pd.DataFrame(list(compute_rows(tasks, job, n_jobs=n_jobs))).set_index("content_sha1").sort_index()


@pytest.mark.slow
def test_killed_worker_is_retried_and_a_worker_that_always_dies_is_named(faulty, tmp_path):
    good = [str(faulty / "recordings" / n) for n in GOOD[:5]]
    tasks = [(p, f"k{i}") for i, p in enumerate(good)]
    clean = rows(tasks, killing_job(None), n_jobs=1)  # in this process: the reference
    once = rows(tasks, killing_job(good[2], marker=str(tmp_path / "killed-once")))
    assert (tmp_path / "killed-once").exists()  # the worker really died once
    values = ["rms", "_status", "_loaded_s"]
    pd.testing.assert_frame_equal(once[values], clean[values])
    always = rows(tasks, killing_job(good[2]))
    assert list(always["_status"]) == ["ok", "ok", "failed", "ok", "ok"]
    assert "worker died, likely out of memory" in always.loc["k2", "_errors"]
    pd.testing.assert_frame_equal(always.drop(index="k2")[values], clean.drop(index="k2")[values])


ORPHAN_SCRIPT = """
import sys, time
import pandas as pd
from dataclasses import dataclass
from workbook.workers import Job, compute_rows

@dataclass
class Slow(Job):
    def compute(self, y, sr):
        time.sleep(60)

for row in compute_rows([(p, str(i)) for i, p in enumerate(sys.argv[1:])], Slow(), n_jobs=2):
    pass
"""


@pytest.mark.slow
def test_workers_exit_soon_after_their_parent_is_killed(faulty, tmp_path):
    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN_SCRIPT)
    good = [str(faulty / "recordings" / n) for n in GOOD[:4]]
    parent = subprocess.Popen([sys.executable, str(script), *good], cwd=os.getcwd())
    workers: list[str] = []
    for _ in range(240):
        time.sleep(0.25)
        workers = subprocess.run(["pgrep", "-f", "-P", str(parent.pid), "loky"], capture_output=True, text=True).stdout.split()
        if len(workers) >= 2:
            break
    time.sleep(2)  # the workers hold a file each
    assert len(workers) >= 2
    parent.kill()
    parent.wait()
    killed = time.monotonic()
    def alive():
        return [w for w in workers if os.path.exists(f"/proc/{w}") and open(f"/proc/{w}/stat").read().split()[2] != "Z"]

    while alive() and time.monotonic() - killed < 30:
        time.sleep(0.1)
    alive = alive()
    for w in alive:
        os.kill(int(w), signal.SIGKILL)
    assert not alive and time.monotonic() - killed < 10


KILLED_RUN_SCRIPT = """
import os, signal, sys
from test_faults import KillingJob, load
from workbook.engine import run_job

def die(shard, n_done):
    if n_done >= 3:
        os.kill(os.getpid(), signal.SIGKILL)

run_job(load(sys.argv[1]).manifest, KillingJob(), n_jobs=2, cache_dir=sys.argv[2], shard_size=1, progress=False,
        on_shard=die)
"""


@pytest.mark.slow
def test_killed_run_resumes_to_the_tables_of_an_uninterrupted_run(faulty, tmp_path):
    script = tmp_path / "killed.py"
    script.write_text(KILLED_RUN_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__), os.getcwd()])}
    proc = subprocess.run([sys.executable, str(script), str(faulty), str(tmp_path / "cache")], capture_output=True,
                          text=True, timeout=900, env=env)
    assert proc.returncode == -9, proc.stderr  # killed after three files
    manifest = load(faulty).manifest
    runs = {}
    for name in ("cache", "fresh"):
        keys, store, errors, stats = run_job(manifest, KillingJob(), n_jobs=2, cache_dir=tmp_path / name, progress=False)
        values = store.read(keys["content_sha1"])[["content_sha1", "rms", "_status", "_errors"]]
        runs[name] = (keys, values.sort_values("content_sha1").reset_index(drop=True), errors, stats)
    assert runs["cache"][3].n_cached >= 3 and runs["fresh"][3].n_cached == 0
    for resumed, fresh in zip(runs["cache"][:3], runs["fresh"][:3]):
        pd.testing.assert_frame_equal(resumed, fresh)


@pytest.mark.slow
def test_the_command_line_names_every_bad_row_in_feature_errors_csv(faulty, tmp_path):
    from workbook.cli import main as cli_main

    params = "path_column=file speaker_column=speaker audio_dir=recordings n_jobs=1"
    assert cli_main(["features", "--dataset", "folder_csv", "--data-dir", str(faulty), "--params", params, "--families",
                     "original", "--cleaning", "none", "--jobs", "2", "--no-progress", "--out", str(tmp_path / "out"),
                     "--cache-dir", str(tmp_path / "cache")]) == 0
    errors = pd.read_csv(tmp_path / "out" / "feature_errors.csv")
    assert sorted(p if p.startswith("/dev") else os.path.basename(p) for p in errors["path"]) == sorted(BAD)
    assert len(pd.read_parquet(tmp_path / "out" / "features.parquet")) == len(GOOD)
