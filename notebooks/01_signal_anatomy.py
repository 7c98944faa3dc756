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
# # 01 · The anatomy of a voice recording
#
# Before we predict anything from a voice, we look at what a recording *is*. In this
# notebook you will learn to read five views of the same sound, each answering a
# different question:
#
# | view | question it answers |
# |---|---|
# | **waveform** | how loud is it, when is someone speaking? |
# | **62.5 ms zoom** | what does one period of the voice look like, and what is f0? |
# | **spectrum (FFT)** | which frequencies are present, and why are they evenly spaced (harmonics)? |
# | **STFT spectrogram** | how do the frequencies change over time, and what does `n_fft` trade away? |
# | **mel spectrogram, MFCC** | how do we compress a spectrogram the way the ear does, and what do MFCCs keep? |
#
# Along the way: sample rate and the Nyquist frequency, the time–frequency trade-off,
# and, going further, a young and an old voice of each gender side by side with their
# f0 and harmonics marked.
#
# **Needs:** nothing from earlier notebooks. The data set is loaded (and the synthetic
# corpus generated, if missing) below. Every computation is a library call in the cell
# where it is taught (NumPy's FFT, librosa's STFT, mel, MFCC and pYIN); `helpers` only
# reads the audio (`helpers.audio`), picks example clips (`helpers.examples`), plays them
# (`helpers.players`), draws the figures that later notebooks reuse (`helpers.plots`) and
# builds the interactive explorer (`helpers.widgets`).

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
n_fft = 1024
hop_length = 256
n_mels = 64
n_mfcc = 13

# %%
import platform

import ipywidgets
import librosa
import librosa.display
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy
import scipy.fft
import soundfile as sf
from IPython.display import display

from helpers.audio import audio_info, load_audio
from helpers.examples import pick_age_contrast, pick_example_clips
from helpers.players import audio_players
from helpers.plots import (
    plot_spectrogram,
    plot_spectrum,
    plot_stft,
    plot_stft_grid,
    plot_waveform,
    plot_waveform_zoom,
    use_workbook_style,
)
from helpers.widgets import signal_explorer
from workbook.datasets import load_dataset
from workbook.paths import run_output_dir
from workbook.sources import display_load_report

use_workbook_style(dpi=72)
pd.set_option("display.precision", 1)
print(f"python {platform.python_version()} | numpy {np.__version__} | scipy {scipy.__version__} | "
      f"pandas {pd.__version__}")
print(f"librosa {librosa.__version__} | matplotlib {matplotlib.__version__} | "
      f"soundfile {sf.__version__} (libsndfile {sf.__libsndfile_version__}) | ipywidgets {ipywidgets.__version__}")

# %% [markdown]
# ## The data set
#
# `load_dataset` returns the manifest (one row per recording, with `path`, `speaker`,
# `age_group`, `age_years`, `gender`) and a load report that accounts for every row:
# what was kept, what was dropped and why.
#
# The default data set is a **synthetic** voice corpus: voices generated from the
# age and gender trends of the voice-science literature, recorded through simulated
# channels and noises. It makes the workbook run offline and lets us compare estimates
# with the *true* values (the corpus knows each clip's f0). Conclusions about real
# voices need real recordings (`dataset="commonvoice"`).

# %%
ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker,
                  seed=seed, n_jobs=n_jobs, **dataset_params)
display_load_report(ds)

# %% [markdown]
# ## Four example clips
#
# The synthetic corpus comes with four named examples chosen to show what real
# recordings suffer from: long silences, a button click in the silence, non-stationary
# noise (bursts) and tonal noise (mains hum). A real data set has no named examples;
# then `pick_example_clips` takes the first clip of each of the first speakers.
# Listen before you look.

# %%
examples = pick_example_clips(ds)
columns = [c for c in ("label", "gender", "age_years", "age_group", "noise_type", "snr_db", "n_clicks")
           if c in examples]
