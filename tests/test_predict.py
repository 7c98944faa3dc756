"""Tests of prediction on new recordings (workbook.predict) and ``python -m workbook predict``
(workbook.cli.main): a generated clip, a corrupt file, a stereo 44.1 kHz file.

A small model is trained here on features the engine extracts from a tiny synthetic corpus,
saved with skops, and loaded back the way notebook 07 and the command line load it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_corpus):
    """(model folder, the engine's feature table the models were trained on, the data set)."""
    from workbook.datasets import load_dataset
    from workbook.engine import extract_features
    from helpers.models import SpeakerBalanced, make_model, prepare_task
    from workbook.persistence import save_models

    ds = load_dataset("synthetic", small_corpus, n_speakers=8, clips_per_speaker=2, seed=5)
    cache = tmp_path_factory.mktemp("feature_cache")
    result = extract_features(ds, families="full", cleaning="trim", n_jobs=1, progress=False, cache_dir=cache)
    assert len(result.features) == len(ds.manifest)
    cols = result.feature_columns()
    age = prepare_task(result.features, cols, min_speakers=1)
    gender = prepare_task(result.features, cols, target="gender", min_speakers=1)
    models = {"age": SpeakerBalanced(make_model("lr", C=1.0)).fit(age.X.to_numpy(), age.y, speakers=age.groups).estimator_,
              "gender": SpeakerBalanced(make_model("lr", C=1.0)).fit(gender.X.to_numpy(), gender.y,
                                                                 speakers=gender.groups).estimator_}
    card = {"feature_spec": result.spec, "dataset": "synthetic",
            "models": {"age": {"feature_columns": list(age.X.columns), "classes": age.classes},
                       "gender": {"feature_columns": list(gender.X.columns), "classes": gender.classes}}}
    folder = tmp_path_factory.mktemp("model")
    save_models(folder, models, card)
    return folder, result.features, ds


@pytest.fixture(scope="module")
def model_dir(trained):
    return trained[0]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, small_config):
    """A generated clip (16 kHz mono wav), the same clip as stereo 44.1 kHz flac, a corrupt file."""
    import soxr

    from workbook.synthetic.corpus import render_clip

    folder = tmp_path_factory.mktemp("inputs")
    clip = render_clip(small_config, 1, 0)
    y16 = np.asarray(clip.mix, dtype=np.float64)
    if clip.sr != 16000:
        y16 = soxr.resample(y16, clip.sr, 16000)
    mono = folder / "generated.wav"
    sf.write(mono, y16.astype(np.float32), 16000)
    y44 = soxr.resample(y16, 16000, 44100)
    stereo = folder / "stereo_44k.flac"
    sf.write(stereo, np.column_stack([y44, 0.9 * y44]).astype(np.float32), 44100)
    corrupt = folder / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 8)
    return {"mono": mono, "stereo": stereo, "corrupt": corrupt, "truth": clip.info}


def test_prediction_is_the_models_own_predict_proba_on_the_engines_features(trained):
    """A corpus file predicted by the Predictor gets exactly the probabilities the saved model
    gives the engine's feature row of that file, the columns picked by name from a table
    whose columns are shuffled (a column fed in another order changes the numbers)."""
    from workbook.persistence import load_models
    from workbook.predict import Predictor

    folder, features, ds = trained
    models, card = load_models(folder)
    predictor = Predictor.from_folder(folder)
    shuffled = features.sample(frac=1.0, axis=1, random_state=0)
    for path in list(ds.manifest["path"])[:3]:
        row = predictor.predict_one(path)
        engine_row = shuffled[shuffled["path"] == str(path)]
        assert len(engine_row) == 1, path
        for name, label in (("age", "age_group"), ("gender", "gender")):
            cols, classes = card["models"][name]["feature_columns"], card["models"][name]["classes"]
            x = engine_row[cols].to_numpy(dtype=float)
            model = models[name]
            own = model.predict_proba(x)[0]
            expected = {c: own[list(model.classes_).index(c)] for c in classes}
            got = {c: row[f"p_{c}"] for c in classes}
            assert got == pytest.approx(expected, abs=1e-9), (name, path)
            assert row[label] == max(expected, key=expected.get)


