"""Tests of the per-clip feature code (helpers.features, pitch, voice, rhythm, spectral_features,
original): each measures what it claims.

Fixtures are synthesised here (pulse trains, tones, noise) or re-rendered from the
synthetic corpus generator, which knows the true f0 of every sample.
"""

from __future__ import annotations

import librosa
import numpy as np
import parselmouth
import pytest

import helpers.features
from helpers.features import FeatureParams, compute_features, resolve_families
from helpers.original import original_features, original_pyin_settings
from helpers.pitch import f0_statistics, gross_pitch_error, track_pitch
from helpers.rhythm import syllable_nuclei, voicing_and_pauses
from helpers.spectral_features import spectral_features
from helpers.voice import f0_tremor, vocal_tract_length_cm, voice_features
from workbook.synthetic.corpus import CorpusConfig
from workbook.synthetic.ground_truth import pooled_gpe, tracker_accuracy

SR = 16000


def pulse_train(f0_hz: float, duration_s: float, *, jitter: float = 0.0, seed: int = 0, sr: int = SR) -> np.ndarray:
    """Glottal-like pulses (decaying resonance per period) with relative period s.d. ``jitter``."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sr)
    y = np.zeros(n)
    t = 0.0
    k = np.arange(int(0.02 * sr))
    ring = np.exp(-k / (0.002 * sr)) * np.sin(2 * np.pi * 700 * k / sr) + 0.5 * np.exp(-k / (0.001 * sr)) * np.sin(2 * np.pi * 1800 * k / sr)
    while t < duration_s:
        i = int(round(t * sr))
        m = min(len(ring), n - i)
        y[i : i + m] += ring[:m]
        t += (1.0 + jitter * rng.standard_normal()) / f0_hz
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


def syllables(f0_hz: float, n_syl: int, *, syl_s: float = 0.2, gap_s: float = 0.1, pause_at: int | None = None, pause_s: float = 0.4, sr: int = SR):
    """Voiced syllables separated by silent gaps; returns (y, true voiced mask per sample)."""
    parts, mask = [np.zeros(int(0.2 * sr), np.float32)], [np.zeros(int(0.2 * sr), bool)]
    for i in range(n_syl):
        s = pulse_train(f0_hz, syl_s, seed=i) * np.hanning(int(syl_s * sr)).astype(np.float32)
        parts += [s, np.zeros(int((pause_s if i == pause_at else gap_s) * sr), np.float32)]
        mask += [np.ones(len(s), bool), np.zeros(len(parts[-1]), bool)]
    return np.concatenate(parts), np.concatenate(mask)


# --- pitch ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["praat", "pyin"])
@pytest.mark.parametrize("f0", [95.0, 210.0])
def test_trackers_find_f0_of_pulse_train(method, f0):
    y = pulse_train(f0, 1.0)
    tr = track_pitch(y, SR, method=method)
    assert tr.voiced.mean() > 0.8
    assert abs(np.median(tr.voiced_f0_hz) / f0 - 1) < 0.02


def test_tracker_rejects_bad_range_and_method():
    y = pulse_train(120, 0.5)
    with pytest.raises(ValueError, match="fmax_hz"):
        track_pitch(y, SR, fmin_hz=60, fmax_hz=9000)
    with pytest.raises(ValueError, match="unknown pitch method"):
        track_pitch(y, SR, method="crepe")


def test_gross_pitch_error_counts_frames_voiced_in_both():
    ref = np.array([100, 100, 100, 100, np.nan, np.nan, 200, 200])
    est = np.array([101, 125, 50, np.nan, 100, np.nan, 199, 205])
    g = gross_pitch_error(est, ref)
    # voiced in both: frames 0,1,2,6,7; gross: 1 (25 % off) and 2 (octave down)
    assert g["n_voiced_both"] == 5 and g["n_gross"] == 2
    assert g["gpe"] == pytest.approx(0.4)
    assert g["voicing_recall"] == pytest.approx(5 / 6)
    assert g["voicing_false_alarm"] == pytest.approx(0.5)


def test_praat_track_is_sound_to_pitch_with_praats_time_step():
    """The helper's Praat track is exactly what notebook 03 shows: Sound.to_pitch in 12.5 ms steps."""
    y = pulse_train(140, 1.0)
    pitch = parselmouth.Sound(y.astype(np.float64), sampling_frequency=SR).to_pitch(time_step=0.75 / 60, pitch_floor=60.0, pitch_ceiling=500.0)
    f0 = pitch.selected_array["frequency"]
    tr = track_pitch(y, SR)
    np.testing.assert_array_equal(tr.times_s, pitch.xs())
    np.testing.assert_array_equal(tr.f0_hz, np.where(f0 > 0, f0, np.nan))


