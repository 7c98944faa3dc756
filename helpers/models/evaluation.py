"""Honest evaluation: speaker-grouped folds, UAR with speaker-bootstrap intervals, per-speaker votes.

Why each piece is here:

- **Folds that keep each speaker on one side** (:func:`make_folds` with ``kind="grouped"``,
  scikit-learn's ``StratifiedGroupKFold``). With a random split of clips, a model can
  recognise a speaker's microphone and voice from their other clips in the training set
  and look up the label: that measures speaker recognition, not age. ``kind="random"``
  (``StratifiedKFold`` on clips) is kept to show how much that flatters a score.
- **Unweighted average recall (UAR)**, the mean of the per-class recalls
  (:func:`uar`). Real age data are unbalanced (Common Voice: many twenties, few sixties);
  accuracy rewards predicting "twenties" for everyone, UAR does not: chance is 1/K.
- **A bootstrap 95 % interval that resamples speakers**, not clips
  (:func:`bootstrap_ci`): clips of one speaker are not independent evidence, so the
  interval must come from resampling the units that are.
- **Per-speaker aggregation** (:func:`aggregate_by_speaker`): when a speaker has several
  clips, average their class probabilities (in the log domain by default) and predict once.
- **Ordered classes** (:func:`mean_class_distance`): confusing twenties with thirties is a
  smaller error than twenties with sixties; **MAE in years** (:func:`mae_years`) where ages
  are numbers.

Labels are strings (``"teens"``, ``"female"``); ``labels`` fixes the class order
(for age groups: :data:`workbook.manifest.AGE_GROUPS` order).

Notebook: 05_modeling (and 04_eda for the leakage counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

#: Split kinds :func:`make_folds` knows.
SPLIT_KINDS: tuple[str, ...] = ("grouped", "random")


# --- folds ------------------------------------------------------------------------------


def make_folds(
    y: Sequence,
    groups: Sequence | None = None,
    *,
    kind: str = "grouped",
    n_splits: int = 5,
    seed: int = 0,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified cross-validation folds as a list of ``(train_indices, test_indices)``.

    ``kind="grouped"``: every group (speaker) lies entirely in one test fold
    (``StratifiedGroupKFold``, shuffled with ``seed``), the classes as balanced across folds
    as the groups allow. ``kind="random"``: clips are shuffled into folds regardless of
    speaker (``StratifiedKFold``), as the original analysis did.

    Raises ``ValueError`` if a class has fewer groups (grouped) or members (random) than
    ``n_splits``: such a class cannot appear in every test fold; drop it first
    (:func:`classes_with_enough_groups`).

    Notebook: 05_modeling
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    y = np.asarray(y)
    if kind not in SPLIT_KINDS:
        raise ValueError(f"kind must be one of {SPLIT_KINDS}, not {kind!r}")
    if kind == "grouped":
        if groups is None:
            raise ValueError("grouped folds need groups (the speaker of each clip)")
        groups = np.asarray(groups)
        if len(groups) != len(y):
            raise ValueError(f"y has {len(y)} rows but groups has {len(groups)}")
        per_class = pd.Series(groups).groupby(pd.Series(y)).nunique()
        small = per_class[per_class < n_splits]
        if len(small):
            raise ValueError(
                f"class(es) {', '.join(f'{c!r} ({n} speakers)' for c, n in small.items())} have fewer "
                f"speakers than n_splits={n_splits}; drop them or use fewer folds"
            )
        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        folds = list(splitter.split(np.zeros(len(y)), y, groups))
    else:
        counts = pd.Series(y).value_counts()
        small = counts[counts < n_splits]
        if len(small):
            raise ValueError(
                f"class(es) {', '.join(map(repr, small.index))} have fewer clips than n_splits={n_splits}"
            )
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        folds = list(splitter.split(np.zeros(len(y)), y))
    return [(np.sort(tr), np.sort(te)) for tr, te in folds]


def speakers_on_both_sides(folds, groups: Sequence) -> int:
    """Number of speakers with clips in both the training and the test part of some fold.

    0 for grouped folds; for random folds, nearly every speaker with several clips.

    Notebook: 05_modeling
    """
    groups = np.asarray(groups)
    leaked: set = set()
    for train, test in folds:
        leaked |= set(groups[train]) & set(groups[test])
    return len(leaked)


def classes_with_enough_groups(y: Sequence, groups: Sequence, *, min_groups: int) -> tuple[list, pd.Series]:
    """Classes with at least ``min_groups`` distinct speakers, and the speaker count of every class.

    Notebook: 04_eda, 05_modeling
    """
    counts = pd.Series(np.asarray(groups)).groupby(pd.Series(np.asarray(y))).nunique()
    keep = [c for c, n in counts.items() if n >= min_groups]
    return keep, counts


# --- metrics ----------------------------------------------------------------------------


def _labels_of(y_true, labels) -> list:
    if labels is None:
        return sorted(pd.unique(np.asarray(y_true)))
    return list(labels)


def confusion_counts(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> pd.DataFrame:
    """Confusion matrix of counts: rows are true classes, columns predicted classes.

    Notebook: 05_modeling
    """
    labels = _labels_of(y_true, labels)
    index = {c: i for i, c in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(np.asarray(y_true), np.asarray(y_pred)):
        if t in index and p in index:
            m[index[t], index[p]] += 1
    return pd.DataFrame(m, index=pd.Index(labels, name="true"), columns=pd.Index(labels, name="predicted"))


def confusion_ratios(counts: pd.DataFrame) -> pd.DataFrame:
    """Row-normalised confusion matrix: each true class's clips spread over the predictions (rows sum to 1).

    The diagonal is each class's recall; UAR is its mean over classes with clips.

    Notebook: 05_modeling
    """
    totals = counts.sum(axis=1).replace(0, np.nan)
    return counts.div(totals, axis=0)


def _uar_from_confusion(m: np.ndarray) -> np.ndarray:
    """UAR of confusion matrices ``(..., K, K)``: mean recall over classes with support."""
    support = m.sum(axis=-1)
    diag = np.diagonal(m, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, diag / np.where(support > 0, support, 1), np.nan)
    return np.nanmean(recall, axis=-1)


def _accuracy_from_confusion(m: np.ndarray) -> np.ndarray:
    total = m.sum(axis=(-2, -1))
    return np.diagonal(m, axis1=-2, axis2=-1).sum(axis=-1) / np.where(total > 0, total, 1)


def uar(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> float:
    """Unweighted average recall: the mean over classes (present in ``y_true``) of their recall.

    Chance level is ``1 / K`` for ``K`` classes, whatever the class sizes.

    Notebook: 05_modeling
    """
    m = confusion_counts(y_true, y_pred, labels).to_numpy()
    return float(_uar_from_confusion(m))


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    """Fraction of predictions equal to the truth.

    Notebook: 05_modeling
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def mean_class_distance(y_true: Sequence, y_pred: Sequence, order: Sequence) -> float:
    """Mean absolute distance in classes between truth and prediction for ordered classes.

    With ``order = AGE_GROUPS``, predicting thirties for a twenties speaker costs 1,
    sixties costs 4. Always guessing the middle class gives about 1.5 for 6 balanced
    classes; a perfect model 0.

    Notebook: 05_modeling
    """
    rank = {c: i for i, c in enumerate(order)}
    try:
        t = np.array([rank[v] for v in np.asarray(y_true)], dtype=float)
        p = np.array([rank[v] for v in np.asarray(y_pred)], dtype=float)
    except KeyError as exc:
        raise ValueError(f"label {exc.args[0]!r} is not in the class order {list(order)}") from None
    return float(np.mean(np.abs(t - p))) if len(t) else float("nan")


