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
# # 06 · Learned representations: a speaker embedding, and a network on mel images
#
# Notebooks 03-05 describe a voice with numbers a person chose (f0, jitter, MFCC
# statistics ...). The original analysis named two other ways, and this notebook tries both
# on the same folds:
#
# - **features from a pretrained network**: resemblyzer's `VoiceEncoder`, a 3-layer LSTM
#   trained with the GE2E loss (Wan et al. 2018) on thousands of speakers to tell speakers
#   apart. It turns any recording into **256 numbers** (non-negative, length 1) where clips
#   of one speaker lie close together. It was never told anyone's age, but a voice's age and
#   gender are part of what makes it recognisable. We compute one step by step, map the data
#   set's embeddings in 2-D, and measure what they know about age **beyond speaker identity
#   and language**: random folds (speakers leak), speaker-grouped folds, and, where the data
#   set has several languages, folds that hold out whole languages;
# - **mel spectrograms as images**: a small convolutional network (torch, CPU) trained on
#   the log-mel images notebook 03 wrote, inside the same speaker-grouped folds, with its
#   learning curves.
#
# One table then puts hand-crafted features, the embedding, both, and the network side by
# side with 95 % intervals, and the best model by speaker-grouped UAR is saved for
# prediction (notebook 07) when it beats notebook 05's.
#
# **Needs:** notebook 03's feature table and mel images (made here with the same engine if
# missing) and notebook 05's saved model. **Writes** the `learned_representations` section
# of `metrics.json`, and `model/` when a model here wins.

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
n_splits = 5
n_bootstrap = 1000
cnn_epochs = 10
C_values = [0.0001, 0.001, 0.01, 0.1, 1.0]  # the logistic regression's C, chosen inside each training fold
fast = False
cache_dir = None  # the feature cache (None: data/cache/features), as in notebook 03

# %% [markdown]
# `n_splits`: folds of every cross-validation. `n_bootstrap`: speaker resamples per
# interval. `cnn_epochs`: passes of the network over its training clips. `fast`: fewer
# epochs and bootstrap draws, for a quick check.

# %%
import platform

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display
from resemblyzer import VoiceEncoder, preprocess_wav, sampling_rate
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedGroupKFold
from threadpoolctl import threadpool_limits

from helpers.audio import load_audio
from helpers.cleaning import load_cleaning_choice
from helpers.cnn import MelCNNClassifier
from helpers import levels
from helpers.evaluation import evaluate_cv, format_scores
from helpers.model_plots import plot_comparison
from helpers.models import SpeakerBalanced, make_model, prepare_task, sample_weights
from helpers.plots import use_workbook_style
from workbook.datasets import load_dataset
from workbook.engine import extract_features
from workbook.feature_table import feature_columns, load_feature_table, load_mel_images, model_feature_columns
from workbook.metrics_json import update_metrics
from workbook.paths import run_output_dir
from workbook.persistence import ModelNotFoundError, load_models, save_models

threadpool_limits(limits=1)
torch.set_num_threads(1)  # one thread: the same numbers on every run, and fair on a shared machine
use_workbook_style(dpi=72)
pd.set_option("display.precision", 3)
if fast:
    cnn_epochs, n_bootstrap = min(cnn_epochs, 4), min(n_bootstrap, 200)
print(f"python {platform.python_version()} | numpy {np.__version__} | torch {torch.__version__} | "
      f"matplotlib {matplotlib.__version__}")

# %%
ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed, n_jobs=n_jobs, **dataset_params)
out_dir = run_output_dir(dataset, output_dir)
table, spec = load_feature_table(ds, out_dir, families="full", n_jobs=n_jobs, sr=sr)
print(f"{len(table)} clips with hand-crafted features")

# %% [markdown]
# ## 1. One embedding, step by step
#
# `preprocess_wav` resamples to 16 kHz, normalises the level, and cuts pauses longer than
# a moment with a voice-activity detector (webrtcvad): the network should hear speech, not
# the room. `VoiceEncoder("cpu")` loads the weights that ship inside the resemblyzer
# package (`pretrained.pt`, 17 MB; nothing is downloaded).

# %%
clip = ds.manifest.iloc[0]
y, y_sr = load_audio(clip["path"], sr=sr)
wav = preprocess_wav(y, source_sr=y_sr)
print(f"{clip['path']}: {len(y) / y_sr:.2f} s as recorded, {len(wav) / sampling_rate:.2f} s after preprocess_wav")
encoder = VoiceEncoder("cpu", verbose=False)
print(f"VoiceEncoder: {sum(p.numel() for p in encoder.parameters()):,} weights; {encoder}")