def test_f0_statistics():
    s = f0_statistics(np.array([np.nan, 100.0, 200.0, 300.0]))
    assert s["f0_mean_hz"] == pytest.approx(200) and s["f0_median_hz"] == pytest.approx(200)
    assert s["f0_p5_hz"] == pytest.approx(110) and s["f0_p95_hz"] == pytest.approx(290)
    assert all(np.isnan(v) for v in f0_statistics(np.array([np.nan])).values())


def test_chosen_tracker_gross_pitch_error_on_synthetic_corpus_under_5_percent():
    """Acceptance: the default tracker (Praat) against the true f0 of every frame.

    24 clips (seed 0: 1.3 %; seed 1: 2.8 %): with 8, one babble clip tracked on the other
    voices (26 % of its frames) carries the pooled figure over the limit by itself.
    """
    config = CorpusConfig(n_speakers=24, clips_per_speaker=1, seed=0)
    acc = tracker_accuracy(config, [(s, 0) for s in range(24)], methods=(FeatureParams().pitch_method,))
    pooled = pooled_gpe(acc)
    assert pooled["frames_voiced_both"].iloc[0] > 500
    assert pooled["gpe"].iloc[0] < 0.05, acc[["clip_id", "noise_type", "gpe"]]


# --- voice quality ------------------------------------------------------------------------


def test_jitter_grows_with_period_jitter_and_matches_its_definition():
    measured = []
    for sigma in (0.0, 0.01, 0.03):
        # 125 Hz: a period of exactly 128 samples, so placing pulses on samples adds no jitter
        measured.append(voice_features(pulse_train(125, 1.5, jitter=sigma, seed=3), SR)["jitter_local_pct"])
    assert measured[0] < 0.2
    assert measured[0] < measured[1] < measured[2]
    # i.i.d. period deviations of s.d. sigma give local jitter 2 sigma / sqrt(pi) (3.39 % at 3 %);
    # Praat leaves out period pairs that differ by more than its factor 1.3, so it reads
    # 0.64-0.78 of that (2.15-2.64 % over seeds 3-5, mean 2.43 %). The band on the mean of
    # three seeds, [2.2, 2.75] %, is broken by a measurement 1.25 x too high or too low.
    three = [voice_features(pulse_train(125, 1.5, jitter=0.03, seed=s), SR)["jitter_local_pct"] for s in (3, 4, 5)]
    assert 2.2 <= np.mean(three) <= 2.75, three
    assert 0.6 < np.mean(three) / (100 * 2 * 0.03 / np.sqrt(np.pi)) < 0.85


def test_hnr_falls_as_noise_rises():
    rng = np.random.default_rng(0)
    y = pulse_train(150, 1.0)
    hnr = []
    for noise_db in (-40, -20, -10, -5):
        noise = rng.standard_normal(len(y)) * np.sqrt(np.mean(y**2)) * 10 ** (noise_db / 20)
        hnr.append(voice_features((y + noise).astype(np.float32), SR)["hnr_db"])
    assert hnr[0] > hnr[1] > hnr[2] > hnr[3]
    # noise 10 and 5 dB below the voice: HNR 9.2 and 4.9 dB measured; bands within +/- 12 %,
    # so an HNR 1.25 x too high or too low (or halved) falls out
    assert 8.3 <= hnr[2] <= 10.3, hnr
    assert 4.4 <= hnr[3] <= 5.5, hnr


def test_vocal_tract_length_of_uniform_tube():
    L = 17.0
    formants = [(2 * i - 1) * 35000 / (4 * L) for i in (1, 2, 3)]
    assert vocal_tract_length_cm(formants) == pytest.approx(L)
    assert np.isnan(vocal_tract_length_cm([500, np.nan, 2500]))


def test_voice_features_on_unvoiced_input_are_nan():
    noise = (0.1 * np.random.default_rng(1).standard_normal(SR)).astype(np.float32)
    out = voice_features(noise, SR, track=track_pitch(np.zeros(SR, np.float32), SR))
    assert np.isnan(out["hnr_db"]) and np.isnan(out["f1_hz"])


# --- rhythm -------------------------------------------------------------------------------