examples["file"] = [f"{info['format']} {info['sr_hz']} Hz, {info['duration_s']:.1f} s"
                    for info in map(audio_info, examples["path"])]
display(examples[columns + ["file"]])
clips = {row.label: load_audio(row.path, sr=sr)[0] for row in examples.itertuples()}
audio_players(clips, sr)

# %% [markdown]
# ## Samples, sample rate and the Nyquist frequency
#
# A digital recording is a list of numbers, the **samples**: the air pressure at the
# microphone, measured `sr` times per second. Files arrive in several formats and at
# several rates (the table counts them, from the file headers of up to 300 clips spread
# over the data set); `load_audio` decodes them all to mono and resamples to one rate, `sr`. A sampled signal can only
# represent frequencies up to half the sample rate, the **Nyquist frequency**: at
# 16 kHz, 8 kHz. That is enough for speech (its information lies mostly below 4–5 kHz;
# telephones pass only 300–3400 Hz) and halves the data compared to 32 kHz.

# %%
paths = ds.manifest["path"]
sampled = paths.iloc[np.unique(np.linspace(0, len(paths) - 1, num=min(300, len(paths))).round().astype(int))]
headers = pd.DataFrame([audio_info(p) for p in sampled])
headers.value_counts(subset=["format", "sr_hz", "channels"]).rename("files").reset_index()

# %%
# NBVAL_CHECK_OUTPUT
print(f"sample rate sr = {sr} Hz: one sample every {1000 / sr:.4f} ms")
print(f"Nyquist frequency sr / 2 = {sr / 2:.0f} Hz: the highest frequency we can represent")
print(f"a 62.5 ms window holds {round(0.0625 * sr)} samples")

# %% [markdown]
# We follow the first example through every view.

# %%
name = examples["label"].iloc[0]
y = clips[name]
print(f"{name}: {len(y)} samples at {sr} Hz = {len(y) / sr:.2f} s; "
      f"peak |amplitude| {np.max(np.abs(y)):.2f} of full scale 1.0")

# %% [markdown]
# ## The waveform
#
# Amplitude against time. Samples lie between -1.0 and +1.0, the **full scale** of the
# file (the largest value it can store). Silence is a flat line, each burst is a syllable
# or a word, and loudness (the envelope) rises and falls with them. The shaded window is the
# loudest 62.5 ms of the clip (the largest sum of squared samples over any 62.5 ms),
# which we zoom into next: in speech the loudest stretch is almost always a vowel.

# %%
n_zoom = round(0.0625 * sr)  # samples in 62.5 ms
window_energy = np.convolve(y.astype(np.float64) ** 2, np.ones(n_zoom), mode="valid")  # one sum per start
zoom_start = np.argmax(window_energy) / sr
ax = plot_waveform(y, sr, highlight_s=(zoom_start, zoom_start + 0.0625), title=f"{name}: waveform")

# %% [markdown]
# ## A 62.5 ms zoom: periods and f0
#
# Zoomed in, a vowel is **periodic**: the same shape repeats, once per opening and
# closing of the vocal folds. The duration of one repetition is the **period** `T`; its
# inverse is the **fundamental frequency** `f0 = 1 / T` that we hear as pitch. Dots are
# the individual samples. The dotted lines are placed one period apart, using the f0
# that pYIN estimates for this stretch; they should fall on matching points of each cycle.
#
# `librosa.pyin` (probabilistic YIN) works on **frames**: short overlapping slices of
# `frame_length` samples, each analysed on its own, one every `hop_length` samples (16 ms).
# In each frame it looks for the lag at which the signal best repeats itself, within the f0 range we allow: 60–500 Hz
# covers speech from low male to high female voices. It returns one f0 per frame (NaN
# where it judges the frame unvoiced), the voiced flags and the voicing probability. Only
# part of the frames are voiced: the clip holds silences and consonants (noise, no period).

