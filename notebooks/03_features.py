# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
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
# Each measure is first computed on one clip with the library that does it (librosa,
# Praat through parselmouth, openSMILE), with a figure. Then one function,
# `compute_features`, computes the whole row of a clip, and the extraction engine
# (`workbook.engine.extract_features`) runs it over the data set in parallel, with a cache
# (a re-run computes only what is new), recording every file it cannot analyse. On the
# synthetic corpus we finally ask each feature whether it measures what its name claims:
# the corpus knows the true f0 of every frame and each clip's true jitter, HNR, tremor and
# speaking rate.
#
# **Needs:** the cleaning choice notebook 02 saved (`cleaning.json` in the run's output
# folder); without it the default cleaning preset is used. **Writes** the feature table
# for notebook 04 (`features.parquet`) and the fixed-length mel images (`mel_images.npy`).

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
scheduler = None
n_truth_clips = 60
write_mel_images = True
cache_dir = None

# %% [markdown]
# `cleaning`: None uses notebook 02's saved choice, `"none"` the raw audio, or name a preset.
# `families`: `"original"`, `"full"` (default) or `"all"` (adds eGeMAPS). `pitch_method`:
# `"praat"` or `"pyin"`. `backend`: `"joblib"` (processes on this machine) or `"dask"`.
# `scheduler`: the address of a running Dask scheduler (e.g. `"tcp://10.0.0.5:8786"`; it
# implies `backend="dask"`); None starts a local cluster of `n_jobs` workers when asked for Dask.
# `n_truth_clips`: synthetic clips re-rendered to score the pitch trackers frame by frame.

# %%
import platform

import librosa
import librosa.display
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import opensmile
import pandas as pd
import parselmouth
from parselmouth import praat
import scipy.signal
import seaborn as sns
from IPython.display import display

from helpers.audio import load_audio
from helpers.cleaning import load_cleaning_choice
from helpers.examples import pick_example_clips
from helpers.features import FAMILY_PREFIX, FAMILY_SETS, FeatureParams, compute_features
from helpers.original import original_features
from helpers.pitch import f0_statistics, track_pitch
from helpers.players import audio_player
from helpers.plots import plot_waveform, use_workbook_style
from helpers.rhythm import rhythm_features
from helpers.spectral_features import spectral_features
from helpers.voice import f0_tremor, voice_features
from workbook.datasets import load_dataset
from workbook.engine import extract_features, resolve_cleaning_params, write_outputs
from workbook.mel_images import extract_mel_images
from workbook.paths import run_output_dir
from workbook.sources import display_load_report
from workbook.synthetic.ground_truth import (
    TRUTH_PAIRS,
    clip_indices,
    pooled_gpe,
    tracker_accuracy,
    true_f0_track,
    truth_correlations,
    truth_table,
)

use_workbook_style(dpi=72)
pd.set_option("display.precision", 2)
print(f"python {platform.python_version()} | numpy {np.__version__} | pandas {pd.__version__}")
print(f"librosa {librosa.__version__} | praat-parselmouth {parselmouth.__version__} "
      f"(Praat {parselmouth.PRAAT_VERSION}) | opensmile {opensmile.__version__} | matplotlib {matplotlib.__version__}")

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
# beat: the number follows the rhythm of stressed syllables). Its spectral description is
# the **mean power of each of 128 mel bands** over the clip. librosa's defaults (a
# 2048-sample FFT, a hop of 512 samples, 128 mel bands) are the original's settings; we
# write them out.

# %%
onset_times = librosa.onset.onset_detect(y=y, sr=sr, hop_length=512, units="time")
tempo_bpm = librosa.feature.tempo(y=y, sr=sr, hop_length=512)[0]
mel_power = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=2048, hop_length=512, n_mels=128)
mel_means = mel_power.mean(axis=1)  # one number per band: the clip's long-term mel spectrum
print(f"{len(onset_times)} onsets in {len(y) / sr:.2f} s ({len(onset_times) / (len(y) / sr):.2f} per s), "
      f"tempo {tempo_bpm:.1f} BPM, {mel_means.size} mel-band means")

# %% [markdown]
# The red lines mark the onsets: some fall on syllables, some on consonant bursts, a few on
# noise. An onset is not a word. The bars are the 128 means in dB: a blurred long-term
# spectrum.