# %% [markdown]
# `embed_utterance` cuts the speech into **partial windows** of 1.6 s (160 mel frames of
# 10 ms) that overlap (a new one every 1/1.3 s), embeds each with the LSTM, averages them
# and scales the mean to length 1. With `return_partials=True` it also returns each
# window's embedding and where it lies.

# %%
embedding, partials, wav_slices = encoder.embed_utterance(wav, return_partials=True)
print(f"embedding: {embedding.shape[0]} numbers, length {np.linalg.norm(embedding):.3f}, "
      f"{(embedding > 0).mean():.0%} of them above zero; {len(partials)} partial windows")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), gridspec_kw={"width_ratios": [1.4, 1]})
t = np.arange(len(wav)) / sampling_rate
axes[0].plot(t, wav, lw=0.4, color="0.4")
for i, s in enumerate(wav_slices):
    axes[0].axvspan(s.start / sampling_rate, s.stop / sampling_rate, ymin=0.05 + 0.1 * (i % 4), ymax=0.12 + 0.1 * (i % 4),
                    color=f"C{i % 10}", alpha=0.7)
axes[0].set(xlabel="time (s), after preprocess_wav", title="speech and its partial windows (1.6 s each)")
axes[1].imshow(np.vstack([partials, embedding]), aspect="auto", cmap="magma", interpolation="nearest")
axes[1].set(xlabel="embedding dimension", ylabel="window (last row: the mean)", title="partial embeddings")
print("cosine similarity of each window with the clip's embedding:", np.round(partials @ embedding, 3))

# %% [markdown]
# ## 2. The data set's embeddings
#
# The same steps for every clip run on the extraction engine as the feature family
# `speaker_embedding` (cached, in parallel worker processes, each loading the encoder once;
# a clip with under 0.5 s of speech is recorded as an error). The embedding reads the
# recording **as loaded, before cleaning**: the network was trained on uncleaned speech and
# `preprocess_wav` trims the pauses itself, while a noise gate changes the voice it hears. On
# the Common Voice sample this was worth about 4 points of speaker-grouped age UAR per speaker
# (0.322 from the recording, 0.282 after `gentle` cleaning). Notebook 03's cleaning choice
# still decides which clips pass its checks, and the hand-crafted features are computed from
# the cleaned clip as before; `predict` does the same. With `families='all'` notebook 03
# computed the embedding in its own pass, and the next cell takes it from 03's table.

# %%
emb_columns = feature_columns(table, ["speaker_embedding"])
if emb_columns:  # families='all' in notebook 03: its table holds the embedding already
    data = table
    print(f"notebook 03 computed the embedding: {len(emb_columns)} numbers per clip, taken from its table")
else:
    emb = extract_features(ds, families="speaker_embedding", cleaning=load_cleaning_choice(out_dir), n_jobs=n_jobs, sr=sr,
                           cache_dir=cache_dir, progress=False)
    print(emb.summary())
    emb_columns = emb.feature_columns("speaker_embedding")
    data = table.merge(emb.features[["path", *emb_columns]], on="path", how="inner")
hand_families = [f for f in spec["families"] if f != "speaker_embedding"]  # all notebook 03 computed: eGeMAPS too
hand_columns = model_feature_columns(table, hand_families)  # without the 128 raw mel-band means, as in notebook 05
print(f"{len(data)} clips with both: {len(hand_columns)} hand-crafted features ({', '.join(hand_families)}), "
      f"{len(emb_columns)} embedding numbers")

# %% [markdown]
# A 2-D map: the two directions along which the embeddings vary most (`PCA`). Colour by
# gender, age group and (where known) language: what the network separates without being
# asked.

# %%
mapped = data[data[emb_columns].notna().all(axis=1)]  # clips whose embedding could be computed
xy = PCA(n_components=2, random_state=seed).fit_transform(mapped[emb_columns].to_numpy())
colourings = [c for c in ("gender", "age_group", "language") if c in mapped and mapped[c].nunique() > 1]
fig, axes = plt.subplots(1, len(colourings), figsize=(4.2 * len(colourings), 3.8), squeeze=False)
for ax, column in zip(axes[0], colourings):
    values = mapped[column].astype("object").fillna("unknown")
    top = values.value_counts().index[:10]  # at most 10 colours; the rest grey
    for i, v in enumerate(top):
        m = (values == v).to_numpy()
        ax.scatter(xy[m, 0], xy[m, 1], s=5, alpha=0.6, color=f"C{i}", label=str(v))
    rest = ~values.isin(top).to_numpy()
    ax.scatter(xy[rest, 0], xy[rest, 1], s=4, alpha=0.3, color="0.7", label="other" if rest.any() else None)
    ax.set(title=f"embeddings by {column}", xlabel="PC 1", ylabel="PC 2")
    ax.legend(fontsize=7, markerscale=2, loc="best")