# %%
f0, voiced, voiced_prob = librosa.pyin(
    y=y, sr=sr,
    fmin=60.0, fmax=500.0,   # the speech range in Hz
    frame_length=2048,       # 128 ms at 16 kHz: several periods of even a 60 Hz voice
    hop_length=hop_length,   # one f0 every 16 ms, on the same frames as the STFT below
)
times = librosa.times_like(X=f0, sr=sr, hop_length=hop_length)  # frame centres in s
in_zoom = (times >= zoom_start) & (times <= zoom_start + 0.0625)
f0_here = np.nanmedian(f0[in_zoom])  # the local f0: intonation moves f0 over the clip
print(f"pYIN: {voiced.mean():.0%} of frames voiced; median f0 over the clip {np.nanmedian(f0):.1f} Hz, "
      f"in the zoom window {f0_here:.1f} Hz (period {1000 / f0_here:.2f} ms)")
if "f0_hz" in examples:
    print(f"true median f0 of this synthetic clip: {examples['f0_hz'].iloc[0]:.1f} Hz")
ax = plot_waveform_zoom(y, sr, start_s=zoom_start, f0_hz=f0_here, title=f"{name}: 62.5 ms of a vowel")

# %% [markdown]
# ## The spectrum: harmonics
#
# The Fourier transform (FFT) says how much of each frequency a signal contains. A
# periodic signal with period `T` contains only multiples of `f0 = 1/T`: the
# **harmonics** `f0, 2·f0, 3·f0, …`, which the dotted lines mark. Their heights are
# shaped by the vocal tract: the broad humps are the **formants** that make one vowel
# sound different from another. The frequency axis is logarithmic, like pitch
# perception: each octave (doubling) gets the same width.
#
# `np.fft.rfft` gives one complex amplitude per frequency from 0 Hz to `sr / 2`, in
# steps of `sr / len(x)` Hz (`np.fft.rfftfreq` lists them). Before the FFT we taper
# the stretch with a Hann window, so that cutting it out does not add false frequencies.
# Levels are in **decibels**: 20 log10 of an amplitude ratio, so -20 dB is a tenth of the
# reference amplitude and -40 dB a hundredth; **dBFS** takes full scale as the reference: `2 |X| / sum(window)` is the amplitude of each sine, so a
# full-scale sine shows 0 dB, and `librosa.amplitude_to_db` takes `20 log10` of it.
#
# Left: the 62.5 ms window alone, a clean comb of harmonics. Right: the whole clip in
# one FFT (its level is lower: the energy is spread over seconds, silences included).
# Its harmonics smear out, because f0 moves during speech (intonation): one spectrum
# for a whole clip hides *when* things happen. That is why we need the spectrogram.

# %%
i_zoom = round(zoom_start * sr)
segment = y[i_zoom: i_zoom + n_zoom]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.2))
for ax, (title, x) in zip(axes, {"62.5 ms window": segment, "whole clip": y}.items()):
    window = np.hanning(len(x))
    X = np.fft.rfft(x * window)
    freqs = np.fft.rfftfreq(len(x), d=1 / sr)
    mag_db = librosa.amplitude_to_db(S=2 * np.abs(X) / window.sum(), ref=1.0, top_db=None)
    plot_spectrum(freqs, mag_db, f0_hz=f0_here, n_harmonics=12, ax=ax, title=title)

# %% [markdown]
# ## The STFT spectrogram
#
# The short-time Fourier transform cuts the signal into overlapping frames of `n_fft`
# samples (one every `hop_length` samples), takes the spectrum of each and stacks them:
# time runs left to right, frequency bottom to top, colour is level in dBFS (0 dB would
# be a full-scale sine). Voiced speech shows as stacks of horizontal harmonic lines;
# consonants as broadband noise; silences as the dark noise floor.
#
# `librosa.stft` returns complex amplitudes, `(1 + n_fft / 2)` bins by frames (Hann
# window, frames centred on `t = frame · hop_length / sr`). `librosa.amplitude_to_db`
# turns magnitudes into dB relative to `ref`: a Hann window of `n_fft` samples sums to
# `n_fft / 2` and a sine's amplitude splits between +f and −f, so a full-scale sine
# peaks at `n_fft / 4`, and `ref=n_fft / 4` puts it at 0 dBFS. `librosa.display.specshow`
# draws the matrix with time and frequency axes.

