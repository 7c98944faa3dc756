"""Tests of helpers.models (evaluation, original and honest pipelines, comparison, oracle,
importance, persistence, metrics) and helpers.eda, on feature tables built here.

The tables come from the synthetic corpus's speaker sampler (ages, genders and latent voice
parameters with their literature trends), measured with clip noise, plus per-speaker
"channel" columns that carry no age at all but identify the speaker, as microphones do in
Common Voice. A model that memorises speakers scores higher on a random split of clips than
on a speaker-grouped split: the tests check that the evaluation shows it.
"""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from helpers.models import evaluation as ev  # noqa: E402
from helpers.models.outliers import ZScoreClipper, outliers_per_feature, zscore_outliers  # noqa: E402


def make_table(n_speakers=150, clips=4, seed=0, n_channel=12, noise=0.25):
    """Clip-level feature table: measured latent parameters + speaker channel columns."""
    from workbook.synthetic.trends import VOICE_PARAMETERS, sample_speakers

    spk = sample_speakers(n_speakers, seed)
    rng = np.random.default_rng(seed + 100)
    latent = list(VOICE_PARAMETERS)
    z = (spk[latent] - spk[latent].mean()) / spk[latent].std()
    channel = rng.standard_normal((n_speakers, n_channel)) * 2.0
    rows = []
    for i in range(n_speakers):
        for c in range(clips):
            row = {
                "path": f"/data/{spk.speaker[i]}_{c}.wav",
                "speaker": spk.speaker[i],
                "age_group": spk.age_group[i],
                "age_years": float(spk.age_years[i]),
                "gender": spk.gender[i],
            }
            for j, name in enumerate(latent):
                row[f"feat_{name}"] = z.iloc[i, j] + noise * rng.standard_normal()
            for k in range(n_channel):
                row[f"chan_{k}"] = channel[i, k] + 0.05 * rng.standard_normal()
            rows.append(row)
    table = pd.DataFrame(rows)
    table["age_group"] = table["age_group"].astype("object")
    return table, spk


@pytest.fixture(scope="module")
def table():
    return make_table()[0]


def feats(table):
    return [c for c in table.columns if c.startswith(("feat_", "chan_"))]


# --- folds -----------------------------------------------------------------------------------


def test_grouped_folds_keep_speakers_apart_and_random_folds_do_not(table):
    y, g = table["age_group"].to_numpy(), table["speaker"].to_numpy()
    grouped = ev.make_folds(y, g, kind="grouped", n_splits=5, seed=3)
    random = ev.make_folds(y, g, kind="random", n_splits=5, seed=3)
    assert ev.speakers_on_both_sides(grouped, g) == 0
    assert ev.speakers_on_both_sides(random, g) > 0.8 * len(set(g))
    for folds in (grouped, random):
        covered = np.sort(np.concatenate([te for _, te in folds]))
        assert np.array_equal(covered, np.arange(len(y)))  # every clip tested exactly once
        for _, te in folds:
            assert set(y[te]) == set(y)  # stratified: every class in every test fold
    again = ev.make_folds(y, g, kind="grouped", n_splits=5, seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(grouped, again))
    other = ev.make_folds(y, g, kind="grouped", n_splits=5, seed=4)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(grouped, other))


def test_grouped_folds_refuse_a_class_with_too_few_speakers():
    y = np.array(["a"] * 20 + ["b"] * 6)
    g = np.array([f"s{i // 2}" for i in range(20)] + ["x", "x", "y", "y", "z", "z"])
    with pytest.raises(ValueError, match=r"'b' \(3 speakers\)"):
        ev.make_folds(y, g, kind="grouped", n_splits=5)
    keep, counts = ev.classes_with_enough_groups(y, g, min_groups=5)
    assert keep == ["a"] and counts["b"] == 3


# --- metrics ---------------------------------------------------------------------------------


