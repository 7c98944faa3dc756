"""Tests of the image approach (helpers.cnn): determinism, learning, use inside grouped CV."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedGroupKFold

from helpers.cnn import MelCNN, MelCNNClassifier
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
