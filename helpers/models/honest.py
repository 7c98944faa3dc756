"""The honest approach: speaker-grouped cross-validation of balanced models, every step inside CV.

What makes it honest, compared with the original analysis (:mod:`helpers.models.original`):

- folds keep each speaker's clips on one side (:func:`helpers.models.evaluation.make_folds`);
- everything learned from data (outlier limits, imputation, scaling, the model) is a step
  of one scikit-learn ``Pipeline`` fitted on the training fold only (:func:`make_model`);
- the age model does **not** get gender as an input unless ``include_gender=True`` in
  :func:`prepare_task` (gender is known for the speakers the model is tested on only
  because they told us; a new recording does not come with it);
- classes are given equal weight, and within a class every speaker (a speaker with 59
  clips counts as much as one with 1), through sample weights (:func:`sample_weights`),
  since UAR rewards every class equally;
- skewed features are log-transformed and extreme values clipped, with the choices and
  limits learnt on the training fold (:class:`~helpers.models.outliers.SkewLog`,
  :class:`~helpers.models.outliers.ZScoreClipper`);
- clip predictions of a speaker are combined into one speaker prediction and both are
  reported (:func:`evaluate_cv`).

Models: logistic regression (``"lr"``), an RBF support-vector machine (``"svm"``) and
histogram gradient boosting (``"gb"``); age in years with ridge regression or gradient
boosting (:func:`make_regressor`). Every random state comes from ``seed``.

Notebook: 05_modeling
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from workbook.manifest import AGE_GROUPS
from helpers.models.evaluation import (
    Score,
    aggregate_by_speaker,
    classes_with_enough_groups,
    mae_years,
    mean_class_distance,
    score_predictions,
)
from helpers.models.outliers import SkewLog, ZScoreClipper

#: Classifier names :func:`make_model` knows, with their long names.
MODEL_LABELS: dict[str, str] = {
    "lr": "logistic regression",
    "svm": "SVM (RBF kernel)",
    "gb": "gradient boosting",
}
MODEL_NAMES: tuple[str, ...] = tuple(MODEL_LABELS)

#: Regressor names :func:`make_regressor` knows.
REGRESSOR_NAMES: tuple[str, ...] = ("ridge", "gb")

#: Genders a gender model distinguishes (others and blanks are left out and counted).
BINARY_GENDERS: tuple[str, ...] = ("female", "male")


def make_model(
    name: str,
    *,
    seed: int = 0,
    clip_threshold: float | None = 3.0,
    log_threshold: float | None = 1.0,
    fast: bool = False,
    **params,
) -> Pipeline:
    """A classification pipeline: log of skewed features, z-score clipping, median imputation,
    scaling, then the model (the last step is named ``"model"``).

    ``name``: ``"lr"`` (logistic regression, ``C=0.1``), ``"svm"`` (RBF SVM, ``C=1``,
    probabilities by Platt scaling on 3 internal folds) or ``"gb"``
    (``HistGradientBoostingClassifier``, 100 boosting rounds of 15-leaf trees at learning
    rate 0.1; 60 with ``fast``). ``params`` override the model's own parameters (e.g.
    ``C=1.0``; for ``"svm"`` they go to the ``SVC``). Fixed hyper-parameters (not tuned on
    the test folds) keep the cross-validated scores honest.

    Classes and speakers are balanced with sample weights at fit time (:func:`fit_pipeline`,
    :func:`sample_weights`), not with ``class_weight``: weights also reach the SVM's
    probability calibration, which ``class_weight`` does not.

    Notebook: 05_modeling
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if name == "lr":
        model = LogisticRegression(**{"C": 0.1, "max_iter": 5000, "random_state": seed, **params})
    elif name == "svm":
        # Probabilities by Platt scaling on 3 internal folds (SVC(probability=True) is deprecated).
        svc = SVC(**{"C": 1.0, "kernel": "rbf", "gamma": "scale", "random_state": seed, **params})
        model = CalibratedClassifierCV(svc, method="sigmoid", cv=3, ensemble=False)
    elif name == "gb":
        model = HistGradientBoostingClassifier(
            **{"max_iter": 60 if fast else 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 20,
               "max_bins": 64, "l2_regularization": 1.0, "early_stopping": False, "random_state": seed, **params}
        )
    else:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
    return Pipeline(
        [
            ("log", SkewLog(threshold=log_threshold)),
            ("clip", ZScoreClipper(threshold=clip_threshold)),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", model),
        ]
    )


#: Sample weightings :func:`sample_weights` knows.
WEIGHTINGS: tuple = ("class+speaker", "class", None)