def test_uar_accuracy_and_confusion_by_hand():
    y = ["a"] * 8 + ["b"] * 2
    always_a = ["a"] * 10
    assert ev.accuracy(y, always_a) == pytest.approx(0.8)
    assert ev.uar(y, always_a) == pytest.approx(0.5)  # chance for 2 classes, despite 80 % accuracy
    pred = ["a"] * 6 + ["b"] * 2 + ["b", "a"]
    assert ev.uar(y, pred) == pytest.approx((6 / 8 + 1 / 2) / 2)
    counts = ev.confusion_counts(y, pred, ["a", "b"])
    assert counts.loc["a", "b"] == 2 and counts.loc["b", "a"] == 1 and counts.to_numpy().sum() == 10
    ratios = ev.confusion_ratios(counts)
    assert np.allclose(ratios.sum(axis=1), 1.0)
    assert np.mean(np.diag(ratios)) == pytest.approx(ev.uar(y, pred))
    # a class absent from y_true does not count towards UAR
    assert ev.uar(["a", "a"], ["a", "b"], ["a", "b", "c"]) == pytest.approx(0.5)


def test_mean_class_distance_and_mae():
    order = ["teens", "twenties", "thirties"]
    assert ev.mean_class_distance(["teens", "thirties"], ["thirties", "thirties"], order) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not in the class order"):
        ev.mean_class_distance(["teens"], ["nineties"], order)
    assert ev.mae_years([20, 30, np.nan], [25, 20, 40]) == pytest.approx(7.5)


def test_bootstrap_resamples_speakers_not_clips():
    rng = np.random.default_rng(0)
    n_spk, clips = 40, 10
    groups = np.repeat([f"s{i}" for i in range(n_spk)], clips)
    y = np.repeat(rng.choice(["a", "b"], n_spk), clips)
    # each speaker is either always right or always wrong: clips are not independent
    right = np.repeat(rng.random(n_spk) < 0.7, clips)
    pred = np.where(right, y, np.where(y == "a", "b", "a"))
    lo_s, hi_s = ev.bootstrap_ci(y, pred, groups, n_bootstrap=400, seed=1)
    lo_c, hi_c = ev.bootstrap_ci(y, pred, np.arange(len(y)), n_bootstrap=400, seed=1)
    point = ev.uar(y, pred)
    assert lo_s <= point <= hi_s
    assert (hi_s - lo_s) > 2 * (hi_c - lo_c)  # clip resampling would pretend 400 independent samples
    assert (lo_s, hi_s) == ev.bootstrap_ci(y, pred, groups, n_bootstrap=400, seed=1)
    assert np.isnan(ev.bootstrap_ci(y, pred, groups, n_bootstrap=0)[0])
    score = ev.score_predictions(y, pred, groups, n_bootstrap=200)
    assert score.n == 400 and score.n_speakers == n_spk and score.uar == pytest.approx(point)
    assert "UAR" in str(score)


def test_aggregate_by_speaker_combines_clip_probabilities():
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]])
    groups = ["s1", "s1", "s2", "s2"]
    out = ev.aggregate_by_speaker(proba, groups, ["a", "b"], y_true=["a", "a", "b", "b"], method="mean")
    assert list(out["speaker"]) == ["s1", "s2"]
    assert out.loc[0, "p_a"] == pytest.approx(0.65) and out.loc[0, "predicted"] == "a"
    assert list(out["true"]) == ["a", "b"] and list(out["n_clips"]) == [2, 2]
    logm = ev.aggregate_by_speaker(proba, groups, ["a", "b"], method="log_mean")
    expected = np.sqrt(0.9 * 0.4) / (np.sqrt(0.9 * 0.4) + np.sqrt(0.1 * 0.6))
    assert logm.loc[0, "p_a"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="shape"):
        ev.aggregate_by_speaker(proba, groups, ["a", "b", "c"])


# --- outliers --------------------------------------------------------------------------------


def test_zscore_outliers_name_rows_and_features():
    rng = np.random.default_rng(1)
    t = pd.DataFrame({"x": rng.standard_normal(200), "y": rng.standard_normal(200)})
    t.loc[[17, 18, 19], "y"] = 40.0
    flags = zscore_outliers(t, threshold=3.0)
    assert flags.loc[17, "is_outlier"] and flags.loc[17, "features"] == "y"
    assert flags["is_outlier"].sum() < 10 and flags.loc[17, "n_features"] == 1
    assert outliers_per_feature(t).index[0] == "y"