# %%
fig, axes = plt.subplots(2, 1, figsize=(9, 5.2))
plot_waveform(y, sr, ax=axes[0], title=f"{example['label']}: onsets of the original analysis")
axes[0].vlines(onset_times, -1, 1, color="C3", lw=0.8, label=f"{len(onset_times)} onsets")
axes[0].set_ylim(-1.05 * np.abs(y).max(), 1.05 * np.abs(y).max())
axes[0].legend(loc="upper right")
axes[1].bar(np.arange(128), librosa.power_to_db(mel_means, ref=1.0, amin=1e-12), color="C0")
axes[1].set_xlabel("mel band (0 = lowest frequency)")
axes[1].set_ylabel("mean power (dB)")
axes[1].set_title("the 128 mel-band means")
plt.show()

# %% [markdown]
# ## 2 · Pitch: two trackers, one truth
#
# f0 is the rate at which the vocal folds open and close. **Praat**'s autocorrelation
# method is the voice-science standard: `Sound.to_pitch` with a time step, a pitch floor
# and a ceiling (its own rule for the step is 0.75 / floor, 12.5 ms at 60 Hz). **pYIN**
# (`librosa.pyin`) looks for the period in 128 ms frames and smooths the track with a hidden
# Markov model. Both search the speech range only (60–500 Hz): the original analysis asked
# pyin for 16 Hz–8 kHz, which current librosa warns about, which makes its hidden Markov
# model about three times larger (many times the cost) and which invites octave errors.
# Praat marks unvoiced frames with 0 Hz, pYIN with NaN and a `voiced` flag.

# %%
snd = parselmouth.Sound(y.astype(np.float64), sampling_frequency=sr)
pitch = snd.to_pitch(time_step=0.75 / 60.0, pitch_floor=60.0, pitch_ceiling=500.0)
praat_times, praat_f0 = pitch.xs(), pitch.selected_array["frequency"]
praat_f0 = np.where(praat_f0 > 0, praat_f0, np.nan)

pyin_f0, pyin_voiced, _ = librosa.pyin(y=y, sr=sr, fmin=60.0, fmax=500.0, frame_length=2048, hop_length=512)
pyin_times = librosa.times_like(pyin_f0, sr=sr, hop_length=512)
display(pd.DataFrame({"Praat": f0_statistics(praat_f0), "pYIN": f0_statistics(pyin_f0[pyin_voiced])}).T)

# %% [markdown]
# The five statistics (mean, median, standard deviation, 5th and 95th percentile of the
# voiced frames) are the original's f0 features. Drawn on a narrow-band spectrogram (long
# frames resolve the harmonics), the tracks should follow the lowest harmonic; on the
# synthetic clip the dashed white line is the true f0.

# %%
S_db = librosa.amplitude_to_db(np.abs(librosa.stft(y=y, n_fft=2048, hop_length=256)), ref=np.max)
fig, ax = plt.subplots(figsize=(8, 3))
librosa.display.specshow(S_db, sr=sr, hop_length=256, x_axis="s", y_axis="linear", cmap="magma", vmin=-60, ax=ax)
if truth is not None:
    ax.plot(truth[0], truth[1], color="white", lw=2.2, ls="--", label="true f0")
ax.plot(praat_times, praat_f0, color="cyan", lw=1.4, label="Praat")
ax.plot(pyin_times, pyin_f0, color="lime", lw=1.4, label="pYIN")
ax.set_ylim(0, 800)
ax.set_title(f"{example['label']}: f0 tracks")
ax.legend(loc="upper right", fontsize=7)
plt.show()

# %% [markdown]
# For the data set, `track_pitch(y, sr, method=...)` makes exactly these two calls and
# returns a `PitchTrack` (times, f0, voicing, and Praat's Pitch object for the voice
# measures below). `original_features` then computes the original's whole set from one mel
# spectrogram and the track; its numbers are the ones above.

