"""Golden values tied to version constants, and stale corpora or cache entries never reused.

The stored values live in tests/golden/golden.json (``python tests/golden.py --update``).
Each check compares the stored version constant first: after a deliberate change the version
is bumped and the golden file regenerated; a change that forgot the bump fails on the values.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from golden import GOLDEN, UPDATE, clip_digest, feature_row, fixed_prediction, golden_clip

from workbook.engine import FEATURE_CODE_VERSION
from workbook.synthetic.corpus import GENERATOR_VERSION, CorpusConfig, corpus_is_complete, ensure_corpus


@pytest.fixture(scope="module")
def golden():
    assert GOLDEN.is_file(), f"no {GOLDEN.name}; run {UPDATE}"
    return json.loads(GOLDEN.read_text())


@pytest.fixture(scope="module")
def clip():
    return golden_clip()


def check_version(stored: dict, name: str, current: str):
    assert stored[name] == current, (
        f"golden for {name} {stored[name]}, the code is at {current}; run {UPDATE} (and review the diff)")


def test_rendered_clip_matches_its_digest(golden, clip):
    check_version(golden["clip"], "generator_version", GENERATOR_VERSION)
    assert (clip.sr, len(clip.mix)) == (golden["clip"]["sr"], golden["clip"]["n_samples"])
    assert clip_digest(clip) == golden["clip"]["sha1"], (
        f"generator {GENERATOR_VERSION} renders other samples than its golden: bump GENERATOR_VERSION "
        f"(stale corpora are then regenerated) and run {UPDATE}")


def test_feature_row_matches_its_golden(golden, clip):
    stored = golden["feature_row"]
    check_version(stored, "generator_version", GENERATOR_VERSION)
    check_version(stored, "feature_code_version", FEATURE_CODE_VERSION)
    row = feature_row(clip)
    assert sorted(row) == sorted(stored["values"]), "feature columns changed: bump FEATURE_CODE_VERSION"
    off = {k: (row[k], v) for k, v in stored["values"].items()
           if not (row[k] is None and v is None) and (row[k] is None or v is None
                                                      or row[k] != pytest.approx(v, rel=2e-3, abs=1e-8))}
    assert not off, f"{len(off)} features differ from the golden row (bump FEATURE_CODE_VERSION): {dict(list(off.items())[:8])}"


def test_fixed_model_prediction_matches_its_golden(golden):
    got = fixed_prediction()
    assert got == pytest.approx(golden["prediction"]["values"], rel=1e-4, abs=1e-7)


def test_a_corpus_of_another_generator_version_is_stale_and_regenerated(tmp_path):
    config = CorpusConfig(n_speakers=2, clips_per_speaker=1, seed=4)
    root = tmp_path / "corpus"
    ensure_corpus(root, config, n_jobs=1, progress=False)
    assert corpus_is_complete(root, config)
    marker = root / "corpus.json"
    meta = json.loads(marker.read_text())
    marker.write_text(json.dumps({**meta, "generator_version": "0"}))
    assert not corpus_is_complete(root, config), "a corpus of generator version 0 was taken as current"
    ensure_corpus(root, config, n_jobs=1, progress=False)
    assert json.loads(marker.read_text())["generator_version"] == GENERATOR_VERSION


def test_cache_entries_of_another_feature_code_version_are_not_reused(tmp_path, monkeypatch, clip):
    from helpers.audio import save_audio
    from workbook import engine

    path = save_audio(tmp_path / "clips" / "golden.wav", clip.mix, clip.sr)
    manifest = pd.DataFrame({"path": [str(path)]})
    first = engine.extract_features(manifest, families=("original",), cache_dir=tmp_path / "cache", n_jobs=1,
                                    progress=False)
    assert first.stats.n_computed == 1
    monkeypatch.setattr(engine, "FEATURE_CODE_VERSION", str(FEATURE_CODE_VERSION) + "-next")
    later = engine.extract_features(manifest, families=("original",), cache_dir=tmp_path / "cache", n_jobs=1,
                                    progress=False)
    assert later.stats.n_computed == 1 and later.stats.n_cached == 0, "served features of the old code version"
