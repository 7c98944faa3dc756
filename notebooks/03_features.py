# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Features: what we measure in a voice, and whether it measures what it claims
#
# A model cannot listen; it reads numbers. This notebook turns every recording into one
# row of numbers, its **features**, and checks them. You will learn:
#
# | family | what it describes | why it may carry age |
# |---|---|---|
# | **original** | onsets ("words"), duration, tempo, f0 statistics, 128 mel-band means | the set the original analysis used; kept so its results can be reproduced |
# | **pitch** | f0 from two trackers (Praat and pYIN), compared for accuracy and speed | f0 falls in men's teens, shifts after menopause, rises in old men |
# | **spectral** | MFCC and delta statistics, centroid, bandwidth, roll-off, flatness, contrast | the spectral envelope follows the vocal tract and breathiness |
# | **voice** | jitter, shimmer, harmonics-to-noise ratio, formants F1–F3, vocal-tract length, vocal tremor | older voices shake more (from cycle to cycle, and as a slow 4–7 Hz tremor), are breathier; formants follow tract length |
# | **rhythm** | voiced fraction, pauses, syllable nuclei, speaking and articulation rate | older speakers speak more slowly |
# | **eGeMAPS** | the 88 standard paralinguistic functionals (openSMILE), switchable | the community's common baseline |
#
# Each feature is first shown on one clip, with a figure. Then the extraction engine
# (`helpers.features`) computes the table for the whole data set in parallel, with a
# cache (a re-run computes only what is new), and records every file it cannot analyse.
# On the synthetic corpus we finally ask each feature whether it measures what its name
# claims: the corpus knows the true f0 of every frame and each clip's true jitter, HNR,
# tremor and speaking rate.
#
# **Needs:** the cleaning choice notebook 02 saved (`cleaning.json` in the run's output
# folder); without it the cleaning module's default preset is used. **Writes** the feature
# table for notebook 04 (`features.parquet`) and the fixed-length mel images
# (`mel_images.npy`).

# %% tags=["parameters"]
dataset = "synthetic"
data_dir = None
n_speakers = 300
clips_per_speaker = 5
seed = 0
sr = 16000
n_jobs = 2
output_dir = None
dataset_params = {}  # loader options, e.g. {"languages": ["en"]} or column names for folder_csv
cleaning = None
families = "full"
pitch_method = "praat"
backend = "joblib"
n_truth_clips = 60
write_mel_images = True
cache_dir = None

# %% [markdown]
# `cleaning`: None uses notebook 02's saved choice, `"none"` the raw audio, or name a preset.
# `families`: `"original"`, `"full"` (default) or `"all"` (adds eGeMAPS). `pitch_method`:
# `"praat"` or `"pyin"`. `backend`: `"joblib"` (processes on this machine) or `"dask"`.
# `n_truth_clips`: synthetic clips re-rendered to score the pitch trackers frame by frame.

# %%
import platform

import ipywidgets
import librosa
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import parselmouth
from IPython.display import display

from helpers.audio import load_audio
from helpers.cleaning import load_cleaning_choice
from workbook.datasets import load_dataset
from helpers.display import audio_player
from helpers.examples import pick_example_clips
from helpers.features import FAMILY_PREFIX, FAMILY_SETS
from workbook.engine import extract_features, write_outputs
from helpers.features.egemaps import egemaps_features, is_available as egemaps_available
from workbook.engine import resolve_cleaning_params
from workbook.mel_images import extract_mel_images
from helpers.features.original import original_features
from helpers.features.pitch import f0_statistics, track_pitch
from helpers.features.plots import (
    plot_formants,
    plot_intensity_nuclei,
    plot_mel_images,
    plot_onsets,
    plot_pitch_tracks,
    plot_spectral_shape,
    plot_tracker_comparison,
    plot_truth_grid,
    plot_truth_scatter,
)
from helpers.features.rhythm import (
    detect_onsets,
    intensity_db,
    quiet_threshold_db,
    rhythm_features,
    syllable_nuclei,
)
from helpers.features.spectral_stats import magnitude_spectrogram, mfcc_stats, spectral_shape_stats
from workbook.synthetic.ground_truth import (
    TRUTH_PAIRS,
    clip_indices,
    pooled_gpe,
    tracker_accuracy,
    true_f0_track,
    truth_correlations,
    truth_table,
)
from helpers.features.voice import as_sound, formant_tracks, voice_features
from workbook.paths import run_output_dir
from helpers.plots import plot_spectrogram, use_workbook_style
from workbook.sources import display_load_report
from helpers.spectral import compute_mfcc

