"""Tests of the speaker_embedding feature family (resemblyzer's GE2E VoiceEncoder on the CPU)."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import resemblyzer  # installed by make setup (a core dependency: no skip here)
import torch

import helpers.features as features
from helpers.audio import load_audio, save_audio
from helpers.cleaning import clean
from helpers.features import FAMILY_SETS, compute_features, speaker_encoder
from workbook.engine import extract_features, make_feature_job


def test_weights_come_from_the_installed_package_and_nothing_is_fetched(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    loaded = []
    real_load = torch.load

    def recording_load(f, *args, **kwargs):
        loaded.append(Path(f).resolve())
        return real_load(f, *args, **kwargs)

    monkeypatch.setattr(torch, "load", recording_load)
    speaker_encoder.cache_clear()  # force a fresh load in this process
    encoder = speaker_encoder()
    package = Path(resemblyzer.__file__).resolve().parent
    assert loaded == [package / "pretrained.pt"]
    assert encoder.device.type == "cpu" and torch.get_num_threads() == 1
    assert speaker_encoder() is encoder  # loaded once per process


def test_embedding_is_256_unit_norm_numbers_and_deterministic(small_corpus):
    path = sorted(Path(small_corpus).rglob("*.wav"))[0]
    y, sr = load_audio(path, sr=16000)
    first, errors = compute_features(y, sr, "speaker_embedding")
    again, _ = compute_features(y, sr, "speaker_embedding")
    assert errors == [] and list(first) == [f"emb_{i:03d}" for i in range(256)]
    assert first == again
    v = np.array(list(first.values()))
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5) and (v >= 0).all()
    assert "speaker_embedding" in FAMILY_SETS["all"] and "speaker_embedding" not in FAMILY_SETS["full"]


def test_engine_rows_have_256_columns_and_short_clips_are_recorded(small_corpus, tmp_path):
    paths = sorted(str(p) for p in Path(small_corpus).rglob("*.wav"))[:3]
    y, sr = load_audio(paths[0], sr=16000)
    short = str(save_audio(tmp_path / "short.wav", y[: int(0.3 * sr)], sr))
    serial = extract_features(paths + [short], families="speaker_embedding", n_jobs=1, cache_dir=tmp_path / "c1",
                              progress=False)
    columns = serial.feature_columns("speaker_embedding")
    assert len(columns) == 256
    table = serial.features.set_index("path")
    assert table.loc[paths, columns].notna().all().all()
    assert table.loc[short, columns].isna().all()  # the family failed; the clip's row is kept, as for every family
    err = serial.errors.set_index("path").loc[short]
    assert err["stage"] == "speaker_embedding" and "too short for a speaker embedding" in err["error"]
    parallel = extract_features(paths + [short], families="speaker_embedding", n_jobs=2, cache_dir=tmp_path / "c2",
                                progress=False)
    pd.testing.assert_frame_equal(serial.features, parallel.features)
    cached = extract_features(paths, families="speaker_embedding", n_jobs=1, cache_dir=tmp_path / "c1", progress=False)
    assert cached.stats.n_computed == 0


def test_the_engine_embeds_the_recording_before_cleaning_and_computes_the_rest_after(small_corpus, tmp_path):
    """With cleaning on, the embedding is the recording's (the GE2E network was trained on
    uncleaned speech); the hand-crafted families still read the cleaned clip."""
    path = sorted(str(p) for p in Path(small_corpus).rglob("*.wav"))[0]
    y, sr = load_audio(path, sr=16000)
    noisy = y + 0.05 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    path = str(save_audio(tmp_path / "noisy.wav", noisy, sr))
    recording, _ = load_audio(path, sr=16000)
    cleaned = clean(recording, sr, "gentle", name=path).y
    result = extract_features([path], families=("spectral", "speaker_embedding"), cleaning="gentle", n_jobs=1,
                              cache_dir=tmp_path / "cache", progress=False)
    row = result.features.iloc[0]
    from_recording, _ = compute_features(recording, sr, ("spectral", "speaker_embedding"))
    from_cleaned, _ = compute_features(cleaned, sr, ("spectral", "speaker_embedding"))
    emb = result.feature_columns("speaker_embedding")
    spec = result.feature_columns("spectral")
    np.testing.assert_allclose(row[emb].to_numpy(float), [from_recording[c] for c in emb], atol=1e-6)
    np.testing.assert_allclose(row[spec].to_numpy(float), [from_cleaned[c] for c in spec], rtol=1e-5, atol=1e-6)
    distance = np.linalg.norm(np.array([from_recording[c] for c in emb]) - np.array([from_cleaned[c] for c in emb]))
    assert distance > 1e-3, "cleaning did not change the embedding: this clip cannot tell the two inputs apart"
    # an older cache entry, whose embedding was computed after cleaning, is not reused
    assert "before_cleaning" in result.spec and result.spec["before_cleaning"] == ["speaker_embedding"]


def test_missing_package_gives_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_resemblyzer(name, *args, **kwargs):
        if name == "resemblyzer":
            raise ImportError("No module named 'resemblyzer'")
        return real_import(name, *args, **kwargs)

    speaker_encoder.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_resemblyzer)
    with pytest.raises(features.FeatureDependencyError, match="speaker_embedding.*make setup"):
        speaker_encoder()


def test_predict_with_an_embedding_model_says_so_and_keeps_its_errors(small_corpus, tmp_path):
    from helpers.models import SpeakerBalanced, make_model, prepare_task
    from workbook.datasets import load_dataset
    from workbook.persistence import save_models
    from workbook.predict import Predictor

    ds = load_dataset("synthetic", small_corpus, n_speakers=8, clips_per_speaker=2, seed=5)
    result = extract_features(ds, families=("rhythm", "speaker_embedding"), n_jobs=1, progress=False,
                              cache_dir=tmp_path / "cache")
    cols = result.feature_columns("speaker_embedding")
    task = prepare_task(result.features, cols, target="gender", min_speakers=1)
    model = SpeakerBalanced(make_model("lr")).fit(task.X.to_numpy(), task.y, speakers=task.groups).estimator_
    card = {"feature_spec": result.spec, "dataset": "synthetic",
            "models": {"gender": {"model": "lr", "features": "embedding", "feature_columns": cols, "classes": task.classes,
                                  "grouped_cv": {"speaker": {"uar": 0.9}}}}}
    save_models(tmp_path / "model", {"gender": model}, card)
    predictor = Predictor.from_folder(tmp_path / "model")
    assert predictor.describe() == ("gender: logistic regression on embedding features (256 columns), "
                                    "speaker-grouped CV UAR 0.900")
    cleaned = Predictor(models=predictor.models, card=predictor.card,
                        job=make_feature_job(("rhythm", "speaker_embedding"), cleaning="gentle"))
    assert cleaned.describe().endswith("the speaker embedding is computed from each recording as loaded; "
                                       "the other features from the cleaned recording, as in training")
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage")
    table = predictor.predict_files([ds.manifest["path"].iloc[0], corrupt])
    assert list(table["status"]) == ["ok", "error"]
    assert table.loc[0, "gender"] in task.classes and str(corrupt) in table.loc[1, "error"]