# %%
S = np.abs(librosa.stft(y=y, n_fft=n_fft, hop_length=hop_length, window="hann"))
S_db = librosa.amplitude_to_db(S=S, ref=n_fft / 4, top_db=100.0)
print(f"STFT: {S_db.shape[0]} frequency bins x {S_db.shape[1]} frames "
      f"(n_fft = {n_fft} samples = {1000 * n_fft / sr:.0f} ms, hop = {1000 * hop_length / sr:.0f} ms)")
fig, ax = plt.subplots(figsize=(8, 3))
mesh = librosa.display.specshow(data=S_db, sr=sr, n_fft=n_fft, hop_length=hop_length, x_axis="s", y_axis="hz",
                                vmin=S_db.max() - 80, vmax=S_db.max(), ax=ax)
fig.colorbar(mesh, ax=ax, label="level (dBFS)")
ax.set(title=f"{name}: STFT", xlabel="time (s)", ylabel="frequency (Hz)")
ax.grid(False)

# %% [markdown]
# ### The time–frequency trade-off
#
# One frame of `n_fft` samples lasts `n_fft / sr` seconds and has frequency bins
# `sr / n_fft` Hz apart. You cannot have both: short frames locate events in time
# but blur frequency; long frames separate the harmonics but smear onsets and
# pitch changes. From here on `plot_stft` (in `helpers.plots`, used by the later
# notebooks too) makes the same two calls and draws the result in one line.

# %%
# NBVAL_CHECK_OUTPUT
for size in (256, 1024, 4096):
    print(f"n_fft = {size:4d}: frame {1000 * size / sr:6.1f} ms, bins {sr / size:5.1f} Hz apart")

# %%
start = max(0.0, zoom_start - 0.6)
excerpt = y[round(start * sr): round((start + 1.4) * sr)]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), sharey=True)
for ax, size in zip(axes, (256, 1024, 4096)):
    plot_stft(excerpt, sr, n_fft=size, hop_length=64, fmax_hz=4000, ax=ax, colorbar=False,
              title=f"n_fft = {size} ({1000 * size / sr:.0f} ms)")
for ax in axes[1:]:
    ax.set_ylabel("")

# %% [markdown]
# (A finer hop of 64 samples only makes these panels smoother.) With 16 ms frames (left)
# every glottal pulse (one closing of the vocal folds) is a vertical line, but harmonics merge;
# with 256 ms frames (right) harmonics are sharp lines, but they blur wherever f0 moves.
# 64 ms (middle, our default) is a common compromise for speech at 16 kHz.
#
# ## Mel spectrogram: why mel
#
# Above about 1 kHz we hear pitch roughly logarithmically: 1000 → 2000 Hz sounds as far
# as 2000 → 4000 Hz. The **mel scale** models that: nearly linear below 1 kHz, logarithmic
# above (the filter plot shows it). A mel spectrogram pools the STFT bins through
# triangular filters that are narrow at low frequencies and wide at high ones, so 513
# bins become `n_mels` bands with detail where the voice's f0 and first formants live.
# `librosa.filters.mel` builds the filters (left, each scaled to peak 1);
# `librosa.feature.melspectrogram` applies them (area-normalised) to the STFT power
# `|STFT|²`, and `librosa.power_to_db` with `ref=np.max` gives dB relative to the
# loudest cell (10 log10 this time: power is amplitude squared, so the same dB result).