# %%
track = track_pitch(y, sr, method=pitch_method)
orig = original_features(y, sr, track=track)
print({k: round(v, 2) for k, v in orig.items() if not k.startswith("mel")})
print("same onsets, tempo and mel means as the cells above:",
      orig["n_onsets"] == len(onset_times), np.isclose(orig["tempo_bpm"], tempo_bpm),
      np.allclose([orig[f"mel{i:03d}"] for i in range(128)], mel_means))

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
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for i, row in pooled.iterrows():
        ax.scatter(row["cpu_ms_per_audio_s"], 100 * row["gpe"], s=60, color=f"C{i}", label=row["method"])
    ax.axhline(5.0, color="C3", ls="--", lw=0.8, label="5 % limit")
    ax.set_xlabel("CPU time (ms per s of audio)")
    ax.set_ylabel("gross pitch error (% of frames)")
    ax.set_xlim(left=0)
    ax.set_ylim(0, max(6.0, 130 * pooled["gpe"].max()))
    ax.legend(fontsize=7, loc="upper right")
    plt.show()
    print(f"engine tracker {pitch_method!r}: gross pitch error "
          f"{100 * pooled.set_index('method').loc[pitch_method, 'gpe']:.2f} % of voiced frames (limit 5 %)")
    display(accuracy.groupby(["method", "noise_type"])["gpe"].mean().unstack(0))
else:
    print("real recordings have no frame-level truth: the tracker comparison runs on the synthetic corpus")

# %% [markdown]
# (`gpe` is a fraction: 0.0122 is 1.22 % of frames.) Both trackers stay under the 5 % limit
# pooled over all clips, but not on every clip (`clips_over_5pct`), and Praat on babble sits
# near it: gross errors concentrate where other
# periodic sounds are in the recording: babble (other voices) and mains hum, which a
# tracker can follow instead of the speaker. pYIN makes fewer gross errors; Praat costs
# about a fifth as much and its voicing decisions are closer to the truth (pYIN's 128 ms
# frames spill voicing into the gaps, inflating the voiced fraction). The engine uses
# Praat by default for its cost; `pitch_method="pyin"` trades speed for the last percent.

# %% [markdown]
# ## 3 · Spectral shape: MFCCs and friends
#
# **MFCCs** summarise the spectral envelope (the vocal-tract filter) in a few numbers per
# frame: a mel spectrogram of 40 bands, in dB, then a cosine transform
# (`librosa.feature.mfcc`). Their **deltas** (`librosa.feature.delta`, a 9-frame slope)
# describe how fast the envelope changes. The **centroid** (centre of mass of the
# spectrum) and **roll-off** (below which 85 % of the energy lies) rise with breathy, noisy
# or fricative sounds; **flatness** is 1 for noise, 0 for a tone; **contrast** is the
# peak-to-valley depth in each octave band (breathiness fills the valleys). Frames are
# 25 ms long with a 10 ms hop (400 and 160 samples at 16 kHz), the usual speech settings.

# %%
S = np.abs(librosa.stft(y=y, n_fft=512, win_length=400, hop_length=160))
mel40 = librosa.feature.melspectrogram(S=S**2, sr=sr, n_fft=512, n_mels=40)
mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel40, ref=1.0, amin=1e-10), n_mfcc=13)
mfcc_delta = librosa.feature.delta(mfcc, width=9, order=1)
mfcc_delta2 = librosa.feature.delta(mfcc, width=9, order=2)
centroid = librosa.feature.spectral_centroid(S=S, sr=sr, n_fft=512)[0]
rolloff = librosa.feature.spectral_rolloff(S=S, sr=sr, n_fft=512, roll_percent=0.85)[0]
flatness = librosa.feature.spectral_flatness(S=S)[0]
contrast = librosa.feature.spectral_contrast(S=S, sr=sr, n_fft=512, fmin=200.0, n_bands=min(6, int(np.log2(sr / 2 / 200.0))))
print(f"MFCCs {mfcc.shape}, deltas {mfcc_delta.shape}, contrast {contrast.shape} (rows x frames)")

# %%
frame_times = librosa.times_like(centroid, sr=sr, hop_length=160)
fig, axes = plt.subplots(3, 1, figsize=(8, 6.6), sharex=True, height_ratios=[2, 1, 2])
mfcc_z = (mfcc - mfcc.mean(axis=1, keepdims=True)) / mfcc.std(axis=1, keepdims=True)  # each row on its own scale
librosa.display.specshow(mfcc_z, sr=sr, hop_length=160, x_axis="s", cmap="coolwarm", vmin=-3, vmax=3, ax=axes[0])
axes[0].set(title="13 MFCCs per frame, each standardised over the clip", ylabel="coefficient 0-12")
axes[1].plot(frame_times, mfcc[1], lw=0.8, label="MFCC 1")
axes[1].plot(frame_times, mfcc_delta[1], lw=0.8, label="its delta")
axes[1].legend(loc="upper right", fontsize=7)
librosa.display.specshow(librosa.amplitude_to_db(S, ref=np.max), sr=sr, hop_length=160, x_axis="s", y_axis="linear",
                         cmap="magma", vmin=-60, ax=axes[2])
