"""Outliers by z-score: found on the whole table (as the original did) or handled inside CV.

The original analysis computed z-scores on the *whole* table and dropped every row with
any ``|z| > 3`` **before** splitting into training and test data. Two problems: the test
rows took part in choosing what counts as an outlier (their means and deviations leak
into the decision), and on a table with ~140 features nearly every row has *some* feature
beyond 3 s.d., so whole classes of clips (long, noisy, old voices) vanish.

- :func:`zscore_outliers` reproduces the original's rule and says how many rows and which
  features it flags (notebook 04 shows it, notebook 05's original pipeline applies it);
- :class:`ZScoreClipper` is the honest version: a scikit-learn transformer that learns
  the means and deviations on the training fold only and *clips* values beyond
  ``threshold`` s.d. (winsorising), so no row is dropped and the test fold is never looked
  at. It sits first in every honest pipeline.

Notebook: 04_eda, 05_modeling
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted


def zscore_outliers(table: pd.DataFrame, columns=None, *, threshold: float = 3.0) -> pd.DataFrame:
    """Flag rows with any feature more than ``threshold`` standard deviations from its mean.

    Z-scores use the whole table (population s.d., as ``scipy.stats.zscore``); NaN values
    never flag. Returns a frame with the input's index and columns ``is_outlier`` (bool),
    ``n_features`` (how many features are extreme in that row), ``max_abs_z`` and
    ``features`` (the extreme feature names, comma-separated).

    Notebook: 04_eda, 05_modeling
    """
    cols = list(columns) if columns is not None else list(table.select_dtypes("number").columns)
    X = table[cols].to_numpy(dtype=float)
    mean = np.nanmean(X, axis=0)
    sd = np.nanstd(X, axis=0)
    sd = np.where(sd > 0, sd, np.inf)
    z = np.abs((X - mean) / sd)
    z = np.where(np.isnan(z), 0.0, z)
    extreme = z > threshold
    names = np.asarray(cols, dtype=object)
    return pd.DataFrame(
        {
            "is_outlier": extreme.any(axis=1),
            "n_features": extreme.sum(axis=1),
            "max_abs_z": z.max(axis=1) if len(cols) else np.zeros(len(table)),
            "features": [", ".join(names[row]) for row in extreme],
        },
        index=table.index,
    )


def outliers_per_feature(table: pd.DataFrame, columns=None, *, threshold: float = 3.0) -> pd.Series:
    """How many rows each feature flags as extreme (``|z| > threshold``), largest first.

    Notebook: 04_eda
    """
    cols = list(columns) if columns is not None else list(table.select_dtypes("number").columns)
    X = table[cols].astype(float)
    z = ((X - X.mean()) / X.std(ddof=0).replace(0, np.inf)).abs()
    return (z > threshold).sum().sort_values(ascending=False)


#: scikit-learn before 1.6 names check_array's NaN switch ``force_all_finite``.
_OLD_SKLEARN = tuple(int(v) for v in __import__("sklearn").__version__.split(".")[:2]) < (1, 6)


class ZScoreClipper(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip each feature to mean ± ``threshold`` s.d. learned on the training data.

    Fitted inside cross-validation (as the first step of a pipeline), the limits come from
    the training fold only. NaN values pass through unchanged (an imputer later fills them).
    ``threshold=None`` turns clipping off.

    Notebook: 05_modeling
    """

    def __init__(self, threshold: float | None = 3.0):
        self.threshold = threshold

    def fit(self, X, y=None):
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        X = check_array(X, dtype=float, force_all_finite="allow-nan") if _OLD_SKLEARN else check_array(
            X, dtype=float, ensure_all_finite="allow-nan"
        )
        self.n_features_in_ = X.shape[1]
        with np.errstate(invalid="ignore"):
            self.mean_ = np.nan_to_num(np.nanmean(X, axis=0)) if len(X) else np.zeros(X.shape[1])
            self.scale_ = np.nan_to_num(np.nanstd(X, axis=0)) if len(X) else np.zeros(X.shape[1])
        return self

    def transform(self, X):
        check_is_fitted(self, "mean_")
        X = check_array(X, dtype=float, force_all_finite="allow-nan", copy=True) if _OLD_SKLEARN else check_array(
            X, dtype=float, ensure_all_finite="allow-nan", copy=True
        )
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but ZScoreClipper was fitted with {self.n_features_in_}")
        if self.threshold is None:
            return X
        lo = self.mean_ - self.threshold * self.scale_
        hi = self.mean_ + self.threshold * self.scale_
        return np.clip(X, lo, hi)


class SkewLog(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """``log1p`` of the features that are non-negative and right-skewed in the training data.

    Learned inside cross-validation like every step: ``fit`` picks the columns whose
    training values are all >= 0 and whose skewness exceeds ``threshold``; ``transform``
    applies ``log1p`` to those columns (values below 0 at prediction time are clipped to 0
    first). Mel-band powers, jitter and shimmer are typical: a few very large values would
    otherwise dominate a linear model and the z-score limits.

    Notebook: 04_eda (the idea), 05_modeling (the pipelines)
    """

    def __init__(self, threshold: float | None = 1.0):
        self.threshold = threshold

    def fit(self, X, y=None):
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        X = check_array(X, dtype=float, force_all_finite="allow-nan") if _OLD_SKLEARN else check_array(
            X, dtype=float, ensure_all_finite="allow-nan"
        )
        self.n_features_in_ = X.shape[1]
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
        check_is_fitted(self, "columns_")
        X = check_array(X, dtype=float, force_all_finite="allow-nan", copy=True) if _OLD_SKLEARN else check_array(
            X, dtype=float, ensure_all_finite="allow-nan", copy=True
        )
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but SkewLog was fitted with {self.n_features_in_}")
        cols = self.columns_
        if cols.any():
            X[:, cols] = np.log1p(np.clip(X[:, cols], 0.0, None))
        return X