def sample_weights(y, groups=None, weighting: str | None = "class+speaker") -> np.ndarray | None:
    """Weights that give every class (and within it every speaker) the same say in training.

    ``"class+speaker"``: each clip weighs ``1 / (clips of its speaker)``, then each class is
    scaled to the same total: a speaker with 59 clips counts as much as one with 1, and
    the sixties as much as the twenties. ``"class"``: classes only. ``None``: no weights
    (returns None). Weights have mean 1.

    Notebook: 05_modeling
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    if weighting is None:
        return None
    y = pd.Series(np.asarray(y))
    if weighting == "class+speaker":
        if groups is None:
            raise ValueError("weighting='class+speaker' needs groups (the speaker of each clip)")
        g = pd.Series(np.asarray(groups))
        w = 1.0 / g.map(g.value_counts()).to_numpy(dtype=float)
    else:
        w = np.ones(len(y))
    per_class = pd.Series(w).groupby(y.to_numpy()).sum()
    w = w / y.map(per_class).to_numpy(dtype=float)
    return w / w.mean()


def fit_pipeline(model, X, y, *, groups=None, weighting: str | None = "class+speaker"):
    """Fit ``model`` (a pipeline whose last step is ``"model"``, or an estimator) with sample weights.

    Notebook: 05_modeling
    """
    w = sample_weights(y, groups, weighting)
    if w is None:
        return model.fit(X, y)
    if isinstance(model, Pipeline):
        return model.fit(X, y, **{f"{model.steps[-1][0]}__sample_weight": w})
    return model.fit(X, y, sample_weight=w)


def make_regressor(name: str = "gb", *, seed: int = 0, clip_threshold: float | None = 3.0, fast: bool = False) -> Pipeline:
    """A regression pipeline for age in years: clipping, imputation, scaling, then the model.

    ``"ridge"``: ridge regression (``alpha=10``); ``"gb"``: ``HistGradientBoostingRegressor``
    with absolute-error loss (it targets MAE directly).

    Notebook: 05_modeling
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    if name == "ridge":
        model = Ridge(alpha=10.0)
    elif name == "gb":
        model = HistGradientBoostingRegressor(
            loss="absolute_error", max_iter=100 if fast else 200, learning_rate=0.1, max_leaf_nodes=15,
            min_samples_leaf=20, max_bins=64, l2_regularization=1.0, early_stopping=False, random_state=seed,
        )
    else:
        raise ValueError(f"unknown regressor {name!r}; known: {', '.join(REGRESSOR_NAMES)}")
    return Pipeline(
        [
            ("clip", ZScoreClipper(threshold=clip_threshold)),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", model),
        ]
    )


def single_thread():
    """Context in which BLAS and OpenMP (the gradient-boosting tree builder) use one thread.

    On a shared 2-core machine, thread pools fighting over cores made gradient boosting
    ten times slower; one thread is also bit-for-bit reproducible.

    Notebook: 05_modeling
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


# --- the task: which rows, which labels ------------------------------------------------------


@dataclass
class Task:
    """Rows, inputs and labels of one prediction task, and what was left out and why.

    ``X``: feature table (one row per clip); ``y``: labels (strings); ``groups``: speaker
    of each clip; ``classes``: the label order; ``years``: age in years (NaN where not
    known); ``excluded``: one row per reason with the number of clips and speakers left out.
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    groups: np.ndarray
    classes: list
    years: np.ndarray
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n_speakers(self) -> int:
        return int(pd.Series(self.groups).nunique())

    def counts(self) -> pd.DataFrame:
        """Clips and speakers per class."""
        df = pd.DataFrame({"y": self.y, "speaker": self.groups})
        out = df.groupby("y").agg(clips=("speaker", "size"), speakers=("speaker", "nunique"))
        return out.reindex(self.classes)

    def summary(self) -> str:
        lines = [f"{self.name}: {len(self.y)} clips, {self.n_speakers} speakers, {len(self.classes)} classes "
                 f"({', '.join(map(str, self.classes))}), {self.X.shape[1]} features"]
        for _, r in self.excluded.iterrows():
            lines.append(f"  left out: {r['clips']} clips / {r['speakers']} speakers: {r['reason']}")
        return "\n".join(lines)


def gender_indicator(gender: pd.Series) -> pd.Series:
    """1.0 for male, 0.0 for female, NaN otherwise (the input the original analysis gave its model).

    Notebook: 05_modeling
    """
    return gender.map({"male": 1.0, "female": 0.0}).astype(float)


