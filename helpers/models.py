"""The models of notebook 05: honest pipelines, their sample weights, and two CV-safe transformers.

Every step that learns from data (which features to log, outlier limits, imputation,
scaling, the model) is a step of one scikit-learn ``Pipeline``, so inside cross-validation
it learns from the training fold only. :class:`SpeakerBalanced` fits such a pipeline with
weights computed from the training rows it is given: every class, and within a class
every speaker, gets the same say (UAR rewards every class equally, and a speaker with 59
clips must not count 59 times).

:class:`ZScoreClipper` and :class:`SkewLog` are hand-written because scikit-learn has no
transformer that clips at mean ± k s.d. learnt on the training data, nor one that picks the
skewed columns to log on the training data (``FunctionTransformer(np.log1p)`` logs every
column, including the negative ones).

Notebook: 05_modeling (and 06_predict, through the saved pipelines)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "MODEL_LABELS",
    "SkewLog",
    "SpeakerBalanced",
    "ZScoreClipper",
    "make_model",
    "make_regressor",
    "sample_weights",
]

#: Classifier names :func:`make_model` knows, with their long names.
MODEL_LABELS: dict[str, str] = {"lr": "logistic regression", "svm": "SVM (RBF kernel)", "gb": "gradient boosting"}

#: Sample weightings :func:`sample_weights` knows.
_WEIGHTINGS: tuple = ("class+speaker", "class", None)

#: scikit-learn before 1.6 names check_array's NaN switch ``force_all_finite``.
_OLD_SKLEARN = tuple(int(v) for v in sklearn.__version__.split(".")[:2]) < (1, 6)


def _float_array(X, *, copy: bool = False) -> np.ndarray:
    nan_ok = {"force_all_finite": "allow-nan"} if _OLD_SKLEARN else {"ensure_all_finite": "allow-nan"}
    return check_array(X, dtype=float, copy=copy, **nan_ok)


class _ColumnwiseTransformer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Shared input checks of the two transformers below (NaN passes through)."""

    def _check_fit(self, X) -> np.ndarray:
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        X = _float_array(X)
        self.n_features_in_ = X.shape[1]
        return X

    def _check_transform(self, X, fitted: str) -> np.ndarray:
        check_is_fitted(self, fitted)
        X = _float_array(X, copy=True)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} was fitted with {self.n_features_in_}")
        return X


class ZScoreClipper(_ColumnwiseTransformer):
    """Clip each feature to mean ± ``threshold`` s.d. learnt on the training data.

    The CV-safe version of the original analysis's outlier rule: no row is dropped and the
    test fold is never looked at. NaN values pass through (an imputer fills them later).
    ``threshold=None`` turns clipping off.

    Notebook: 05_modeling
    """

    def __init__(self, threshold: float | None = 3.0):
        self.threshold = threshold

    def fit(self, X, y=None):
        X = self._check_fit(X)
        with np.errstate(invalid="ignore"):
            self.mean_ = np.nan_to_num(np.nanmean(X, axis=0)) if len(X) else np.zeros(X.shape[1])
            self.scale_ = np.nan_to_num(np.nanstd(X, axis=0)) if len(X) else np.zeros(X.shape[1])
        return self

    def transform(self, X):
        X = self._check_transform(X, "mean_")
        if self.threshold is None:
            return X
        return np.clip(X, self.mean_ - self.threshold * self.scale_, self.mean_ + self.threshold * self.scale_)


class SkewLog(_ColumnwiseTransformer):
    """``log1p`` of the features that are non-negative and right-skewed in the training data.

    ``fit`` picks the columns whose training values are all >= 0 and whose skewness exceeds
    ``threshold``; ``transform`` applies ``log1p`` to them (values below 0 at prediction
    time are clipped to 0 first). Mel-band powers, jitter and shimmer are typical: a few
    very large values would otherwise dominate a linear model and the z-score limits.

    Notebook: 04_eda (the idea), 05_modeling (the pipelines)
    """

    def __init__(self, threshold: float | None = 1.0):
        self.threshold = threshold

    def fit(self, X, y=None):
        X = self._check_fit(X)
        if self.threshold is None or len(X) < 3:
            self.columns_ = np.zeros(X.shape[1], dtype=bool)
            return self
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nanmean(X, axis=0)
            sd = np.nanstd(X, axis=0)
            skew = np.nanmean(((X - mean) / np.where(sd > 0, sd, np.inf)) ** 3, axis=0)
            minimum = np.nanmin(np.where(np.isnan(X), np.inf, X), axis=0)
        self.columns_ = (skew > self.threshold) & (minimum >= 0) & np.isfinite(minimum)
        return self

    def transform(self, X):
        X = self._check_transform(X, "columns_")
        if self.columns_.any():
            X[:, self.columns_] = np.log1p(np.clip(X[:, self.columns_], 0.0, None))
        return X


