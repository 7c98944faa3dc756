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
# # 02 · Cleaning: worked solutions
#
# Try the exercises at the end of notebook 02 before reading these.

# %% tags=["parameters"]
dataset = "synthetic"
data_dir = None
n_speakers = 24
clips_per_speaker = 3
seed = 0
n_jobs = 2
sr = 16000
n_clips = 8

# %%
import librosa
import noisereduce as nr
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

# %% [markdown]
# ## 1. Raise `top_db` in `librosa.effects.trim` and predict what is kept
#
# Prediction: `top_db` is how far below the loudest frame a frame may be and still count
# as sound. A larger value keeps quieter frames, so the kept part grows (or stays).

# %%
rows = []
for path in manifest["path"].iloc[:n_clips]:
    y, _ = load_audio(path, sr=sr)
    row = {"clip": path.split("/")[-1], "full_s": len(y) / sr}
    for top_db in (10, 20, 40):
        row[f"kept_s_top_db_{top_db}"] = len(librosa.effects.trim(y=y, top_db=top_db)[0]) / sr
    rows.append(row)
kept = pd.DataFrame(rows)
display(kept.round(2))
assert (kept["kept_s_top_db_10"] <= kept["kept_s_top_db_20"] + 1e-9).all()
assert (kept["kept_s_top_db_20"] <= kept["kept_s_top_db_40"] + 1e-9).all()

# %% [markdown]
# ## 2. Noise reduction strength against a known clean signal
#
# Prediction: with white noise added at 5 dB SNR, noisereduce's stationary gate improves the
# SNR, and `prop_decrease=1.0` removes more noise than 0.5, at the cost of more artefacts.
# Measured with the clip itself as the clean reference (scale-invariant SDR).

# %%
y, _ = load_audio(manifest["path"].iloc[0], sr=sr)
noise = np.random.default_rng(seed).standard_normal(y.size).astype(np.float32)
noise *= np.sqrt(np.mean(y**2) / np.mean(noise**2) / 10 ** (5 / 10))
noisy = y + noise
signals = {"noisy": noisy}
for strength in (0.5, 1.0):
    signals[f"prop_decrease={strength}"] = nr.reduce_noise(y=noisy, sr=sr, stationary=True, prop_decrease=strength)
si_sdr = {}
for name, x in signals.items():
    target = np.dot(x, y) / np.dot(y, y) * y  # the part of x explained by the clean clip
    si_sdr[name] = 10 * np.log10(np.sum(target**2) / np.sum((x - target) ** 2))
print({k: round(float(v), 1) for k, v in si_sdr.items()})
assert si_sdr["prop_decrease=1.0"] > si_sdr["noisy"]