use_workbook_style(dpi=72)
pd.set_option("display.precision", 2)
print(f"python {platform.python_version()} | numpy {np.__version__} | pandas {pd.__version__}")
print(f"librosa {librosa.__version__} | praat-parselmouth {parselmouth.__version__} "
      f"(Praat {parselmouth.PRAAT_VERSION}) | matplotlib {matplotlib.__version__} | ipywidgets {ipywidgets.__version__}")

# %%
ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker,
                  seed=seed, n_jobs=n_jobs, **dataset_params)
display_load_report(ds)
out_dir = run_output_dir(dataset, output_dir)
synthetic = bool(ds.info.get("synthetic"))
corpus_config = ds.info.get("config")

# %% [markdown]
# ## The cleaning the features are computed on
#
# Notebook 02 chose how to clean the recordings (noise reduction, click repair, trimming
# of leading and trailing silence) and saved the choice; the engine applies it to every
# file before measuring. The explanations below use the raw example clip, so that the
# synthetic truth lines up with it in time.

# %%
choice = load_cleaning_choice(out_dir) if cleaning is None else cleaning
cleaning_params = resolve_cleaning_params(choice)
if cleaning_params is None:
    print("cleaning for the feature table: none (raw audio)")
else:
    print(f"cleaning for the feature table: {choice if isinstance(choice, str) else choice.get('preset', 'custom')}")
    print({k: v for k, v in cleaning_params.items() if v not in (None, False)})

# %% [markdown]
# ## One example clip
#
# For the synthetic corpus this is its named example with clean speech and long silences;
# on real data, the first clip of the first speaker.

# %%
examples = pick_example_clips(ds, n=4)
example = examples.iloc[0]
y, _ = load_audio(example["path"], sr=sr)
truth = true_f0_track(example, corpus_config) if synthetic else None
print(f"{example['label']}: {len(y) / sr:.2f} s at {sr} Hz")
audio_player(y, sr, label=str(example["label"]))

# %% [markdown]
# ## 1 · The original analysis's features
#
# The original analysis counted **onsets** (sudden rises of energy, found by peak-picking
# the spectral flux of a mel spectrogram) and called them "words"; divided by the
# duration they give a crude rate. Its **tempo** is `librosa.feature.tempo` (speech has no
# beat: the number follows the rhythm of stressed syllables). Its f0 statistics come from
# a pitch tracker, and its spectral description is the **mean power of each of 128 mel
# bands** over the clip. The red lines mark the onsets: some fall on syllables, some on
# consonant bursts, a few on noise. An onset is not a word.

# %%
track = track_pitch(y, sr, method=pitch_method)
orig = original_features(y, sr, track=track)
ax = plot_onsets(y, sr, detect_onsets(y, sr), title=f"{example['label']}: onsets of the original analysis")
print({k: round(v, 2) for k, v in orig.items() if not k.startswith("mel")})

# %%
fig, ax = plt.subplots(figsize=(8, 2.6))
mel_means = np.array([orig[f"mel{i:03d}"] for i in range(128)])
ax.bar(np.arange(128), 10 * np.log10(mel_means + 1e-12), color="C0")
ax.set_xlabel("mel band (0 = lowest frequency)")
ax.set_ylabel("mean power (dB)")
ax.set_title("the 128 mel-band means of the original analysis: a blurred long-term spectrum")
plt.show()

# %% [markdown]
# ## 2 · Pitch: two trackers, one truth
#
# f0 is the rate at which the vocal folds open and close. **pYIN** (librosa) looks for the
# period in 128 ms frames and smooths the track with a hidden Markov model; **Praat**'s
# autocorrelation method is the voice-science standard and several times cheaper. Both
# search the speech range only (60–500 Hz): the original analysis asked pyin for
# 16 Hz–8 kHz, which current librosa warns about, which makes its hidden Markov model
# about three times larger (many times the cost) and which invites octave errors.
# On the synthetic clip the dashed white line is the true f0.

# %%
tracks = {m: track_pitch(y, sr, method=m) for m in ("praat", "pyin")}
ax = plot_pitch_tracks(y, sr, tracks, true_f0=truth, fmax_hz=800, title=f"{example['label']}: f0 tracks")
display(pd.DataFrame({m: f0_statistics(t.voiced_f0_hz) for m, t in tracks.items()}).T)

# %% [markdown]
# ### Which tracker? Gross pitch error against the truth of every frame
#
# A frame is a **gross pitch error** when the estimate is more than 20 % off the true f0
# (typically an octave jump). We re-render `n_truth_clips` clips of the synthetic corpus
# (the generator returns the true f0 of every sample), run both trackers and count, over
# all frames that both the truth and the tracker call voiced. The acceptance limit for the
# tracker the engine uses is 5 % of voiced frames.