# %% [markdown]
# ## 3. What the embedding knows about age, at three evaluation levels
#
# The same age task as notebook 05 (classes with at least `n_splits` speakers), on the same
# kind of folds: **random** (clips shuffled; a speaker's clips on both sides: speaker
# identity leaks), **speaker-grouped** (`StratifiedGroupKFold`, groups = speaker) and,
# with several languages, **language-grouped** (groups = language: the model is tested on
# languages it never saw, so it cannot score by recognising the language; a speaker who
# recorded in two languages joins them, `levels.level_folds` as in notebook 05). A logistic
# regression (`make_model("lr")`: clipping, scaling, classes and speakers balanced) on the
# hand-crafted features, on the embedding, and on both. Its C is chosen **inside** each
# training fold by an inner speaker-grouped CV (`levels.nested_cv`, as in notebook 05),
# never on the test speakers: 256 numbers per clip need a smaller C than a table of a hundred
# or so features, and a C picked once by eye for one data set does not carry to another. The
# hand-crafted side is every hand-crafted family notebook 03 computed (with
# `families='all'`, eGeMAPS too): the embedding is compared with the best table we have.

# %%
age = prepare_task(data, hand_columns + emb_columns, min_speakers=n_splits)
print(age.summary())
X_all = age.X
feature_sets = {"hand-crafted": X_all[hand_columns], "embedding": X_all[emb_columns], "both": X_all}
rows = data[data["age_group"].isin(age.classes)].reset_index(drop=True)
languages = rows["language"] if "language" in rows else None
folds, level_notes = levels.level_folds(age.y, age.groups, languages, n_splits=n_splits, seed=seed)
print(f"levels: {', '.join(folds)}", *level_notes.values(), sep="\n")
results, table_rows, chosen_C = {}, [], {}
for split, split_folds in folds.items():
    for name, X in feature_sets.items():
        res, choices = levels.nested_cv({name: X}, age.y, age.groups, split_folds, classes=age.classes,
                                        C_values=C_values, n_bootstrap=n_bootstrap, seed=seed, split=split,
                                        n_jobs=n_jobs)
        results[(split, name, "lr")] = res
        table_rows.append(res.row())
        chosen_C[(split, name)] = list(choices["C"])
comparison = pd.DataFrame(table_rows)
display(format_scores(comparison))
print("C chosen per outer fold:", *(f"  {split}, {name}: {cs}" for (split, name), cs in chosen_C.items()), sep="\n")

# %% [markdown]
# ## 4. The image approach: a small CNN on the mel images
#
# Notebook 03 wrote every clip as a 128-band x 94-frame log-mel image (3 s). `MelCNN`
# (in `helpers/cnn.py`, about 20 lines) shrinks the image 4 times along each axis by
# averaging (32 x 24: on 2 CPU cores this decides between minutes and an hour), applies
# three blocks of 3x3 convolutions, batch norm, ReLU and max pooling, averages over the
# image and ends in one linear layer. `MelCNNClassifier` trains it with Adam on class- and speaker-weighted
# cross-entropy, deterministically for a seed on the CPU, and behaves like any
# scikit-learn classifier, so it runs inside exactly the folds above.
#
# Its input `X_img` is not the images but one column: each clip's row in `mel_images.npy`.
# The classifier reads the rows it is given from that file, a chunk at a time, and keeps
# only the pooled images (32 x 24, 3 KB a clip). So neither this notebook nor the processes
# that fit the folds hold every image, however many clips there are: one copy of all the
# images is 48 KB a clip (1.2 GB at 24,000 clips), and every fold would need its own.
#
# First one speaker-grouped fold by hand, with the held-out fold's loss and UAR after every
# epoch: the learning curves.

