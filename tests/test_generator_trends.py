"""Every age trend of the synthetic generator is there, and measurable in its audio.

Three layers, each with two-sided bands (a trend removed, halved or reversed goes red):

- the latent population (:func:`sample_speakers`, 3,000 speakers): each voice parameter's
  Spearman correlation with age among adults 25+, per gender, and the male puberty drop;
- the audio of controlled voices that differ in one latent parameter only (jitter, HNR,
  speaking rate, vocal-tract length): the feature code measures the difference;
- the audio of voices on the population trends at 25 and at 75: HNR, shimmer, tremor and
  female f0 change with age as the literature says;
- the corpus renderer: every speaker is rendered in *its own* voice (measured f0 and
  tract length follow each speaker's latent values).

How the bands were set: the latent correlations are the min/max over seeds 0, 1, 2
(n = 3,000, sampling s.d. of rho about 0.02) widened by 0.10 each side; the audio bands
are the min/max over the seeds below (measured 2026-12-02) widened by at least a third of
the measured effect each side, so an effect removed (0) or halved falls out of them.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from helpers.features import compute_features
from helpers.pitch import track_pitch
from workbook.synthetic import recording as rec
from workbook.synthetic.corpus import ClipConditions, CorpusConfig, render, render_clip
from workbook.synthetic.trends import VOICE_PARAMETERS, sample_speakers
from workbook.synthetic.voice import Voice

SR = 16000

#: (gender, parameter) -> band of Spearman rho with age among adults 25+ (seeds 0-2 +/- 0.10).
LATENT_RHO_BANDS = {
    ("female", "f0_hz"): (-0.68, -0.44),
    ("female", "jitter_pct"): (0.37, 0.60),
    ("male", "jitter_pct"): (0.39, 0.59),
    ("female", "shimmer_pct"): (0.31, 0.54),
    ("male", "shimmer_pct"): (0.30, 0.57),
    ("female", "hnr_db"): (-0.71, -0.49),
    ("male", "hnr_db"): (-0.73, -0.47),
    ("female", "tremor_depth_pct"): (0.75, 0.96),
    ("male", "tremor_depth_pct"): (0.74, 0.96),
    ("female", "tremor_rate_hz"): (-0.66, -0.43),
    ("male", "tremor_rate_hz"): (-0.64, -0.40),
    ("female", "speaking_rate_sps"): (-0.54, -0.26),
    ("male", "speaking_rate_sps"): (-0.53, -0.28),
    ("female", "vtl_cm"): (0.29, 0.55),
    ("male", "vtl_cm"): (0.30, 0.57),
}


@pytest.fixture(scope="module", params=[0, 1], ids=lambda s: f"seed{s}")
def population(request):
    return sample_speakers(3000, seed=request.param)


@pytest.mark.parametrize("gender,parameter", list(LATENT_RHO_BANDS), ids=lambda v: str(v))
def test_latent_parameter_follows_its_age_trend(population, gender, parameter):
    adults = population[(population["gender"] == gender) & (population["age_years"] >= 25)]
    rho = stats.spearmanr(adults["age_years"], adults[parameter]).statistic
    lo, hi = LATENT_RHO_BANDS[gender, parameter]
    assert lo <= rho <= hi, f"{gender} {parameter}: rho with age {rho:.3f} outside [{lo}, {hi}]"


def test_latent_male_voice_breaks_at_puberty(population):
    """Boys of 13-14 speak about 1.7 x higher than men of 20-40, with a tract ~1.5 cm shorter."""
    men = population[population["gender"] == "male"]
    boys, adults = men[men["age_years"] <= 14], men[men["age_years"].between(20, 40)]
    ratio = boys["f0_hz"].median() / adults["f0_hz"].median()
    assert 1.55 <= ratio <= 1.90, ratio  # seeds 0-2: 1.70-1.74
    growth = adults["vtl_cm"].median() - boys["vtl_cm"].median()
    assert 1.1 <= growth <= 1.95, growth  # seeds 0-2: 1.44-1.62


# --- the audio ----------------------------------------------------------------------------

_CHANNEL = rec.Channel(format="wav", sr_hz=SR, hpf_hz=70.0, lpf_hz=7500.0, eq_hz=(800.0, 3000.0), eq_gain_db=(0.0, 0.0),
                       eq_q=(1.0, 1.0), floor_beta=1.0, level_dbfs=-24.0, mains_hz=50.0)
_CLEAN = ClipConditions(n_syllables=14, f0_scale=1.0, lead_s=0.3, trail_s=0.3, noise_type="none", snr_db=40.0,
                        click_lead=False, click_trail=False, level_dbfs=-24.0, overdrive=0.0)


def trend_voice(age: float, gender: str, **overrides) -> Voice:
    """A voice on the population's mean trends at ``age``, with ``overrides`` (Voice fields)."""
    return Voice(**{**{p: float(t(age, gender)) for p, (t, _, _) in VOICE_PARAMETERS.items()}, **overrides})


