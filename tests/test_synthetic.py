"""The synthetic corpus: its trends are measurable in its audio, its SNR is what it says,
it is deterministic, its difficulty is calibrated (gender easy, age hard), and its speech
communities differ in age mix, so the language alone predicts age above chance."""

from __future__ import annotations

import filecmp

import librosa
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.audio import load_audio
from workbook.synthetic import recording as rec
from workbook.synthetic.corpus import (
    EXAMPLE_NAMES,
    ClipConditions,
    CorpusConfig,
    corpus_is_complete,
    ensure_corpus,
    render,
    render_clip,
    render_example,
)
from workbook.synthetic.trends import VOICE_PARAMETERS, community_names, f0_trend_hz, sample_speakers
from workbook.synthetic.voice import Voice

SR = 16000
CLEAN_CHANNEL = rec.Channel(
    format="wav", sr_hz=SR, hpf_hz=70.0, lpf_hz=7500.0, eq_hz=(800.0, 3000.0), eq_gain_db=(0.0, 0.0),
    eq_q=(1.0, 1.0), floor_beta=1.0, level_dbfs=-24.0, mains_hz=50.0,
)


def conditions(noise_type="none", snr_db=40.0, **kw):
    base = dict(n_syllables=12, f0_scale=1.0, lead_s=0.8, trail_s=0.8, noise_type=noise_type, snr_db=snr_db,
                click_lead=False, click_trail=False, level_dbfs=-24.0, overdrive=0.0)
    base.update(kw)
    return ClipConditions(**base)


def trend_voice(age, gender):
    return Voice(**{p: float(t(age, gender)) for p, (t, _, _) in VOICE_PARAMETERS.items()})


def pyin_median(y, sr=SR):
    """Median pyin f0 (speech range) of the clip with its silences trimmed, as the workbook
    measures it: in untrimmed silences pyin calls some low-frequency room tone "voiced"."""
    y, _ = librosa.effects.trim(y=y.astype(np.float32), top_db=30)
    f0, _, _ = librosa.pyin(y=y, sr=sr, fmin=60.0, fmax=500.0, frame_length=2048)
    return float(np.nanmedian(f0))


# --- calibration -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_calibration_age_hard_gender_easy(seed):
    """A logistic regression on the latent parameters of the default generator (with its speech
    communities): 6-class age UAR in 0.48-0.60, gender UAR in 0.97-0.995.

    Measured on 3,000 speakers: age 0.536 / 0.541 / 0.522, gender 0.982 / 0.984 / 0.984 for
    seeds 0 / 1 / 2 (0.547 / 0.546 / 0.545 and 0.984 / 0.989 / 0.986 without communities,
    whose accents blur the age trends a little). Above the age band, age would be easy; below
    it, the trends would be drowned; gender must be easy but not perfect.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    spk = sample_speakers(3000, seed=seed, n_communities=CorpusConfig().n_communities)
    X = spk[list(VOICE_PARAMETERS)].copy()
    for c in ("f0_hz", "jitter_pct", "shimmer_pct", "tremor_depth_pct"):
        X[c] = np.log(X[c])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)

    six = spk["age_group"].isin(["teens", "twenties", "thirties", "fourties", "fifties", "sixties"])
    Xa = X.assign(male=(spk["gender"] == "male").astype(float))[six]
    ya = spk.loc[six, "age_group"].astype(str)
    age_uar = balanced_accuracy_score(ya, cross_val_predict(model, Xa, ya, cv=cv))
    gender_uar = balanced_accuracy_score(spk["gender"], cross_val_predict(model, X, spk["gender"], cv=cv))
    print(f"age UAR {age_uar:.3f}, gender UAR {gender_uar:.3f}")
    assert 0.48 <= age_uar <= 0.60
    assert 0.97 <= gender_uar <= 0.995


# --- speech communities ----------------------------------------------------------------


def test_communities_differ_in_age_mix():
    """Community x age group is far from independent (Cramer's V 0.328 / 0.327 / 0.330 on 3,000
    speakers, seeds 0 / 1 / 2; band 0.25-0.45), and each community's age mix is a total-variation
    distance of 0.24-0.40 from the pooled one (band 0.15-0.55). Every age group still occurs."""
    for seed in (0, 1, 2):
        spk = sample_speakers(3000, seed=seed, n_communities=6)
        assert sorted(spk["language"].unique()) == community_names(6)
        table = pd.crosstab(spk["language"], spk["age_group"])
        chi2, p, _, _ = stats.chi2_contingency(table)
        cramers_v = np.sqrt(chi2 / (table.to_numpy().sum() * (min(table.shape) - 1)))
        shares = table.div(table.sum(axis=1), axis=0)
        tvd = 0.5 * (shares - table.sum() / table.to_numpy().sum()).abs().sum(axis=1)
        print(f"seed {seed}: Cramer's V {cramers_v:.3f}, TVD per community {tvd.round(2).tolist()}")
        assert p < 1e-50 and 0.25 <= cramers_v <= 0.45
        assert tvd.between(0.15, 0.55).all()
        assert table.sum().min() > 150  # every age group keeps plenty of speakers


def test_language_alone_predicts_age_above_chance():
    """A logistic regression on the community one-hot alone (cross-validated over speakers):
    7-class age UAR 0.322 on 1,000 speakers, seed 0 (band 0.22-0.45; chance 0.143), as the
    language does on Common Voice (0.28-0.29 there, chance 0.167)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    spk = sample_speakers(1000, seed=0, n_communities=6)
    X, y = pd.get_dummies(spk["language"]).astype(float), spk["age_group"].astype(str)
    pred = cross_val_predict(LogisticRegression(class_weight="balanced", max_iter=1000), X, y,
                             cv=StratifiedKFold(5, shuffle=True, random_state=0))
    uar = balanced_accuracy_score(y, pred)
    print(f"language-only age UAR {uar:.3f}")
    assert 0.22 <= uar <= 0.45