# %%
images, index = load_mel_images(ds, out_dir, n_jobs=n_jobs, sr=sr)
row_of = dict(zip(index["path"].astype(str), index["row"]))
have = rows["path"].astype(str).map(row_of)
print(f"{have.notna().sum()} of {len(rows)} clips of the age task have a mel image")
keep = have.notna().to_numpy()
X_img = have[keep].astype(int).to_numpy().reshape(-1, 1)  # one column: the clip's row in the images file
y_img, g_img = age.y[keep], age.groups[keep]
cnn = MelCNNClassifier(image_shape=images.shape[1:], images=images.filename, epochs=cnn_epochs, seed=seed)
train, test = next(StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(X_img, y_img, groups=g_img))
curves = MelCNNClassifier(**cnn.get_params()).fit(X_img[train], y_img[train], eval_set=(X_img[test], y_img[test]),
                                                  sample_weight=sample_weights(y_img[train], g_img[train]))
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
curves.history_.plot(x="epoch", y=["train_loss", "val_loss"], ax=axes[0], title="loss (weighted cross-entropy)")
curves.history_.plot(x="epoch", y="val_uar", ax=axes[1], title="held-out fold: UAR", legend=False)
axes[1].axhline(1 / len(age.classes), color="0.5", ls="--", lw=0.8)
display(curves.history_.tail(3))

# %% [markdown]
# Where the training loss keeps falling and the held-out loss does not, the network learns
# its training speakers rather than age. Now every fold, at every level (the grouped and
# language folds rebuilt on the clips that have an image, with the same seed).

# %%
cnn_folds, _ = levels.level_folds(y_img, g_img, None if languages is None else languages[keep], n_splits=n_splits,
                                  seed=seed)
cnn_rows = []
for split, split_folds in cnn_folds.items():
    res = evaluate_cv(cnn, X_img, y_img, g_img, split_folds, classes=age.classes, n_bootstrap=n_bootstrap, seed=seed,
                      name="cnn", features="mel images", split=split, n_jobs=n_jobs)
    results[(split, "mel images", "cnn")] = res
    cnn_rows.append(res.row())
comparison = pd.concat([comparison, pd.DataFrame(cnn_rows)], ignore_index=True)

# %% [markdown]
# ## 5. One table
#
# Every representation at every level, per clip and per speaker (a speaker's clips
# combined), UAR with its speaker-bootstrap 95 % interval. The drop from random to grouped
# is what speaker recognition gave; from grouped to language-grouped, what recognising the
# language gave.

# %%
display(format_scores(comparison))
chance = 1 / len(age.classes)
plot_comparison(comparison, level="speaker", chance=chance, title="age, per speaker: random vs speaker-grouped");

# %%
grouped = comparison[comparison["split"] == "grouped"].set_index("features")
hand, best_name = grouped.loc["hand-crafted"], grouped["speaker_uar"].idxmax()
lift = {f: grouped.loc[f, "speaker_uar"] - hand["speaker_uar"] for f in grouped.index if f != "hand-crafted"}
print("speaker-grouped, per speaker, lift over the hand-crafted features:",
      ", ".join(f"{f} {v:+.3f}" for f, v in lift.items()))
print(f"best by speaker-grouped UAR: {best_name} ({grouped.loc[best_name, 'speaker_uar']:.3f})")

# %% [markdown]
# Gender, on speaker-grouped folds, from the same three tabular inputs.

# %%
gender = prepare_task(data, hand_columns + emb_columns, target="gender", min_speakers=n_splits)
gender_folds = list(StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
                    .split(gender.X, gender.y, groups=gender.groups))
gender_inputs = {"hand-crafted": hand_columns, "embedding": emb_columns, "both": hand_columns + emb_columns}
gender_results = {}
for f, cols in gender_inputs.items():
    gender_results[f], choices = levels.nested_cv({f: gender.X[cols]}, gender.y, gender.groups, gender_folds,
                                                  classes=gender.classes, C_values=C_values, n_bootstrap=n_bootstrap, seed=seed,
                                                  n_jobs=n_jobs)
    chosen_C[("gender", f)] = list(choices["C"])
display(format_scores(pd.DataFrame([r.row() for r in gender_results.values()])))

# %% [markdown]
# ## 6. The model for prediction
#
# Notebook 05 saved its best hand-crafted models. If a tabular model here (embedding or
# both) has a higher speaker-grouped UAR per speaker than that saved model's, it replaces
# it, refitted on every labelled clip, and its card says which features it needs (the
# prediction then computes the embedding too). The CNN is not saved: it reads whole images,
# and the prediction path computes features.

# %%
model_dir = out_dir / "model"
try:
    models, card = load_models(model_dir)