def prepare_task(
    table: pd.DataFrame,
    feature_columns: Sequence[str],
    *,
    target: str = "age_group",
    min_speakers: int = 5,
    include_gender: bool = False,
    classes: Sequence | None = None,
) -> Task:
    """Select the rows and classes of a task from a feature table and count what is left out.

    ``table`` needs ``speaker``, ``age_group``, ``gender`` (and ``age_years`` if known)
    plus ``feature_columns``. ``target="age_group"``: rows with an age group, then only
    classes with at least ``min_speakers`` speakers (a class with fewer cannot be in every
    test fold of ``min_speakers``-fold grouped CV: Common Voice's seventies, for example).
    ``target="gender"``: female and male only; "other" and blanks are left out and
    counted. ``include_gender=True`` adds ``gender_male`` (1/0) as an input (age task only;
    rows without a binary gender are then left out). ``classes`` fixes the classes to keep
    (in that order), overriding the speaker-count rule.

    Notebook: 05_modeling
    """
    missing = [c for c in ("speaker", "gender", target, *feature_columns) if c not in table.columns]
    if missing:
        raise KeyError(f"feature table lacks column(s) {missing}")
    df = table.reset_index(drop=True)
    excluded = []

    def drop(mask, reason):
        nonlocal df
        if mask.any():
            excluded.append({"reason": reason, "clips": int(mask.sum()), "speakers": int(df.loc[mask, "speaker"].nunique())})
            df = df.loc[~mask].reset_index(drop=True)

    if target == "gender":
        g = df["gender"].astype("object")
        drop(g.isna(), "no gender given")
        drop(df["gender"].astype("object") == "other", "gender 'other' (too few for a class)")
        drop(~df["gender"].astype("object").isin(BINARY_GENDERS), "gender not female/male")
        order = list(BINARY_GENDERS)
    elif target == "age_group":
        drop(df["age_group"].isna(), "no age group given")
        order = [g for g in AGE_GROUPS if g in set(df["age_group"].astype("object"))]
        if include_gender:
            drop(~df["gender"].astype("object").isin(BINARY_GENDERS), "gender not female/male (gender is an input)")
    else:
        raise ValueError(f"target must be 'age_group' or 'gender', not {target!r}")

    y_all = df[target].astype("object").to_numpy()
    counts: dict = {}
    if classes is None:
        keep, counts = classes_with_enough_groups(y_all, df["speaker"].to_numpy(), min_groups=min_speakers)
        classes = [c for c in order if c in keep]
        for c in order:
            if c not in keep:
                drop(df[target].astype("object") == c,
                     f"class {c!r} has {int(counts[c])} speakers (< {min_speakers}, too few for grouped CV)")
    else:
        classes = list(classes)
        drop(~df[target].astype("object").isin(classes), f"class not in {classes}")

    if len(classes) < 2:
        counts_text = ", ".join(f"{c}: {int(counts[c])}" for c in order if c in counts)
        raise ValueError(
            f"{target}: only {len(classes)} class(es) have at least {min_speakers} speakers "
            f"(speakers per class: {counts_text or 'none'}); grouped {min_speakers}-fold CV needs two. "
            "Use more speakers (e.g. n_speakers=40 on the synthetic corpus) or fewer folds (n_splits)."
        )
    X = df[list(feature_columns)].astype(float)
    if include_gender and target == "age_group":
        X = X.assign(gender_male=gender_indicator(df["gender"].astype("object")).to_numpy())
    years = pd.to_numeric(df["age_years"], errors="coerce").to_numpy(dtype=float) if "age_years" in df else np.full(len(df), np.nan)
    return Task(
        name=target,
        X=X.reset_index(drop=True),
        y=df[target].astype("object").to_numpy(),
        groups=df["speaker"].astype(str).to_numpy(),
        classes=list(classes),
        years=years,
        excluded=pd.DataFrame(excluded, columns=["reason", "clips", "speakers"]),
    )


# --- cross-validation --------------------------------------------------------------------


def _proba_in_order(model, X, classes) -> np.ndarray:
    p = model.predict_proba(X)
    out = np.zeros((len(X), len(classes)))
    where = {c: j for j, c in enumerate(model.classes_)}
    for j, c in enumerate(classes):
        if c in where:
            out[:, j] = p[:, where[c]]
    return out


def cross_val_proba(model, X, y, folds, *, classes: Sequence, groups=None,
                    weighting: str | None = "class+speaker") -> np.ndarray:
    """Out-of-fold class probabilities, shape ``(n_clips, len(classes))``.

    Each fold fits a fresh clone of ``model`` on its training rows (with
    :func:`sample_weights` computed from those rows) and predicts its test rows; every row
    is predicted exactly once, by a model that never saw it. Folds run one after another,
    single-threaded (deterministic).

    Notebook: 05_modeling
    """
    X = X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
    y = np.asarray(y)
    groups = None if groups is None else np.asarray(groups)
    proba = np.full((len(y), len(classes)), np.nan)
    with single_thread():
        for train, test in folds:
            m = fit_pipeline(clone(model), X[train], y[train], groups=None if groups is None else groups[train],
                             weighting=weighting)
            proba[test] = _proba_in_order(m, X[test], classes)
    if np.isnan(proba).any():
        raise ValueError("the folds do not cover every row once; use make_folds")
    return proba