# %%
if synthetic:
    picked = ds.manifest.sort_values("clip_id").iloc[:: max(1, len(ds.manifest) // n_truth_clips)].head(n_truth_clips)
    accuracy = tracker_accuracy(corpus_config, [clip_indices(r.speaker, r.clip_id) for r in picked.itertuples()], sr=sr)
    pooled = pooled_gpe(accuracy)
    display(pooled)
    ax = plot_tracker_comparison(pooled)
    plt.show()
    print(f"engine tracker {pitch_method!r}: gross pitch error "
          f"{100 * pooled.set_index('method').loc[pitch_method, 'gpe']:.2f} % of voiced frames (limit 5 %)")
    display(accuracy.groupby(["method", "noise_type"])["gpe"].mean().unstack(0))
else:
    print("real recordings have no frame-level truth: the tracker comparison runs on the synthetic corpus")

# %% [markdown]
# Both trackers stay well under the 5 % limit. Their gross errors concentrate where other
# periodic sounds are in the recording: babble (other voices) and mains hum, which a
# tracker can follow instead of the speaker. pYIN makes fewer gross errors; Praat costs
# about a fifth as much and its voicing decisions are closer to the truth (pYIN's 128 ms
# frames spill voicing into the gaps, inflating the voiced fraction). The engine uses
# Praat by default for its cost; `pitch_method="pyin"` trades speed for the last percent.

# %% [markdown]
# ## 3 · Spectral shape: MFCCs and friends
#
# **MFCCs** summarise the spectral envelope (the vocal-tract filter) in a few numbers per
# 25 ms frame; their **deltas** describe how fast it changes. Per clip we keep the mean
# and standard deviation of each, over the frames that are not silence. The **centroid**
# (centre of mass of the spectrum) and **roll-off** (below which 85 % of the energy lies)
# rise with breathy, noisy or fricative sounds; **flatness** is 1 for noise, 0 for a
# tone; **contrast** is the peak-to-valley depth in each octave band (breathiness fills
# the valleys).

# %%
fig, axes = plt.subplots(2, 1, figsize=(9, 5.4))
plot_spectrogram(compute_mfcc(y, sr, n_mfcc=13), sr, kind="mfcc", ax=axes[0], title="MFCCs (13 per frame)")
plot_spectral_shape(y, sr, ax=axes[1], title="spectrogram with centroid and roll-off")
plt.show()
S = magnitude_spectrogram(y, sr)
spec = {**mfcc_stats(S, sr), **spectral_shape_stats(S, sr)}
print(f"{len(spec)} spectral features, e.g.",
      {k: round(spec[k], 2) for k in ("mfcc01_mean", "dmfcc01_std", "centroid_hz_mean", "rolloff_hz_mean", "flatness_mean")})

# %% [markdown]
# ## 4 · Voice quality with Praat: jitter, shimmer, HNR, formants, tremor
#
# Praat marks each glottal pulse. **Jitter** is the cycle-to-cycle variation of the
# period, **shimmer** of the amplitude (both in %); the **harmonics-to-noise ratio** (dB)
# compares the periodic part of the voice with its noise (breath). **Formants** are the
# resonances of the vocal tract: the dark bands of a wide-band spectrogram. Their spacing
# gives an apparent **vocal-tract length** (a tube closed at the glottis has resonances at
# odd multiples of c / 4L): longer tracts (men, and older adults) have lower formants.
#
# **Vocal tremor** is a slower shake: f0 wobbles 4–7 times a second, by a few tenths of a
# percent in young voices and by several percent in many voices past sixty. It is measured
# on the pitch track already computed: each voiced stretch of at least 0.25 s (in running
# speech they are rarely longer than half a second) is taken in semitones, its intonation
# removed by a smooth (quadratic) trend, and sinusoids of 2–15 Hz are fitted to what
# remains. The **tremor depth** is the fitted amplitude over 4–8 Hz in % of f0 (MDVP's FTRI
# idea), the **tremor rate** the 3–9 Hz frequency that explains most of the wobble, and the
# **band ratio** the share of the wobble's energy at 4–7 Hz. Intonation and jitter leave a
# floor of a few tenths of a percent, so the rate means something only in clearly
# tremulous voices; clips with less than 0.5 s in long enough voiced stretches get NaN.
# %%
sound = as_sound(y, sr)
voice = voice_features(y, sr, track=tracks["praat"], sound=sound)
f_times, F = formant_tracks(sound)
F_voiced = np.where(np.isfinite(tracks["praat"].at(f_times))[:, None], F, np.nan)
ax = plot_formants(y, sr, f_times, F_voiced, title="formants F1-F3 (Burg) on voiced frames")
plt.show()
voice_row = pd.Series(voice).round(2)
if synthetic:
    voice_row = pd.DataFrame({"measured": voice_row, "true": pd.Series(
        {"jitter_local_pct": example.get("jitter_pct"), "shimmer_local_pct": example.get("shimmer_pct"),
         "hnr_db": example.get("hnr_db"), "vtl_cm": example.get("vtl_cm"),
         "tremor_depth_pct": example.get("tremor_depth_pct"), "tremor_rate_hz": example.get("tremor_rate_hz")})})
display(voice_row)

# %% [markdown]
# ## 5 · Rhythm: voicing, pauses and syllable nuclei
#
# The intensity contour rises once per syllable. Following de Jong & Wempe (2009) a
# **syllable nucleus** is an intensity peak that stands at least 2 dB above the dip before
# it, lies above a quiet threshold and is voiced. The **articulation rate** divides their
# number by the time spent speaking (pauses excluded); the **pause ratio** is the share of
# the speech span spent in pauses (unvoiced and quiet for at least 0.12 s); the **voiced
# fraction** the share of the span that is voiced.

# %%
it, idb = intensity_db(y, sr, sound=sound)
voiced_at_int = np.isfinite(tracks["praat"].at(it))
threshold = quiet_threshold_db(idb)
nuclei = syllable_nuclei(it, idb, voiced_at_int, threshold_db=threshold)
ax = plot_intensity_nuclei(it, idb, voiced_at_int, nuclei, threshold, title="intensity, voicing and syllable nuclei")
plt.show()
rhythm = pd.Series(rhythm_features(it, idb, voiced_at_int)).round(2)
if synthetic:
    rhythm = pd.DataFrame({"measured": rhythm, "true": pd.Series(
        {"n_nuclei": example.get("n_syllables"), "articulation_rate_sps": example.get("speaking_rate_sps"),
         "pause_ratio": example.get("pause_ratio"), "voiced_fraction": example.get("voiced_fraction")})})
display(rhythm)

# %% [markdown]
# ## 6 · eGeMAPS: the standard set, switchable
#
# The extended Geneva Minimalistic Acoustic Parameter Set is 88 functionals the
# paralinguistics community agreed on (pitch, loudness, jitter, shimmer, HNR, formants,
# spectral slope, rhythm), computed by openSMILE. It is one family the engine can switch
# on (`families="all"`); it is off by default because it about doubles the cost.

# %%
ok, reason = egemaps_available()
if ok:
    eg = egemaps_features(y, sr)
    print(f"{len(eg)} eGeMAPS functionals, e.g.")
    display(pd.Series(eg).iloc[[0, 3, 10, 24, 40, 70]].round(3))
else:
    print(f"eGeMAPS unavailable here: {reason}")

# %% [markdown]
# ## The whole data set: the extraction engine
#
# `extract_features` streams every file through worker processes (`n_jobs`; with
# `backend="dask"` the same work goes to a Dask cluster, for data that outgrows one
# machine). Each worker loads a file at `sr` Hz, cleans it with the chosen preset, checks
# it (too short, silent) and computes the families. Results land in a Parquet cache keyed
# by the file's content, the parameters and the feature-code version: run the cell again
# and nothing is recomputed; add files and only they are; kill the run and it resumes.
# A file that fails is recorded in the error table with the stage and the reason.

# %%
# NBVAL_CHECK_OUTPUT
print("families:", {f: FAMILY_PREFIX[f] for f in FAMILY_SETS["all"]})
print("sets:", {k: list(v) for k, v in FAMILY_SETS.items()})

# %%
result = extract_features(ds, families=families, cleaning=choice, pitch_method=pitch_method, sr=sr,
                          n_jobs=n_jobs, backend=backend, cache_dir=cache_dir)
print(result.summary())

# %%
again = extract_features(ds, families=families, cleaning=choice, pitch_method=pitch_method, sr=sr,
                         n_jobs=n_jobs, backend=backend, cache_dir=cache_dir, progress=False)
print("second run:", again.stats.summary())

# %%
print(f"{len(result.errors)} problem(s) recorded")
display(result.errors.head(10))

# %% [markdown]
# ## Do the features measure what they claim?
#
# Each dot is a clip: the measured feature against the latent value the generator used.
# Colours are the clip's added noise. Read the panels as a learner's warning label:
#
# - **f0** lies on the diagonal except where babble (other voices) or hum is mixed in;
# - **HNR** follows the truth only loosely even on clean clips, and the recording's own
#   noise caps it (the measured HNR cannot exceed the SNR);
# - **jitter** and **shimmer** are inflated by intonation, tremor and noise: they rank
#   voices only roughly;
# - **tremor depth** ranks clips well (r about 0.9) but is compressed: intonation and
#   jitter leave a floor near 0.5 %, so slight tremors (below about 0.6 %) look alike, and
#   the quadratic trend that removes intonation from short voiced stretches swallows part
#   of a real tremor, so strong ones read about a third low; about one clip in eight has
#   too few voiced stretches of 0.25 s and gets no value (the models impute it);
# - **syllable counts** track the truth but undercount syllables that run into each
#   other, so the **articulation rate** is biased low; **pauses** and the **voiced
#   fraction** are right on clean clips and wrong where hum or babble fills the pauses;
# - **vocal-tract length** from formants separates the sexes (the two clouds) but ranks
#   speakers poorly within each.
#
# The table gives Pearson's r on all clips and on clean ones (SNR of at least 15 dB).

# %%
if synthetic:
    table = truth_table(result.features, ds.manifest)
    display(pd.concat({"all clips": truth_correlations(table).set_index("feature")[["latent", "n", "pearson_r", "spearman_rho", "bias"]],
                       "SNR >= 15 dB": truth_correlations(table, min_snr_db=15).set_index("feature")[["n", "pearson_r"]]},
                      axis=1))
    fig = plot_truth_grid(table, TRUTH_PAIRS)
    plt.show()
else:
    print("no latent truth in real recordings: these checks run on the synthetic corpus")

# %% [markdown]
# Pick a pair to look at one panel larger (interactive; the static grid above shows them all).

# %%
if synthetic:
    ipywidgets.interact(lambda pair: plot_truth_scatter(table, *pair) and plt.show(),
                        pair=ipywidgets.Dropdown(options=[(f"{v} vs true {k}", (k, v)) for k, v in TRUTH_PAIRS.items()]))

# %% [markdown]
# ## Fixed-length mel "images" for the EDA notebook
#
# Section 4.3 of the original analysis turned each clip into a fixed-size picture: 3 s
# (longer clips cut, shorter ones padded with silence), a 128-band mel spectrogram in dB.
# The engine writes them for the whole data set as one float32 array
# `(clips, 128 bands, 94 frames)` in `mel_images.npy`, which later notebooks open
# memory-mapped (read only what they need), with an index table of paths and labels.

# %%
if write_mel_images:
    mel = extract_mel_images(ds, out_dir, cleaning=choice, sr=sr, n_jobs=n_jobs, backend=backend, cache_dir=cache_dir)
    images = mel.load()
    print(f"{mel.path.name}: {mel.shape} float32, {mel.path.stat().st_size / 1e6:.1f} MB; {len(mel.errors)} file(s) left out")
    show = mel.index.head(4)
    fig = plot_mel_images(images[show["row"].to_numpy()],
                          [f"{r.speaker} · {r.gender} · {r.age_group}" for r in show.itertuples()], sr)
    plt.show()

# %% [markdown]
# ## In this notebook we…
#
# - computed the original analysis's features with current librosa (keyword arguments,
#   `feature.tempo`, a speech-range pitch tracker) so its results can be reproduced;
# - added the features that carry age and voice quality: MFCC statistics, spectral shape,
#   jitter, shimmer, HNR, formants, vocal-tract length and vocal tremor (Praat), voicing, pauses and
#   speaking rate from syllable nuclei, and eGeMAPS as a switchable family;
# - compared two pitch trackers against the true f0 of every frame and chose Praat (well
#   within the 5 % gross-error limit, about five times cheaper than pYIN);
# - checked each voice measure against the synthetic truth: which ones measure what they
#   claim, and where noise breaks them;
# - ran the extraction engine over the whole data set: parallel, cached, resumable,
#   recording failures instead of stopping.
#
# **Written for later notebooks** (in the run's output folder): `features.parquet` (one
# row per clip: `path`, `speaker`, `age_group`, `age_years`, `gender`, `audio_duration_s`, then the features
# prefixed `orig_`, `spec_`, `voice_`, `rhythm_` and, if switched on, `egemaps_`),
# `feature_errors.csv` (`path`, `stage`, `error`), `features_spec.json` (families,
# parameters, cleaning, code version) and `mel_images.npy` + `mel_images_index.parquet`.
# Notebook 04 reads them with `helpers.features.read_features` and
# `workbook.mel_images.read_mel_images`.

# %%
paths = write_outputs(result, out_dir)
for name, path in paths.items():
    print(f"wrote {path.name}")
print(f"feature table: {len(result.features)} clips x {len(result.feature_columns())} features")
