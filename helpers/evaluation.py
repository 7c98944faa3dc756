"""Honest evaluation: cross-validated scores with speaker-bootstrap intervals, per-speaker votes, the comparison.

Scores are scikit-learn's (``balanced_accuracy_score`` is UAR, the mean of the per-class
recalls; ``accuracy_score``; ``mean_absolute_error``) and cross-validation is
``cross_val_predict`` on folds from a scikit-learn splitter: ``StratifiedGroupKFold`` with
``groups=speaker`` keeps every speaker on one side (``groups=language`` would hold out whole
languages); ``StratifiedKFold`` shuffles clips as the original analysis did. Hand-written
are only what scikit-learn lacks: the interval that resamples **speakers** (vectorised,
because 1000 replicates over 300 speakers take 0.09 s against 5 s for a loop of
``balanced_accuracy_score`` calls, and notebook 05 draws 40 intervals), the per-speaker
vote, and permutation importance that shuffles a *group* of columns together
(``sklearn.inspection.permutation_importance`` shuffles one column at a time: on the
synthetic corpus the 26 MFCC statistics together cost 0.061 UAR, the most important one
alone 0.021).

Notebook: 05_modeling
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import accuracy_score, balanced_accuracy_score, mean_absolute_error
from sklearn.model_selection import cross_val_predict
from threadpoolctl import threadpool_limits

from helpers.models import MODEL_LABELS, SpeakerBalanced, make_model

__all__ = ["Score", "aggregate_by_speaker", "compare_splits", "evaluate_cv", "format_scores", "groups_on_both_sides",
           "mean_class_distance", "permutation_importance_grouped", "regression_scores", "scored_result"]


# --- scores with a speaker-bootstrap interval ------------------------------------------------


def groups_on_both_sides(folds, groups: Sequence) -> int:
    """How many groups (speakers) have rows in both the training and the test part of some fold.

    0 for grouped folds; for random folds, nearly every speaker with several clips.

    Notebook: 05_modeling
    """
    groups = np.asarray(groups)
    leaked: set = set()
    for train, test in folds:
        leaked |= set(groups[train]) & set(groups[test])
    return len(leaked)


def _uar_from_confusion(m: np.ndarray) -> np.ndarray:
    """UAR of confusion matrices ``(..., K, K)``: mean recall over classes with support."""
    support = m.sum(axis=-1)
    diag = np.diagonal(m, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, diag / np.where(support > 0, support, 1), np.nan)
    return np.nanmean(recall, axis=-1)


def bootstrap_ci(y_true: Sequence, y_pred: Sequence, groups: Sequence, *, labels: Sequence | None = None,
                 metric: str = "uar", n_bootstrap: int = 1000, confidence: float = 0.95,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of UAR (or ``metric="accuracy"``) that resamples **speakers**.

    Each replicate draws as many speakers as there are, with replacement, and takes all
    their clips; the metric is computed on the pooled confusion matrix. Clips of one speaker
    are not independent evidence, so the interval must come from resampling the units that
    are. Returns ``(low, high)``; ``(nan, nan)`` if ``n_bootstrap`` is 0.

    Notebook: 05_modeling
    """
    if metric not in ("uar", "accuracy"):
        raise ValueError(f"metric must be 'uar' or 'accuracy', not {metric!r}")
    if n_bootstrap <= 0:
        return float("nan"), float("nan")
    labels = sorted(pd.unique(np.asarray(y_true))) if labels is None else list(labels)
    k = len(labels)
    index = {c: i for i, c in enumerate(labels)}
    codes_g, uniq = pd.factorize(pd.Series(np.asarray(groups)), sort=True)
    t = np.array([index.get(v, -1) for v in np.asarray(y_true)])
    p = np.array([index.get(v, -1) for v in np.asarray(y_pred)])
    ok = (t >= 0) & (p >= 0)
    flat = np.zeros((len(uniq), k * k), dtype=np.int64)  # one K x K confusion matrix per speaker
    np.add.at(flat, (codes_g[ok], t[ok] * k + p[ok]), 1)
    flat = flat.astype(float)
    n_groups = len(uniq)
    rng = np.random.default_rng([seed, 7])
    values = np.empty(n_bootstrap)
    chunk = 200  # replicates per matrix product, bounds memory for big data sets
    for start in range(0, n_bootstrap, chunk):
        stop = min(start + chunk, n_bootstrap)
        draws = rng.integers(0, n_groups, size=(stop - start, n_groups))
        weights = np.zeros((stop - start, n_groups))
        np.add.at(weights, (np.repeat(np.arange(stop - start), n_groups), draws.ravel()), 1.0)
        pooled = (weights @ flat).reshape(-1, k, k)
        with np.errstate(invalid="ignore"):
            if metric == "uar":
                values[start:stop] = _uar_from_confusion(pooled)
            else:
                total = pooled.sum(axis=(-2, -1))
                values[start:stop] = np.diagonal(pooled, axis1=-2, axis2=-1).sum(axis=-1) / np.where(total > 0, total, 1)
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