axes[2].plot(frame_times, centroid, color="cyan", lw=1.0, label="centroid")
axes[2].plot(frame_times, rolloff, color="white", lw=0.8, ls="--", label="85 % roll-off")
axes[2].set_title("spectrogram with centroid and roll-off")
axes[2].legend(loc="upper right", fontsize=7)
plt.show()

# %% [markdown]
# Per clip we keep the mean and standard deviation of each coefficient, delta and shape
# measure, over the frames that are not silence (within 40 dB of the loudest frame), so a
# clip's length of silence does not dilute them. `spectral_features` does these steps and
# returns the spectral family of one clip.

# %%
spec = spectral_features(y, sr, n_mfcc=13)
print(f"{len(spec)} spectral features, e.g.",
      {k: round(spec[k], 2) for k in ("mfcc01_mean", "dmfcc01_std", "centroid_hz_mean", "rolloff_hz_mean", "flatness_mean")})

# %% [markdown]
# ## 4 · Voice quality with Praat: jitter, shimmer, HNR, formants, tremor
#
# Praat marks each glottal pulse (`To PointProcess (periodic, cc)`). **Jitter** is the
# cycle-to-cycle variation of the period, **shimmer** of the amplitude (both in %), with
# Praat's standard settings: periods between 0.1 and 20 ms, neighbouring periods at most
# 1.3 times apart, amplitudes at most 1.6 times. The **harmonics-to-noise ratio** (dB)
# compares the periodic part of the voice with its noise (breath). `praat.call` (from
# `parselmouth`) runs any Praat command by its menu name, with the arguments in the order
# of Praat's form.

# %%
pulses = praat.call(snd, "To PointProcess (periodic, cc)", 60.0, 500.0)  # pitch floor, ceiling (Hz)
jitter_local = praat.call(pulses, "Get jitter (local)", 0.0, 0.0, 0.0001, 0.02, 1.3)  # whole clip; periods 0.1-20 ms
shimmer_local = praat.call([snd, pulses], "Get shimmer (local)", 0.0, 0.0, 0.0001, 0.02, 1.3, 1.6)
harmonicity_cc = praat.call(snd, "To Harmonicity (cc)", 0.01, 75.0, 0.1, 1.0)  # step, floor, silence, periods
harmonicity_ac = praat.call(snd, "To Harmonicity (ac)", 0.03, 75.0, 0.1, 4.5)
voice_now = pd.Series({
    "glottal pulses": praat.call(pulses, "Get number of points"),
    "jitter (local, %)": 100 * jitter_local,
    "shimmer (local, %)": 100 * shimmer_local,
    "HNR (cc, 1 period, dB)": praat.call(harmonicity_cc, "Get mean", 0.0, 0.0),
    "HNR (ac, 4.5 periods, dB)": praat.call(harmonicity_ac, "Get mean", 0.0, 0.0),
})
if synthetic:
    voice_now = pd.DataFrame({"measured": voice_now, "true": [np.nan, example.get("jitter_pct"), example.get("shimmer_pct"),
                                                             example.get("hnr_db"), example.get("hnr_db")]}, index=voice_now.index)
display(voice_now.round(2))

# %% [markdown]
# The measured jitter and shimmer are well above the generator's values: intonation and
# the recording add to the cycle-to-cycle variation (the checks at the end show how much).
# For HNR, Praat offers a cross-correlation method (`cc`, one period per window by default,
# the finer time resolution) and an autocorrelation method (`ac`), for which its manual
# calls 4.5 periods per window "best for speech". The engine uses `ac` with 4.5 periods, a
# floor fitted to the voice, and averages over voiced frames only. On the synthetic corpus
# no variant follows the true HNR closely (see the checks at the end).
#
# **Formants** are the resonances of the vocal tract: the dark bands of a wide-band
# spectrogram. Praat's Burg method (`To Formant (burg)`) looks for five below 5.5 kHz
# (Praat's advice for women and children; 5 kHz for men). Their spacing gives an apparent
# **vocal-tract length** L: a tube closed at the glottis resonates at odd multiples of
# c / 4L (c = 35,000 cm/s), so a least-squares fit of F1–F3 gives L. Longer tracts (men,
# and older adults) have lower formants.

