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
# # 07 · Prediction: worked solutions
#
# Try the exercises at the end of notebook 07 (the prediction notebook) before reading these.
# They are about what reaches the model, so they need no trained model.

# %% tags=["parameters"]
dataset = "synthetic"
data_dir = None
n_speakers = 24
clips_per_speaker = 3
seed = 0
n_jobs = 2
sr = 16000

# %%
import tempfile
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import soundfile as sf
from IPython.display import display

from helpers.audio import load_audio
from helpers.features import compute_features

# %%
from workbook.datasets import load_dataset

ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed,
                  n_jobs=n_jobs)
manifest = ds.manifest
print(len(manifest), "clips of", manifest["speaker"].nunique(), "speakers")
y, _ = load_audio(manifest["path"].iloc[0], sr=sr)

# %% [markdown]
# ## 1. A stereo 48 kHz upload
#
# Prediction: `load_audio` downmixes to one channel and resamples to the model's 16 kHz, so
# a stereo 48 kHz copy comes back as the same number of samples as the original, and
# nearly the same samples.

# %%
folder = Path(tempfile.mkdtemp(prefix="solutions_"))
stereo = librosa.resample(y=y, orig_sr=sr, target_sr=48_000)
sf.write(folder / "stereo48k.wav", np.column_stack([stereo, stereo]), 48_000)
back, back_sr = load_audio(folder / "stereo48k.wav", sr=sr)
n = min(len(back), len(y))
print(f"{back.ndim}-D, {back_sr} Hz, {len(back)} samples (original {len(y)}); "
      f"correlation with the original {np.corrcoef(back[:n], y[:n])[0, 1]:.3f}")
assert back.ndim == 1 and back_sr == sr and abs(len(back) - len(y)) <= 3

# %% [markdown]
# ## 2. How short may a recording be?
#
# Prediction: measures of voice quality (jitter, shimmer, HNR) need several voiced periods
# and rhythm measures need syllables, so as a recording shrinks towards a fraction of a
# second more features come back missing (NaN) or their family fails; MFCC means survive.

# %%
rows = []
for seconds in (0.3, 1.0, len(y) / sr):
    values, errors = compute_features(y[: int(seconds * sr)], sr, families="full")
    series = pd.Series(values, dtype=float)
    rows.append({"seconds": round(seconds, 1), "features": len(series), "missing (NaN)": int(series.isna().sum()),
                 "families failed": ", ".join(f for f, _ in errors) or "-"})
short = pd.DataFrame(rows)
display(short)
usable = short["features"] - short["missing (NaN)"]
assert usable.iloc[0] <= usable.iloc[-1]  # the shortest clip never yields more usable features