def test_community_in_manifest_and_speakers_one_per_speaker(small_corpus, small_config):
    manifest = pd.read_csv(small_corpus / "manifest.csv")
    speakers = pd.read_csv(small_corpus / "speakers.csv")
    names = community_names(small_config.n_communities)
    assert manifest["language"].isin(names).all() and speakers["language"].isin(names).all()
    assert (manifest.groupby("speaker")["language"].nunique() == 1).all()
    per_speaker = manifest.groupby("speaker")["language"].first()
    assert per_speaker.to_dict() == speakers.set_index("speaker")["language"].to_dict()


def test_community_colours_channel_and_switches_off():
    """Members of one community share their EQ resonance frequencies, and their EQ gains are the
    community's plus half their own (against the same speakers without communities); 0 and 1
    community mean none, and no language."""
    on = CorpusConfig(n_speakers=40, clips_per_speaker=1, seed=3)
    off = CorpusConfig(n_speakers=40, clips_per_speaker=1, seed=3, n_communities=0)
    a = pd.DataFrame([render_clip(on, i, 0).info for i in range(12)])
    b = pd.DataFrame([render_clip(off, i, 0).info for i in range(12)])
    assert "language" not in b.columns
    freqs, gains = ["channel_eq1_hz", "channel_eq2_hz"], ["channel_eq1_gain_db", "channel_eq2_gain_db"]
    habit = (a[gains] - 0.5 * b[gains]).groupby(a["language"])
    assert (habit.std(ddof=0).fillna(0) < 1e-9).all().all()  # one gain per community
    assert (a[freqs].groupby(a["language"]).nunique() == 1).all().all()  # one pair of frequencies
    assert a.groupby("language")["channel_eq1_hz"].first().nunique() == a["language"].nunique()
    assert habit.mean().abs().max().max() <= 8.0
    for n in (0, 1):
        none = sample_speakers(50, seed=3, n_communities=n)
        assert "language" not in none.columns
        pd.testing.assert_frame_equal(none, sample_speakers(50, seed=3))
    with pytest.raises(ValueError, match="n_communities"):
        CorpusConfig(n_communities=27)