def test_zscore_clipper_learns_limits_on_training_data_only():
    train = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    clip = ZScoreClipper(threshold=1.0).fit(train)
    mean, sd = 2.0, np.std(train)
    out = clip.transform(np.array([[100.0], [-100.0], [2.5], [np.nan]]))
    assert out[0, 0] == pytest.approx(mean + sd) and out[1, 0] == pytest.approx(mean - sd)
    assert out[2, 0] == 2.5 and np.isnan(out[3, 0])
    assert ZScoreClipper(threshold=None).fit(train).transform([[100.0]])[0, 0] == 100.0
    with pytest.raises(ValueError, match="features"):
        clip.transform(np.zeros((2, 3)))


# --- tasks and honest models ---------------------------------------------------------------------


def test_prepare_task_counts_what_it_leaves_out(table):
    from helpers.models.honest import prepare_task

    t = table.copy()
    t.loc[t.index[:3], "gender"] = "other"
    t.loc[t.index[3:5], "gender"] = None
    t.loc[t.index[5:6], "age_group"] = None
    few = t[t["age_group"] == "seventies"]["speaker"].unique()
    t = t[~t["speaker"].isin(few[2:])]  # seventies left with 2 speakers
    age = prepare_task(t, feats(t), min_speakers=5)
    assert "seventies" not in age.classes
    reasons = " ".join(age.excluded["reason"])
    assert "'seventies' has 2 speakers" in reasons and "no age group" in reasons
    assert "gender_male" not in age.X.columns
    with_gender = prepare_task(t, feats(t), include_gender=True)
    assert "gender_male" in with_gender.X.columns and set(with_gender.X["gender_male"]) == {0.0, 1.0}
    gender = prepare_task(t, feats(t), target="gender")
    assert gender.classes == ["female", "male"]
    ex = gender.excluded.set_index("reason")["clips"]
    assert ex.filter(like="other").sum() == 3 and ex.filter(like="no gender").sum() == 2
    assert len(gender.y) == len(t) - 5
    assert "speakers" in age.counts().columns and age.summary().startswith("age_group")


def test_prepare_task_explains_when_too_few_speakers_remain(table):
    from helpers.models.honest import prepare_task

    tiny = table[table["speaker"].isin(table["speaker"].unique()[:6])]
    with pytest.raises(ValueError, match="need|needs two.*n_speakers"):
        prepare_task(tiny, feats(tiny), min_speakers=5)


def test_random_split_flatters_a_model_that_recognises_speakers(table):
    from helpers.models.comparison import best_row, compare_splits, speaker_recognition_share
    from helpers.models.honest import prepare_task

    task = prepare_task(table, feats(table))
    sets = {"full": task.X, "latent only": task.X.filter(like="feat_")}
    res, details = compare_splits(sets, task.y, task.groups, classes=task.classes, models=("svm",),
                                  n_splits=4, n_bootstrap=100, seed=0)
    assert len(res) == 4 and set(res["split"]) == {"random", "grouped"}
    row = res.set_index(["split", "features"])
    assert row.loc[("random", "full"), "leaked_speakers"] > 0 and row.loc[("grouped", "full"), "leaked_speakers"] == 0
    # speaker channel columns carry no age, yet lift the random-split score well above the grouped one
    assert row.loc[("random", "full"), "clip_uar"] > row.loc[("grouped", "full"), "clip_uar"] + 0.15
    chance = 1 / len(task.classes)
    assert row.loc[("grouped", "latent only"), "clip_uar"] > chance + 0.1
    for _, r in res.iterrows():
        assert r["clip_uar_low"] <= r["clip_uar"] <= r["clip_uar_high"]
    share = speaker_recognition_share(res)
    assert (share["drop"] > 0).all()
    assert best_row(res)["split"] == "grouped"
    res2, _ = compare_splits(sets, task.y, task.groups, classes=task.classes, models=("svm",),
                             n_splits=4, n_bootstrap=100, seed=0)
    pd.testing.assert_frame_equal(res, res2)  # same seed, same numbers
    r = details[("grouped", "full", "svm")]
    assert len(r.speakers) == task.n_speakers and r.proba.shape == (len(task.y), len(task.classes))