# %%
formant = praat.call(snd, "To Formant (burg)", 0.02, 5.0, 5500.0, 0.025, 50.0)  # step, n formants, ceiling, window, pre-emphasis
f_times = np.asarray(formant.xs())
F = np.array([[formant.get_value_at_time(formant_number=i, time=t) for i in (1, 2, 3)] for t in f_times])
F[~np.isfinite(track.at(f_times))] = np.nan  # keep voiced frames only
F_median = np.nanmedian(F, axis=0)
k = np.array([1, 3, 5]) / 4  # F_i = (2i - 1) c / 4L
vtl_cm = 35000.0 / (np.sum(F_median * k) / np.sum(k * k))
print(f"median F1-F3 {np.round(F_median)} Hz -> vocal-tract length {vtl_cm:.1f} cm"
      + (f" (true {example.get('vtl_cm'):.1f} cm)" if synthetic else ""))

S_wide = librosa.amplitude_to_db(np.abs(librosa.stft(y=y, n_fft=512, hop_length=160)), ref=np.max)
fig, ax = plt.subplots(figsize=(8, 3))
librosa.display.specshow(S_wide, sr=sr, hop_length=160, x_axis="s", y_axis="linear", cmap="magma", vmin=-60, ax=ax)
for i in range(3):
    ax.plot(f_times, F[:, i], ".", ms=3, color=f"C{i}", label=f"F{i + 1}")
ax.set_ylim(0, 5000)
ax.set_title("formants F1-F3 (Burg) on voiced frames")
ax.legend(loc="upper right", fontsize=7, markerscale=3)
plt.show()

# %% [markdown]
# **Vocal tremor** is a slower shake: f0 wobbles 4–7 times a second, by a few tenths of a
# percent in young voices and by several percent in many voices past sixty. In running
# speech the voiced stretches are rarely longer than half a second, too short for a filter
# or an FFT to resolve 4–8 Hz. The idea, on the longest voiced stretch of the Praat track:
# take f0 in semitones, remove the intonation with a smooth (quadratic) trend, and what is
# left is jitter plus any tremor.

# %%
edges = np.flatnonzero(np.diff(np.r_[0, track.voiced.astype(int), 0]))
starts, stops = edges[::2], edges[1::2]
a, b = starts[np.argmax(stops - starts)], stops[np.argmax(stops - starts)]
t_run = track.times_s[a:b] - track.times_s[a:b].mean()
st_run = 12 * np.log2(track.f0_hz[a:b])
trend = np.polyval(np.polyfit(t_run, st_run, deg=2), t_run)
fig, axes = plt.subplots(1, 2, figsize=(9, 2.8))
axes[0].plot(t_run, st_run, label="f0 (semitones re 1 Hz)")
axes[0].plot(t_run, trend, ls="--", label="quadratic trend (intonation)")
axes[0].set(xlabel="time in the stretch (s)", title=f"longest voiced stretch: {(b - a) * track.hop_s:.2f} s")
axes[0].legend(fontsize=7)
axes[1].plot(t_run, st_run - trend, color="C2")
axes[1].set(xlabel="time in the stretch (s)", ylabel="semitones", title="what is left: jitter and tremor")
plt.show()

# %% [markdown]
# The full measure is too long for a cell: `f0_tremor` fits sinusoids of 2–15 Hz to the
# detrended f0 of every voiced stretch of at least 0.25 s (least squares, so short
# stretches work), and reports the **tremor depth** (the fitted amplitude over 4–8 Hz in %
# of f0, MDVP's FTRI idea), the **tremor rate** (the 3–9 Hz frequency that explains most
# of the wobble) and the **band ratio** (the share of the wobble's energy at 4–7 Hz).
# Intonation and jitter leave a floor of a few tenths of a percent, so the rate means
# something only in clearly tremulous voices; clips with less than 0.5 s in long enough
# voiced stretches get NaN.
#
# `voice_features` computes the whole voice family of one clip: the Praat calls above
# (pulses guided by the pitch track it is given, HNR and formants over voiced frames) and
# the tremor measures.

# %%
print(f0_tremor(track.times_s, np.where(track.voiced, track.f0_hz, np.nan)))
voice = pd.Series(voice_features(y, sr, track=track, sound=snd)).round(2)
if synthetic:
    voice = pd.DataFrame({"measured": voice, "true": pd.Series(
        {"jitter_local_pct": example.get("jitter_pct"), "shimmer_local_pct": example.get("shimmer_pct"),
         "hnr_db": example.get("hnr_db"), "vtl_cm": example.get("vtl_cm"),
         "tremor_depth_pct": example.get("tremor_depth_pct"), "tremor_rate_hz": example.get("tremor_rate_hz")})})