def score_predictions(y_true: Sequence, y_pred: Sequence, groups: Sequence, *, labels: Sequence | None = None,
                      n_bootstrap: int = 1000, seed: int = 0, level: str = "clip") -> Score:
    """UAR (``balanced_accuracy_score``), its speaker-bootstrap 95 % interval and accuracy.

    Notebook: 05_modeling
    """
    low, high = bootstrap_ci(y_true, y_pred, groups, labels=labels, n_bootstrap=n_bootstrap, seed=seed)
    return Score(uar=float(balanced_accuracy_score(y_true, y_pred)), uar_low=low, uar_high=high,
                 accuracy=float(accuracy_score(y_true, y_pred)), n=len(np.asarray(y_true)),
                 n_speakers=int(pd.Series(np.asarray(groups)).nunique()), level=level)


def aggregate_by_speaker(proba: np.ndarray, groups: Sequence, classes: Sequence, *,
                         y_true: Sequence | None = None, method: str = "log_mean") -> pd.DataFrame:
    """Combine the clip probabilities of each speaker into one prediction per speaker.

    ``proba``: shape ``(n_clips, n_classes)``, columns in the order of ``classes``.
    ``method="log_mean"`` averages log-probabilities (a product of independent clip
    opinions, the usual choice); ``"mean"`` averages probabilities. Returns one row per
    speaker (sorted by speaker id) with ``speaker``, ``n_clips``, ``p_<class>`` (renormalised),
    ``predicted`` and, if ``y_true`` is given, ``true`` (the speaker's most frequent label).

    Notebook: 05_modeling, 07_predict
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


def mean_class_distance(y_true: Sequence, y_pred: Sequence, order: Sequence) -> float:
    """Mean absolute distance in classes between truth and prediction, for ordered classes.

    With the age groups in order, predicting thirties for a twenties speaker costs 1,
    sixties costs 4 (``mean_absolute_error`` of the class ranks).

    Notebook: 05_modeling
    """
    rank = {c: i for i, c in enumerate(order)}
    unknown = sorted({str(v) for v in (*np.asarray(y_true), *np.asarray(y_pred))} - {str(c) for c in rank})
    if unknown:
        raise ValueError(f"label(s) {unknown} not in the class order {list(order)}")
    return float(mean_absolute_error([rank[v] for v in y_true], [rank[v] for v in y_pred]))


def regression_scores(years, predicted, groups) -> dict:
    """MAE in years per clip and per speaker (mean of the speaker's clip predictions), with a baseline.

    The baseline predicts the median age of all known rows for everyone: a model must beat
    it to have learned anything. Rows where either value is NaN are left out.

    Notebook: 05_modeling
    """
    years = np.asarray(years, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    ok = np.isfinite(years) & np.isfinite(predicted)
    if not ok.any():
        raise ValueError("no row has both a known age and a prediction")
    df = pd.DataFrame({"g": np.asarray(groups)[ok], "t": years[ok], "p": predicted[ok]})
    per_spk = df.groupby("g").agg(t=("t", "mean"), p=("p", "mean"))
    return {
        "n_clips": int(ok.sum()),
        "n_speakers": int(df["g"].nunique()),
        "clip_mae_years": float(mean_absolute_error(df["t"], df["p"])),
        "speaker_mae_years": float(mean_absolute_error(per_spk["t"], per_spk["p"])),
        "baseline_mae_years": float(mean_absolute_error(years[ok], np.full(ok.sum(), np.median(years[ok])))),
    }


# --- cross-validation and the comparison ----------------------------------------------------


def _as_matrix(X) -> np.ndarray:
    return X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)


@dataclass
class CVResult:
    """Cross-validated predictions of one model on one feature set and one kind of split.

    ``proba``: out-of-fold clip probabilities (columns in ``classes`` order); ``clip``: the
    clip-level :class:`Score`; ``speakers``: per-speaker combined predictions
    (:func:`aggregate_by_speaker`); ``speaker``: their Score.
    """

    model: str
    features: str
    split: str
    classes: list
    y: np.ndarray
    groups: np.ndarray
    proba: np.ndarray
    clip: Score
    speakers: pd.DataFrame
    speaker: Score

    @property
    def y_pred(self) -> np.ndarray:
        return np.asarray(self.classes, dtype=object)[self.proba.argmax(axis=1)]

    def row(self) -> dict:
        """One row for a results table (clip and speaker scores)."""
        out = {"split": self.split, "features": self.features, "model": self.model}
        for level, s in (("clip", self.clip), ("speaker", self.speaker)):
            out.update({f"{level}_uar": s.uar, f"{level}_uar_low": s.uar_low, f"{level}_uar_high": s.uar_high,
                        f"{level}_accuracy": s.accuracy})
        return out | {"n_clips": self.clip.n, "n_speakers": self.clip.n_speakers}


def evaluate_cv(model, X, y, groups, folds, *, classes: Sequence, n_bootstrap: int = 1000, seed: int = 0,
                name: str = "", features: str = "", split: str = "grouped",
                weighting: str | None = "class+speaker", n_jobs: int = 1) -> CVResult:
    """Cross-validate ``model`` on ``folds`` and score clips and speakers (UAR, 95 % CI, accuracy).

    The steps notebook 05 shows in cells: ``cross_val_predict(SpeakerBalanced(model), X, y,
    cv=folds, method="predict_proba", params={"speakers": groups})``, then the scores.
    ``folds``: ``(train, test)`` index pairs that test every row once (from any scikit-learn
    splitter); ``groups``: the speaker of each row (weights, votes and intervals);
    ``weighting``: see :func:`helpers.models.sample_weights` (None: plain ``model``);
    ``n_jobs``: folds fitted in parallel processes (the same result as one).

    Notebook: 05_modeling
    """
    y, groups = np.asarray(y), np.asarray(groups)
    estimator, params = (model, None) if weighting is None else (SpeakerBalanced(model, weighting=weighting),
                                                                 {"speakers": groups})
    with threadpool_limits(limits=1):  # deterministic, and fast on a shared machine
        p = cross_val_predict(estimator, _as_matrix(X), y, cv=list(folds), method="predict_proba", params=params,
                              n_jobs=n_jobs)
    present = list(np.unique(y))  # cross_val_predict's column order
    proba = np.zeros((len(y), len(classes)))
    for j, c in enumerate(classes):
        if c in present:
            proba[:, j] = p[:, present.index(c)]
    return scored_result(proba, y, groups, classes=classes, n_bootstrap=n_bootstrap, seed=seed, name=name,
                         features=features, split=split)


def scored_result(proba: np.ndarray, y: Sequence, groups: Sequence, *, classes: Sequence, n_bootstrap: int = 1000,
                  seed: int = 0, name: str = "", features: str = "", split: str = "grouped") -> CVResult:
    """A :class:`CVResult` from out-of-fold probabilities (columns in ``classes`` order). Notebook: 05_modeling"""
    y, groups = np.asarray(y), np.asarray(groups)
    pred = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    clip = score_predictions(y, pred, groups, labels=classes, n_bootstrap=n_bootstrap, seed=seed, level="clip")
    spk = aggregate_by_speaker(proba, groups, classes, y_true=y)
    speaker = score_predictions(spk["true"], spk["predicted"], spk["speaker"], labels=classes,
                                n_bootstrap=n_bootstrap, seed=seed, level="speaker")
    return CVResult(name, features, split, list(classes), y, groups, proba, clip, spk, speaker)


def compare_splits(feature_sets: Mapping[str, pd.DataFrame], y: Sequence, groups: Sequence,
                   folds: Mapping[str, list], *, classes: Sequence, models: Sequence[str] = ("lr", "svm", "gb"),
                   extra: Mapping[str, tuple] | None = None, n_bootstrap: int = 1000, seed: int = 0,
                   fast: bool = False, weighting: str | None = "class+speaker", n_jobs: int = 1,
                   ) -> tuple[pd.DataFrame, dict[tuple[str, str, str], CVResult]]:
    """Cross-validate every feature set x model on every set of folds, all on the same folds.

    ``folds``: level name -> ``(train, test)`` pairs (:func:`helpers.levels.level_folds`);
    ``groups``: the speaker of each row; ``feature_sets``: name -> inputs (rows of ``y``, e.g.
    the language one-hot of the baseline). ``extra``: model name -> ``(feature set name, estimator)`` or
    ``(feature set name, estimator, X)`` for further pipelines, fitted without sample weights
    (as the original was); with ``X`` the pipeline gets its own inputs under that name.
    Returns the table (one row per split x features x model, :meth:`CVResult.row` plus
    ``model_label`` and ``leaked_speakers``: speakers with clips on both sides of some fold)
    and the :class:`CVResult` of every row keyed by ``(split, features, model)``. ``n_jobs``: as
    :func:`evaluate_cv`. Models are made for ``len(y)`` rows (an approximated SVM above
    :data:`helpers.models.EXACT_SVM_MAX_ROWS`).

    Notebook: 05_modeling
    """
    y, groups = np.asarray(y), np.asarray(groups)
    jobs = [(f, m, make_model(m, seed=seed, fast=fast, n_rows=len(y)), weighting) for f in feature_sets for m in models]
    inputs = dict(feature_sets)
    for label, spec in (extra or {}).items():
        if len(spec) > 2:
            if len(spec[2]) != len(y):
                raise ValueError(f"extra model {label!r}: its inputs have {len(spec[2])} rows, y has {len(y)}")
            inputs[spec[0]] = spec[2]
        elif spec[0] not in feature_sets:
            raise KeyError(f"extra model {label!r} asks for feature set {spec[0]!r}; have {list(feature_sets)}")
        jobs.append((spec[0], label, spec[1], None))
    results, rows = {}, []
    for split, split_folds in folds.items():
        leaked = groups_on_both_sides(split_folds, groups)
        for fname, mname, est, wt in jobs:
            res = evaluate_cv(est, inputs[fname], y, groups, split_folds, classes=classes, n_bootstrap=n_bootstrap,
                              seed=seed, name=mname, features=fname, split=split, weighting=wt, n_jobs=n_jobs)
            results[(split, fname, mname)] = res
            rows.append({**res.row(), "model_label": MODEL_LABELS.get(mname, mname), "leaked_speakers": leaked})
    return pd.DataFrame(rows), results


def format_scores(table: pd.DataFrame) -> pd.DataFrame:
    """A results table for reading: UAR with its 95 % interval as text, accuracy beside it.

    Notebook: 05_modeling
    """
    out = table[["split", "features", "model"]].copy()
    for level in ("clip", "speaker"):
        if f"{level}_uar" in table:
            out[f"{level} UAR [95 % CI]"] = [f"{u:.3f} [{lo:.3f}, {hi:.3f}]" for u, lo, hi in
                                              zip(table[f"{level}_uar"], table[f"{level}_uar_low"], table[f"{level}_uar_high"])]
            out[f"{level} accuracy"] = [f"{v:.3f}" for v in table[f"{level}_accuracy"]]
    if "leaked_speakers" in table:
        out["speakers on both sides"] = table["leaked_speakers"]
    return out.reset_index(drop=True)


def permutation_importance_grouped(model, X: pd.DataFrame, y: Sequence, folds, *, classes: Sequence,
                                   feature_groups: Mapping[str, Sequence[str]] | None = None, n_repeats: int = 3,
                                   seed: int = 0, groups=None, weighting: str | None = "class+speaker") -> pd.DataFrame:
    """UAR lost when a feature (or a group of features) is shuffled across the rows of a test fold.

    Each fold fits the model on its training speakers (weighted as in :func:`evaluate_cv`;
    without ``groups``, ``"class+speaker"`` falls back to ``"class"``), then shuffles each
    group's columns jointly on the test speakers, so their relation is kept and only their
    link to the label is broken. Measured on *test* speakers: importance on training rows
    rewards features that help memorise speakers. ``feature_groups``: name -> columns
    (default: each column alone). Returns one row per group, sorted by ``importance`` (mean
    UAR drop over folds and repeats), with ``sd`` over folds, ``n_features`` and the
    baseline ``uar`` of the unshuffled test folds.

    Notebook: 05_modeling
    """
    y = np.asarray(y)
    fgroups = {c: [c] for c in X.columns} if feature_groups is None else {k: list(v) for k, v in feature_groups.items()}
    missing = sorted({c for cols in fgroups.values() for c in cols} - set(X.columns))
    if missing:
        raise KeyError(f"feature group(s) name column(s) not in X: {missing[:5]}")
    col_index = {c: i for i, c in enumerate(X.columns)}
    Xv = X.to_numpy(dtype=float)
    rng = np.random.default_rng([seed, 11])
    if groups is None and weighting == "class+speaker":
        weighting = "class"
    spk = None if groups is None else np.asarray(groups)
    drops: dict[str, list] = {name: [] for name in fgroups}
    baselines = []
    with threadpool_limits(limits=1):
        for train, test in folds:
            m = SpeakerBalanced(clone(model), weighting=weighting).fit(
                Xv[train], y[train], speakers=None if spk is None else spk[train])
            Xt = Xv[test]
            base = balanced_accuracy_score(y[test], m.predict(Xt))
            baselines.append(base)
            for name, cols in fgroups.items():
                idx = [col_index[c] for c in cols]
                fold_drops = []
                for _ in range(n_repeats):
                    Xp = Xt.copy()
                    Xp[:, idx] = Xt[rng.permutation(len(Xt))][:, idx]
                    fold_drops.append(base - balanced_accuracy_score(y[test], m.predict(Xp)))
                drops[name].append(float(np.mean(fold_drops)))
    out = pd.DataFrame({
        "feature": list(fgroups),
        "importance": [float(np.mean(drops[n])) for n in fgroups],
        "sd": [float(np.std(drops[n])) for n in fgroups],
        "n_features": [len(fgroups[n]) for n in fgroups],
    })
    out["uar"] = float(np.mean(baselines))
    return out.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