# %%
mel_filters = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, norm=None)  # (n_mels, 1 + n_fft / 2)
M = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)  # power
M_db = librosa.power_to_db(S=M, ref=np.max, top_db=80.0)
print(f"mel spectrogram: {S.shape[0]} STFT bins -> {M.shape[0]} mel bands x {M.shape[1]} frames")
fig, axes = plt.subplots(1, 2, figsize=(13, 3.2), gridspec_kw={"width_ratios": [1, 1.4]})
axes[0].plot(librosa.fft_frequencies(sr=sr, n_fft=n_fft), mel_filters.T, lw=0.8)
axes[0].set(xlim=(0, sr / 2), ylim=(0, 1.05), xlabel="frequency (Hz)", ylabel="filter weight",
            title=f"{n_mels} mel filters (n_fft = {n_fft})")
plot_spectrogram(M_db, sr, kind="mel", n_fft=n_fft, hop_length=hop_length, ax=axes[1],
                 title=f"{name}: mel spectrogram ({n_mels} bands)");

# %% [markdown]
# ## MFCCs: what they summarise
#
# Mel-frequency cepstral coefficients take the log-mel spectrum of each frame and
# describe its *shape* with a cosine series (a DCT). Coefficient 0 follows overall
# loudness; the next few describe the smooth envelope (spectral tilt, formants), that is
# the vocal tract; fine detail such as the harmonic comb of the voice's pitch needs
# high coefficients and is dropped when we keep only the first `n_mfcc`. So 13 numbers
# per frame summarise *what* is being said and the shape of the vocal tract more than
# the pitch, one reason why pitch (f0) is measured separately in notebook 03.
#
# `librosa.feature.mfcc` computes the mel power as above, takes `power_to_db` (re 1.0)
# and the DCT (type II, orthonormal) of each frame. To see what the first `n_mfcc`
# coefficients keep, we undo the DCT with `scipy.fft.idct`, letting it fill the dropped
# coefficients with zeros (`n=n_mels`): the result is a smoothed log-mel spectrum.

# %%
C = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
log_mel_db = librosa.power_to_db(S=M, ref=1.0, top_db=80.0)  # the MFCCs' input: mel power in dB
envelope_db = scipy.fft.idct(C, type=2, n=n_mels, axis=0, norm="ortho")  # what n_mfcc coefficients keep
same = np.allclose(scipy.fft.dct(log_mel_db, type=2, axis=0, norm="ortho")[:n_mfcc], C, atol=1e-3)
print(f"MFCC matrix: {C.shape[0]} coefficients x {C.shape[1]} frames; "
      f"equal to the first {n_mfcc} DCT coefficients of the log-mel spectrum: {same}")
frame = round(zoom_start * sr / hop_length) + 2  # inside the zoom window
centres_hz = librosa.mel_frequencies(n_mels=n_mels + 2, fmax=sr / 2)[1:-1]  # mel-band centres
fig, axes = plt.subplots(1, 2, figsize=(13, 3.2), gridspec_kw={"width_ratios": [1.4, 1]})
plot_spectrogram(C, sr, kind="mfcc", n_fft=n_fft, hop_length=hop_length, ax=axes[0],
                 title=f"{name}: {n_mfcc} MFCCs (coefficient 0 clipped by the colour scale)")
axes[1].plot(centres_hz, log_mel_db[:, frame], ".-", lw=0.8, ms=3, label=f"log-mel spectrum ({n_mels} bands)")
axes[1].plot(centres_hz, envelope_db[:, frame], color="C3", lw=2.0, label=f"rebuilt from {n_mfcc} MFCCs")
axes[1].set(xscale="log", xlabel="mel-band centre frequency (Hz, log scale)", ylabel="mel-band power (dB)",
            title=f"one frame at {frame * hop_length / sr:.2f} s")
axes[1].legend(loc="lower left");

