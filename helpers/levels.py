"""Three levels of honesty: clips at random, speakers held out, whole languages held out; nested CV.

A random split of clips lets a model recognise speakers; a speaker-grouped split still lets
it recognise the *language* (Common Voice's contributors differ in age between language
communities), so the third level holds out whole :func:`language_groups`.

Notebook: 05_modeling
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from helpers.evaluation import CVResult, scored_result
from helpers.models import SpeakerBalanced, make_model, sample_weights

__all__ = ["language_groups", "language_onehot", "level_folds", "level_scores", "nested_cv", "per_language"]


def language_groups(languages: Sequence, speakers: Sequence) -> np.ndarray:
    """One group label per row: languages joined when a speaker recorded in several of them.

    Union-find over speakers and languages (chains join too); the label is the group's
    languages joined by ``+`` (``"de+en"``); a missing language is ``"unknown"``.

    Notebook: 05_modeling
    """
    # by position: a Series of selected rows keeps its table's index, which speakers lack
    lang = pd.Series(np.asarray(languages, dtype=object)).fillna("unknown").astype(str)
    spk = pd.Series(np.asarray(speakers)).astype(str)
    if len(lang) != len(spk):
        raise ValueError(f"languages has {len(lang)} rows but speakers has {len(spk)}")
    parent = {v: v for v in lang.unique()}

    def find(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for langs in pd.DataFrame({"s": spk, "l": lang}).groupby("s")["l"].unique():
        for other in langs[1:]:
            a, b = find(langs[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    label = {v: "+".join(sorted(w for w in parent if find(w) == find(v))) for v in parent}
    return lang.map(label).to_numpy(dtype=object)


def language_onehot(languages: Sequence) -> pd.DataFrame:
    """The language-only baseline's input: one 0/1 column per language (``lang_<code>``).

    Notebook: 05_modeling
    """
    lang = pd.Series(languages, dtype=object).fillna("unknown").astype(str)
    return pd.get_dummies(lang, prefix="lang", dtype=float).reset_index(drop=True)


def level_folds(y: Sequence, speakers: Sequence, languages: Sequence | None = None, *, n_splits: int = 5,
                seed: int = 0) -> tuple[dict[str, list], dict[str, str]]:
    """The folds of the three levels: ``random`` clips, speaker-``grouped``, ``language``-grouped.

    ``StratifiedKFold`` of clips; ``StratifiedGroupKFold`` by speaker; by
    :func:`language_groups` (fewer groups than ``n_splits``: one fold per group). Returns
    ``(train, test)`` pairs by level and a note per level skipped or shrunk, saying why.

    Notebook: 05_modeling
    """
    y, speakers = np.asarray(y), np.asarray(speakers)
    X = np.zeros((len(y), 1))
    folds = {"random": list(StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(X, y)),
             "grouped": list(StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed).split(X, y, speakers))}
    notes, known = {}, pd.Series([] if languages is None else languages, dtype=object).dropna().astype(str)
    reason = ("the data set has no language column" if languages is None else "no clip has a language" if known.empty
              else f"every clip has the same language ({known.iloc[0]!r})" if known.nunique() < 2 else None)
    if reason is None:
        groups = language_groups(languages, speakers)
        n_groups = len(set(groups))
        if n_groups < 2:
            reason = f"all {pd.Series(languages).nunique()} languages share speakers, so they form one group"
        else:
            k = min(n_splits, n_groups)
            if k < n_splits:
                notes["language"] = f"{n_groups} language groups: {k} folds instead of {n_splits}"
            with warnings.catch_warnings():  # a class in fewer groups than folds: sklearn warns, the folds stay valid
                warnings.simplefilter("ignore", UserWarning)
                folds["language"] = list(StratifiedGroupKFold(k, shuffle=True, random_state=seed).split(X, y, groups))
    if reason is not None:
        notes["language"] = f"language level skipped: {reason}"
    return folds, notes


def level_scores(results: Mapping[tuple, CVResult], features: str, model: str) -> dict:
    """Clip and speaker scores of one feature set x model at every level of a comparison ({} if absent).

    ``results``: from :func:`helpers.evaluation.compare_splits`; ``{split: {"clip", "speaker"}}``.

    Notebook: 05_modeling
    """
    return {split: {"clip": r.clip.as_dict(), "speaker": r.speaker.as_dict()}
            for (split, f, m), r in results.items() if f == features and m == model}


def per_language(result: CVResult, languages: Sequence) -> pd.DataFrame:
    """Clips, speakers, classes, UAR and accuracy of a cross-validated result, per language.

    UAR in a language averages the recalls of the classes present in it; sorted by clips.

    Notebook: 05_modeling
    """
    df = pd.DataFrame({"language": pd.Series(languages, dtype=object).fillna("unknown").to_numpy(),
                       "y": result.y, "pred": result.y_pred, "speaker": result.groups})
    with warnings.catch_warnings():  # sklearn warns that it leaves out the classes a language lacks: intended
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        rows = [{"language": lang, "clips": len(g), "speakers": g["speaker"].nunique(), "classes": g["y"].nunique(),
                 "uar": balanced_accuracy_score(g["y"], g["pred"]), "accuracy": accuracy_score(g["y"], g["pred"])}
                for lang, g in df.groupby("language")]
    return pd.DataFrame(rows).sort_values(["clips", "language"], ascending=[False, True]).reset_index(drop=True)


def _inner_search(model: str, seed: int, grid: dict, inner_splits: int, X, y, groups, train, test):
    """One outer fold's grid search on its training rows; returns (inner UAR, C, classes, test probabilities).

    What ``GridSearchCV(SpeakerBalanced(make_model(model)), grid, scoring="balanced_accuracy",
    cv=StratifiedGroupKFold(inner_splits))`` computes (the same folds, fits and scores; a test
    checks), with one difference in the work: the steps before the model (log, clipping,
    imputation, scaling) depend on the inner fold, not on C, so they are fitted once per inner
    fold instead of once per fold and C (5x fewer with 5 values of C; in notebook 06 they were a
    third of the search's time).
    """
    (param, values), = grid.items()
    model_param = param.removeprefix("estimator__model__")
    X_tr, y_tr, g_tr = X[train], y[train], groups[train]
    scores = np.zeros((len(values), inner_splits))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class in fewer inner groups than folds
        inner = StratifiedGroupKFold(inner_splits, shuffle=True, random_state=seed).split(X_tr, y_tr, groups=g_tr)
        for k, (fit_rows, val_rows) in enumerate(inner):
            pipe = make_model(model, seed=seed)
            prep = pipe[:-1]
            Xt_fit = prep.fit_transform(X_tr[fit_rows], y_tr[fit_rows])
            Xt_val = prep.transform(X_tr[val_rows])
            w = sample_weights(y_tr[fit_rows], g_tr[fit_rows])
            for i, value in enumerate(values):
                fitted = clone(pipe[-1]).set_params(**{model_param: value}).fit(Xt_fit, y_tr[fit_rows], sample_weight=w)
                scores[i, k] = balanced_accuracy_score(y_tr[val_rows], fitted.predict(Xt_val))
        mean = scores.mean(axis=1)
        best = int(np.argmax(mean))  # the first of equal scores, as GridSearchCV ranks them
        final = SpeakerBalanced(make_model(model, seed=seed)).set_params(**{param: values[best]})
        final.fit(X_tr, y_tr, speakers=g_tr)
    return float(mean[best]), values[best], final.classes_, final.predict_proba(X[test])


def nested_cv(feature_sets: Mapping[str, pd.DataFrame], y: Sequence, groups: Sequence, folds: Sequence, *,
              classes: Sequence, model: str = "lr", C_values: Sequence[float] = (0.01, 0.1, 1.0), inner_splits: int = 3,
              n_bootstrap: int = 1000, seed: int = 0, split: str = "grouped", n_jobs: int = 1,
              ) -> tuple[CVResult, pd.DataFrame]:
    """Nested CV: inside each outer fold, an inner speaker-grouped ``GridSearchCV`` picks C and the feature set.

    Per outer fold and feature set: ``GridSearchCV(SpeakerBalanced(make_model(model)),
    {"estimator__model__C": C_values}, cv=StratifiedGroupKFold(inner_splits),
    scoring="balanced_accuracy")`` on the training speakers (groups and weights passed
    through); the set with the best inner UAR predicts the outer test fold. Fits:
    ``len(folds) * len(feature_sets) * (len(C_values) * inner_splits + 1)``. Returns the
    scored result and one row per outer fold (features, C, inner and outer UAR). ``n_jobs``:
    searches in parallel processes (the same result as one).

    Notebook: 05_modeling
    """
    y, groups = np.asarray(y), np.asarray(groups)
    grid = {"estimator__model__C" if model != "svm" else "estimator__model__estimator__C": list(C_values)}
    Xs = {f: X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
          for f, X in feature_sets.items()}
    tasks = [(k, f) for k in range(len(folds)) for f in Xs]
    with threadpool_limits(limits=1):
        found = Parallel(n_jobs=n_jobs)(delayed(_inner_search)(model, seed, grid, inner_splits, Xs[f], y, groups, *folds[k])
                                        for k, f in tasks)
    proba, choices = np.zeros((len(y), len(classes))), []
    for k, (train, test) in enumerate(folds):  # per fold the feature set with the best inner UAR (the first on ties)
        fname, (inner, C, fold_classes, p) = max(((f, r) for (kk, f), r in zip(tasks, found) if kk == k),
                                                 key=lambda fr: fr[1][0])
        for j, c in enumerate(fold_classes):
            proba[test, list(classes).index(c)] = p[:, j]
        pred = np.asarray(classes, dtype=object)[proba[test].argmax(axis=1)]
        with warnings.catch_warnings():  # a test fold without some class (whole languages held out): intended
            warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
            outer_uar = balanced_accuracy_score(y[test], pred)
        choices.append({"fold": k + 1, "features": fname, "C": C, "inner_uar": inner, "outer_uar": outer_uar})
    result = scored_result(proba, y, groups, classes=classes, n_bootstrap=n_bootstrap, seed=seed,
                           name=f"{model} (nested)", split=split,
                           features=next(iter(feature_sets)) if len(feature_sets) == 1 else "chosen per fold")
    return result, pd.DataFrame(choices)