def sample_weights(y, speakers=None, weighting: str | None = "class+speaker") -> np.ndarray | None:
    """Weights that give every class (and within it every speaker) the same say in training.

    ``"class+speaker"``: each clip weighs ``1 / (clips of its speaker)``, then each class is
    scaled to the same total: a speaker with 59 clips counts as much as one with 1, and the
    sixties as much as the twenties. ``"class"``: classes only. ``None``: no weights
    (returns None). Weights have mean 1.

    Notebook: 05_modeling
    """
    if weighting not in _WEIGHTINGS:
        raise ValueError(f"weighting must be one of {_WEIGHTINGS}, not {weighting!r}")
    if weighting is None:
        return None
    y = pd.Series(np.asarray(y))
    if weighting == "class+speaker":
        if speakers is None:
            raise ValueError("weighting='class+speaker' needs the speaker of each clip")
        s = pd.Series(np.asarray(speakers))
        w = 1.0 / s.map(s.value_counts()).to_numpy(dtype=float)
    else:
        w = np.ones(len(y))
    per_class = pd.Series(w).groupby(y.to_numpy()).sum()
    w = w / y.map(per_class).to_numpy(dtype=float)
    return w / w.mean()


class SpeakerBalanced(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A classifier (or pipeline) fitted with :func:`sample_weights` of the rows it is trained on.

    ``fit(X, y, speakers=...)`` computes the weights from ``y`` and ``speakers`` and passes
    them to the pipeline's last step (``model__sample_weight``). Inside cross-validation
    the weights must come from each training fold, which is why they are computed here and
    not once for the whole table: ``cross_val_predict(SpeakerBalanced(pipe), X, y, cv=cv,
    params={"speakers": speaker})`` hands each fold its own speakers. The fitted pipeline
    is ``estimator_`` (that is what gets saved).

    Notebook: 05_modeling
    """

    def __init__(self, estimator, weighting: str | None = "class+speaker"):
        self.estimator = estimator
        self.weighting = weighting

    def fit(self, X, y, speakers=None):
        w = sample_weights(y, speakers, self.weighting)
        self.estimator_ = clone(self.estimator)
        if w is None:
            self.estimator_.fit(X, y)
        elif isinstance(self.estimator_, Pipeline):
            self.estimator_.fit(X, y, **{f"{self.estimator_.steps[-1][0]}__sample_weight": w})
        else:
            self.estimator_.fit(X, y, sample_weight=w)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)


def _pipeline(first_steps: list, clip_threshold: float | None, model) -> Pipeline:
    return Pipeline(
        [
            *first_steps,
            ("clip", ZScoreClipper(threshold=clip_threshold)),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", model),
        ]
    )


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
    (``HistGradientBoostingClassifier``, 100 rounds of 15-leaf trees at learning rate 0.1;
    60 with ``fast``). ``params`` override the model's own parameters (for ``"svm"`` they go
    to the ``SVC``). Fixed hyper-parameters (not tuned on the test folds) keep the
    cross-validated scores honest. Balance classes and speakers with :class:`SpeakerBalanced`
    (sample weights also reach the SVM's calibration; ``class_weight`` would not).

    Notebook: 05_modeling
    """
    if name == "lr":
        model = LogisticRegression(**{"C": 0.1, "max_iter": 5000, "random_state": seed, **params})
    elif name == "svm":
        # probabilities by Platt scaling on 3 internal folds (SVC(probability=True) is deprecated)
        svc = SVC(**{"C": 1.0, "kernel": "rbf", "gamma": "scale", "random_state": seed, **params})
        model = CalibratedClassifierCV(svc, method="sigmoid", cv=3, ensemble=False)
    elif name == "gb":
        model = HistGradientBoostingClassifier(
            **{"max_iter": 60 if fast else 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 20,
               "max_bins": 64, "l2_regularization": 1.0, "early_stopping": False, "random_state": seed, **params}
        )
    else:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODEL_LABELS)}")
    return _pipeline([("log", SkewLog(threshold=log_threshold))], clip_threshold, model)


def make_regressor(name: str = "gb", *, seed: int = 0, clip_threshold: float | None = 3.0, fast: bool = False) -> Pipeline:
    """A regression pipeline for age in years: clipping, imputation, scaling, then the model.

    ``"ridge"``: ridge regression (``alpha=10``); ``"gb"``: ``HistGradientBoostingRegressor``
    with absolute-error loss (it targets the mean absolute error directly).

    Notebook: 05_modeling
    """
    if name == "ridge":
        model = Ridge(alpha=10.0)
    elif name == "gb":
        model = HistGradientBoostingRegressor(
            loss="absolute_error", max_iter=100 if fast else 200, learning_rate=0.1, max_leaf_nodes=15,
            min_samples_leaf=20, max_bins=64, l2_regularization=1.0, early_stopping=False, random_state=seed,
        )
    else:
        raise ValueError(f"unknown regressor {name!r}; known: ridge, gb")
    return _pipeline([], clip_threshold, model)