def test_voicing_and_pauses_on_known_frames():
    hop = 0.01
    t = np.arange(100) * hop
    voiced = np.zeros(100, bool)
    voiced[10:30] = voiced[50:90] = True  # span 10..89 = 80 frames, 60 voiced
    quiet = ~voiced
    quiet[35:40] = False  # an unvoiced consonant, not quiet: the gap 30..49 is no pause
    out = voicing_and_pauses(t, voiced, quiet, min_pause_s=0.05)
    assert out["speech_span_s"] == pytest.approx(0.8)
    assert out["voiced_fraction"] == pytest.approx(60 / 80)
    # quiet runs inside the span: 30..34 (5 frames) and 40..49 (10 frames); both >= 5 frames
    assert out["n_pauses"] == 2 and out["pause_ratio"] == pytest.approx(15 / 80)
    out2 = voicing_and_pauses(t, voiced, quiet, min_pause_s=0.08)
    assert out2["n_pauses"] == 1 and out2["pause_ratio"] == pytest.approx(10 / 80)


def test_syllable_nuclei_counts_voiced_peaks_with_a_dip():
    t = np.arange(200) * 0.01
    level = 40 + 20 * np.clip(np.sin(2 * np.pi * 4 * t), 0, None)  # 8 humps in 2 s
    voiced = level > 45
    nuclei = syllable_nuclei(t, level, voiced, threshold_db=45)
    assert len(nuclei) == 8
    voiced[:100] = False  # first second unvoiced: its humps are not syllable nuclei
    assert len(syllable_nuclei(t, level, voiced, threshold_db=45)) == 4


def test_rhythm_family_counts_syllables_and_finds_the_pause():
    y, _ = syllables(140, 6, pause_at=2)
    out, errors = compute_features(y, SR, ["rhythm"])
    assert not errors
    assert out["rhythm_n_nuclei"] == 6
    assert out["rhythm_n_pauses"] >= 1
    assert 0 < out["rhythm_pause_ratio"] < 0.5
    assert out["rhythm_articulation_rate_sps"] > out["rhythm_speech_rate_sps"]


# --- spectral statistics -------------------------------------------------------------------


def test_spectral_shape_of_tone_and_noise():
    t = np.arange(SR) / SR
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    noise = (0.1 * np.random.default_rng(0).standard_normal(SR)).astype(np.float32)
    st = spectral_features(tone, SR)
    sn = spectral_features(noise, SR)
    assert st["centroid_hz_mean"] == pytest.approx(1000, rel=0.05)
    assert sn["centroid_hz_mean"] == pytest.approx(4000, rel=0.1)
    assert sn["flatness_mean"] > 10 * st["flatness_mean"]
    assert len([k for k in st if k.startswith("contrast")]) == 6  # 6 bands fit below 8 kHz


