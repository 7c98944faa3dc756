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
# # 06 · Learned representations: worked solutions
#
# Try the exercises at the end of notebook 06 before reading these. They embed clips with
# resemblyzer's `VoiceEncoder` directly, so they need no earlier notebook.

# %% tags=["parameters"]
dataset = "synthetic"
data_dir = None
n_speakers = 24
clips_per_speaker = 3
seed = 0
n_jobs = 2
sr = 16000

# %%
import numpy as np
from IPython.display import display
import pandas as pd
from resemblyzer import VoiceEncoder, preprocess_wav
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from helpers.audio import load_audio
from workbook.datasets import load_dataset

ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed,
                  n_jobs=n_jobs)
manifest = ds.manifest.reset_index(drop=True)
encoder = VoiceEncoder("cpu", verbose=False)
print(len(manifest), "clips of", manifest["speaker"].nunique(), "speakers")

# %% [markdown]
# ## 1. Same speaker, other words
#
# Prediction: two clips of one speaker are closer (cosine about 0.8-0.9) than clips of two
# speakers of the same gender (about 0.6-0.75): the network was trained for exactly that.

# %%
first = manifest["speaker"].iloc[0]
gender = manifest.loc[manifest["speaker"] == first, "gender"].iloc[0]
own = manifest[manifest["speaker"] == first]["path"].iloc[:2].tolist()
other = manifest[(manifest["speaker"] != first) & (manifest["gender"] == gender)]["path"].iloc[0]
emb = {name: encoder.embed_utterance(preprocess_wav(load_audio(p, sr=sr)[0], source_sr=sr))
       for name, p in {"clip A": own[0], "clip B (same speaker)": own[1], "other speaker": other}.items()}
print(f"same speaker:  cosine {emb['clip A'] @ emb['clip B (same speaker)']:.3f}")
print(f"other speaker: cosine {emb['clip A'] @ emb['other speaker']:.3f}")

# %% [markdown]
# ## 2. Does the embedding hear the microphone?
#
# Prediction: the noisy copy stays closer to its own clean version than to the speaker's
# other clip: the same recording (same words, same channel) dominates. Embeddings carry the
# channel too, which is one more thing a random split of clips lets a model recognise.

# %%
y, _ = load_audio(own[0], sr=sr)
rng = np.random.default_rng(seed)
noise = rng.standard_normal(len(y)).astype(np.float32)
noise *= np.sqrt(np.mean(y**2) / np.mean(noise**2) / 10 ** (10 / 10))  # 10 dB SNR
noisy = encoder.embed_utterance(preprocess_wav(y + noise, source_sr=sr))
print(f"noisy vs its clean version:       {noisy @ emb['clip A']:.3f}")
print(f"noisy vs the speaker's other clip: {noisy @ emb['clip B (same speaker)']:.3f}")

# %% [markdown]
# ## 3. Break the split on purpose
#
# Prediction: the random split scores clearly higher. An embedding is built to recognise
# speakers, so with a speaker's other clips in training, the model finds its neighbours and
# copies their label: the leak is larger than for hand-crafted features.

# %%
X = np.stack([encoder.embed_utterance(preprocess_wav(load_audio(p, sr=sr)[0], source_sr=sr))
              for p in manifest["path"]])
y_age = manifest["age_group"].astype(str).to_numpy()
model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000, class_weight="balanced"))
splits = {"random split of clips": (StratifiedKFold(n_splits=3, shuffle=True, random_state=seed), None),
          "speakers kept apart": (StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=seed), manifest["speaker"])}
scores = {name: balanced_accuracy_score(y_age, cross_val_predict(model, X, y_age, groups=groups, cv=cv))
          for name, (cv, groups) in splits.items()}
display(pd.Series(scores, name="age UAR").round(3).to_frame())
print(f"chance: {1 / len(set(y_age)):.3f}")