# %% [markdown]
# Right: one frame's log-mel spectrum (dots) and what its first 13 MFCCs keep (line):
# the smooth envelope survives, the ripple of individual harmonics does not.
#
# ## Explore
#
# The figure below shows one representation of each example clip, statically. The
# explorer beside it lets you change the clip, the representation and the frame
# settings (`n_fft`, `hop`, `n_mels`) and see the time–frequency trade-off for
# yourself. It needs a live kernel (run the notebook in JupyterLab); in a static view
# only its description shows.

# %%
fig, axes = plt.subplots((len(clips) + 1) // 2, 2, figsize=(9.2, 2.8 * ((len(clips) + 1) // 2)),
                         sharey=True, squeeze=False)
for ax, (label, clip) in zip(axes.flat, clips.items()):
    clip_mel = librosa.feature.melspectrogram(y=clip, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    plot_spectrogram(librosa.power_to_db(S=clip_mel, ref=np.max, top_db=80.0), sr, kind="mel", n_fft=n_fft,
                     hop_length=hop_length, ax=ax, title=label)
for ax in axes.flat[len(clips):]:
    ax.set_visible(False)
fig.suptitle("the four examples as mel spectrograms: spot the click, the bursts and the hum");

# %% [markdown]
# What to look for: the **click** is a thin vertical line through all bands in a pause;
# the **bursts** are broad blotches of noise; the **hum** is a steady line at the bottom
# (mains at 50 Hz and its multiples).

# %%
signal_explorer(clips, sr, representation="mel", n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)

# %% [markdown]
# ## Going further: young and old voices
#
# How does age show in a voice? We pick one young (twenties) and one old (seventies)
# speaker of each gender, from clean clips (no added noise, clicks or clipping) where
# the manifest says which are clean. The synthetic voices follow trends reported in the
# literature: male f0 falls at puberty and rises again in old age, female f0 drops
# around menopause; with age, jitter (cycle-to-cycle wobble of the period), shimmer
# (of the amplitude), breathiness (a lower harmonics-to-noise ratio) and tremor grow,
# and speech slows. Real voices vary far more from person to person, which is what
# makes age hard to predict.

# %%
voices_table = pick_age_contrast(ds)
if voices_table.attrs["missing_roles"]:
    print("no clip found for:", ", ".join(voices_table.attrs["missing_roles"]))
voices = {row.label: load_audio(row.path, sr=sr)[0] for row in voices_table.itertuples()}
tracks = {}  # label -> (frame times in s, f0 in Hz, voiced flags), with the same pYIN settings as above
for label, v in voices.items():
    f0_v, voiced_v, _ = librosa.pyin(y=v, sr=sr, fmin=60.0, fmax=500.0, frame_length=2048, hop_length=hop_length)
    tracks[label] = (librosa.times_like(X=f0_v, sr=sr, hop_length=hop_length), f0_v, voiced_v)
voices_table["pyin_f0_hz"] = [np.nanmedian(f) for _, f, _ in tracks.values()]
voices_table["voiced_pct"] = [100 * vo.mean() for _, _, vo in tracks.values()]
shown = [c for c in ("role", "speaker", "age_years", "age_group", "f0_hz", "pyin_f0_hz", "voiced_pct",
                     "jitter_pct", "shimmer_pct", "hnr_db", "tremor_depth_pct", "selection_note")
         if c in voices_table]
display(voices_table[shown].rename(columns={"f0_hz": "true_f0_hz"}))
audio_players(voices, sr)

# %% [markdown]
# `true_f0_hz` is the synthetic clip's real median f0 and `pyin_f0_hz` the pYIN
# estimate from the audio: they should agree within a few Hz. Below, the narrow-band
# spectrogram of each voice (long 128 ms frames give narrow frequency bins that resolve
# the harmonics, see the trade-off above) with the pYIN f0 track
# (solid) and its harmonics (dashed) laid on top; the dotted white line is the true
# median f0. All four panels share one colour scale.

# %%
true_f0 = dict(zip(voices, voices_table["f0_hz"])) if "f0_hz" in voices_table else None
fig = plot_stft_grid(voices, sr, n_fft=2048, hop_length=hop_length, fmax_hz=2000,
                     f0_tracks={label: (t, f) for label, (t, f, _) in tracks.items()},
                     true_f0_hz=true_f0, n_harmonics=5,
                     suptitle="f0 and harmonics: young vs old, female vs male")

# %% [markdown]
# Look for: the gap between harmonic lines (= f0) is wider for the female voices; the
# old voices' harmonics wobble (tremor, jitter) and are surrounded by more noise
# (breathiness), most visibly in the higher harmonics. pYIN may also mark a few frames
# of the *silences* as voiced near its 60 Hz floor: it locks onto low-frequency rumble
# of the recording chain. Voicing decisions in near-silence are unreliable; notebook 02
# trims silences before anything is measured.
#
# The same four voices, 62.5 ms each (the loudest stretch of each, found as above): count
# the periods.

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 4.4))
for ax, (label, v) in zip(axes.flat, voices.items()):
    t, f, _ = tracks[label]
    start_v = np.argmax(np.convolve(v.astype(np.float64) ** 2, np.ones(n_zoom), mode="valid")) / sr
    in_zoom_v = (t >= start_v) & (t <= start_v + 0.0625)
    plot_waveform_zoom(v, sr, start_s=start_v, f0_hz=np.nanmedian(f[in_zoom_v]), show_samples=False, ax=ax,
                       title=label)
