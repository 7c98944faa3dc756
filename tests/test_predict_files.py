"""Files that are not what they seem, predicted as notebook 07 and the command line predict them.

A small model is trained on a tiny synthetic corpus (the steps of notebook 05:
``prepare_task``, ``SpeakerBalanced(make_model(...))``, ``save_models``), then fed a batch
of a good clip, a stereo 44.1 kHz copy of it and a file that only claims to be audio,
through ``Predictor.predict_files``, ``python -m workbook predict`` (``predict_main``)
and notebook 07's upload panel.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, small_corpus):
    from helpers.models import SpeakerBalanced, make_model, prepare_task
    from workbook.datasets import load_dataset
    from workbook.engine import extract_features
    from workbook.persistence import save_models

    ds = load_dataset("synthetic", small_corpus, n_speakers=8, clips_per_speaker=2, seed=5)
    result = extract_features(ds, families="full", cleaning="trim", n_jobs=1, progress=False,
                              cache_dir=tmp_path_factory.mktemp("feature_cache"))
    cols = result.feature_columns()
    age = prepare_task(result.features, cols, min_speakers=1)
    gender = prepare_task(result.features, cols, target="gender", min_speakers=1)
    models = {"age": SpeakerBalanced(make_model("lr", C=1.0)).fit(age.X.to_numpy(), age.y, speakers=age.groups).estimator_,
              "gender": SpeakerBalanced(make_model("lr", C=1.0)).fit(
                  gender.X.to_numpy(), gender.y, speakers=gender.groups).estimator_}
    card = {"feature_spec": result.spec, "dataset": "synthetic",
            "models": {"age": {"feature_columns": list(age.X.columns), "classes": age.classes},
                       "gender": {"feature_columns": list(gender.X.columns), "classes": gender.classes}}}
    folder = tmp_path_factory.mktemp("model")
    save_models(folder, models, card)
    return folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory, small_corpus):
    """good.wav (a corpus clip at 16 kHz), stereo_44k.flac (the same, stereo at 44.1 kHz), broken.wav."""
    import soxr

    from workbook.datasets import load_dataset

    ds = load_dataset("synthetic", small_corpus, n_speakers=8, clips_per_speaker=2, seed=5)
    y, sr = sf.read(ds.manifest["path"].iloc[0], dtype="float64")
    folder = tmp_path_factory.mktemp("batch")
    good = folder / "good.wav"
    sf.write(good, y.astype(np.float32), sr)
    y44 = soxr.resample(y, sr, 44100)
    stereo = folder / "stereo_44k.flac"
    sf.write(stereo, np.column_stack([y44, y44]).astype(np.float32), 44100)
    broken = folder / "broken.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(500))  # a WAV header, then nothing
    assert sf.info(stereo).channels == 2 and sf.info(stereo).samplerate == 44100
    return {"good": good, "stereo": stereo, "broken": broken}


@pytest.fixture(scope="module")
def predictor(model_dir):
    from workbook.predict import Predictor

    return Predictor.from_folder(model_dir)


def test_a_broken_file_gets_an_error_and_the_rest_are_predicted(predictor, batch):
    table = predictor.predict_files([batch["good"], batch["stereo"], batch["broken"]])
    assert list(table["status"]) == ["ok", "ok", "error"]
    error = table.loc[2, "error"]
    assert str(batch["broken"]) in error and "cannot decode" in error and "load step" in error
    assert table.loc[:1, "error"].eq("").all()
    ages = predictor.card["models"]["age"]["classes"]
    for i in (0, 1):
        assert table.loc[i, [f"p_{c}" for c in ages]].to_numpy(dtype=float).sum() == pytest.approx(1.0)
        assert table.loc[i, "age_group"] in ages and table.loc[i, "gender"] in ("female", "male")
    assert table.loc[1, "gender"] == table.loc[0, "gender"]


def test_the_stereo_44k_copy_is_downmixed_and_resampled_to_the_training_rate(predictor, batch):
    good = predictor.features_of(batch["good"])
    stereo = predictor.features_of(batch["stereo"])
    cols = predictor.card["models"]["age"]["feature_columns"]
    a = np.array([good[c] for c in cols], dtype=float)
    b = np.array([stereo[c] for c in cols], dtype=float)
    both = np.isfinite(a) & np.isfinite(b)
    assert both.mean() > 0.9
    # the loader averages the channels and resamples to the training's rate: the features barely move
    assert np.isclose(a[both], b[both], rtol=0.05, atol=1e-3).mean() > 0.9
    assert predictor.job.sr == 16000 and sf.info(batch["good"]).samplerate != 44100


def test_command_line_reports_each_file_and_exits_1(model_dir, batch, capsys):
    from workbook.cli import main

    status = main(["predict", str(batch["good"]), str(batch["stereo"]), str(batch["broken"]), "--model-dir", str(model_dir)])
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert status == 1 and len(lines) == 3
    assert lines[0].startswith(f"{batch['good']}: age group") and "gender" in lines[0]
    assert lines[1].startswith(f"{batch['stereo']}: age group")
    assert lines[2].startswith(f"{batch['broken']}: ERROR") and "cannot decode" in lines[2]
    assert "1 of 3 file(s) could not be predicted" in captured.err
    assert main(["predict", str(batch["good"]), "--model-dir", str(model_dir)]) == 0


def test_upload_panel_shows_each_upload_with_its_prediction(predictor, batch):
    from ipywidgets import HTML, Image

    from helpers.predict_widgets import UploadPanel

    panel = UploadPanel(predictor)
    assert "0 file(s)" in repr(panel) and not panel.shown.children
    when = datetime.now(timezone.utc)
    panel.upload.value = tuple(  # what ipywidgets 8 puts there when a browser uploads two files
        {"name": path.name, "type": "", "size": path.stat().st_size, "content": memoryview(path.read_bytes()),
         "last_modified": when}
        for path in (batch["stereo"], batch["broken"]))
    first, second = panel.shown.children
    assert [r["status"] for r in panel.results] == ["ok", "error"]
    html, image = first.children
    assert isinstance(image, Image) and bytes(image.value).startswith(b"\x89PNG")
    assert f"age group <b>{panel.results[0]['age_group']}</b>" in html.value and "data:audio/flac;base64," in html.value
    assert isinstance(second.children[0], HTML) and "broken.wav" in second.children[0].value
    assert "cannot decode" in second.children[0].value
    assert (panel.folder / "stereo_44k.flac").read_bytes() == batch["stereo"].read_bytes()  # saved outside the project


@pytest.mark.parametrize("damage", ["file outside the folder", "classes not the model's", "pickle renamed .skops",
                                    "hand-edited file", "card without classes"])
def test_damaged_model_folders_are_refused_with_exit_2(model_dir, batch, tmp_path, capsys, damage):
    import json
    import pickle
    import shutil

    from sklearn.linear_model import LogisticRegression

    from workbook.cli import main as predict_main

    folder = tmp_path / "model"
    shutil.copytree(model_dir, folder)
    card = json.loads((folder / "model_card.json").read_text())
    age = folder / card["models"]["age"]["file"]
    if damage == "file outside the folder":
        card["models"]["age"]["file"] = str(model_dir / card["models"]["gender"]["file"])
    elif damage == "classes not the model's":
        card["models"]["age"]["classes"] = ["teens", "sixties"]
    elif damage == "pickle renamed .skops":
        age.write_bytes(pickle.dumps(LogisticRegression()))
    elif damage == "hand-edited file":
        data = age.read_bytes()
        age.write_bytes(data[:300] + b"edited" + data[306:])
    else:
        del card["models"]["age"]["classes"]
    (folder / "model_card.json").write_text(json.dumps(card))
    assert predict_main(["predict", "--model-dir", str(folder), str(batch["good"])]) == 2
    err = capsys.readouterr().err
    assert "cannot load the model" in err and "refused" in err.lower() and "Traceback" not in err