display(voice)

# %% [markdown]
# ## 5 · Rhythm: voicing, pauses and syllable nuclei
#
# Praat's intensity contour (`Sound.to_intensity`, a 64 ms Gaussian window at a 50 Hz
# floor) rises once per syllable. Following de Jong & Wempe (2009) a **syllable nucleus**
# is an intensity peak that stands at least 2 dB above the dip before it
# (`scipy.signal.find_peaks` with `prominence`), lies above a quiet threshold (a third of
# the way from the noise floor to the speech level) and is voiced.

# %%
intensity = snd.to_intensity(minimum_pitch=50.0, time_step=0.01, subtract_mean=False)
int_times, int_db = intensity.xs(), intensity.values[0]
voiced_at_int = np.isfinite(track.at(int_times))
floor_db, speech_db = np.percentile(int_db, [10, 95])
quiet_db = floor_db + 0.35 * (speech_db - floor_db)
peaks, _ = scipy.signal.find_peaks(int_db, height=quiet_db, prominence=2.0, distance=6)  # >= 60 ms apart
nuclei = int_times[peaks[voiced_at_int[peaks]]]

fig, ax = plt.subplots(figsize=(9, 3.0))
ax.plot(int_times, int_db, color="0.3", lw=1.0, label="intensity")
ax.plot(int_times, np.where(voiced_at_int, int_db, np.nan), color="C0", lw=2.0, label="voiced")
ax.axhline(quiet_db, color="C7", ls=":", label="quiet threshold")
ax.plot(nuclei, np.interp(nuclei, int_times, int_db), "v", color="C3", ms=7, label=f"{len(nuclei)} syllable nuclei")
ax.set(xlabel="time (s)", ylabel="intensity (dB)", title="intensity, voicing and syllable nuclei")
ax.legend(loc="lower right", fontsize=7)
plt.show()

# %% [markdown]
# The **articulation rate** divides the number of nuclei by the time spent speaking
# (pauses excluded); the **pause ratio** is the share of the speech span (first to last
# voiced frame) spent in pauses, stretches unvoiced and quiet for at least 0.12 s; the
# **voiced fraction** the share of the span that is voiced. `rhythm_features` computes the
# family from the same intensity contour and voicing (its nucleus count is the one above).

# %%
rhythm = pd.Series(rhythm_features(int_times, int_db, voiced_at_int)).round(2)
if synthetic:
    rhythm = pd.DataFrame({"measured": rhythm, "true": pd.Series(
        {"n_nuclei": example.get("n_syllables"), "articulation_rate_sps": example.get("speaking_rate_sps"),
         "pause_ratio": example.get("pause_ratio"), "voiced_fraction": example.get("voiced_fraction")})})
display(rhythm)

# %% [markdown]
# ## 6 · eGeMAPS: the standard set, switchable
#
# A **functional** is one statistic of a feature over the clip's frames (a mean, a
# percentile, a slope); openSMILE's names say how it was made: `F0semitoneFrom27.5Hz` is f0
# in semitones, `sma3` smoothed over 3 frames, `nz` over voiced (non-zero) frames only,
# `amean` the arithmetic mean. The extended Geneva Minimalistic Acoustic Parameter Set is 88 functionals the
# paralinguistics community agreed on (pitch, loudness, jitter, shimmer, HNR, formants,
# spectral slope, rhythm), computed by openSMILE's reference implementation. It is one
# family the engine can switch on (`families="all"`); it is off by default because it
# about doubles the cost.

# %%
smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
egemaps = smile.process_signal(y, sr)  # one row (the whole clip), one column per functional
print(f"{egemaps.shape[1]} eGeMAPS functionals, e.g.")
display(egemaps.iloc[0, [0, 3, 10, 24, 40, 70]].rename("value").round(3))

# %% [markdown]
# ## One row per clip: `compute_features`
#
# `compute_features(y, sr, families, params)` computes the chosen families of one clip in
# one call: the Praat Sound and the pitch track are made once and shared, and a family that
# fails is recorded as an error while the others are still computed. `FeatureParams` holds
# every knob (sample rate, tracker, pitch range, number of MFCCs, formant ceiling); column
# names get the family's prefix.