def mae_years(y_true: Sequence, y_pred: Sequence) -> float:
    """Mean absolute error in years (rows where either value is NaN are ignored).

    Notebook: 05_modeling
    """
    t, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    ok = np.isfinite(t) & np.isfinite(p)
    return float(np.mean(np.abs(t[ok] - p[ok]))) if ok.any() else float("nan")


# --- bootstrap over speakers --------------------------------------------------------------


def _per_group_confusions(y_true, y_pred, groups, labels) -> tuple[np.ndarray, np.ndarray]:
    """One ``K x K`` confusion matrix per group, shape ``(n_groups, K, K)``, and the group ids."""
    index = {c: i for i, c in enumerate(labels)}
    codes_g, uniq = pd.factorize(pd.Series(np.asarray(groups)), sort=True)
    t = np.array([index.get(v, -1) for v in np.asarray(y_true)])
    p = np.array([index.get(v, -1) for v in np.asarray(y_pred)])
    ok = (t >= 0) & (p >= 0)
    k = len(labels)
    flat = np.zeros((len(uniq), k * k), dtype=np.int64)
    np.add.at(flat, (codes_g[ok], t[ok] * k + p[ok]), 1)
    return flat.reshape(len(uniq), k, k), np.asarray(uniq)


def bootstrap_ci(
    y_true: Sequence,
    y_pred: Sequence,
    groups: Sequence,
    *,
    labels: Sequence | None = None,
    metric: str = "uar",
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of UAR (or accuracy) that resamples **speakers**.

    Each replicate draws as many speakers as there are, with replacement, and takes all
    their clips; the metric is computed on the pooled confusion matrix. ``metric`` is
    ``"uar"`` or ``"accuracy"``. Returns ``(low, high)``; ``(nan, nan)`` if
    ``n_bootstrap`` is 0.

    Notebook: 05_modeling
    """
    if metric not in ("uar", "accuracy"):
        raise ValueError(f"metric must be 'uar' or 'accuracy', not {metric!r}")
    if n_bootstrap <= 0:
        return float("nan"), float("nan")
    labels = _labels_of(y_true, labels)
    per_group, _ = _per_group_confusions(y_true, y_pred, groups, labels)
    n_groups = len(per_group)
    rng = np.random.default_rng([seed, 7])
    k = len(labels)
    flat = per_group.reshape(n_groups, k * k).astype(float)
    values = np.empty(n_bootstrap)
    chunk = 200  # replicates per matrix product, bounds memory for big data sets
    for start in range(0, n_bootstrap, chunk):
        stop = min(start + chunk, n_bootstrap)
        draws = rng.integers(0, n_groups, size=(stop - start, n_groups))
        weights = np.zeros((stop - start, n_groups))
        np.add.at(weights, (np.repeat(np.arange(stop - start), n_groups), draws.ravel()), 1.0)
        pooled = (weights @ flat).reshape(-1, k, k)
        with np.errstate(invalid="ignore"):
            values[start:stop] = _uar_from_confusion(pooled) if metric == "uar" else _accuracy_from_confusion(pooled)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.nanquantile(values, [alpha, 1.0 - alpha])
    return float(low), float(high)


@dataclass
class Score:
    """A classification score: UAR with its speaker-bootstrap interval, and accuracy beside it.

    ``level`` is ``"clip"`` (one prediction per clip) or ``"speaker"`` (one per speaker,
    clip probabilities combined); ``n`` counts the predictions, ``n_speakers`` the speakers.
    """

    uar: float
    uar_low: float
    uar_high: float
    accuracy: float
    n: int
    n_speakers: int
    level: str = "clip"

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        counts = f"{self.n} speakers" if self.level == "speaker" else f"{self.n} {self.level}s, {self.n_speakers} speakers"
        return f"UAR {self.uar:.3f} [{self.uar_low:.3f}, {self.uar_high:.3f}], accuracy {self.accuracy:.3f} ({counts})"


def score_predictions(
    y_true: Sequence,
    y_pred: Sequence,
    groups: Sequence,
    *,
    labels: Sequence | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: str = "clip",
) -> Score:
    """UAR, its speaker-bootstrap 95 % interval and accuracy of one set of predictions.

    Notebook: 05_modeling
    """
    labels = _labels_of(y_true, labels)
    low, high = bootstrap_ci(y_true, y_pred, groups, labels=labels, n_bootstrap=n_bootstrap, seed=seed)
    return Score(
        uar=uar(y_true, y_pred, labels),
        uar_low=low,
        uar_high=high,
        accuracy=accuracy(y_true, y_pred),
        n=len(np.asarray(y_true)),
        n_speakers=int(pd.Series(np.asarray(groups)).nunique()),
        level=level,
    )


# --- per-speaker aggregation ----------------------------------------------------------------


def aggregate_by_speaker(
    proba: np.ndarray,
    groups: Sequence,
    classes: Sequence,
    *,
    y_true: Sequence | None = None,
    method: str = "log_mean",
) -> pd.DataFrame:
    """Combine the clip probabilities of each speaker into one prediction per speaker.

    ``proba``: shape ``(n_clips, n_classes)``, columns in the order of ``classes``.
    ``method="log_mean"`` averages log-probabilities (a product of independent clip
    opinions, the usual choice); ``"mean"`` averages probabilities. Returns one row per
    speaker (sorted by speaker id) with ``speaker``, ``n_clips``, ``p_<class>`` (renormalised),
    ``predicted`` and, if ``y_true`` is given, ``true`` (the speaker's most frequent label).

    Notebook: 05_modeling, 06_predict
    """
    proba = np.asarray(proba, dtype=float)
    classes = list(classes)
    if proba.ndim != 2 or proba.shape[1] != len(classes):
        raise ValueError(f"proba must have shape (n_clips, {len(classes)}), got {proba.shape}")
    if method not in ("log_mean", "mean"):
        raise ValueError(f"method must be 'log_mean' or 'mean', not {method!r}")
    codes, uniq = pd.factorize(pd.Series(np.asarray(groups)), sort=True)
    if len(codes) != len(proba):
        raise ValueError(f"proba has {len(proba)} rows but groups has {len(codes)}")
    counts = np.bincount(codes, minlength=len(uniq)).astype(float)
    values = np.log(np.clip(proba, 1e-12, 1.0)) if method == "log_mean" else proba
    sums = np.zeros((len(uniq), len(classes)))
    np.add.at(sums, codes, values)
    mean = sums / counts[:, None]
    if method == "log_mean":
        mean = np.exp(mean - mean.max(axis=1, keepdims=True))
    mean = mean / mean.sum(axis=1, keepdims=True)
    out = pd.DataFrame({"speaker": np.asarray(uniq), "n_clips": counts.astype(int)})
    for j, c in enumerate(classes):
        out[f"p_{c}"] = mean[:, j]
    out["predicted"] = np.asarray(classes, dtype=object)[mean.argmax(axis=1)]
    if y_true is not None:
        truth = pd.DataFrame({"g": codes, "y": np.asarray(y_true)})
        out["true"] = truth.groupby("g")["y"].agg(lambda s: s.value_counts().index[0]).to_numpy()
    return out


def speaker_truth(y: Sequence, groups: Sequence) -> pd.Series:
    """The most frequent label of each speaker (index: speaker id, sorted).

    Notebook: 05_modeling
    """
    s = pd.Series(np.asarray(y), index=np.asarray(groups))
    return s.groupby(level=0).agg(lambda v: v.value_counts().index[0]).sort_index()