def test_each_model_beats_chance_on_grouped_folds_and_speaker_votes_help(table):
    from helpers.models.honest import evaluate_cv, make_model, ordinal_scores, prepare_task

    task = prepare_task(table, [c for c in table.columns if c.startswith("feat_")])
    folds = ev.make_folds(task.y, task.groups, n_splits=4, seed=0)
    chance = 1 / len(task.classes)
    for name in ("lr", "svm", "gb"):
        r = evaluate_cv(make_model(name, seed=0, fast=True), task.X, task.y, task.groups, folds,
                        classes=task.classes, n_bootstrap=50)
        assert r.clip.uar > chance + 0.1, name
        assert r.speaker.n == task.n_speakers
        d = ordinal_scores(r)
        assert 0 <= d["speaker_mean_class_distance"] < 1.5
    with pytest.raises(ValueError, match="unknown model"):
        make_model("knn")


def test_age_regression_beats_the_median_baseline(table):
    from helpers.models.honest import cross_val_regression, make_regressor, prepare_task, regression_scores

    task = prepare_task(table, [c for c in table.columns if c.startswith("feat_")])
    folds = ev.make_folds(task.y, task.groups, n_splits=4, seed=0)
    years = task.years.copy()
    years[:4] = np.nan  # unknown ages are neither fitted nor scored
    pred = cross_val_regression(make_regressor("ridge"), task.X, years, folds)
    s = regression_scores(years, pred, task.groups)
    assert s["n_clips"] == len(years) - 4
    assert s["clip_mae_years"] < 0.85 * s["baseline_mae_years"]


def test_original_pipeline_reproduced(table):
    from helpers.models.original import original_model, run_original

    t = table.copy()
    t.loc[t.index[7], "feat_f0_hz"] = 50.0  # an outlier the z-score rule removes before the split
    classes = [g for g in ("teens", "twenties", "thirties", "fourties", "fifties", "sixties", "seventies")
               if g in set(t["age_group"])]
    res = run_original(t, feats(t), classes=classes, seed=0, fast=True)
    assert res.n_outliers >= 1 and res.outliers.loc[7, "is_outlier"]
    assert res.n_train + res.n_test == res.n_rows - res.n_outliers
    assert res.confusion.to_numpy().sum() == res.n_test
    assert np.allclose(res.confusion_ratio.sum(axis=1), 1.0)
    assert res.shared_speakers > 0.5 * res.n_test_speakers  # a random split shares speakers
    assert len(res.cv_results) == 2 * 2 * 4 and {"train_accuracy", "validation_accuracy"} <= set(res.cv_results)
    assert res.best["scaler"] in ("standard", "minmax")
    m = res.metrics()
    assert m["test_accuracy"] == res.test_accuracy and "test_uar" in m
    model = original_model(res.best["scaler"], res.best["pca"], res.best["C"])
    assert model.steps[-1][1].C == res.best["C"]


def test_oracle_latent_table_and_ratio():
    from helpers.models.oracle import LATENT_COLUMNS, latent_table, oracle_ratio

    manifest = pd.DataFrame({"path": ["a", "b"], **{c: [1.0, 2.0] for c in LATENT_COLUMNS}})
    out = latent_table(manifest, pd.Series(["b", "a"]))
    assert list(out[LATENT_COLUMNS[0]]) == [2.0, 1.0]
    with pytest.raises(KeyError, match="not in the manifest"):
        latent_table(manifest, pd.Series(["zzz"]))
    with pytest.raises(KeyError, match="synthetic"):
        latent_table(pd.DataFrame({"path": ["a"]}))
    assert oracle_ratio(0.45, 0.5) == pytest.approx(0.9)


def test_permutation_importance_ranks_informative_features_first():
    from helpers.models.honest import make_model
    from helpers.models.importance import feature_groups_by_name, permutation_importance_grouped

    rng = np.random.default_rng(0)
    n_spk, clips = 90, 3
    groups_ = np.repeat(np.arange(n_spk), clips)
    signal = np.repeat(rng.standard_normal(n_spk), clips)
    y = np.where(signal > 0.4, "old", np.where(signal < -0.4, "young", "mid"))
    X = pd.DataFrame({"signal": signal + 0.3 * rng.standard_normal(len(y)),
                      "echo": signal + 0.3 * rng.standard_normal(len(y)),
                      **{f"noise{k}": rng.standard_normal(len(y)) for k in range(4)}})
    folds = ev.make_folds(y, groups_, n_splits=3, seed=0)
    fg = {"signal": ["signal"], "signal+echo": ["signal", "echo"], "noise": [f"noise{k}" for k in range(4)]}
    imp = permutation_importance_grouped(make_model("lr", C=1.0), X, y, folds, classes=["young", "mid", "old"],
                                         feature_groups=fg, n_repeats=3, seed=0).set_index("feature")
    # shuffling both copies of the signal costs more than one (the other stands in for it)
    assert imp.loc["signal+echo", "importance"] > imp.loc["signal", "importance"] > 0.02
    assert abs(imp.loc["noise", "importance"]) < 0.05
    assert imp.loc["noise", "n_features"] == 4 and imp["uar"].iloc[0] > 0.6
    g = feature_groups_by_name(["orig_mel001", "orig_mel002", "spec_mfcc01_mean", "spec_dmfcc01_mean", "odd"])
    assert g["mel band means (128)"] == ["orig_mel001", "orig_mel002"] and g["MFCC deltas"] == ["spec_dmfcc01_mean"]
    assert g["odd"] == ["odd"]