for ax in axes.flat[len(voices):]:
    ax.set_visible(False)

# %% [markdown]
# ## In this notebook we…
#
# - listened to and looked at voice recordings as waveforms: samples taken `sr` times a
#   second, which can hold frequencies up to the Nyquist frequency `sr / 2`;
# - zoomed into 62.5 ms of a vowel to see its periods, and f0 = 1 / period, estimated
#   with `librosa.pyin`;
# - saw the harmonics k · f0 in the FFT spectrum (`np.fft.rfft`), and why one spectrum
#   of a whole clip is not enough;
# - read STFT spectrograms (`librosa.stft`, `librosa.amplitude_to_db`,
#   `librosa.display.specshow`), traded time against frequency resolution with `n_fft`,
#   and compressed them to mel bands (`librosa.feature.melspectrogram`) and MFCCs
#   (`librosa.feature.mfcc`, which keep the envelope, not the pitch);
# - compared young and old, female and male voices with their f0 and harmonics, and
#   checked the pYIN f0 estimate against the synthetic corpus's true f0.
#
# **Written for later notebooks:** the f0 check table below (`01_f0_check.csv` in the
# run's output folder: role, speaker, age, true and estimated f0). Nothing later depends
# on it; notebook 02 starts again from `load_dataset` and cleans the recordings.

# %%
out_dir = run_output_dir(dataset, output_dir)
check_path = out_dir / "01_f0_check.csv"
voices_table[shown].to_csv(check_path, index=False, float_format="%.4g")
print(f"wrote {check_path.name} ({len(voices_table)} rows) to {out_dir}")

# %% [markdown]
# ## Exercises
#
# Predict first, then change the code above and check. Worked solutions:
# `notebooks/solutions/01_signal_anatomy_solutions.ipynb`.
#
# 1. **Change a parameter and predict.** Set `n_fft` to 256 and then 4096. Before you run
#    it, write down the frame duration and the bin spacing in Hz at 16 kHz, and whether the
#    harmonics of a 120 Hz voice will show as separate lines. Then check in the STFT.
# 2. **Aliasing.** A 9 kHz tone is sampled at 16 kHz. At what frequency will its FFT peak
#    be? Build the tone with `np.sin` and find the peak of `np.fft.rfft`.
# 3. **What MFCCs keep.** Shift a clip up 4 semitones with `librosa.effects.pitch_shift`.
#    Predict how much its f0 (`librosa.pyin`) and its mean MFCCs change, compared with the
#    MFCCs of another speaker.