# %%
# NBVAL_CHECK_OUTPUT
print("families:", {f: FAMILY_PREFIX[f] for f in FAMILY_SETS["all"]})
print("sets:", {k: list(v) for k, v in FAMILY_SETS.items()})

# %%
row, errors = compute_features(y, sr, families="all", params=FeatureParams(sr=sr, pitch_method=pitch_method))
print(f"{len(row)} features, errors: {errors or 'none'}")
print({f: sum(c.startswith(p) for c in row) for f, p in FAMILY_PREFIX.items()})

# %% [markdown]
# ## The whole data set: the extraction engine
#
# `extract_features` streams every file through worker processes (`n_jobs`; with
# `backend="dask"` the same work goes to a Dask cluster, for data that outgrows one
# machine). Each worker loads a file at `sr` Hz, cleans it with the chosen preset, checks
# it (too short, silent) and calls `compute_features`. Results land in a Parquet cache keyed
# by the file's content, the parameters and the feature-code version: run the cell again
# and nothing is recomputed; add files and only they are; kill the run and it resumes.
# A file that fails is recorded in the error table with the stage and the reason.
# (If an earlier run already filled the cache, as in the committed outputs, the first call
# reads everything from it too; on a fresh machine it computes every clip.) The engine
# extracts the notebook's `families` parameter: `"full"` by default, which leaves out the
# `"all"` set's eGeMAPS family used in the one-clip row above, hence fewer columns.
# `mel_images=True` computes the mel "images" of the last section in the same pass, while
# each file is decoded and cleaned anyway (a separate pass would decode and clean every file
# again: about a fifth of the extraction's time on real recordings with `gentle` cleaning).

# %%
result = extract_features(ds, families=families, cleaning=choice, pitch_method=pitch_method, sr=sr,
                          n_jobs=n_jobs, backend=backend, scheduler=scheduler, cache_dir=cache_dir,
                          mel_images=write_mel_images)
print(result.summary())

# %%
again = extract_features(ds, families=families, cleaning=choice, pitch_method=pitch_method, sr=sr,
                         n_jobs=n_jobs, backend=backend, scheduler=scheduler, cache_dir=cache_dir, progress=False)
print("second run:", again.stats.summary())

# %%
print(f"{len(result.errors)} problem(s) recorded")
display(result.errors.head(10))

# %% [markdown]
# ## Do the features measure what they claim?
#
# Each dot is a clip: the measured feature against the latent value the generator used
# (the dashed line is measured = true). Colours are the clip's added noise. Read the
# panels as a learner's warning label:
#
# - **f0** lies on the diagonal except where babble (other voices) or hum is mixed in;
# - **HNR** follows the truth only loosely even on clean clips, and the recording's own
#   noise caps it (the measured HNR cannot exceed the SNR);
# - **jitter** and **shimmer** are inflated by intonation, tremor and noise: they rank
#   voices only roughly;
# - **tremor depth** follows the truth closely in value (Pearson r about 0.9) and less in
#   rank (Spearman rho about 0.75), because it is compressed: intonation and
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
# The table gives, on all clips and on clean ones (SNR of at least 15 dB), **Pearson's r**
# (how well a straight line through the pairs fits, from -1 to 1), **Spearman's rho** (the
# same on ranks: does a larger truth give a larger measurement?) and the **bias** (mean of
# measured minus true, in the feature's unit).

# %%
if synthetic:
    table = truth_table(result.features, ds.manifest)
    display(pd.concat({"all clips": truth_correlations(table).set_index("feature")[["latent", "n", "pearson_r", "spearman_rho", "bias"]],
                       "SNR >= 15 dB": truth_correlations(table, min_snr_db=15).set_index("feature")[["n", "pearson_r"]]},
                      axis=1))
    pairs = {latent: feature for latent, feature in TRUTH_PAIRS.items() if feature in table}
    fig, axes = plt.subplots(4, 3, figsize=(9.6, 10.8))
    for i, (ax, (latent, feature)) in enumerate(zip(axes.flat, pairs.items())):
        sns.scatterplot(data=table, x=f"true_{latent}", y=feature, hue="noise_type", hue_order=sorted(table["noise_type"].unique()),
                        s=10, alpha=0.7, linewidth=0, legend="auto" if i == 0 else False, ax=ax)
        ax.axline((table[f"true_{latent}"].mean(),) * 2, slope=1, color="0.5", lw=0.8, ls="--")
        ax.set(title=f"{feature}\nr = {table[f'true_{latent}'].corr(table[feature]):.2f}", xlabel=f"true {latent}", ylabel="measured")
    for ax in axes.flat[len(pairs):]:
        ax.set_visible(False)
    plt.show()
