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
# # 04 · Exploratory analysis: worked solutions
#
# Try the exercises at the end of notebook 04 before reading these.

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
from scipy.stats import skew
from sklearn.model_selection import train_test_split

from helpers.audio import load_audio

# %%
from workbook.datasets import load_dataset

ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed,
                  n_jobs=n_jobs)
manifest = ds.manifest
print(len(manifest), "clips of", manifest["speaker"].nunique(), "speakers")

# %% [markdown]
# ## 1. How many test clips come from speakers the model has heard?
#
# Prediction: with `clips_per_speaker` clips each and a random 20 % test split, a test clip's
# speaker is missing from training only if all of that speaker's other clips went to test
# too, which is rare: nearly every test clip has its speaker in training. A 50 % split
# lowers that share, but not to zero.

# %%
rows = []
for test_size in (0.2, 0.5):
    train, test = train_test_split(manifest, test_size=test_size, random_state=seed)
    rows.append({"test_size": test_size, "test clips": len(test),
                 "share with speaker in training": test["speaker"].isin(train["speaker"]).mean()})
leak = pd.DataFrame(rows)
display(leak.round(2))
assert leak["share with speaker in training"].iloc[0] >= leak["share with speaker in training"].iloc[1]

# %% [markdown]
# ## 2. What does `np.log1p` do to a skewed feature?
#
# Prediction: a clip's RMS energy is a positive, right-skewed quantity (a few loud clips);
# its logarithm is closer to symmetric, so `skew()` moves towards 0.

# %%
rms = np.array([librosa.feature.rms(y=load_audio(p, sr=sr)[0]).mean() for p in manifest["path"]])
energy = pd.Series(1000 * rms, name="rms x 1000")
print(f"skew of RMS: {skew(energy):.2f}; of log1p(RMS): {skew(np.log1p(energy)):.2f}")
assert abs(skew(np.log1p(energy))) < abs(skew(energy))
