"""The feature cache never serves features of other bytes, and a shard cut short by a kill or
a full disk is never read as if it were whole.

Written against behaviour, not against how the cache keys files: a file rewritten with
different samples but the same length (and, as rsync -t or a coarse file system leave it,
the same modification time) must get fresh features.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_engine import FAMILIES, SR, voice_clip

from helpers.audio import save_audio
from workbook.engine import extract_features


def run(manifest, cache, **kw):
    return extract_features(manifest, families=FAMILIES, cache_dir=cache, n_jobs=1, progress=False, **kw)


def same_length(y: np.ndarray, n: int) -> np.ndarray:
    return np.pad(y, (0, max(0, n - len(y))))[:n]


@pytest.fixture
def clips(tmp_path):
    paths = []
    for i, f0 in enumerate((110, 200, 150)):
        paths.append(save_audio(tmp_path / "clips" / f"c{i}.wav", voice_clip(f0, 5, seed=i), SR))
    return pd.DataFrame({"path": [str(p) for p in paths]})


@pytest.mark.parametrize("keep_mtime", [False, True], ids=["new_mtime", "same_mtime"])
def test_same_length_rewrite_is_not_served_old_features(clips, tmp_path, keep_mtime):
    cache = tmp_path / "cache"
    first = run(clips, cache)
    target = clips["path"][0]
    before = os.stat(target)
    assert first.features.loc[0, "orig_f0_median_hz"] == pytest.approx(110, rel=0.05)
    save_audio(target, same_length(voice_clip(240, 5, seed=0), int(before.st_size - 44) // 2), SR)
    assert os.stat(target).st_size == before.st_size, "the rewrite must keep the file's length"
    if keep_mtime:
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = run(clips, cache)
    assert after.features.loc[0, "orig_f0_median_hz"] == pytest.approx(240, rel=0.05), "served the old features"
    assert after.stats.n_computed == 1 and after.stats.n_cached == 2


KILLED_WHILE_WRITING = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import pandas as pd
    from workbook.engine import extract_features

    real = pd.DataFrame.to_parquet
    calls = []

    def half_then_killed(self, path, *args, **kwargs):
        # the third shard: half its bytes reach the disk, then the process is killed
        real(self, path, *args, **kwargs)
        if Path(path).parent.name.startswith("features-"):  # a shard, not the file index
            calls.append(path)
        if len(calls) == 3:
            size = os.path.getsize(path)
            with open(path, "r+b") as fh:
                fh.truncate(size // 2)
            os.kill(os.getpid(), signal.SIGKILL)

    pd.DataFrame.to_parquet = half_then_killed
    m = pd.read_csv(sys.argv[1])
    extract_features(m, families={families!r}, cache_dir=sys.argv[2], n_jobs=1, shard_size=1, progress=False)
    """
)


def test_kill_while_a_shard_is_written_leaves_no_half_shard(clips, tmp_path):
    csv = tmp_path / "manifest.csv"
    clips.to_csv(csv, index=False)
    script = tmp_path / "killed_while_writing.py"
    script.write_text(KILLED_WHILE_WRITING.format(families=FAMILIES))
    root = str(Path(__file__).resolve().parents[1])  # the tree under test, not an installed copy
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, str(script), str(csv), str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == -9, proc.stderr  # killed in the middle of writing the third shard
    for shard in (tmp_path / "cache").glob("features-*/part-*.parquet"):
        pd.read_parquet(shard)  # every shard the cache will read is whole
    resumed = run(clips, tmp_path / "cache")
    assert resumed.stats.n_cached == 2 and resumed.stats.n_computed == 1
    pd.testing.assert_frame_equal(resumed.features, run(clips, tmp_path / "fresh").features)


def test_truncated_shard_in_the_cache_is_recomputed_not_read(clips, tmp_path):
    """A shard cut short (disk full, an interrupted copy of the cache) costs a recomputation,
    never a crash or wrong rows."""
    cache = tmp_path / "cache"
    fresh = run(clips, cache, shard_size=1)
    shards = sorted(cache.glob("features-*/part-*.parquet"))
    assert len(shards) == 3
    data = shards[1].read_bytes()
    shards[1].write_bytes(data[: len(data) // 2])
    again = run(clips, cache, shard_size=1)
    assert again.stats.n_computed == 1 and again.stats.n_cached == 2
    pd.testing.assert_frame_equal(again.features, fresh.features)
