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
# # 05 · Modeling: worked solutions
#
# Try the exercises at the end of notebook 05 before reading these. The features here are
# mean MFCCs per clip, quick to compute, so the leak can be measured in seconds.

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
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from helpers.audio import load_audio

# %%
from workbook.datasets import load_dataset

ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed,
                  n_jobs=n_jobs)
manifest = ds.manifest
print(len(manifest), "clips of", manifest["speaker"].nunique(), "speakers")
X = np.array([librosa.feature.mfcc(y=load_audio(p, sr=sr)[0], sr=sr, n_mfcc=20).mean(axis=1)
              for p in manifest["path"]])
y, groups = manifest["gender"].to_numpy(), manifest["speaker"].to_numpy()
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))

# %% [markdown]
# ## 1. Break the split on purpose and measure the leak
#
# Prediction: a random `KFold` of clips puts each test speaker's other clips in training,
# so the model scores higher than with `GroupKFold` by speaker, which only sees new voices.
# The difference is the leak: what recognising a speaker is worth.
#
# ## 2. Add a feature that names the speaker
#
# Prediction: a column that is constant per speaker (here: a random number per speaker,
# like a microphone's colouring) carries no information about gender, yet it raises the
# random-split score further and leaves the grouped score where it was.

# %%
speaker_code = pd.Series(np.random.default_rng(seed).standard_normal(len(np.unique(groups))),
                         index=np.unique(groups))
X_tagged = np.column_stack([X, np.repeat(speaker_code.loc[groups].to_numpy()[:, None], 8, axis=1)])
rows = []
for features, data in (("mean MFCCs", X), ("mean MFCCs + speaker tag", X_tagged)):
    for split, cv in (("random KFold", KFold(n_splits=3, shuffle=True, random_state=seed)),
                      ("GroupKFold by speaker", GroupKFold(n_splits=3))):
        pred = cross_val_predict(model, data, y, cv=cv, groups=groups)
        rows.append({"features": features, "split": split, "UAR": balanced_accuracy_score(y, pred)})
scores = pd.DataFrame(rows).pivot(index="features", columns="split", values="UAR")
scores["leak"] = scores["random KFold"] - scores["GroupKFold by speaker"]
display(scores.round(3))
assert scores["random KFold"].min() >= 0.5
