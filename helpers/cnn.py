"""The image approach: a small convolutional network on log-mel images, as a scikit-learn classifier.

:class:`MelCNN` is the network (torch); :class:`MelCNNClassifier` trains it with the usual
``fit`` / ``predict_proba``, so ``cross_val_predict`` and :func:`helpers.evaluation.evaluate_cv`
run it inside the same speaker-grouped folds as the tabular models (inputs: the images
flattened to rows). Training is deterministic for a ``seed`` on the CPU (fixed seed, one
thread, ``torch.use_deterministic_algorithms``).

Notebook: 06_learned_representations
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import balanced_accuracy_score
from torch import nn

__all__ = ["MelCNN", "MelCNNClassifier"]


class MelCNN(nn.Module):
    """Image ``(batch, 1, n_mels, n_frames)`` in standardised dB -> class scores (logits).

    An average pool shrinks the image by ``downsample`` (128 x 94 -> 32 x 24: 16 times less
    work, on 2 CPU cores that decides between minutes and an hour), then one block per
    entry of ``channels`` (3x3 convolution, batch norm, ReLU, 2x2 max pool: each block sees
    a wider patch of time and frequency), then the mean over the whole image (``AdaptiveAvgPool2d``: any clip length),
    dropout and one linear layer.
    """

    def __init__(self, n_classes: int, channels: tuple[int, ...] = (8, 16, 32), dropout: float = 0.3, downsample: int = 4):
        super().__init__()
        layers: list[nn.Module] = [nn.AvgPool2d(downsample, ceil_mode=True)]
        c_in = 1
        for c in channels:
            layers += [nn.Conv2d(c_in, c, kernel_size=3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
            c_in = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(c_in, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class MelCNNClassifier(ClassifierMixin, BaseEstimator):
    """Train :class:`MelCNN` with Adam on weighted cross-entropy; rows of ``X`` are images
    of ``image_shape`` (n_mels, n_frames) flattened. ``epochs`` passes over the training
    rows in shuffled mini-batches of ``batch_size``; ``lr`` the learning rate.

    ``fit(X, y, sample_weight=None, eval_set=None)``: ``eval_set=(X_val, y_val)`` records the
    validation loss and UAR after every epoch in ``history_`` (the learning curves) beside
    the training loss; it never steers training.
    """

    def __init__(self, image_shape=(128, 94), *, channels=(8, 16, 32), dropout: float = 0.3, downsample: int = 4,
                 epochs: int = 10, batch_size: int = 32, lr: float = 2e-3, seed: int = 0):
        self.image_shape, self.channels, self.dropout, self.downsample = image_shape, channels, dropout, downsample
        self.epochs, self.batch_size, self.lr, self.seed = epochs, batch_size, lr, seed

    def _tensor(self, X) -> torch.Tensor:
        X = np.asarray(X, dtype=np.float32).reshape(-1, 1, *self.image_shape)
        return torch.from_numpy((X - self.mean_) / self.std_)

    def _loss_and_uar(self, X: torch.Tensor, y: np.ndarray) -> tuple[float, float]:
        scores = self._scores(X)
        target = torch.as_tensor(np.searchsorted(self.classes_, y))
        loss = nn.functional.cross_entropy(scores, target).item()
        return loss, balanced_accuracy_score(y, self.classes_[scores.argmax(1).numpy()])

    def fit(self, X, y, sample_weight=None, eval_set=None):
        torch.manual_seed(self.seed)
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        X = np.asarray(X, dtype=np.float32)
        self.mean_, self.std_ = float(X.mean()), float(X.std() or 1.0)  # from the training rows only
        Xt, target = self._tensor(X), torch.as_tensor(np.searchsorted(self.classes_, y))
        w = torch.as_tensor(np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight), dtype=torch.float32)
        self.model_ = MelCNN(len(self.classes_), tuple(self.channels), self.dropout, self.downsample)
        optimiser = torch.optim.Adam(self.model_.parameters(), lr=self.lr)
        order = torch.Generator().manual_seed(self.seed)
        history = []
        for epoch in range(1, self.epochs + 1):
            self.model_.train()
            total = 0.0
            for batch in torch.randperm(len(y), generator=order).split(self.batch_size):
                loss = (nn.functional.cross_entropy(self.model_(Xt[batch]), target[batch], reduction="none")
                        * w[batch]).sum() / w[batch].sum()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += loss.item() * len(batch)
            row = {"epoch": epoch, "train_loss": total / len(y)}
            if eval_set is not None:
                row["val_loss"], row["val_uar"] = self._loss_and_uar(self._tensor(eval_set[0]), np.asarray(eval_set[1]))
            history.append(row)
        self.history_ = pd.DataFrame(history)
        return self

    def _scores(self, X: torch.Tensor) -> torch.Tensor:
        self.model_.eval()
        with torch.no_grad():
            return torch.cat([self.model_(b) for b in X.split(256)])

    def predict_proba(self, X) -> np.ndarray:
        return torch.softmax(self._scores(self._tensor(X)), dim=1).numpy().astype(float)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
