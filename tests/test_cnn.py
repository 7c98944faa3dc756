"""Tests of the image approach (helpers.cnn): determinism, learning, use inside grouped CV."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedGroupKFold

from helpers.cnn import MelCNN, MelCNNClassifier, read_image_rows
from helpers.evaluation import evaluate_cv

SHAPE = (32, 24)


def images(n: int, seed: int):
    """Noise images in dB; class "b" has a bright band low in frequency, class "a" high."""
    rng = np.random.default_rng(seed)
    y = np.array(["a", "b"] * (n // 2))
    X = rng.normal(-60, 5, size=(n, *SHAPE)).astype(np.float32)
    X[y == "a", 20:24, :] += 12
    X[y == "b", 4:8, :] += 12
    return X.reshape(n, -1), y, np.repeat(np.arange(n // 4), 4)


def test_same_seed_gives_the_same_model_and_metrics():
    X, y, _ = images(48, 0)
    kw = dict(image_shape=SHAPE, epochs=3, batch_size=8, seed=3)
    first = MelCNNClassifier(**kw).fit(X[:32], y[:32], eval_set=(X[32:], y[32:]))
    again = MelCNNClassifier(**kw).fit(X[:32], y[:32], eval_set=(X[32:], y[32:]))
    np.testing.assert_array_equal(first.predict_proba(X[32:]), again.predict_proba(X[32:]))
    assert first.history_.equals(again.history_)
    assert list(first.history_.columns) == ["epoch", "train_loss", "val_loss", "val_uar"] and len(first.history_) == 3
    other = MelCNNClassifier(**{**kw, "seed": 4}).fit(X[:32], y[:32])
    assert not np.array_equal(first.predict_proba(X[32:]), other.predict_proba(X[32:]))


def test_it_learns_inside_grouped_folds():
    X, y, speakers = images(80, 1)
    folds = list(StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=0).split(X, y, groups=speakers))
    res = evaluate_cv(MelCNNClassifier(image_shape=SHAPE, epochs=8, batch_size=8), X, y, speakers, folds,
                      classes=["a", "b"], n_bootstrap=50)
    assert res.clip.uar > 0.9
    assert res.proba.shape == (80, 2) and np.allclose(res.proba.sum(axis=1), 1)


def test_network_output_shape_for_any_clip_length():
    net = MelCNN(n_classes=6)
    import torch

    assert net(torch.zeros(2, 1, 128, 94)).shape == (2, 6)
    assert net(torch.zeros(1, 1, 128, 40)).shape == (1, 6)


def test_reading_rows_from_the_images_file_gives_the_same_model(tmp_path):
    """images= a .npy and X the row numbers: the same model as the images in memory, and
    inside cross_val_predict (which hands X over as floats) the same predictions."""
    X, y, speakers = images(64, 2)
    path = tmp_path / "mel_images.npy"
    np.save(path, X.reshape(-1, *SHAPE))
    rows = np.arange(64).reshape(-1, 1)
    kw = dict(image_shape=SHAPE, epochs=2, batch_size=8, chunk=7, seed=1)
    in_memory = MelCNNClassifier(**kw).fit(X[:48], y[:48], eval_set=(X[48:], y[48:]))
    from_file = MelCNNClassifier(images=str(path), **kw).fit(rows[:48], y[:48], eval_set=(rows[48:], y[48:]))
    np.testing.assert_array_equal(in_memory.predict_proba(X[48:]), from_file.predict_proba(rows[48:]))
    assert in_memory.history_.equals(from_file.history_)
    folds = list(StratifiedGroupKFold(n_splits=4).split(X, y, groups=speakers))
    a = evaluate_cv(MelCNNClassifier(**kw), X, y, speakers, folds, classes=["a", "b"], n_bootstrap=10)
    b = evaluate_cv(MelCNNClassifier(images=str(path), **kw), rows, y, speakers, folds, classes=["a", "b"], n_bootstrap=10)
    np.testing.assert_array_equal(a.proba, b.proba)


def test_bad_rows_or_file_name_the_file(tmp_path):
    X, y, _ = images(8, 0)
    path = tmp_path / "mel_images.npy"
    np.save(path, X.reshape(-1, *SHAPE))
    with pytest.raises(ValueError, match=r"mel_images\.npy: index 8 is out of bounds"):
        read_image_rows(path, [0, 8])
    with pytest.raises(ValueError, match="one column of whole row numbers"):
        MelCNNClassifier(images=str(path), image_shape=SHAPE).fit(np.full((8, 1), 0.5), y)
    np.save(tmp_path / "wide.npy", X.astype(np.float64).reshape(-1, *SHAPE))
    with pytest.raises(ValueError, match=r"wide\.npy: expected float32 images"):
        read_image_rows(tmp_path / "wide.npy", [0])
    cut = tmp_path / "cut.npy"
    cut.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"cut\.npy: "):
        read_image_rows(cut, [7])
    np.testing.assert_array_equal(read_image_rows(path, [5, 2]), X.reshape(-1, *SHAPE)[[5, 2]])
