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
# # 03 · Features: worked solutions
#
# Try the exercises at the end of notebook 03 before reading these.

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
from IPython.display import display

from helpers.audio import load_audio

# %%
from workbook.datasets import load_dataset

ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed,
                  n_jobs=n_jobs)
manifest = ds.manifest
print(len(manifest), "clips of", manifest["speaker"].nunique(), "speakers")
clips = manifest.groupby("speaker").head(1).reset_index(drop=True)  # one clip per speaker
audio = [load_audio(path, sr=sr)[0] for path in clips["path"]]

# %% [markdown]
# ## 1. Extend a feature: spectral flatness
#
# Prediction: breathier, noisier voices have flatter spectra, and breathiness grows with
# age, so mean spectral flatness (`librosa.feature.spectral_flatness`) should rise with
# age within a gender; the speaker's microphone and noise floor blur it.

# %%
clips["spec_flatness_mean"] = [float(librosa.feature.spectral_flatness(y=y).mean()) for y in audio]
by_gender = clips.groupby("gender")[["age_years", "spec_flatness_mean"]].corr(method="spearman")
display(by_gender.xs("spec_flatness_mean", level=1)["age_years"].rename("Spearman rho with age").round(2))
assert clips["spec_flatness_mean"].between(0, 1).all()

# %% [markdown]
# ## 2. Set pYIN's `fmin` too high and predict what happens to men's f0
#
# Prediction: most adult men speak at 85-155 Hz. With `fmin=180`, pYIN cannot return their
# true f0: frames turn unvoiced or jump an octave up, so the median f0 rises and fewer
# frames count as voiced. Women (165-255 Hz) change less.

# %%
rows = []
for (_, clip), y in zip(clips.iterrows(), audio):
    row = {"gender": clip["gender"], "age_years": clip["age_years"]}
    for fmin in (60, 180):
        f0, voiced, _ = librosa.pyin(y=y, sr=sr, fmin=fmin, fmax=500)
        row[f"median_f0_fmin{fmin}"] = np.nanmedian(f0) if voiced.any() else np.nan
        row[f"voiced_share_fmin{fmin}"] = voiced.mean()
    rows.append(row)
pitch = pd.DataFrame(rows)
display(pitch.groupby("gender").median(numeric_only=True).round(2))
men = pitch[pitch["gender"] == "male"]
assert (men["voiced_share_fmin180"] <= men["voiced_share_fmin60"] + 0.05).all()
