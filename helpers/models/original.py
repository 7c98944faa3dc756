"""The original analysis's modeling, reproduced step by step so its score can be examined.

The original analysis (6 age classes, 43.5 % accuracy) did, in this order:

1. described each clip by its features (onsets, duration, onsets/s, tempo, f0 statistics,
   128 mel-band means) **and the speaker's gender** as an input;
2. computed z-scores on the whole table and **dropped every row** with any ``|z| > 3``;
3. split the remaining clips **at random** (stratified by age group) into 80 % training and
   20 % test data, so most speakers had clips on both sides;
4. searched a grid of scaler x PCA x ``C`` of a logistic regression with 4-fold CV on the
   training clips (again random folds), scored by accuracy;
5. reported the test accuracy and confusion matrices of counts and ratios.

:func:`run_original` does exactly that, and additionally reports what the original did
not: UAR, and how many test speakers also had clips in the training data.
:func:`original_model` rebuilds its chosen pipeline so the comparison can run it on the
same folds as the honest models.

Notebook: 05_modeling
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from helpers.models.evaluation import accuracy, confusion_counts, confusion_ratios, uar
from helpers.models.honest import BINARY_GENDERS, gender_indicator, single_thread
from helpers.models.outliers import zscore_outliers

#: Scalers of the grid.
SCALER_NAMES: tuple[str, ...] = ("standard", "minmax", "robust")

#: PCA settings of the grid: None (no PCA), or the fraction of variance to keep.
PCA_SETTINGS: tuple = (None, 0.99, 0.9)

#: Inverse regularisation strengths of the grid.
C_VALUES: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)


def _scaler(name: str):
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    return {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}[name]()


def original_grid(*, fast: bool = False) -> dict:
    """The search grid: scaler x PCA x C (``fast``: 2 scalers x 2 PCA x 4 C).

    Notebook: 05_modeling
    """
    if fast:
        return {"scaler": ("standard", "minmax"), "pca": (None, 0.9), "C": (0.01, 0.1, 1.0, 10.0)}
    return {"scaler": SCALER_NAMES, "pca": PCA_SETTINGS, "C": C_VALUES}


def original_model(scaler: str = "standard", pca=None, C: float = 1.0, *, seed: int = 0) -> Pipeline:
    """The original pipeline: median imputation (for unvoiced clips' f0), scaler, optional PCA, logistic regression.

    No class weights (the original had none). ``pca``: None, a fraction of variance to
    keep, or a number of components.

    Notebook: 05_modeling
    """
    from sklearn.decomposition import PCA
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression

    steps = [("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("scaler", _scaler(scaler))]
    if pca is not None:
        steps.append(("pca", PCA(n_components=pca, svd_solver="full", random_state=seed)))
    steps.append(("model", LogisticRegression(C=C, max_iter=5000, random_state=seed)))
    return Pipeline(steps)


def original_inputs(table: pd.DataFrame, feature_columns: Sequence[str]) -> pd.DataFrame:
    """The original model's inputs: the features plus ``gender_male`` (1 male, 0 female).

    Notebook: 05_modeling
    """
    X = table[list(feature_columns)].astype(float).copy()
    X["gender_male"] = gender_indicator(table["gender"].astype("object")).to_numpy()
    return X


@dataclass
class OriginalResult:
    """Everything the original pipeline produced, plus what it did not report.

    ``outliers``: the z-score table of all rows (see :func:`~helpers.models.outliers.zscore_outliers`);
    ``cv_results``: one row per grid point with mean train and validation accuracy;
    ``best``: the chosen scaler, PCA and C; ``test_accuracy`` and ``test_uar``; the test
    confusion matrices; ``shared_speakers``: test speakers who also have training clips.
    """

    n_rows: int
    n_outliers: int
    outliers: pd.DataFrame
    n_train: int
    n_test: int
    classes: list
    cv_results: pd.DataFrame
    best: dict
    best_cv_accuracy: float
    test_accuracy: float
    test_uar: float
    confusion: pd.DataFrame
    confusion_ratio: pd.DataFrame
    n_test_speakers: int
    shared_speakers: int
    excluded: dict = field(default_factory=dict)

    def metrics(self) -> dict:
        """The headline numbers (for metrics.json)."""
        return {
            "n_rows": self.n_rows,
            "n_outliers_removed": self.n_outliers,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "best": {k: (None if v is None else v) for k, v in self.best.items()},
            "best_cv_accuracy": self.best_cv_accuracy,
            "test_accuracy": self.test_accuracy,
            "test_uar": self.test_uar,
            "n_test_speakers": self.n_test_speakers,
            "test_speakers_also_in_training": self.shared_speakers,
            **{f"excluded_{k}": v for k, v in self.excluded.items()},
        }


def run_original(
    table: pd.DataFrame,
    feature_columns: Sequence[str],
    *,
    classes: Sequence,
    target: str = "age_group",
    seed: int = 0,
    test_size: float = 0.2,
    outlier_threshold: float = 3.0,
    cv_folds: int = 4,
    fast: bool = False,
    grid: dict | None = None,
) -> OriginalResult:
    """Run the original analysis's pipeline on a feature table (see the module docstring).

    ``table`` has ``speaker``, ``gender``, ``target`` and the ``feature_columns``; rows of
    other classes than ``classes`` and without a female/male gender (gender is an input)
    are left out first and counted in ``excluded``. ``grid`` overrides
    :func:`original_grid`.

    Notebook: 05_modeling
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

    df = table.reset_index(drop=True)
    excluded = {}
    keep = df[target].astype("object").isin(list(classes))
    excluded["other_classes"] = int((~keep).sum())
    df = df.loc[keep]
    keep = df["gender"].astype("object").isin(BINARY_GENDERS)
    excluded["no_binary_gender"] = int((~keep).sum())
    df = df.loc[keep].reset_index(drop=True)

    # 2. z-score outliers on the whole table, dropped before the split
    flags = zscore_outliers(df, feature_columns, threshold=outlier_threshold)
    kept = df.loc[~flags["is_outlier"].to_numpy()].reset_index(drop=True)
    X = original_inputs(kept, feature_columns)
    y = kept[target].astype("object").to_numpy()

    # 3. a random, stratified 80/20 split of clips
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=test_size, stratify=y, random_state=seed)

    # 4. the grid with 4-fold CV on the training clips
    g = grid or original_grid(fast=fast)
    param_grid = []
    for scaler in g["scaler"]:
        for pca in g["pca"]:
            param_grid.append({
                "scaler": [_scaler(scaler)],
                "pca": ["passthrough"] if pca is None else [_pca(pca, seed)],
                "model__C": list(g["C"]),
            })
    base = original_model("standard", 0.9, 1.0, seed=seed)
    search = GridSearchCV(
        base, param_grid, scoring="accuracy", cv=StratifiedKFold(n_splits=cv_folds, shuffle=True, random_state=seed),
        return_train_score=True, n_jobs=1, refit=True,
    )
    with single_thread(), warnings.catch_warnings():
        # large C with min-max scaling may stop lbfgs at its iteration limit; the grid keeps
        # such points (the original did too) and the curves show how they score
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X.iloc[idx_train].to_numpy(), y[idx_train])
    cv = pd.DataFrame(search.cv_results_)
    cv_table = pd.DataFrame({
        "scaler": [_scaler_name(s) for s in cv["param_scaler"]],
        "pca": [_pca_name(p) for p in cv["param_pca"]],
        "C": cv["param_model__C"].astype(float),
        "train_accuracy": cv["mean_train_score"],
        "validation_accuracy": cv["mean_test_score"],
        "validation_sd": cv["std_test_score"],
    })
    bp = search.best_params_
    best = {"scaler": _scaler_name(bp["scaler"]), "pca": _pca_value(bp["pca"]), "C": float(bp["model__C"])}

    # 5. the test score and confusion matrices
    pred = search.predict(X.iloc[idx_test].to_numpy())
    counts = confusion_counts(y[idx_test], pred, list(classes))
    spk = kept["speaker"].astype(str).to_numpy()
    test_speakers = set(spk[idx_test])
    return OriginalResult(
        n_rows=len(df),
        n_outliers=int(flags["is_outlier"].sum()),
        outliers=flags,
        n_train=len(idx_train),
        n_test=len(idx_test),
        classes=list(classes),
        cv_results=cv_table,
        best=best,
        best_cv_accuracy=float(search.best_score_),
        test_accuracy=accuracy(y[idx_test], pred),
        test_uar=uar(y[idx_test], pred, list(classes)),
        confusion=counts,
        confusion_ratio=confusion_ratios(counts),
        n_test_speakers=len(test_speakers),
        shared_speakers=len(test_speakers & set(spk[idx_train])),
        excluded=excluded,
    )


def _pca(setting, seed):
    from sklearn.decomposition import PCA

    return PCA(n_components=setting, svd_solver="full", random_state=seed)


def _scaler_name(obj) -> str:
    return {"StandardScaler": "standard", "MinMaxScaler": "minmax", "RobustScaler": "robust"}[type(obj).__name__]


def _pca_value(obj):
    return None if isinstance(obj, str) else obj.n_components


def _pca_name(obj) -> str:
    v = _pca_value(obj)
    return "none" if v is None else (f"{v:.0%} variance" if isinstance(v, float) and v < 1 else f"{v} components")
