"""Dask, proven: ``python -m workbook features --scheduler`` and notebook 03's ``scheduler``
parameter send the extraction to a running Dask cluster, with the same features as joblib."""

from __future__ import annotations

import logging
import time

import dask
import distributed  # a core dependency (dask[distributed]): missing, the suite fails here, never skips
import nbformat
import pandas as pd
import pytest

from workbook.cli import main as cli_main
from workbook.engine import extract_features
from workbook.manifest import read_manifest
from workbook.paths import notebooks_dir
from workbook.runner import run_notebooks
from workbook.workers import CONNECT_TIMEOUT


@pytest.fixture(scope="module")
def cluster():
    """One in-process worker thread: cheap to start, and the scheduler's task log is readable here."""
    c = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                                 dashboard_address=None, silence_logs=logging.ERROR)
    yield c
    c.close()


def _tasks_run(cluster) -> int:
    prefix = cluster.scheduler.task_prefixes.get("process_file")
    return 0 if prefix is None else prefix.state_counts["memory"]  # tasks that finished, ever


def test_cli_features_runs_on_a_scheduler_address(small_corpus, tmp_path, cluster, capsys):
    manifest = read_manifest(small_corpus / "manifest.csv", check_files=False).manifest.iloc[:6]
    manifest.to_csv(tmp_path / "m.csv", index=False)
    before = _tasks_run(cluster)
    code = cli_main(["features", "--manifest", str(tmp_path / "m.csv"), "--scheduler", cluster.scheduler_address,
                     "--cleaning", "none", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    assert "(dask," in capsys.readouterr().out  # --scheduler alone chose the Dask back-end
    assert _tasks_run(cluster) - before == 6
    on_dask = pd.read_parquet(tmp_path / "out" / "features.parquet")
    local = extract_features(manifest, cleaning=None, n_jobs=1, cache_dir=tmp_path / "cache1", progress=False).features
    pd.testing.assert_frame_equal(on_dask.sort_values("path").reset_index(drop=True),
                                  local.sort_values("path").reset_index(drop=True), check_dtype=False)


def test_cli_unreachable_scheduler_is_a_clear_error(small_corpus, tmp_path, capsys):
    with dask.config.set({CONNECT_TIMEOUT: "3s"}):  # the user's setting is honoured (Dask's default: 30 s)
        started = time.monotonic()
        code = cli_main(["features", str(next((small_corpus / "clips").rglob("*.wav"))), "--scheduler", "tcp://127.0.0.1:9",
                         "--cleaning", "none", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"),
                         "--no-progress"])
        waited = time.monotonic() - started
    assert code == 2
    assert waited < 15, f"gave up after {waited:.0f} s, not the 3 s asked for"
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in capsys.readouterr().err


def test_notebook_03_takes_a_scheduler(small_corpus, small_config, tmp_path, cluster):
    before = _tasks_run(cluster)
    params = {"n_speakers": small_config.n_speakers, "clips_per_speaker": small_config.clips_per_speaker,
              "seed": small_config.seed, "scheduler": cluster.scheduler_address, "n_truth_clips": 4, "cleaning": "none",
              "cache_dir": str(tmp_path / "cache")}
    [run] = run_notebooks(dataset="synthetic", data_dir=str(small_corpus), params=params, out_dir=tmp_path / "out",
                          notebooks=[notebooks_dir() / "03_features.ipynb"], html=False, echo=lambda *_: None)
    assert run.status == "ok", run.error
    n_clips = small_config.n_speakers * small_config.clips_per_speaker
    assert _tasks_run(cluster) - before == n_clips  # features and mel images in one pass, on the cluster
    text = "".join(o.get("text", "") for c in nbformat.read(run.output, as_version=4).cells if c.cell_type == "code" for o in c.outputs)
    assert "(dask," in text
    features = pd.read_parquet(tmp_path / "out" / "features.parquet")
    assert len(features) == n_clips