def test_predict_files_reports_the_bad_file_and_predicts_the_rest(model_dir, inputs):
    from workbook.predict import Predictor

    predictor = Predictor.from_folder(model_dir)
    paths = [inputs["mono"], inputs["corrupt"], inputs["stereo"], model_dir / "missing.mp3"]
    table = predictor.predict_files(paths)
    assert list(table["status"]) == ["ok", "error", "ok", "error"]
    assert "corrupt.wav" in table.loc[1, "error"] and "load" in table.loc[1, "error"]
    assert "missing.mp3: file not found" in table.loc[3, "error"]
    age_classes = predictor.card["models"]["age"]["classes"]
    for i in (0, 2):
        p = table.loc[i, [f"p_{c}" for c in age_classes]].to_numpy(dtype=float)
        assert p.sum() == pytest.approx(1.0) and table.loc[i, "age_group"] in age_classes
        assert table.loc[i, "gender"] in ("female", "male")
        assert table.loc[i, "p_female"] + table.loc[i, "p_male"] == pytest.approx(1.0)
    # the stereo 44.1 kHz copy is downmixed and resampled to the training's 16 kHz: same prediction
    assert table.loc[2, "age_group"] == table.loc[0, "age_group"]
    assert table.loc[2, "gender"] == table.loc[0, "gender"]
    assert abs(table.loc[2, "gender_probability"] - table.loc[0, "gender_probability"]) < 0.1
    both = predictor.predict_files([inputs["mono"], inputs["stereo"]], same_speaker=True)
    assert len(both) == 3 and both.loc[2, "path"].startswith("(all files")


def test_prediction_uses_the_training_cleaning_and_features(model_dir, inputs):
    from workbook.predict import Predictor

    predictor = Predictor.from_folder(model_dir)
    assert predictor.job.cleaning is not None and predictor.job.cleaning["top_db"] is not None
    assert set(predictor.job.families) == set(predictor.card["feature_spec"]["families"])
    values = predictor.features_of(inputs["mono"])
    cols = predictor.card["models"]["age"]["feature_columns"]
    assert all(c in values for c in cols)


def test_cli_prints_one_line_per_file_and_fails_softly(model_dir, inputs, capsys):
    from workbook.cli import main

    code = main(["predict", str(inputs["mono"]), str(inputs["corrupt"]), str(inputs["stereo"]), "--model-dir", str(model_dir)])
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert code == 1 and len(lines) == 3
    assert lines[0].startswith(str(inputs["mono"])) and "age group" in lines[0] and "gender" in lines[0]
    assert "ERROR" in lines[1] and "corrupt.wav" in lines[1]
    assert "age group" in lines[2]
    assert "1 of 3 file(s) could not be predicted" in captured.err

    assert main(["predict", str(inputs["mono"]), "--model-dir", str(model_dir), "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip())
    assert record["status"] == "ok" and 0 <= record["age_group_probability"] <= 1


def test_cli_without_a_model_or_with_an_untrusted_one(tmp_path, model_dir, inputs, capsys):
    import shutil

    import skops.io as sio

    from workbook.cli import main

    assert main(["predict", str(inputs["mono"]), "--model-dir", str(tmp_path / "none")]) == 2
    assert "model_card.json" in capsys.readouterr().err

    bad = tmp_path / "bad_model"
    shutil.copytree(model_dir, bad)
    sio.dump({"payload": Exception("not a model")}, bad / "age_model.skops")
    assert main(["predict", str(inputs["mono"]), "--model-dir", str(bad)]) == 2
    assert "trusted" in capsys.readouterr().err
    assert main(["predict", "--model-dir", str(model_dir)]) == 2  # no FILE
    assert "FILE" in capsys.readouterr().err