# --- persistence and metrics ------------------------------------------------------------------------


class NotTrusted:
    """A type no model file may contain."""


def test_skops_roundtrip_and_untrusted_types_refused(table, tmp_path):
    import skops.io as sio

    from helpers.models.honest import make_model, prepare_task, single_thread
    from workbook.persistence import (
        UntrustedModelError,
        load_models,
        load_pipeline,
        read_card,
        save_models,
        save_pipeline,
    )

    task = prepare_task(table, feats(table))
    with single_thread():
        models = {"age": make_model("gb", fast=True).fit(task.X.to_numpy(), task.y)}
    card = {"models": {"age": {"feature_columns": list(task.X.columns), "classes": task.classes}},
            "feature_spec": {"families": ["full"]}}
    paths = save_models(tmp_path / "model", models, card)
    loaded, card2 = load_models(tmp_path / "model")
    X = task.X.to_numpy()[:20]
    assert np.array_equal(loaded["age"].predict_proba(X), models["age"].predict_proba(X))
    assert card2["models"]["age"]["file"] == "age_model.skops" and "scikit-learn" in card2["versions"]
    assert paths["card"].name == "model_card.json"
    with pytest.raises(ValueError, match="feature_spec"):
        save_models(tmp_path / "m2", models, {"models": card["models"]})
    bad = {"model": models["age"], "extra": NotTrusted()}
    sio.dump(bad, tmp_path / "bad.skops")
    with pytest.raises(UntrustedModelError, match="NotTrusted"):
        load_pipeline(tmp_path / "bad.skops")
    with pytest.raises(UntrustedModelError):
        save_pipeline(tmp_path / "bad2.skops", bad)
    assert not (tmp_path / "bad2.skops").exists()
    with pytest.raises(FileNotFoundError, match="05_modeling"):
        read_card(tmp_path / "nowhere")


def test_metrics_file_merges_sections_and_is_deterministic(tmp_path):
    from workbook.metrics_json import read_metrics, update_metrics

    update_metrics(tmp_path, "eda", {"n_clips": np.int64(10), "share": 1 / 3})
    update_metrics(tmp_path, "modeling", {"uar": np.float64(0.123456789), "nan": float("nan"), "ci": (0.1, 0.2)})
    first = (tmp_path / "metrics.json").read_bytes()
    doc = read_metrics(tmp_path)
    assert doc["eda"]["n_clips"] == 10 and doc["eda"]["share"] == 0.333333
    assert doc["modeling"]["uar"] == 0.123457 and doc["modeling"]["nan"] is None
    update_metrics(tmp_path, "modeling", {"uar": np.float64(0.123456789), "nan": float("nan"), "ci": (0.1, 0.2)})
    assert (tmp_path / "metrics.json").read_bytes() == first
    with pytest.raises(TypeError):
        update_metrics(tmp_path, "x", {"obj": object()})
    json.loads(first)