else:
    print("no latent truth in real recordings: these checks run on the synthetic corpus")

# %% [markdown]
# ## Fixed-length mel "images" for the EDA notebook
#
# Section 4.3 of the original analysis turned each clip into a fixed-size picture: 3 s
# (longer clips cut, shorter ones padded with silence), a 128-band mel spectrogram in dB.
# The feature pass above already computed them into the cache, so `extract_mel_images`
# only gathers them and writes them for the whole data set as one float32 array
# `(clips, 128 bands, 94 frames)` in `mel_images.npy`, which later notebooks open
# memory-mapped (read only what they need), with an index table of paths and labels.

# %%
if write_mel_images:
    mel = extract_mel_images(ds, out_dir, cleaning=choice, sr=sr, n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                             cache_dir=cache_dir)
    images = mel.load()
    print(f"{mel.path.name}: {mel.shape} float32, {mel.path.stat().st_size / 1e6:.1f} MB; {len(mel.errors)} file(s) left out")
    show = mel.index.drop_duplicates(subset="speaker").head(4)
    fig, axes = plt.subplots(1, 4, figsize=(12, 2.4))
    for ax, r in zip(axes, show.itertuples()):
        librosa.display.specshow(images[r.row], sr=sr, hop_length=512, x_axis="s", y_axis="mel", cmap="magma",
                                 vmin=-60.0, vmax=float(images[show["row"].to_numpy()].max()), ax=ax)
        ax.set(title=f"{r.speaker} · {r.gender} · {r.age_group}", xlabel="time (s)", ylabel="Hz (mel)")
    plt.show()

# %% [markdown]
# ## In this notebook we…
#
# - computed the original analysis's features with current librosa (`onset.onset_detect`,
#   `feature.tempo`, a 128-band `feature.melspectrogram`, keyword arguments, a speech-range
#   pitch tracker) so its results can be reproduced;
# - tracked f0 with Praat (`Sound.to_pitch`) and pYIN (`librosa.pyin`), compared both
#   against the true f0 of every frame and chose Praat (well within the 5 % gross-error
#   limit, about five times cheaper than pYIN);
# - added the features that carry age and voice quality: MFCCs and their deltas, spectral
#   shape (librosa), jitter, shimmer, HNR, formants and vocal-tract length (Praat through
#   `parselmouth.praat.call`), vocal tremor, voicing, pauses and speaking rate from syllable
#   nuclei, and eGeMAPS (`opensmile.Smile`) as a switchable family;
# - checked each voice measure against the synthetic truth: which ones measure what they
#   claim, and where noise breaks them;
# - ran `compute_features` on one clip and the extraction engine (`extract_features`) over
#   the whole data set: parallel, cached, resumable, recording failures instead of stopping.
#
# **Written for later notebooks** (in the run's output folder): `features.parquet` (one
# row per clip: `path`, `speaker`, `age_group`, `age_years`, `gender`, `audio_duration_s`, then the features
# prefixed `orig_`, `spec_`, `voice_`, `rhythm_` and, if switched on, `egemaps_`),
# `feature_errors.csv` (`path`, `stage`, `error`), `features_spec.json` (families,
# parameters, cleaning, code version) and `mel_images.npy` + `mel_images_index.parquet`.
# Notebook 04 reads them with `workbook.feature_table.load_feature_table` and
# `load_mel_images`.

# %%
paths = write_outputs(result, out_dir)
for name, path in paths.items():
    print(f"wrote {path.name}")
print(f"feature table: {len(result.features)} clips x {len(result.feature_columns())} features")

# %% [markdown]
# ## Exercises
#
# Predict first, then check. Worked solutions: `notebooks/solutions/03_features_solutions.ipynb`.
#
# 1. **Extend a feature.** Add the mean of `librosa.feature.spectral_flatness` per clip.
#    Should it rise or fall with age within a gender, and why might the microphone blur it?
#    Measure the Spearman correlation with `age_years` per gender.
# 2. **Change a parameter and predict.** Run `librosa.pyin` with `fmin=180` instead of 60 on
#    men's and women's clips. What happens to the median f0 and the share of voiced frames?
