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
# # 01 · Signal anatomy: worked solutions
#
# Try the exercises at the end of notebook 01 before reading these. Each solution states
# the prediction first, then measures it. The parameters are small so this runs in seconds.

# %% tags=["parameters"]
dataset = "synthetic"
data_dir = None
n_speakers = 24
clips_per_speaker = 3
seed = 0
n_jobs = 2

sr = 16000

# %%
import librosa
import numpy as np
import pandas as pd
import scipy.signal

from helpers.audio import load_audio

# %%
from workbook.datasets import load_dataset

ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed,
                  n_jobs=n_jobs)
manifest = ds.manifest
print(len(manifest), "clips of", manifest["speaker"].nunique(), "speakers")

# %% [markdown]
# ## 1. Change `n_fft` and predict the resolution
#
# Prediction: a frame of `n_fft` samples lasts `n_fft / sr` seconds and its bins are
# `sr / n_fft` Hz apart. At 16 kHz, `n_fft=256` gives 16 ms and 62.5 Hz (harmonics of a
# 120 Hz voice merge), `n_fft=4096` gives 256 ms and 3.9 Hz (harmonics separate, but
# syllables blur). Measured: the harmonic peaks below 1 kHz of a 120 Hz pulse train.

# %%
t = np.arange(sr) / sr
voice = sum(np.sin(2 * np.pi * 120 * k * t) / k for k in range(1, 9))
rows = []
for n_fft in (256, 1024, 4096):
    S = np.abs(librosa.stft(y=voice, n_fft=n_fft, hop_length=n_fft // 4)).mean(axis=1)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    peaks, _ = scipy.signal.find_peaks(S[freqs < 1000], prominence=S.max() * 0.05)
    rows.append({"n_fft": n_fft, "frame_ms": 1000 * n_fft / sr, "bin_hz": sr / n_fft,
                 "harmonics_resolved_below_1kHz": len(peaks)})
resolution = pd.DataFrame(rows)
resolution

# %%
assert resolution["harmonics_resolved_below_1kHz"].iloc[-1] >= 7  # 120 ... 960 Hz
assert resolution["harmonics_resolved_below_1kHz"].iloc[0] < resolution["harmonics_resolved_below_1kHz"].iloc[-1]

# %% [markdown]
# ## 2. Predict where a 9 kHz tone lands at 16 kHz
#
# Prediction: above Nyquist (8 kHz) a tone folds back to `sr - f` = 7 kHz.

# %%
tone = np.sin(2 * np.pi * 9000 * t)
spectrum = np.abs(np.fft.rfft(tone))
peak_hz = np.fft.rfftfreq(tone.size, d=1 / sr)[spectrum.argmax()]
print(f"a 9000 Hz tone sampled at {sr} Hz shows up at {peak_hz:.0f} Hz")
assert abs(peak_hz - 7000) < 2

# %% [markdown]
# ## 3. MFCCs keep the envelope, not the pitch
#
# Prediction: shifting a recording up 4 semitones raises its f0 by 2^(4/12) = 1.26x, but
# its mean MFCCs move less than they do between two different speakers.

# %%
first, other = manifest.groupby("speaker").head(1)["path"].iloc[:2]
y, _ = load_audio(first, sr=sr)
y_other, _ = load_audio(other, sr=sr)
shifted = librosa.effects.pitch_shift(y=y, sr=sr, n_steps=4)
f0 = {name: np.nanmedian(librosa.pyin(y=x, sr=sr, fmin=60, fmax=500)[0]) for name, x in
      (("original", y), ("shifted", shifted))}
mfcc = {name: librosa.feature.mfcc(y=x, sr=sr, n_mfcc=13)[1:].mean(axis=1) for name, x in
        (("original", y), ("shifted", shifted), ("other speaker", y_other))}
print(f"f0 ratio shifted/original: {f0['shifted'] / f0['original']:.2f} (predicted 1.26)")
print(f"MFCC distance to the shifted copy: {np.linalg.norm(mfcc['original'] - mfcc['shifted']):.1f}, "
      f"to another speaker: {np.linalg.norm(mfcc['original'] - mfcc['other speaker']):.1f}")
assert 1.15 < f0["shifted"] / f0["original"] < 1.4