def measure(voice: Voice, seed: int) -> dict:
    """The voice and rhythm families plus the median Praat f0 of one clean utterance."""
    y = render(voice, _CHANNEL, _CLEAN, np.random.default_rng(seed)).mix
    values, errors = compute_features(y, SR, families=("voice", "rhythm"))
    assert not errors, errors
    track = track_pitch(y, SR, method="praat")
    values["f0_median_hz"] = float(np.median(track.f0_hz[track.voiced]))
    return values


def mean_of(voices, key: str, seeds=(0, 1, 2)) -> float:
    return float(np.mean([measure(v, s)[key] for v in voices for s in seeds]))


#: parameter, low and high latent value, measured key, how to compare, band. Measured over
#: seeds 0-1 (female, 45): jitter 0.3 -> 1.5 % reads 1.07 -> 1.40 (+0.33); HNR 12 -> 24 dB
#: reads 15.4 -> 19.2 (+3.8); tract 14 -> 18 cm reads 16.3 -> 20.3 cm (x1.24); 3.5 -> 6.5
#: syllables/s shortens the speech span.
CONTROLLED = [
    ("jitter_pct", 0.3, 1.5, "voice_jitter_local_pct", "diff", (0.15, 0.8)),
    ("hnr_db", 12.0, 24.0, "voice_hnr_db", "diff", (2.0, 7.0)),
    ("vtl_cm", 14.0, 18.0, "voice_vtl_cm", "ratio", (1.12, 1.45)),
    ("speaking_rate_sps", 3.5, 6.5, "rhythm_speech_span_s", "ratio", (0.45, 0.8)),
]


@pytest.mark.parametrize("parameter,low,high,key,how,band", CONTROLLED, ids=[c[0] for c in CONTROLLED])
def test_one_latent_parameter_is_measurable_in_the_audio(parameter, low, high, key, how, band):
    a = mean_of([trend_voice(45, "female", **{parameter: low})], key, seeds=(0, 1))
    b = mean_of([trend_voice(45, "female", **{parameter: high})], key, seeds=(0, 1))
    effect = b - a if how == "diff" else b / a
    print(f"{parameter} {low} -> {high}: {key} {a:.3f} -> {b:.3f} ({how} {effect:.3f})")
    assert band[0] <= effect <= band[1], f"{parameter}: {key} {how} {effect:.3f} outside {band}"


@pytest.fixture(scope="module")
def young_old():
    """Measured features of voices on the trends at 25 and 75, both genders, seeds 0-2."""
    return {(g, age): [measure(trend_voice(age, g), s) for s in (0, 1, 2)]
            for g in ("female", "male") for age in (25, 75)}


#: measured key, genders pooled or "female", how (old vs young), band. Measured (seeds 0-2):
#: HNR 16.6 -> 14.1 dB (-2.5), shimmer x1.5, tremor depth x2.9, female f0 x0.855.
AGE_IN_AUDIO = [
    ("voice_hnr_db", ("female", "male"), "diff", (-4.5, -1.2)),
    ("voice_shimmer_local_pct", ("female", "male"), "ratio", (1.25, 1.9)),
    ("voice_tremor_depth_pct", ("female", "male"), "ratio", (1.8, 4.5)),
    ("f0_median_hz", ("female",), "ratio", (0.78, 0.92)),
]


@pytest.mark.parametrize("key,genders,how,band", AGE_IN_AUDIO, ids=[a[0] for a in AGE_IN_AUDIO])
def test_age_trend_is_measurable_in_the_audio(young_old, key, genders, how, band):
    young = np.mean([r[key] for g in genders for r in young_old[g, 25]])
    old = np.mean([r[key] for g in genders for r in young_old[g, 75]])
    effect = old - young if how == "diff" else old / young
    print(f"{key}: 25 years {young:.3f}, 75 years {old:.3f} ({how} {effect:.3f})")
    assert band[0] <= effect <= band[1], f"{key}: old vs young {how} {effect:.3f} outside {band}"


def test_each_speaker_is_rendered_in_its_own_voice():
    """Across 10 speakers of a corpus, each clip's measured f0 is its own speaker's latent f0.

    Measured (seed 7): 9 of 10 within 6 %; the tenth, under mains hum at 7.6 dB SNR, is
    tracked on the hum. Rendering everyone in speaker 0's voice fails it (tests/mutations.py).
    """
    config = CorpusConfig(n_speakers=10, clips_per_speaker=1, seed=7)
    latent = sample_speakers(config.n_speakers, seed=config.seed, n_communities=config.n_communities)["f0_hz"].to_numpy()
    measured = []
    for i in range(config.n_speakers):
        clip = render_clip(config, i, 0)
        track = track_pitch(clip.mix, clip.sr, method="praat")
        measured.append(float(np.median(track.f0_hz[track.voiced])))
    close = np.abs(np.log(np.array(measured) / latent)) < np.log(1.10)
    print("latent f0", latent.round(1), "measured", np.round(measured, 1))
    assert close.sum() >= 8, list(zip(latent.round(1), np.round(measured, 1)))
