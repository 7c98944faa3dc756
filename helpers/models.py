"""The models of notebook 05: the task's rows and labels, honest pipelines, their weights, two CV-safe transformers.

:func:`prepare_task` picks a task's rows, inputs and classes from a feature table (age
groups in the order of the table's ordered categorical) and counts what it leaves out.
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

Notebook: 05_modeling (and 07_predict, through the saved pipelines)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

__all__ = ["EXACT_SVM_MAX_ROWS", "KERNEL_COMPONENTS", "MODEL_LABELS", "QuantileBins", "SkewLog", "SpeakerBalanced",
           "ZScoreClipper", "make_model", "make_regressor", "prepare_task", "sample_weights"]

#: Classifier names :func:`make_model` knows, with their long names.
MODEL_LABELS: dict[str, str] = {"lr": "logistic regression", "svm": "SVM (RBF kernel)", "gb": "gradient boosting"}

#: Above this many rows :func:`make_model` approximates the SVM's kernel (see there). One exact fit took
#: 1.6 s at 3,000 rows, 5.5 s at 6,000, 19 s at 12,000; notebook 05 makes 180; the approximation scored
#: the same within the intervals (benchmarks/README.md, bench_models.py).
EXACT_SVM_MAX_ROWS = 3000
KERNEL_COMPONENTS = 300

#: Sample weightings :func:`sample_weights` knows.
_WEIGHTINGS: tuple = ("class+speaker", "class", None)

#: Tree settings of both gradient-boosting models (classifier and regressor).
_GB_TREES = {"learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 20, "max_bins": 64, "l2_regularization": 1.0,
             "early_stopping": False}

def _float_array(X, *, copy: bool = False) -> np.ndarray:
    return check_array(X, dtype=float, copy=copy, ensure_all_finite="allow-nan")


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
        known = ~np.isnan(X)  # moments of the known values (nanmean and friends, without their copies)
        with np.errstate(invalid="ignore", divide="ignore"):
            n = known.sum(axis=0)
            d = np.where(known, X - np.where(known, X, 0.0).sum(axis=0) / n, 0.0)
            d2 = d * d
            sd = np.sqrt(d2.sum(axis=0) / n)
            skew = (d2 * d).sum(axis=0) / n / np.where(sd > 0, sd, np.inf) ** 3
            minimum = np.where(known, X, np.inf).min(axis=0)
        self.columns_ = (skew > self.threshold) & (minimum >= 0) & np.isfinite(minimum)
        return self

    def transform(self, X):
        X = self._check_transform(X, "columns_")
        if self.columns_.any():
            X[:, self.columns_] = np.log1p(np.clip(X[:, self.columns_], 0.0, None))
        return X


class QuantileBins(_ColumnwiseTransformer):
    """Each feature replaced by its bin number, bins cut at quantiles of the training data (unweighted).

    What gradient boosting does to its inputs anyway (``max_bins`` quantile bins), done
    before it: given weights, scikit-learn 1.9 computes each bin edge as a weighted
    percentile of its own (about 60 % of the gradient boosting's fit time in notebook 05).
    With its inputs already ``n_bins`` integers it skips that. Bins ignore the weights, as
    LightGBM's and scikit-learn's before 1.6 did; the trees still use them.

    Notebook: 05_modeling
    """

    def __init__(self, n_bins: int = 64):
        self.n_bins = n_bins

    def fit(self, X, y=None):
        X = self._check_fit(X)
        q = np.linspace(0, 100, self.n_bins + 1)[1:-1]
        self.edges_ = [np.unique(np.percentile(c[~np.isnan(c)], q, method="averaged_inverted_cdf")) if (~np.isnan(c)).any()
                       else np.zeros(0) for c in X.T]
        return self

    def transform(self, X):
        X = self._check_transform(X, "edges_")
        for j, edges in enumerate(self.edges_):
            X[:, j] = np.where(np.isnan(X[:, j]), np.nan, np.searchsorted(edges, X[:, j]))
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
    is ``estimator_`` (that is what gets saved). The fit parameter is not called ``groups``
    so that nested CV can pass both: ``GridSearchCV(SpeakerBalanced(pipe), grid,
    cv=StratifiedGroupKFold(...))`` with ``params={"groups": speaker, "speakers": speaker}``.

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


def _pipeline(first_steps: list, clip_threshold: float | None, model, before_model: Sequence = ()) -> Pipeline:
    if isinstance(model, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        before_model = [("bins", QuantileBins(n_bins=model.max_bins))]
    return Pipeline([*first_steps, ("clip", ZScoreClipper(threshold=clip_threshold)),
                     ("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("scale", StandardScaler()),
                     *before_model, ("model", model)])


def make_model(
    name: str,
    *,
    seed: int = 0,
    clip_threshold: float | None = 3.0,
    log_threshold: float | None = 1.0,
    fast: bool = False,
    n_rows: int | None = None,
    **params,
) -> Pipeline:
    """A classification pipeline: log of skewed features, z-score clipping, median imputation,
    scaling, then the model (the last step is named ``"model"``).

    ``name``: ``"lr"`` (logistic regression, ``C=0.1``), ``"svm"`` (RBF SVM, ``C=1``,
    probabilities by temperature scaling, ``softmax(decision / T)`` with one ``T`` fitted on
    3 internal folds, so the most probable class is the SVM's own decision) or ``"gb"``
    (``HistGradientBoostingClassifier``, 100 rounds of 15-leaf trees at learning rate 0.1;
    60 with ``fast``). ``params`` override the model's own parameters (for ``"svm"`` they go
    to the ``SVC``). Fixed hyper-parameters (not tuned on the test folds) keep the
    cross-validated scores honest. Balance classes and speakers with :class:`SpeakerBalanced`
    (sample weights also reach the SVM's calibration). Not Platt scaling: on Common Voice
    its per-class sigmoids came out inverted and scored below chance (see the tests).
    ``n_rows`` (training rows) above :data:`EXACT_SVM_MAX_ROWS`: the SVM's RBF kernel is
    approximated (``Nystroem``, :data:`KERNEL_COMPONENTS` landmark rows, the kernel of
    ``gamma="scale"`` on the scaled inputs) and a linear SVM fitted on it by stochastic
    gradient descent (``SGDClassifier``, hinge loss, the same C): about linear in the rows,
    where the exact SVM's fit grows with their square or faster.

    Notebook: 05_modeling
    """
    if name == "lr":
        model = LogisticRegression(**{"C": 0.1, "max_iter": 5000, "random_state": seed, **params})
    elif name == "svm":  # probabilities by one temperature (see the docstring), not per-class Platt sigmoids
        if n_rows is not None and n_rows > EXACT_SVM_MAX_ROWS:
            kernel = [("kernel", Nystroem(n_components=KERNEL_COMPONENTS, random_state=seed))]  # gamma 1 / n_features
            C = params.pop("C", 1.0)  # the SVM's objective: alpha = 1 / (C * rows)
            svc = SGDClassifier(**{"loss": "hinge", "alpha": 1.0 / (C * n_rows), "random_state": seed, **params})
        else:
            kernel, svc = [], SVC(**{"C": 1.0, "kernel": "rbf", "gamma": "scale", "random_state": seed, **params})
        model = CalibratedClassifierCV(svc, method="temperature", cv=3, ensemble=False)
        return _pipeline([("log", SkewLog(threshold=log_threshold))], clip_threshold, model, kernel)
    elif name == "gb":
        model = HistGradientBoostingClassifier(**{"max_iter": 60 if fast else 100, **_GB_TREES, "random_state": seed, **params})
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
        model = HistGradientBoostingRegressor(loss="absolute_error", max_iter=100 if fast else 200, **_GB_TREES,
                                              random_state=seed)
    else:
        raise ValueError(f"unknown regressor {name!r}; known: ridge, gb")
    return _pipeline([], clip_threshold, model)


# --- the task: which rows, which labels ----------------------------------------------------


@dataclass
class Task:
    """Rows, inputs and labels of one prediction task, and what was left out and why.

    ``X``: one row per clip; ``y``: labels (strings); ``groups``: the speaker of each clip;
    ``classes``: the label order; ``years``: age in years (NaN where not known);
    ``excluded``: one row per reason with the number of clips and speakers left out (or
    merged); ``rows``: each row's position in the table given to :func:`prepare_task`.
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    groups: np.ndarray
    classes: list
    years: np.ndarray
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def n_speakers(self) -> int:
        return int(pd.Series(self.groups).nunique())

    def counts(self) -> pd.DataFrame:
        """Clips and speakers per class."""
        df = pd.DataFrame({"y": self.y, "speaker": self.groups})
        return df.groupby("y").agg(clips=("speaker", "size"), speakers=("speaker", "nunique")).reindex(self.classes)

    def summary(self) -> str:
        lines = [f"{self.name}: {len(self.y)} clips, {self.n_speakers} speakers, {len(self.classes)} classes "
                 f"({', '.join(map(str, self.classes))}), {self.X.shape[1]} features"]
        lines += [f"  {'merged' if 'merged into' in r.reason else 'left out'}: {r.clips} clips / {r.speakers} speakers: "
                  f"{r.reason}" for r in self.excluded.itertuples()]
        return "\n".join(lines)


def prepare_task(table: pd.DataFrame, feature_columns: Sequence[str], *, target: str = "age_group",
                 min_speakers: int = 5, include_gender: bool = False, merge_below: int = 0) -> Task:
    """Select the rows and classes of a task from a feature table and count what is left out.

    ``table`` needs ``speaker``, ``gender``, ``target`` (``age_group``: an ordered
    categorical, whose order is the class order) and ``feature_columns``; ``age_years`` if
    known. Age: rows with an age group; first, if the youngest or the oldest class has fewer
    than ``merge_below`` speakers (e.g. 15, three per test fold of 5-fold CV: fewer give no
    stable recall), its clips join the neighbouring class and take its name (seventies ->
    sixties, teens -> twenties; one step, as long as two classes remain; the summary states
    each merge); then only classes with at least ``min_speakers`` speakers (a class with fewer
    cannot be in every test fold of ``min_speakers``-fold grouped CV: Common Voice's
    seventies, for example). Gender: female and male; "other" and blanks are left out and
    counted. ``include_gender=True`` adds ``gender_male`` (1/0) as an input of the age task
    (rows without a binary gender are then left out).

    Notebook: 05_modeling
    """
    missing = [c for c in ("speaker", "gender", target, *feature_columns) if c not in table.columns]
    if missing:
        raise KeyError(f"feature table lacks column(s) {missing}")
    df = table.reset_index(drop=True)  # the index keeps each row's position (Task.rows)
    excluded = []

    def drop(mask, reason):
        nonlocal df
        if mask.any():
            excluded.append({"reason": reason, "clips": int(mask.sum()), "speakers": int(df.loc[mask, "speaker"].nunique())})
            df = df.loc[~mask]

    binary = ["female", "male"]
    if target == "gender":
        drop(df["gender"].isna(), "no gender given")
        drop(df["gender"].astype("object") == "other", "gender 'other' (too few for a class)")
        drop(~df["gender"].astype("object").isin(binary), "gender not female/male")
        order = binary
    elif target == "age_group":
        dtype = table["age_group"].dtype
        if not (isinstance(dtype, pd.CategoricalDtype) and dtype.ordered):
            raise TypeError(f"age_group must be an ordered categorical (its order is the class order), not {dtype}")
        drop(df["age_group"].isna(), "no age group given")
        present = set(df["age_group"].astype("object"))
        order = [g for g in dtype.categories if g in present]
        df["age_group"] = df["age_group"].astype("object")
        counts = df.groupby("age_group")["speaker"].nunique()
        for end, inner in ((-1, -2), (0, 1)):  # the oldest class, then the youngest
            if len(order) > 2 and counts.get(order[end], 0) < merge_below:
                small, into = order[end], order[inner]
                excluded.append({"reason": f"class {small!r} has {int(counts.get(small, 0))} speakers (< {merge_below}): "
                                 f"merged into {into!r}", "clips": int((df["age_group"] == small).sum()),
                                 "speakers": int(counts.get(small, 0))})
                df.loc[df["age_group"] == small, "age_group"] = into
                counts = df.groupby("age_group")["speaker"].nunique()
                order.remove(small)
        if include_gender:
            drop(~df["gender"].astype("object").isin(binary), "gender not female/male (gender is an input)")
    else:
        raise ValueError(f"target must be 'age_group' or 'gender', not {target!r}")

    counts = df.groupby(df[target].astype("object"))["speaker"].nunique()
    for c in order:
        if counts.get(c, 0) < min_speakers:
            drop(df[target].astype("object") == c,
                 f"class {c!r} has {int(counts.get(c, 0))} speakers (< {min_speakers}, too few for grouped CV)")
    classes = [c for c in order if counts.get(c, 0) >= min_speakers]
    if len(classes) < 2:
        raise ValueError(
            f"{target}: only {len(classes)} class(es) have at least {min_speakers} speakers (speakers per class: "
            f"{', '.join(f'{c}: {int(n)}' for c, n in counts.items()) or 'none'}); grouped {min_speakers}-fold CV "
            "needs two. Use more speakers (e.g. n_speakers=40 on the synthetic corpus) or fewer folds (n_splits)."
        )
    X = df[list(feature_columns)].astype(float)
    if include_gender and target == "age_group":
        X = X.assign(gender_male=df["gender"].astype("object").map({"male": 1.0, "female": 0.0}).astype(float).to_numpy())
    years = pd.to_numeric(df["age_years"], errors="coerce").to_numpy(dtype=float) if "age_years" in df else np.full(len(df), np.nan)
    return Task(name=target, X=X.reset_index(drop=True), y=df[target].astype("object").to_numpy(),
                groups=df["speaker"].astype(str).to_numpy(), classes=classes, years=years,
                excluded=pd.DataFrame(excluded, columns=["reason", "clips", "speakers"]),
                rows=df.index.to_numpy())