def test_model_plots_return_what_they_drew(table):
    import matplotlib.pyplot as plt

    from helpers.models import plots

    counts = ev.confusion_counts(["a", "b", "b"], ["a", "a", "b"], ["a", "b"])
    _, ax = plt.subplots()
    assert plots.plot_confusion(counts, ax=ax) is ax
    assert isinstance(plots.plot_confusion(ev.confusion_ratios(counts)), matplotlib.axes.Axes)
    cv = pd.DataFrame({"scaler": ["standard"] * 2, "pca": ["none"] * 2, "C": [0.1, 1.0],
                       "train_accuracy": [0.5, 0.6], "validation_accuracy": [0.4, 0.45]})
    assert isinstance(plots.plot_grid_curves(cv), matplotlib.figure.Figure)
    comp = pd.DataFrame({"split": ["random", "grouped"], "features": ["f", "f"], "model": ["lr", "lr"],
                         "clip_uar": [0.5, 0.3], "clip_uar_low": [0.45, 0.25], "clip_uar_high": [0.55, 0.35]})
    assert isinstance(plots.plot_comparison(comp, chance=0.2), matplotlib.axes.Axes)
    imp = pd.DataFrame({"feature": ["x", "y"], "importance": [0.1, 0.0], "sd": [0.01, 0.01], "n_features": [1, 3]})
    assert isinstance(plots.plot_importance(imp), matplotlib.axes.Axes)
    assert isinstance(plots.plot_age_regression([20, 30], [25, 28]), matplotlib.axes.Axes)
    assert isinstance(plots.plot_probabilities([0.2, 0.8], ["a", "b"]), matplotlib.axes.Axes)
    plt.close("all")


def test_sample_weights_balance_classes_and_speakers():
    from helpers.models.honest import fit_pipeline, make_model, sample_weights

    y = np.array(["a"] * 6 + ["b"] * 2)
    g = np.array(["s1"] * 5 + ["s2"] + ["s3", "s4"])
    w = sample_weights(y, g, "class+speaker")
    assert w.mean() == pytest.approx(1.0)
    assert w[y == "a"].sum() == pytest.approx(w[y == "b"].sum())  # classes weigh the same
    assert w[:5].sum() == pytest.approx(w[5])  # speaker s1's five clips weigh as much as s2's one
    wc = sample_weights(y, None, "class")
    assert wc[0] == pytest.approx(wc[1]) and wc[y == "a"].sum() == pytest.approx(wc[y == "b"].sum())
    assert sample_weights(y, g, None) is None
    with pytest.raises(ValueError, match="needs groups"):
        sample_weights(y, None, "class+speaker")
    with pytest.raises(ValueError, match="weighting"):
        sample_weights(y, g, "speaker")
    X = np.random.default_rng(0).standard_normal((8, 3))
    fitted = fit_pipeline(make_model("svm"), np.vstack([X, X, X]), np.tile(y, 3), groups=np.tile(g, 3))
    assert fitted.predict_proba(X).shape == (8, 2)


def test_skew_log_learns_which_columns_to_log():
    from helpers.models.outliers import SkewLog

    rng = np.random.default_rng(0)
    X = np.column_stack([np.exp(rng.standard_normal(300) * 1.5), rng.standard_normal(300), -np.exp(rng.standard_normal(300))])
    t = SkewLog(threshold=1.0).fit(X)
    assert list(t.columns_) == [True, False, False]  # skewed and non-negative only
    out = t.transform(np.array([[np.e - 1, 5.0, -1.0], [-0.5, 0.0, 0.0]]))
    assert out[0, 0] == pytest.approx(1.0) and out[0, 1] == 5.0 and out[1, 0] == 0.0
    assert not SkewLog(threshold=None).fit(X).columns_.any()


def test_feature_sets_of_a_feature_table():
    from workbook.feature_table import feature_columns, mel_columns, model_feature_columns, scalar_columns

    cols = ["path", "speaker", "orig_f0_median_hz", "orig_mel000", "orig_mel127", "spec_mfcc00_mean",
            "voice_hnr_db", "rhythm_n_pauses", "egemaps_loudness_sma3_amean"]
    t = pd.DataFrame([[0] * len(cols)], columns=cols)
    assert feature_columns(t, "original") == ["orig_f0_median_hz", "orig_mel000", "orig_mel127"]
    assert feature_columns(t, "full") == cols[2:8]
    assert feature_columns(t, "all") == cols[2:]
    assert mel_columns(cols) == ["orig_mel000", "orig_mel127"]
    assert model_feature_columns(t, "full") == ["orig_f0_median_hz", "spec_mfcc00_mean", "voice_hnr_db", "rhythm_n_pauses"]
    assert scalar_columns(["orig_mel_x"]) == ["orig_mel_x"]
    with pytest.raises(ValueError, match="unknown feature family"):
        feature_columns(t, "everything")
