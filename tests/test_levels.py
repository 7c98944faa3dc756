"""Tests of the three evaluation levels (helpers.levels): language groups, folds, baseline, nested CV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.levels import language_groups, language_onehot, level_folds, nested_cv, per_language


def multilingual(n_speakers=120, clips=3, n_languages=8, seed=0):
    """Speakers in languages whose age mix differs; one speaker records in two languages."""
    rng = np.random.default_rng(seed)
    classes = ["twenties", "thirties", "fourties"]
    rows = []
    for i in range(n_speakers):
        lang = f"l{i % n_languages}"
        bias = (i % n_languages) / (n_languages - 1)  # languages lean young to old
        c = int(rng.choice(3, p=np.array([1 - bias, 0.5, bias]) / 1.5))
        for k in range(clips):
            rows.append({"speaker": f"s{i:03d}", "language": lang, "age_group": classes[c],
                         "f1": c + rng.normal(0, 1.5), "f2": rng.normal()})
    df = pd.DataFrame(rows)
    df.loc[(df["speaker"] == "s000") & (df.index % 3 == 2), "language"] = "l1"  # s000 speaks l0 and l1
    return df


def test_language_groups_merge_a_speaker_who_recorded_in_two_languages():
    df = multilingual()
    groups = language_groups(df["language"], df["speaker"])
    assert set(groups[df["language"].isin(["l0", "l1"])]) == {"l0+l1"}
    assert set(groups[df["language"] == "l2"]) == {"l2"}
    assert len(set(groups)) == 7
    # a chain of speakers joins three languages; a missing language is its own group
    chained = language_groups(["a", "b", "b", "c", None], ["x", "x", "y", "y", "z"])
    assert list(chained) == ["a+b+c"] * 4 + ["unknown"]


def test_languages_are_taken_by_position_not_by_index():
    # notebook 05 passes the gender task's rows of the table: a Series whose index has gaps
    df = multilingual()
    picked = df["language"].iloc[::2]  # index 0, 2, 4, ...; the speakers come as a plain array
    groups = language_groups(picked, df["speaker"].iloc[::2].to_numpy())
    assert list(groups) == list(language_groups(picked.to_list(), df["speaker"].iloc[::2].to_list()))
    assert "unknown" not in set(groups)
    folds, notes = level_folds(df["age_group"].iloc[::2].to_numpy(), df["speaker"].iloc[::2].to_numpy(), picked, n_splits=3)
    assert "language" in folds, notes


def test_language_groups_never_straddle_folds():
    df = multilingual()
    folds, notes = level_folds(df["age_group"], df["speaker"], df["language"], n_splits=5, seed=1)
    assert set(folds) == {"random", "grouped", "language"} and notes == {}
    groups = language_groups(df["language"], df["speaker"])
    tested = np.zeros(len(df), dtype=int)
    for train, test in folds["language"]:
        assert not set(groups[train]) & set(groups[test])
        assert not set(df["speaker"].to_numpy()[train]) & set(df["speaker"].to_numpy()[test])
        tested[test] += 1
    assert (tested == 1).all()


def test_fewer_language_groups_than_folds_use_as_many_folds_as_groups():
    df = multilingual(n_languages=3)
    folds, notes = level_folds(df["age_group"], df["speaker"], df["language"], n_splits=5)
    assert len(folds["language"]) == 2  # l0+l1 and l2
    assert "2 language groups: 2 folds instead of 5" in notes["language"]


@pytest.mark.parametrize("languages, reason", [
    (None, "no language column"),
    ("nan", "no clip has a language"),
    ("one", "same language ('en')"),
])
def test_no_language_skips_the_level_with_a_message(languages, reason):
    df = multilingual()
    langs = {None: None, "nan": [np.nan] * len(df), "one": ["en"] * len(df)}[languages]
    folds, notes = level_folds(df["age_group"], df["speaker"], langs, n_splits=5)
    assert set(folds) == {"random", "grouped"}
    assert notes["language"].startswith("language level skipped") and reason in notes["language"]


def test_language_baseline_and_per_language_breakdown():
    from helpers.evaluation import compare_splits

    df = multilingual(n_speakers=160)
    classes = ["twenties", "thirties", "fourties"]
    folds, _ = level_folds(df["age_group"], df["speaker"], df["language"], n_splits=4)
    onehot = language_onehot(df["language"])
    assert list(onehot.columns) == [f"lang_l{i}" for i in range(8)] and (onehot.sum(axis=1) == 1).all()
    table, results = compare_splits({"language only": onehot}, df["age_group"], df["speaker"], folds,
                                    classes=classes, models=("lr",), n_bootstrap=50)
    uar = table.set_index("split")["clip_uar"]
    assert uar["grouped"] > 0.45  # the language alone predicts age when languages differ in age mix
    assert uar["language"] < uar["grouped"]  # an unseen language tells the baseline nothing
    breakdown = per_language(results[("grouped", "language only", "lr")], df["language"])
    assert set(breakdown.columns) >= {"language", "clips", "speakers", "uar", "accuracy"}
    assert breakdown["clips"].sum() == len(df) and breakdown["clips"].is_monotonic_decreasing


def test_nested_cv_chooses_per_outer_fold_from_inner_grouped_cv():
    df = multilingual(n_speakers=90)
    classes = ["twenties", "thirties", "fourties"]
    folds, _ = level_folds(df["age_group"], df["speaker"], n_splits=3)
    sets = {"f1 only": df[["f1"]], "noise only": df[["f2"]]}
    result, choices = nested_cv(sets, df["age_group"], df["speaker"], folds["grouped"], classes=classes,
                                C_values=(0.01, 1.0), inner_splits=3, n_bootstrap=20)
    assert list(choices["fold"]) == [1, 2, 3] and set(choices["C"]) <= {0.01, 1.0}
    assert (choices["features"] == "f1 only").all()  # the informative set wins every inner search
    assert result.clip.uar > 0.4 and result.proba.shape == (len(df), 3)


@pytest.mark.parametrize("model", ["lr", "svm"])
def test_the_inner_search_is_what_grid_search_cv_computes(model):
    """levels' inner search fits the preprocessing once per inner fold: the same choice,
    inner score and test probabilities as GridSearchCV refitting everything per C."""
    import warnings

    from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

    from helpers.levels import _inner_search
    from helpers.models import SpeakerBalanced, make_model

    df = multilingual(n_speakers=60, n_languages=3, seed=4)
    df["f3"] = np.exp(df["f2"])  # skewed: the log step picks it, so every step does something
    df.loc[::7, "f1"] = np.nan  # the imputer too
    X, y, g = df[["f1", "f2", "f3"]].to_numpy(), df["age_group"].to_numpy(), df["speaker"].to_numpy()
    train, test = np.arange(len(df))[g != "s001"], np.arange(len(df))[g == "s001"]
    key = "estimator__model__C" if model == "lr" else "estimator__model__estimator__C"
    grid = {key: [0.001, 0.1, 10.0]}
    score, C, classes, proba = _inner_search(model, 3, grid, 3, X, y, g, train, test)
    search = GridSearchCV(SpeakerBalanced(make_model(model, seed=3)), grid, scoring="balanced_accuracy",
                          cv=StratifiedGroupKFold(3, shuffle=True, random_state=3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X[train], y[train], groups=g[train], speakers=g[train])
    assert score == search.best_score_ and C == search.best_params_[key]
    assert list(classes) == list(search.classes_)
    assert np.array_equal(proba, search.predict_proba(X[test]))


def test_folds_in_parallel_processes_give_the_same_result_as_one():
    from helpers.evaluation import evaluate_cv
    from helpers.models import make_model

    df = multilingual(n_speakers=60)
    classes = ["twenties", "thirties", "fourties"]
    folds, _ = level_folds(df["age_group"], df["speaker"], n_splits=3)
    sets = {"f1 only": df[["f1"]], "both": df[["f1", "f2"]]}
    runs = [nested_cv(sets, df["age_group"], df["speaker"], folds["grouped"], classes=classes, C_values=(0.01, 1.0),
                      n_bootstrap=20, n_jobs=n) for n in (1, 2)]
    assert np.array_equal(runs[0][0].proba, runs[1][0].proba) and runs[0][1].equals(runs[1][1])
    cv = [evaluate_cv(make_model("gb", fast=True), df[["f1", "f2"]], df["age_group"], df["speaker"], folds["grouped"],
                      classes=classes, n_bootstrap=20, n_jobs=n) for n in (1, 2)]
    assert np.array_equal(cv[0].proba, cv[1].proba)


def test_the_same_seed_gives_the_same_metrics(tmp_path):
    from helpers.evaluation import compare_splits
    from workbook.metrics_json import update_metrics

    df = multilingual(n_speakers=60)
    texts = []
    for run in ("a", "b"):
        folds, notes = level_folds(df["age_group"], df["speaker"], df["language"], n_splits=3, seed=4)
        table, _ = compare_splits({"f": df[["f1", "f2"]], "language only": language_onehot(df["language"])},
                                  df["age_group"], df["speaker"], folds, classes=["twenties", "thirties", "fourties"],
                                  models=("lr", "svm"), n_bootstrap=50, seed=4)
        assert set(table["split"]) == {"random", "grouped", "language"}
        texts.append(update_metrics(tmp_path / run, "modeling", {"comparison": table.to_dict("records"),
                                                                 "notes": notes}).read_text())
    assert texts[0] == texts[1]


def test_predict_says_on_which_level_the_model_was_judged():
    from workbook.predict import _judged

    score = {"uar": 0.21, "uar_low": 0.17, "uar_high": 0.25}
    entry = {"evaluation": {"judged_on": "language", "levels": {
        "random": {"speaker": {**score, "uar": 0.45}}, "grouped": {"speaker": {**score, "uar": 0.27}},
        "language": {"speaker": score}}}}
    line = _judged("age", entry)
    assert line.startswith("the age model was judged on the language-grouped level: speaker UAR 0.210 [0.170, 0.250]")
    assert "random split of clips 0.450" in line and "speaker-grouped 0.270" in line
    assert "does not say" in _judged("gender", {})