def test_communities_are_deterministic():
    a, b = sample_speakers(200, seed=4, n_communities=6), sample_speakers(200, seed=4, n_communities=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["language"].equals(sample_speakers(200, seed=5, n_communities=6)["language"])
    config = CorpusConfig(n_speakers=20, clips_per_speaker=1, seed=4)
    assert render_clip(config, 7, 0).info == render_clip(config, 7, 0).info


def test_speakers_cover_age_groups_and_genders():
    spk = sample_speakers(300, seed=0)
    assert spk["age_years"].between(13, 79).all()
    counts = spk["age_group"].value_counts()
    assert set(counts.index[counts > 0]) == {"teens", "twenties", "thirties", "fourties", "fifties", "sixties", "seventies"}
    assert counts[counts > 0].min() > 25  # balanced over groups
    assert 0.4 < (spk["gender"] == "female").mean() < 0.6


def test_literature_trends():
    assert f0_trend_hz(13, "male") == pytest.approx(220, abs=10)
    assert f0_trend_hz(18, "male") == pytest.approx(130, abs=6)
    assert 110 <= f0_trend_hz(40, "male") <= 125
    assert f0_trend_hz(75, "male") > f0_trend_hz(55, "male") + 10
    assert 205 <= f0_trend_hz(25, "female") <= 220
    assert 180 <= f0_trend_hz(60, "female") <= 192


# --- trends are measurable in the audio -----------------------------------------------


def test_pyin_median_f0_within_5_percent_of_truth():
    spk = sample_speakers(12, seed=3)
    errors = []
    for i, row in spk.iterrows():
        clip = render(Voice.from_row(row), CLEAN_CHANNEL, conditions(), np.random.default_rng([3, i]))
        est = pyin_median(clip.mix)
        errors.append(abs(est - clip.info["f0_hz"]) / clip.info["f0_hz"])
    print("relative errors", np.round(errors, 3))
    assert max(errors) < 0.05


def test_female_f0_above_male():
    rng = np.random.default_rng(7)
    f = [pyin_median(render(trend_voice(a, "female"), CLEAN_CHANNEL, conditions(), rng).mix) for a in (25, 45, 70)]
    m = [pyin_median(render(trend_voice(a, "male"), CLEAN_CHANNEL, conditions(), rng).mix) for a in (25, 45, 70)]
    assert min(f) > max(m)


def praat_jitter_pct(y, sr=SR):
    import parselmouth
    from parselmouth.praat import call

    snd = parselmouth.Sound(y.astype(np.float64), sampling_frequency=sr)
    points = call(snd, "To PointProcess (periodic, cc)", 60.0, 500.0)
    return 100.0 * call(points, "Get jitter (local)", 0.0, 0.0, 0.0001, 0.02, 1.3)


def test_jitter_grows_with_age():
    rng = np.random.default_rng(11)
    by_age = {}
    for age in (25, 50, 75):
        by_age[age] = np.mean([
            praat_jitter_pct(render(trend_voice(age, g), CLEAN_CHANNEL, conditions(), rng).mix)
            for g in ("female", "male") for _ in range(2)
        ])
    print("measured jitter % by age", by_age)
    assert by_age[25] < by_age[50] < by_age[75]


def test_measured_jitter_tracks_latent_jitter():
    """Praat's jitter on running speech has a floor (intonation, vowel changes), but it
    still orders voices by their latent jitter."""
    rng = np.random.default_rng(5)
    base = trend_voice(40, "female")
    low, high = (
        np.mean([praat_jitter_pct(render(Voice(**{**base.__dict__, "jitter_pct": j}), CLEAN_CHANNEL,
                                         conditions(), rng).mix) for _ in range(3)])
        for j in (0.3, 1.5)
    )
    print(f"measured jitter %: latent 0.3 -> {low:.2f}, latent 1.5 -> {high:.2f}")
    assert high > low + 0.15
    spk = sample_speakers(24, seed=4)
    measured = [
        praat_jitter_pct(render(Voice.from_row(r), CLEAN_CHANNEL, conditions(), np.random.default_rng([4, i])).mix)
        for i, r in spk.iterrows()
    ]
    rho = stats.spearmanr(measured, spk["jitter_pct"]).statistic
    print("spearman rho", rho)
    assert rho > 0.25


@pytest.mark.parametrize("noise_type", ["none", "hum", "fan", "babble", "bursts"])
def test_snr_components_are_exact(noise_type):
    clip = render(trend_voice(40, "female"), CLEAN_CHANNEL, conditions(noise_type, 12.0), np.random.default_rng(1))
    a, b = (int(round(clip.info[k] * SR)) for k in ("speech_start_s", "speech_end_s"))
    snr = 10 * np.log10(np.mean(clip.clean[a:b] ** 2) / np.mean(clip.noise**2))
    assert snr == pytest.approx(12.0, abs=1e-6)
    np.testing.assert_allclose(clip.mix, np.clip(clip.clean + clip.noise + clip.clicks, -1, 1))


@pytest.mark.parametrize("noise_type, snr_db", [("none", 35.0), ("hum", 6.0), ("fan", 15.0), ("fan", 3.0)])
def test_snr_as_specified_measured_from_the_file(tmp_path, noise_type, snr_db):
    """Noise power from the silence before speech, speech power from the rest: the file's SNR."""
    from helpers.audio import save_audio

    clip = render(trend_voice(30, "male"), CLEAN_CHANNEL, conditions(noise_type, snr_db, lead_s=1.5),
                  np.random.default_rng(2))
    y, sr = load_audio(save_audio(tmp_path / "x.wav", clip.mix, SR), sr=None)
    a, b = (int(round(clip.info[k] * sr)) for k in ("speech_start_s", "speech_end_s"))
    p_noise = np.mean(y[: a - 200].astype(float) ** 2)
    p_speech = np.mean(y[a:b].astype(float) ** 2) - p_noise
    measured = 10 * np.log10(p_speech / p_noise)
    assert measured == pytest.approx(snr_db, abs=1.0)


def test_clicks_are_where_the_manifest_says():
    clip = render_example("click_in_silence")
    times = [float(t) for t in clip.info["click_times_s"].split(";")]
    assert len(times) == 2
    assert times[0] < clip.info["speech_start_s"] and times[1] > clip.info["speech_end_s"]
    for t in times:
        i = int(round(t * SR))
        assert np.abs(clip.mix[i : i + 50]).max() > 5 * np.abs(clip.mix[: int(0.05 * SR)]).max()


def test_examples_have_their_named_conditions():
    infos = {name: render_example(name).info for name in EXAMPLE_NAMES}
    assert infos["clean_long_silences"]["noise_type"] == "none"
    assert infos["clean_long_silences"]["speech_start_s"] >= 1.5
    assert infos["clean_long_silences"]["duration_s"] - infos["clean_long_silences"]["speech_end_s"] >= 1.5
    assert infos["click_in_silence"]["n_clicks"] == 2
    assert infos["nonstationary_noise"]["noise_type"] in ("bursts", "babble")
    assert infos["nonstationary_noise"]["snr_db"] <= 5
    assert infos["tonal_noise"]["noise_type"] == "hum"


def test_hum_is_tonal_and_bursts_are_not_stationary():
    rng = np.random.default_rng(0)
    hum = rec.environment_noise("hum", SR * 2, CLEAN_CHANNEL, rng)
    spec = np.abs(np.fft.rfft(hum)) ** 2
    freqs = np.fft.rfftfreq(len(hum), 1 / SR)
    near_harmonics = np.zeros_like(freqs, dtype=bool)
    for k in range(1, 20):
        near_harmonics |= np.abs(freqs - 50.0 * k) < 2.0
    assert spec[near_harmonics].sum() > 0.9 * spec.sum()
    bursts = rec.environment_noise("bursts", SR * 4, CLEAN_CHANNEL, rng)
    frame_db = 10 * np.log10(np.mean(bursts[: SR * 4 // 400 * 400].reshape(-1, 400) ** 2, axis=1))
    assert frame_db.max() - np.median(frame_db) > 6.0


# --- the corpus on disk ----------------------------------------------------------------


def test_corpus_manifest_and_files(small_corpus, small_config):
    from workbook.manifest import read_manifest

    result = read_manifest(small_corpus / "manifest.csv")
    m = result.manifest
    assert result.n_dropped == 0 and len(result.problems) == 0
    assert len(m) == small_config.n_speakers * small_config.clips_per_speaker
    for col in ("f0_hz", "jitter_pct", "shimmer_pct", "hnr_db", "snr_db", "speaking_rate_sps", "vtl_cm",
                "speech_start_s", "speech_end_s", "noise_type", "click_times_s", "sr_hz", "format"):
        assert col in m.columns, col
    assert (m["speech_start_s"] < m["speech_end_s"]).all()
    for _, row in m.iterrows():
        y, sr = load_audio(row["path"], sr=None)
        assert sr == row["sr_hz"]
        assert abs(len(y) / sr - row["duration_s"]) < 0.1  # mp3 adds encoder padding
    examples = pd.read_csv(small_corpus / "examples" / "examples.csv")
    assert list(examples["name"]) == list(EXAMPLE_NAMES)
    assert all((small_corpus / p).is_file() for p in examples["path"]) and all(
        (small_corpus / p).is_file() for p in examples["clean_path"])


def test_render_clip_reproduces_the_file(small_corpus, small_config):
    clip = render_clip(small_config, 3, 1)
    y, sr = load_audio(small_corpus / clip.info["path"], sr=None)
    if clip.info["format"] in ("wav", "flac"):
        np.testing.assert_allclose(y, clip.mix, atol=1.0 / 32768 + 1e-6)


def test_same_seed_gives_byte_identical_files(tmp_path, small_corpus, small_config):
    again = ensure_corpus(tmp_path / "again", small_config, n_jobs=1, progress=False)
    cmp = filecmp.dircmp(small_corpus, again)

    def all_same(d):
        files = d.common_files
        _, mismatch, errors = filecmp.cmpfiles(d.left, d.right, files, shallow=False)
        assert not mismatch and not errors and not d.left_only and not d.right_only, (mismatch, errors)
        for sub in d.subdirs.values():
            all_same(sub)

    all_same(cmp)


def test_other_seed_differs(small_config):
    a = render_clip(small_config, 0, 0)
    b = render_clip(CorpusConfig(n_speakers=8, clips_per_speaker=2, seed=6), 0, 0)
    assert a.info["f0_hz"] != b.info["f0_hz"]


def test_ensure_corpus_is_idempotent_and_safe(tmp_path, small_corpus, small_config):
    assert corpus_is_complete(small_corpus, small_config)
    marker = (small_corpus / "manifest.csv").stat().st_mtime_ns
    ensure_corpus(small_corpus, small_config, progress=False)
    assert (small_corpus / "manifest.csv").stat().st_mtime_ns == marker  # not regenerated
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    with pytest.raises(FileExistsError, match="not a synthetic corpus"):
        ensure_corpus(precious, small_config, progress=False)
    assert (precious / "thesis.txt").exists()


def test_random_split_beats_speaker_split_on_channel():
    """Each speaker's channel is recognisable: a random split leaks it, a grouped split cannot."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_score

    config = CorpusConfig(n_speakers=60, clips_per_speaker=4, seed=9)
    feats, groups, labels = [], [], []
    for i in range(config.n_speakers):
        for j in range(config.clips_per_speaker):
            clip = render_clip(config, i, j)
            y = librosa.resample(y=clip.mix.astype(np.float32), orig_sr=clip.sr, target_sr=SR)
            mfcc = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20)
            feats.append(np.r_[mfcc.mean(axis=1), mfcc.std(axis=1)])
            groups.append(i)
            labels.append(clip.info["age_group"])
    X, y, g = np.array(feats), np.array(labels), np.array(groups)
    model = RandomForestClassifier(n_estimators=200, random_state=0)
    random_split = cross_val_score(model, X, y, cv=StratifiedKFold(4, shuffle=True, random_state=0),
                                   scoring="balanced_accuracy").mean()
    grouped = cross_val_score(model, X, y, cv=GroupKFold(4), groups=g, scoring="balanced_accuracy").mean()
    print(f"random split UAR {random_split:.3f}, speaker-grouped {grouped:.3f}")
    assert random_split > grouped + 0.1


def test_synthetic_options_reach_the_config_and_unknown_ones_are_refused(tmp_path, monkeypatch):
    from workbook.datasets import load_dataset

    monkeypatch.setenv("WORKBOOK_DATA", str(tmp_path))
    ds = load_dataset("synthetic", n_speakers=3, clips_per_speaker=1, seed=2, n_jobs=1, min_age=60, sr=16000)
    assert ds.root.name == "n3_c1_seed2_min_age60"
    assert (ds.manifest["age_years"] >= 60).all()
    with pytest.raises(TypeError, match="unknown option.*colour"):
        load_dataset("synthetic", n_speakers=3, clips_per_speaker=1, seed=2, colour="blue")