def cross_val_regression(model, X, years, folds) -> np.ndarray:
    """Out-of-fold predictions of a regressor (rows with unknown ``years`` are neither fitted nor scored).

    Notebook: 05_modeling
    """
    X = X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
    years = np.asarray(years, dtype=float)
    pred = np.full(len(years), np.nan)
    known = np.isfinite(years)
    with single_thread():
        for train, test in folds:
            tr = train[known[train]]
            if len(tr) == 0:
                continue
            m = clone(model).fit(X[tr], years[tr])
            pred[test] = m.predict(X[test])
    return pred


def fit_model(model, X, y, *, groups=None, weighting: str | None = "class+speaker"):
    """Fit a fresh clone of ``model`` on all rows with sample weights (single-threaded, as in CV).

    Notebook: 05_modeling
    """
    X = X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
    with single_thread():
        return fit_pipeline(clone(model), X, np.asarray(y), groups=groups, weighting=weighting)


@dataclass
class CVResult:
    """Cross-validated predictions of one model on one feature set and one kind of split.

    ``proba``: out-of-fold clip probabilities; ``clip``: the clip-level :class:`Score`;
    ``speakers``: per-speaker combined predictions (see
    :func:`~helpers.models.evaluation.aggregate_by_speaker`); ``speaker``: their Score.
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
            out[f"{level}_uar"] = s.uar
            out[f"{level}_uar_low"] = s.uar_low
            out[f"{level}_uar_high"] = s.uar_high
            out[f"{level}_accuracy"] = s.accuracy
        out["n_clips"] = self.clip.n
        out["n_speakers"] = self.clip.n_speakers
        return out


def evaluate_cv(
    model,
    X,
    y,
    groups,
    folds,
    *,
    classes: Sequence,
    n_bootstrap: int = 1000,
    seed: int = 0,
    name: str = "",
    features: str = "",
    split: str = "grouped",
    weighting: str | None = "class+speaker",
) -> CVResult:
    """Cross-validate ``model`` on ``folds`` and score clips and speakers (UAR, 95 % CI, accuracy).

    ``weighting``: see :func:`sample_weights` (None for the original pipeline, which had none).

    Notebook: 05_modeling
    """
    y = np.asarray(y)
    groups = np.asarray(groups)
    proba = cross_val_proba(model, X, y, folds, classes=classes, groups=groups, weighting=weighting)
    pred = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    clip = score_predictions(y, pred, groups, labels=classes, n_bootstrap=n_bootstrap, seed=seed, level="clip")
    spk = aggregate_by_speaker(proba, groups, classes, y_true=y)
    speaker = score_predictions(spk["true"], spk["predicted"], spk["speaker"], labels=classes,
                                n_bootstrap=n_bootstrap, seed=seed, level="speaker")
    return CVResult(name, features, split, list(classes), y, groups, proba, clip, spk, speaker)


def ordinal_scores(result: CVResult, order: Sequence = AGE_GROUPS) -> dict:
    """Mean class distance of clip and speaker predictions for ordered classes (age groups).

    Notebook: 05_modeling
    """
    return {
        "clip_mean_class_distance": mean_class_distance(result.y, result.y_pred, order),
        "speaker_mean_class_distance": mean_class_distance(result.speakers["true"], result.speakers["predicted"], order),
    }


def regression_scores(years, predicted, groups) -> dict:
    """MAE in years per clip and per speaker (mean of the speaker's clip predictions), with a baseline.

    The baseline predicts the median age of all known rows for everyone: a model must beat
    it to have learned anything.

    Notebook: 05_modeling
    """
    years = np.asarray(years, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    ok = np.isfinite(years) & np.isfinite(predicted)
    df = pd.DataFrame({"g": np.asarray(groups)[ok], "t": years[ok], "p": predicted[ok]})
    per_spk = df.groupby("g").agg(t=("t", "mean"), p=("p", "mean"))
    baseline = np.full(ok.sum(), np.median(years[ok])) if ok.any() else np.array([])
    return {
        "n_clips": int(ok.sum()),
        "n_speakers": int(df["g"].nunique()),
        "clip_mae_years": mae_years(df["t"], df["p"]),
        "speaker_mae_years": mae_years(per_spk["t"], per_spk["p"]),
        "baseline_mae_years": mae_years(years[ok], baseline),
    }
