"""The image approach: a small convolutional network on log-mel images, as a scikit-learn classifier.

:class:`MelCNN` is the network (torch); :class:`MelCNNClassifier` trains it with the usual
``fit`` / ``predict_proba``, so ``cross_val_predict`` and :func:`helpers.evaluation.evaluate_cv`
run it inside the same speaker-grouped folds as the tabular models. Its inputs are either
the images flattened to rows, or, with ``images=`` a ``.npy`` file, each clip's row in that
file: then the images are read from the file in chunks, and no process holds them all.
Training is deterministic for a ``seed`` on the CPU (fixed seed, one thread,
``torch.use_deterministic_algorithms``).

Notebook: 06_learned_representations
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import balanced_accuracy_score
from torch import nn

__all__ = ["MelCNN", "MelCNNClassifier", "read_image_rows"]


class MelCNN(nn.Module):
    """Image ``(batch, 1, n_mels, n_frames)`` in standardised dB -> class scores (logits).

    ``pool``, an average pool, shrinks the image by ``downsample`` (128 x 94 -> 32 x 24: 16 times less
    work, on 2 CPU cores that decides between minutes and an hour); ``classify`` then runs one block per
    entry of ``channels`` (3x3 convolution, batch norm, ReLU, 2x2 max pool: each block sees
    a wider patch of time and frequency), the mean over the whole image (``AdaptiveAvgPool2d``: any clip length),
    dropout and one linear layer. ``forward`` is ``classify(pool(x))``; the pool has no weights, so
    :class:`MelCNNClassifier` pools each image once and trains ``classify`` on the pooled images.
    """

    def __init__(self, n_classes: int, channels: tuple[int, ...] = (8, 16, 32), dropout: float = 0.3, downsample: int = 4):
        super().__init__()
        self.pool = nn.AvgPool2d(downsample, ceil_mode=True)
        layers: list[nn.Module] = []
        c_in = 1
        for c in channels:
            layers += [nn.Conv2d(c_in, c, kernel_size=3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
            c_in = c
        self.classify = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(c_in, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.pool(x))


def read_image_rows(path, rows) -> np.ndarray:
    """Rows ``rows`` of a float32 ``.npy`` of images ``(n, n_mels, n_frames)``, in the order given. The file is
    memory-mapped only while they are copied out, so the pages read do not stay in the process."""
    try:
        images = np.load(path, mmap_mode="r")
        if images.dtype != np.float32 or images.ndim != 3:
            raise ValueError(f"expected float32 images (n, n_mels, n_frames), got {images.dtype} {images.shape}")
        return np.array(images[np.asarray(rows, dtype=np.int64)])
    except (ValueError, IndexError, OSError) as e:
        raise ValueError(f"{path}: {e}") from e


class MelCNNClassifier(ClassifierMixin, BaseEstimator):
    """Train :class:`MelCNN` with Adam on weighted cross-entropy. Rows of ``X``: images of
    ``image_shape`` (n_mels, n_frames) flattened or, with ``images`` (path of a float32 ``.npy`` of
    shape ``(n, n_mels, n_frames)``), one column holding each clip's row in that file.
    ``epochs`` passes over the training rows in shuffled mini-batches of ``batch_size``; ``lr``
    the learning rate; ``chunk``: images read and pooled at a time.

    Memory: ``fit`` reads the training images twice in chunks (their mean and s.d., then each
    one standardised and pooled), and keeps only the pooled images: 4 bytes per pooled pixel
    (32 x 24 pixels, 3 KB per clip, for 128 x 94 images pooled 4 x 4).

    ``fit(X, y, sample_weight=None, eval_set=None)``: ``eval_set=(X_val, y_val)`` records the
    validation loss and UAR after every epoch in ``history_`` (the learning curves) beside
    the training loss; it never steers training.
    """

    def __init__(self, image_shape=(128, 94), *, images=None, channels=(8, 16, 32), dropout: float = 0.3,
                 downsample: int = 4, epochs: int = 10, batch_size: int = 32, lr: float = 2e-3, chunk: int = 256, seed: int = 0):
        self.image_shape, self.images, self.channels, self.dropout, self.downsample = image_shape, images, channels, dropout, downsample
        self.epochs, self.batch_size, self.lr, self.chunk, self.seed = epochs, batch_size, lr, chunk, seed

    def _chunks(self, X) -> Iterator[np.ndarray]:
        """The images of the rows of ``X``, ``chunk`` at a time, as float32 ``(n, 1, n_mels, n_frames)``."""
        if self.images is None:
            for i in range(0, len(X), self.chunk):
                yield np.asarray(X[i:i + self.chunk], dtype=np.float32).reshape(-1, 1, *self.image_shape)
            return
        rows = np.asarray(X).reshape(len(X), -1)
        if rows.shape[1] != 1 or not np.array_equal(rows, np.round(rows)):
            raise ValueError(f"with images={self.images!s}, X must be one column of whole row numbers; got shape {rows.shape}")
        rows = rows[:, 0].astype(np.int64)
        for i in range(0, len(rows), self.chunk):
            yield read_image_rows(self.images, rows[i:i + self.chunk])[:, None]

    def _pooled(self, X) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([self.model_.pool(torch.from_numpy((c - self.mean_) / self.std_)) for c in self._chunks(X)])

    def _loss_and_uar(self, pooled: torch.Tensor, y: np.ndarray) -> tuple[float, float]:
        scores = self._scores(pooled)
        target = torch.as_tensor(np.searchsorted(self.classes_, y))
        loss = nn.functional.cross_entropy(scores, target).item()
        return loss, balanced_accuracy_score(y, self.classes_[scores.argmax(1).numpy()])

    def fit(self, X, y, sample_weight=None, eval_set=None):
        torch.manual_seed(self.seed)
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        n, shift, s1, s2 = 0, None, 0.0, 0.0  # mean and s.d. of the training pixels, in float64 around a shift
        for c in self._chunks(X):
            shift = float(c.mean()) if shift is None else shift
            d = c.astype(np.float64) - shift
            n, s1, s2 = n + d.size, s1 + d.sum(), s2 + np.square(d).sum()
        var = max(s2 / n - (s1 / n) ** 2, 0.0)
        self.mean_, self.std_ = float(shift + s1 / n), float(np.sqrt(var)) or 1.0
        self.model_ = MelCNN(len(self.classes_), tuple(self.channels), self.dropout, self.downsample)
        pooled, target = self._pooled(X), torch.as_tensor(np.searchsorted(self.classes_, y))
        val = None if eval_set is None else (self._pooled(eval_set[0]), np.asarray(eval_set[1]))
        w = torch.as_tensor(np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight), dtype=torch.float32)
        optimiser = torch.optim.Adam(self.model_.parameters(), lr=self.lr)
        order = torch.Generator().manual_seed(self.seed)
        history = []
        for epoch in range(1, self.epochs + 1):
            self.model_.train()
            total = 0.0
            for batch in torch.randperm(len(y), generator=order).split(self.batch_size):
                loss = (nn.functional.cross_entropy(self.model_.classify(pooled[batch]), target[batch], reduction="none")
                        * w[batch]).sum() / w[batch].sum()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += loss.item() * len(batch)
            row = {"epoch": epoch, "train_loss": total / len(y)}
            if val is not None:
                row["val_loss"], row["val_uar"] = self._loss_and_uar(*val)
            history.append(row)
        self.history_ = pd.DataFrame(history)
        return self

    def _scores(self, pooled: torch.Tensor) -> torch.Tensor:
        self.model_.eval()
        with torch.no_grad():
            return torch.cat([self.model_.classify(b) for b in pooled.split(256)])

    def predict_proba(self, X) -> np.ndarray:
        return torch.softmax(self._scores(self._pooled(X)), dim=1).numpy().astype(float)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