except ModelNotFoundError:
    print(f"no saved model in {model_dir}: run notebook 05 first; nothing is saved here")
    models, card = {}, {"models": {}}
chosen = {}
for task, res_by_features, rows_task, inputs, level in (
    ("age", {f: results[("grouped", f, "lr")] for f in feature_sets}, age, {f: list(X.columns) for f, X in feature_sets.items()},
     "grouped"),
    ("gender", gender_results, gender, gender_inputs, "gender"),
):
    if task not in card["models"]:
        continue
    name = max(res_by_features, key=lambda f: res_by_features[f].speaker.uar)
    saved_uar = card["models"][task]["grouped_cv"]["speaker"]["uar"]
    best_res = res_by_features[name]
    print(f"{task}: saved {card['models'][task]['model']} on {card['models'][task].get('features', 'hand-crafted')} "
          f"{saved_uar:.3f}; best here: lr on {name} {best_res.speaker.uar:.3f}")
    if name != "hand-crafted" and best_res.speaker.uar > saved_uar:
        chosen[task] = name
        C = pd.Series(chosen_C[(level, name)]).mode().iloc[0]  # the C its folds chose most often
        models[task] = SpeakerBalanced(make_model("lr", seed=seed, C=C)).fit(
            rows_task.X[inputs[name]].to_numpy(), rows_task.y, speakers=rows_task.groups).estimator_
        card["models"][task].update(model="lr", C=float(C), features=name, feature_columns=inputs[name],
                                    classes=list(rows_task.classes),
                                    grouped_cv={"clip": best_res.clip.as_dict(), "speaker": best_res.speaker.as_dict()})
if chosen:
    card["feature_spec"] = {**card["feature_spec"],
                            "families": sorted(set(card["feature_spec"]["families"]) | {"speaker_embedding"})}
    save_models(model_dir, models, card)
    print(f"saved to {model_dir}: {chosen}")
else:
    print("notebook 05's models stay: nothing here beats them")

# %% [markdown]
# ## The numbers, for `metrics.json`

# %%
section = {
    "n_splits": n_splits, "n_bootstrap": n_bootstrap, "seed": seed, "cnn_epochs": cnn_epochs, "C_values": C_values,
    "C_chosen_per_outer_fold": {f"{level}/{name}": cs for (level, name), cs in chosen_C.items()},
    "levels": list(folds), "comparison": comparison.to_dict("records"),
    "speaker_grouped_lift_over_hand_crafted": lift,
    "gender": {f: {"clip": r.clip.as_dict(), "speaker": r.speaker.as_dict()} for f, r in gender_results.items()},
    "cnn_learning_curve": curves.history_.to_dict("records"),
    "saved_for_prediction": chosen,
}
print(f"wrote the 'learned_representations' section of {update_metrics(out_dir, 'learned_representations', section)}")

# %% [markdown]
# ## In this notebook we…
#
# - computed a GE2E speaker embedding step by step (`preprocess_wav`, `VoiceEncoder`,
#   `embed_utterance` with its partial windows), then for the whole data set on the engine;
# - mapped the embeddings in 2-D by gender, age and language;
# - measured age from hand-crafted features, the embedding and both, with random,
#   speaker-grouped and language-grouped folds, and gender on speaker-grouped folds;
# - trained a small CNN on the mel images inside the same folds, with its learning curves;
# - put everything in one table with intervals, and saved the best tabular model for
#   prediction where it beat notebook 05's.
#
# **Wrote:** the `learned_representations` section of `metrics.json`; `model/` (models and
# card) if a model here won. Notebook 07 predicts new recordings with `model/`.

# %% [markdown]
# ## Exercises
#
# Predict first, then check. Worked solutions: `notebooks/solutions/06_learned_representations_solutions.ipynb`.
#
# 1. **Same speaker, other words.** Embed two clips of one speaker and one clip of another
#    speaker of the same gender. Which cosine similarity will be higher, and by how much?
#    (The embeddings have unit length, so the cosine is their dot product.)
# 2. **Does the embedding hear the microphone?** Add white noise at 10 dB SNR to a clip and
#    embed it. Is the noisy copy closer to its own clean version or to another clip of the
#    same speaker? What does that say about channel leaks in a random split?
# 3. **Break the split on purpose.** Embed every clip of a small corpus, then score a
#    logistic regression for age with a random split of clips (`StratifiedKFold`) and with
#    speakers kept apart (`StratifiedGroupKFold`). Predict which is higher, and why the gap
#    is larger for embeddings than for hand-crafted features.