def test_mfcc_stats_columns_and_silence_left_out():
    voice = pulse_train(120, 1.0)
    out = spectral_features(voice, SR, n_mfcc=13)
    mfcc = {k: v for k, v in out.items() if "mfcc" in k}
    assert len(mfcc) == 13 * 3 * 2 and all(np.isfinite(v) for v in mfcc.values())
    # half a second of leading silence is left out of the statistics (it would pull the
    # mean log energy, mfcc00, far down and widen its spread)
    padded = spectral_features(np.concatenate([np.zeros(SR // 2, np.float32), voice]), SR, n_mfcc=13)
    assert padded["mfcc00_mean"] == pytest.approx(out["mfcc00_mean"], abs=2.0)
    assert padded["mfcc00_std"] < 2 * out["mfcc00_std"] + 1.0


# --- the original set ----------------------------------------------------------------------


def test_original_features_find_onsets_at_event_starts_and_have_128_mel_means():
    starts = 0.3 + 0.5 * np.arange(5)  # five sharp voiced events, 0.3 s long, 0.2 s apart
    y = np.zeros(int(2.9 * SR), np.float32)
    for i, s in enumerate(starts):
        ev = pulse_train(120, 0.3, seed=i) * np.exp(-np.arange(int(0.3 * SR)) / (0.08 * SR)).astype(np.float32)
        y[int(s * SR) : int(s * SR) + len(ev)] += ev
    onsets = librosa.onset.onset_detect(y=y, sr=SR, units="time")  # the call notebook 03 shows
    assert all(np.min(np.abs(onsets - s)) < 0.05 for s in starts)  # every event found
    assert all(np.min(np.abs(starts - o)) < 0.08 for o in onsets)  # nothing in the gaps
    out = original_features(y, SR, track=track_pitch(y, SR))
    assert out["n_onsets"] == len(onsets)
    assert out["duration_s"] == pytest.approx(len(y) / SR)
    assert out["onsets_per_s"] == pytest.approx(len(onsets) / out["duration_s"])
    assert out["f0_median_hz"] == pytest.approx(120, rel=0.03)
    assert len([k for k in out if k.startswith("mel")]) == 128
    assert np.isfinite(out["tempo_bpm"])


def test_original_pyin_settings_document_any_change():
    kw, changes = original_pyin_settings(16000)
    assert kw["fmin"] == 16.0 and kw["fmax"] <= 8000 and kw["frame_length"] >= 1024
    kw8, changes8 = original_pyin_settings(8000)
    assert kw8["fmax"] == 4000 and any("Nyquist" in c for c in changes8)


# --- tremor --------------------------------------------------------------------------------


def tremor_track(depth_pct: float, rate_hz: float, *, seed: int = 0, hop_s: float = 0.0125, n_runs: int = 10):
    """A pitch track of voiced stretches (0.25-0.6 s, unvoiced gaps between) whose f0 carries
    declination, random accents and a steady tremor of ``depth_pct`` % at ``rate_hz`` Hz."""
    rng = np.random.default_rng(seed)
    lengths = rng.uniform(0.25, 0.6, n_runs)
    gaps = rng.uniform(0.05, 0.3, n_runs)
    total = float(np.sum(lengths + gaps)) + 0.2
    t = np.arange(0.0, total, hop_s)
    voiced = np.zeros(t.size, bool)
    start = 0.1
    for length, gap in zip(lengths, gaps):
        voiced[(t >= start) & (t < start + length)] = True
        start += length + gap
    accents = sum(rng.normal(0, 0.8) * np.exp(-0.5 * ((t - c) / 0.12) ** 2) for c in rng.uniform(0, total, 12))
    st = 2.0 * (0.5 - t / total) + accents
    f0 = 140.0 * 2 ** (st / 12) * (1 + depth_pct / 100 * np.sin(2 * np.pi * rate_hz * t + rng.uniform(0, 2 * np.pi)))
    return t, np.where(voiced, f0, np.nan)


def test_f0_tremor_ignores_octave_jumps():
    """A tracker's octave jump inside a voiced stretch is cut out, not read as a tremor."""
    t, f0 = tremor_track(0.0, 5.0, seed=1)
    voiced = np.isfinite(f0)
    jumped = f0.copy()
    for a in np.flatnonzero(voiced & ~np.r_[False, voiced[:-1]])[::2]:  # every other stretch jumps up an octave halfway
        b = a + np.argmin(voiced[a:]) if not voiced[a:].all() else len(f0)
        jumped[(a + b) // 2 : b] *= 2
    assert np.nanmax(jumped) > 1.9 * np.nanmax(f0)
    got = f0_tremor(t, jumped)
    assert np.isfinite(got["tremor_depth_pct"]) and got["tremor_depth_pct"] < 0.5


def test_f0_tremor_on_a_known_track():
    """Depth and rate of a steady tremor survive intonation and gaps; a steady voice reads low."""
    # depth read over seeds 1-3: 1.50-1.57 % at 2 %, 2.48-2.72 % at 3 %; the bands keep
    # about 10 % either side, so a depth 1.25 x too high or too low falls out
    for depth, rate, band in ((2.0, 5.0, (1.35, 1.75)), (3.0, 6.5, (2.25, 2.95))):
        got = f0_tremor(*tremor_track(depth, rate, seed=1))
        assert got["tremor_rate_hz"] == pytest.approx(rate, abs=0.5)
        assert band[0] <= got["tremor_depth_pct"] <= band[1], (depth, got)
        assert got["tremor_band_ratio"] > 0.4
    steady = f0_tremor(*tremor_track(0.0, 5.0, seed=1))
    assert steady["tremor_depth_pct"] < 0.5 and steady["tremor_band_ratio"] < 0.4


def test_f0_tremor_is_nan_without_enough_long_voiced_stretches():
    t = np.arange(0, 3, 0.0125)
    f0 = np.where((t % 0.4) < 0.15, 150.0, np.nan)  # only 0.15 s stretches
    assert all(np.isnan(v) for v in f0_tremor(t, f0).values())
    assert all(np.isnan(v) for v in f0_tremor(t, np.full(t.size, np.nan)).values())
    values = voice_features(np.zeros(SR, np.float32), SR)
    assert all(np.isnan(values[k]) for k in ("tremor_depth_pct", "tremor_rate_hz", "tremor_band_ratio"))


def trend_voice(age: float, gender: str, **overrides):
    """A synthetic :class:`Voice` on the corpus's age trends, with ``overrides`` (its fields)."""
    from workbook.synthetic.trends import VOICE_PARAMETERS
    from workbook.synthetic.voice import Voice

    return Voice(**{**{p: float(t(age, gender)) for p, (t, _, _) in VOICE_PARAMETERS.items()}, **overrides})


def rendered_voice(voice, *, seed: int = 0, n_syllables: int = 14) -> np.ndarray:
    """A clean recording (16 kHz, 40 dB SNR, short silences) of one utterance of ``voice``."""
    from workbook.synthetic import recording as rec
    from workbook.synthetic.corpus import ClipConditions, render

    channel = rec.Channel(format="wav", sr_hz=SR, hpf_hz=70.0, lpf_hz=7500.0, eq_hz=(800.0, 3000.0), eq_gain_db=(0.0, 0.0),
                          eq_q=(1.0, 1.0), floor_beta=1.0, level_dbfs=-24.0, mains_hz=50.0)
    cond = ClipConditions(n_syllables=n_syllables, f0_scale=1.0, lead_s=0.3, trail_s=0.3, noise_type="none", snr_db=40.0,
                          click_lead=False, click_trail=False, level_dbfs=-24.0, overdrive=0.0)
    return render(voice, channel, cond, np.random.default_rng(seed)).mix


def clip_tremor(y) -> dict:
    tr = track_pitch(y, SR, method="praat")
    return f0_tremor(tr.times_s, np.where(tr.voiced, tr.f0_hz, np.nan))


def test_tremor_of_rendered_voices_follows_latent_depth_and_rate():
    """Slight (0.3 %) vs strong (2.5 %) tremor are clearly apart; the strong one's rate is found."""
    weak, strong = [], []
    for i, rate in enumerate((4.5, 5.5, 6.5)):
        gender = "female" if i % 2 else "male"
        w = clip_tremor(rendered_voice(trend_voice(70, gender, tremor_depth_pct=0.3, tremor_rate_hz=rate), seed=i))
        s = clip_tremor(rendered_voice(trend_voice(70, gender, tremor_depth_pct=2.5, tremor_rate_hz=rate), seed=i))
        weak.append(w["tremor_depth_pct"])
        strong.append(s["tremor_depth_pct"])
        assert s["tremor_rate_hz"] == pytest.approx(rate, abs=1.0)
    print("depth % measured at latent 0.3:", np.round(weak, 2), "at 2.5:", np.round(strong, 2))
    assert min(strong) > 1.5 * max(weak)


def test_tremor_depth_ranks_random_speakers():
    """Over 16 speakers of the corpus's population, measured depth follows latent depth."""
    from scipy import stats

    from workbook.synthetic.trends import sample_speakers
    from workbook.synthetic.voice import Voice

    spk = sample_speakers(16, seed=3).reset_index(drop=True)
    measured = [clip_tremor(rendered_voice(Voice.from_row(row), seed=i))["tremor_depth_pct"] for i, row in spk.iterrows()]
    rho = stats.spearmanr(spk["tremor_depth_pct"], measured, nan_policy="omit").statistic
    print(f"Spearman rho, measured vs latent tremor depth over 16 speakers: {rho:.2f}")
    assert rho > 0.5, (rho, list(zip(spk["tremor_depth_pct"].round(2), np.round(measured, 2))))


# --- families ------------------------------------------------------------------------------


def test_resolve_families():
    assert resolve_families("full") == ("original", "spectral", "voice", "rhythm")
    assert resolve_families(["original", "egemaps"]) == ("original", "egemaps")
    assert resolve_families(["full", "egemaps", "speaker_embedding"]) == resolve_families("all")
    with pytest.raises(ValueError, match="unknown feature family"):
        resolve_families("loudness")


def test_compute_features_prefixes_and_isolates_a_failing_family(monkeypatch):
    y = pulse_train(130, 1.0)

    def broken(ctx):
        raise RuntimeError("formant tracker exploded")

    monkeypatch.setitem(helpers.features._FAMILIES, "voice", broken)
    values, errors = compute_features(y, SR, "full")
    assert [e[0] for e in errors] == ["voice"] and "exploded" in errors[0][1]
    assert not any(k.startswith("voice_") for k in values)
    assert values["orig_f0_median_hz"] == pytest.approx(130, rel=0.03)
    assert any(k.startswith("spec_") for k in values) and any(k.startswith("rhythm_") for k in values)


def test_feature_params_validation():
    with pytest.raises(ValueError, match="pitch_method"):
        FeatureParams(pitch_method="swipe")
    with pytest.raises(ValueError, match="fmin_hz"):
        FeatureParams(fmin_hz=10, fmax_hz=9000)


def test_egemaps_family_gives_88_functionals():
    values, errors = compute_features(pulse_train(150, 1.0), SR, ["egemaps"])
    assert not errors and len(values) == 88
    assert all(k.startswith("egemaps_") for k in values)
