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
# # 04 · Exploratory analysis: what the features look like, and where leakage starts
#
# Before fitting a model, look at the data. This notebook walks through everything the
# original analysis explored, with pandas, seaborn and scipy in the cells, and a few things
# it did not:
#
# - how many clips and **speakers** each age group and gender has, and how many clips each
#   speaker contributed: a model tested on clips of speakers it trained on is recognising
#   voices, not ages, and this is where that starts;
# - the age mix of each **language** (or speech community): where it differs, knowing the
#   language alone predicts age, a second leak that speaker-grouped evaluation keeps;
# - the distribution of every feature, which ones are skewed and what `np.log1p` does to them;
# - the bimodal f0 distribution, and how gender splits it;
# - each feature's mean per age group and gender (point plots);
# - z-score outliers (`scipy.stats.zscore`): how many rows the original's rule would drop, and which;
# - the correlations between features (`DataFrame.corr`, `sns.heatmap`);
# - mean mel spectrograms of female and male speakers and their difference, and per age group;
# - f0 against age by gender, with the voice-science trend on the synthetic corpus.
#
# **Needs:** the feature table and mel images of notebook 03 (`features.parquet`,
# `mel_images.npy` in the run's output folder); if they are missing or belong to another
# data set, the same engine computes them here (cached). **Writes** the EDA numbers into
# `metrics.json`.

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
outlier_threshold = 3.0
min_language_speakers = 20

# %% [markdown]
# `outlier_threshold`: the |z| above which the original analysis called a value an outlier.
# `min_language_speakers`: languages with fewer speakers are left out of the language
# heatmap (their age shares would be noise).

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
import seaborn as sns
import sklearn
from IPython.display import display
from scipy.stats import chisquare, zscore
from sklearn.model_selection import train_test_split

from helpers.eda_plots import GENDER_COLOURS, feature_explorer, plot_band_histograms, plot_f0_vs_age
from helpers.plots import use_workbook_style
from workbook.datasets import load_dataset
from workbook.feature_table import feature_columns, load_feature_table, load_mel_images, mel_columns, scalar_columns
from workbook.metrics_json import update_metrics
from workbook.paths import run_output_dir
from workbook.synthetic.trends import f0_trend_hz

use_workbook_style(dpi=72)
pd.set_option("display.precision", 3)
print(f"python {platform.python_version()} | numpy {np.__version__} | pandas {pd.__version__} | "
      f"scipy {scipy.__version__} | seaborn {sns.__version__} | scikit-learn {sklearn.__version__} | "
      f"matplotlib {matplotlib.__version__} | librosa {librosa.__version__} | ipywidgets {ipywidgets.__version__}")

# %% [markdown]
# The feature table of notebook 03: one row per clip, the labels (`speaker`, `age_group`,
# `gender`, and `age_years` where known) and one column per feature. `age_group` is an
# *ordered* categorical, so every table and figure below lists the groups in age order.
#
# Three lists of column names are used below. `features`: every feature column of the
# families notebook 03 computed (the first printed line names the families). `mels`: the
# 128 mel-band means (`orig_mel000` ... `orig_mel127`), one number per band of the mel
# spectrum. `scalars`: `features` without the mel-band means. The second printed line
# gives the size of each.

# %%
ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed, n_jobs=n_jobs, **dataset_params)
out_dir = run_output_dir(dataset, output_dir)
table, spec = load_feature_table(ds, out_dir, n_jobs=n_jobs, sr=sr)
synthetic = bool(ds.info.get("synthetic"))
features = feature_columns(table, spec["families"])
scalars = scalar_columns(features)
mels = mel_columns(features)
print(f"{len(table)} clips x {len(features)} features ({len(scalars)} scalar features + {len(mels)} mel-band means)")
print("age_group:", table["age_group"].dtype)
age_order = list(table["age_group"].cat.remove_unused_categories().cat.categories)
genders = [g for g in ("female", "male") if (table["gender"] == g).any()]

# %% [markdown]
# ## 1. Who is in the data: classes, speakers, and where leakage starts
#
# First the labels: clips per age group and gender, counted with `groupby(...).size()`.
# Common Voice spells the forties "fourties"; we keep its spelling.

# %%
clips = table.groupby(["age_group", "gender"], observed=True).size().unstack(fill_value=0)
clips.columns = clips.columns.astype(str)
clips["total"] = clips.sum(axis=1)
print(clips.to_string())
print(f"total {len(table)} clips; without an age group: {table['age_group'].isna().sum()}, "
      f"without a gender: {table['gender'].isna().sum()}")

# %% [markdown]
# A clip is not an independent sample: speakers contribute several. Per age group: how
# many clips, how many **different speakers** (`nunique`), and how much of the group its
# most prolific speaker makes up. A group with few speakers is a group a model can learn by
# recognising them.

# %%
per_group = table.groupby("age_group", observed=True).agg(clips=("speaker", "size"), speakers=("speaker", "nunique"))
clips_of_speaker_in_group = table.groupby(["age_group", "speaker"], observed=True).size()
per_group["clips_per_speaker_max"] = clips_of_speaker_in_group.groupby(level="age_group", observed=True).max()
per_group["largest_speaker_share"] = per_group["clips_per_speaker_max"] / per_group["clips"]
display(per_group)

fig, axes = plt.subplots(1, 2, figsize=(12, 3.2), layout="constrained")
clips.drop(columns="total").plot.bar(stacked=True, color=GENDER_COLOURS, rot=30, ax=axes[0])
for x, (n_clips, n_speakers_in_group) in enumerate(zip(per_group["clips"], per_group["speakers"])):
    axes[0].text(x, n_clips, f"{n_speakers_in_group} spk", ha="center", va="bottom", fontsize=7)
axes[0].set(title="clips per age group (bars by gender), speakers above each bar", xlabel="", ylabel="clips")
clips_per_spk = table.groupby("speaker", observed=True).size()
sns.histplot(clips_per_spk, discrete=True, color=GENDER_COLOURS["other"], ax=axes[1])
if clips_per_spk.max() > 10:
    axes[1].set_yscale("log")
axes[1].set(title=f"{len(clips_per_spk)} speakers, {clips_per_spk.sum()} clips", xlabel="clips per speaker", ylabel="speakers");

# %% [markdown]
# Split the clips at random into 80 % training and 20 % test data, as the original analysis
# did with `train_test_split`, and count how many test clips have a clip **of the same
# speaker** in the training data. Every one of them lets the model look the answer up.

# %%
train_rows, test_rows = train_test_split(np.arange(len(table)), test_size=0.2, random_state=seed)
train_speakers = set(table["speaker"].iloc[train_rows])
test_speakers = table["speaker"].iloc[test_rows]
leaked = test_speakers.isin(train_speakers)
print(f"random 80/20 split: {leaked.sum()} of {len(leaked)} test clips ({leaked.mean():.0%}) have a training clip "
      f"of the same speaker; {test_speakers[leaked].nunique()} of {test_speakers.nunique()} test speakers are also "
      "training speakers")

# %% [markdown]
# How to read this: with several clips per speaker, a random split of *clips* almost never
# puts all of a speaker's clips in the test part, so the printed share is close to 100 %
# (only speakers with a single clip are sure to be on one side).
# That is the leak. For such a test clip the model has already seen the same voice (and
# the same microphone and room) in training, labelled with this speaker's age group. It
# can score by recognising the speaker and repeating that label, without learning how age
# sounds. The test score then measures "have I heard this person before?", which says
# nothing about a new speaker. Notebook 05 keeps each speaker's clips on one side of the
# split (speaker-grouped folds) and shows how much of the score this leak was worth.

# %% [markdown]
# ### Language: a second leak that a speaker-grouped split keeps
#
# Common Voice's contributors differ in age from one language community to another; the
# synthetic corpus copies that with its speech communities (`comm_a`, `comm_b`, ...). If
# the age mix differs between languages, a model can score by recognising the language (or
# the accent and microphone habits that come with it) instead of the age in the voice.
#
# How that works, step by step. In the synthetic corpus each community shares an accent
# (small offsets of f0, speaking rate and vocal-tract length) and a microphone habit (two
# resonances of the recording at the community's frequencies); on Common Voice the
# language itself, its accents and its typical recording set-ups do the same. These traits
# are in the features, so a model can learn "this sounds like community A". Suppose (an
# invented example) that half of community A's speakers are in their sixties, against a
# sixth of all speakers. Then answering "sixties" to every speaker who sounds like A is
# right far more often than chance, even for A speakers the model never heard, and even
# if nothing in their voices says sixty. The score rises, but it measures which community
# a speaker belongs to, not their age. Keeping speakers apart does not stop this: the test
# speakers are new, but their community is not.
#
# The cell below measures how different the age mixes are. Each speaker counts once per
# language they recorded in (`drop_duplicates`); `pd.crosstab` counts speakers per
# language and age group, and dividing each row by its total gives the language's
# age-group shares: one row per language with at least `min_language_speakers` speakers.

# %%
languages = table["language"].astype("object") if "language" in table.columns else pd.Series(np.nan, index=table.index)
speaker_langs = (table.assign(language=languages).dropna(subset=["age_group", "language"])
                 .drop_duplicates(["speaker", "language"]))
speakers_per_language = speaker_langs["language"].value_counts()
shown_languages = speakers_per_language.index[speakers_per_language >= min_language_speakers]
have_languages = len(shown_languages) >= 2
if have_languages:
    shown = speaker_langs[speaker_langs["language"].isin(shown_languages)]
    counts = pd.crosstab(shown["language"], shown["age_group"].cat.remove_unused_categories())
    shares = counts.div(counts.sum(axis=1), axis=0)
    fig, ax = plt.subplots(figsize=(0.9 * counts.shape[1] + 2.5, 0.32 * len(counts) + 1.2))
    sns.heatmap(shares, annot=True, fmt=".0%", cmap="Blues", vmin=0, cbar_kws={"label": "share of its speakers"},
                yticklabels=[f"{lang} ({n} spk)" for lang, n in counts.sum(axis=1).items()], ax=ax)
    ax.set(title="age-group shares per language (speakers)", xlabel="", ylabel="")
else:
    print(f"{speakers_per_language.size} language(s) in this data set, {len(shown_languages)} with at least "
          f"{min_language_speakers} speakers: no comparison of languages here")

# %% [markdown]
# How far is each language's age mix from the pooled one (all languages shown together)?
# The **total-variation distance** is half the sum of the absolute differences of the
# shares: the fraction of a language's speakers that would have to change age group for
# it to look like the pool (0: the same mix, 1: no group in common). `scipy.stats.chisquare`
# tests the counts against the pooled shares (its p-value is rough where a group expects
# fewer than 5 speakers).

# %%
if have_languages:
    pooled = counts.sum() / counts.to_numpy().sum()
    language_mix = pd.DataFrame({
        "speakers": counts.sum(axis=1),
        "tv_distance": 0.5 * (shares - pooled).abs().sum(axis=1),
        "chi2_p": [chisquare(row, f_exp=pooled * row.sum()).pvalue for _, row in counts.iterrows()],
        "most_common_group": shares.idxmax(axis=1).astype(str),
    }).sort_values("tv_distance", ascending=False)
    display(language_mix.style.format({"tv_distance": "{:.2f}", "chi2_p": "{:.1e}"}))
    print(f"pooled age mix: {', '.join(f'{g} {v:.0%}' for g, v in pooled.items())}; "
          f"median distance from it {language_mix['tv_distance'].median():.2f}")

# %% [markdown]
# Why this matters for notebook 05: a split that keeps every speaker on one side still puts
# speakers of **every language** in both the training and the test folds. Where languages
# differ in age mix like this, a model that learns "this sounds like language X" gains the
# age distribution of X for free; on Common Voice a model that is told *only* the language
# scores about as well as the best hand-crafted voice features. So speaker-grouped
# cross-validation is **necessary, but not sufficient**: notebook 05 also holds out whole
# languages (language-grouped folds) and shows a language-only baseline beside every
# score. A score that falls when languages are held out was partly language recognition.
# Here, a larger `tv_distance` means a larger leak: a language whose age mix is far from
# the pool gives its age away more than one close to it.

# %% [markdown]
# ## 2. The distribution of every feature
#
# One small `sns.histplot` per scalar feature (the original's onsets, duration, tempo and f0
# statistics, then MFCC, spectral, voice and rhythm statistics).

# %%
ncols = 10
nrows = -(-len(scalars) // ncols)
fig, axes = plt.subplots(nrows, ncols, figsize=(1.6 * ncols, 1.25 * nrows), layout="constrained")
for ax, col in zip(axes.flat, scalars):
    sns.histplot(table[col], bins=30, color=GENDER_COLOURS["other"], ax=ax)
    ax.set_title(col, fontsize=6)
    ax.set(xlabel="", ylabel="", yticks=[])
    ax.tick_params(labelsize=5)
for ax in axes.flat[len(scalars):]:
    ax.set_visible(False)

# %% [markdown]
# The 128 mel-band means would need 128 more panels; instead, each row of this image is one
# band's histogram (of `log10` power, where the bands are comparable, on bins shared by all
# bands).

# %%
if mels:
    ax = plot_band_histograms(table, mels)
    ax.set_title("histogram of each mel band's mean power")

# %% [markdown]
# ### Skewed features and `log1p`
#
# Several features are right-skewed (a long tail of large values: jitter, shimmer, mel
# power). Linear models and z-scores assume roughly symmetric distributions; `np.log1p`
# (log(1 + x)) pulls the tail in. `DataFrame.skew()` measures the asymmetry (0 for a
# symmetric distribution); here are the most skewed non-negative features, before and after.
# Notebook 05 applies the same idea inside its model pipelines, choosing the columns on the
# training data only.

# %%
skew = table[scalars].skew().sort_values(ascending=False)
candidates = [c for c in skew.index if skew[c] > 1.0 and table[c].min() >= 0]
print(f"{len(candidates)} of {len(scalars)} scalar features are non-negative with skewness > 1")
show = candidates[:6]
logged = np.log1p(table[show])
display(pd.DataFrame({"skewness": skew[show], "after log1p": logged.skew()}))

fig, axes = plt.subplots(2, len(show), figsize=(2.1 * len(show), 3.6), layout="constrained", squeeze=False)
for col, before, after in zip(show, axes[0], axes[1]):
    sns.histplot(table[col], bins=30, color=GENDER_COLOURS["other"], ax=before)
    sns.histplot(logged[col], bins=30, color=GENDER_COLOURS["male"], ax=after)
    before.set_title(col, fontsize=7)
    before.set(xlabel="", ylabel="", yticks=[])
    after.set(xlabel="", ylabel="", yticks=[])
axes[0, 0].set_ylabel("before")
axes[1, 0].set_ylabel("after log1p");

# %% [markdown]
# ## 3. f0: one feature, two populations
#
# The median f0 of a clip is bimodal. Stacked by gender, the two humps are women (around
# 200 Hz) and men (around 120 Hz): any age effect on f0 has to be read *within* a gender.

# %%
f0_col = "orig_f0_median_hz"
ax = sns.histplot(data=table, x=f0_col, hue="gender", hue_order=genders, palette=GENDER_COLOURS,
                  bins=50, multiple="stack")
ax.set(title="median f0 per clip, stacked by gender", xlabel=f"{f0_col} (Hz)", ylabel="clips");

# %% [markdown]
# ## 4. Each feature per age group
#
# `sns.pointplot`, one panel per feature that voice science links to age, one line per
# gender. Each **point** is the mean of the feature over all *clips* of one age group and
# gender. Each **bar** is a 95 % confidence interval of that mean: mean ± 1.96 standard
# errors, computed over the same clips (`errorbar=("se", 1.96)`). It says how well the
# mean is pinned down, not how spread out the clips are; the histograms above show the
# spread. The intervals treat clips as independent, but one speaker's clips are alike, so
# the bars are too narrow (here each speaker gives several clips). Read them as a guide,
# not a test: bars that overlap widely show no clear difference; bars that do not overlap
# still need the speaker-grouped check of notebook 05.

# %%
point_features = [c for c in [
    "orig_f0_median_hz", "orig_f0_std_hz", "voice_jitter_local_pct", "voice_shimmer_local_pct",
    "voice_hnr_db", "voice_f1_hz", "voice_vtl_cm", "rhythm_articulation_rate_sps",
    "orig_onsets_per_s", "orig_tempo_bpm", "spec_centroid_hz_mean", "spec_mfcc01_mean",
] if c in table.columns]
fig, axes = plt.subplots(-(-len(point_features) // 4), 4, figsize=(10.8, 2.2 * -(-len(point_features) // 4)),
                         layout="constrained", squeeze=False)
for i, (ax, col) in enumerate(zip(axes.flat, point_features)):
    sns.pointplot(data=table, x="age_group", y=col, hue="gender", order=age_order, hue_order=genders,
                  palette=GENDER_COLOURS, errorbar=("se", 1.96), dodge=0.3, markersize=3, legend=i == 0, ax=ax)
    ax.set_title(col, fontsize=8)
    ax.set(xlabel="", ylabel="")
    ax.tick_params(axis="x", labelrotation=40, labelsize=7)
for ax in axes.flat[len(point_features):]:
    ax.set_visible(False)

# %% [markdown]
# Any other feature, interactively (the static figures above show a fixed selection; the
# explorer draws the same two views, a histogram by gender and the point plot, for the
# feature you choose):

# %%
feature_explorer(table, scalars)

# %% [markdown]
# ## 5. Outliers by z-score
#
# The original analysis computed z-scores on the whole table and dropped every row with any
# |z| above 3, *before* splitting the data. `scipy.stats.zscore` standardises each column,
# (x - mean) / standard deviation, over all clips (`nan_policy="omit"` skips missing values).
# The columns scaled here are `features`: every feature of the table, the scalar features
# *and* the 128 mel-band means, as the original did. The printed line gives their number
# ("in at least one of ... features"), the same count as the first cell's total.
# How many rows would that drop, and which?

# %%
z = pd.DataFrame(zscore(table[features], nan_policy="omit"), index=table.index, columns=features)
extreme = z.abs() > outlier_threshold
is_outlier = extreme.any(axis=1)
n_out = int(is_outlier.sum())
print(f"|z| > {outlier_threshold:g} in at least one of {len(features)} features: {n_out} of {len(table)} rows "
      f"({n_out / len(table):.0%})")
flagged = pd.DataFrame({"n_features": extreme.sum(axis=1), "max_abs_z": z.abs().max(axis=1)})
worst = flagged[is_outlier].sort_values("n_features", ascending=False).head(8)
worst["features"] = [", ".join(extreme.columns[extreme.loc[row]]) for row in worst.index]
display(table.loc[worst.index, ["speaker", "age_group", "gender"]].join(worst))

# %% [markdown]
# With this many features, even ordinary clips have *some* extreme value. Dropping rows
# also removes some classes more than others, and it decides on the test rows before the
# test: notebook 05 handles outliers inside cross-validation instead (clipping with limits
# learnt on the training folds).
#
# In the ranking below, watch for the highest mel bands (`orig_mel` with a number near
# 127) and the top-band spectral measures (`spec_contrast5_db_mean`, the band above
# 6.4 kHz, or the roll-off). Energy near the top of the spectrum often comes from the
# recording **channel**, not the voice: the microphone, the codec (a lossy format such as
# mp3 may cut or smear the top band) and the sample rate (resampling leaves an edge just
# below the 8 kHz limit of the 16 kHz analysis rate; a file recorded at 8 kHz has nothing
# above 4 kHz). If such a feature ranks high here, or anywhere else in this notebook,
# treat it as a warning sign about the recordings, not as a finding about voices.

# %%
print("features that flag the most rows:")
display(extreme.sum().sort_values(ascending=False).head(8).to_frame("rows flagged"))
lost = is_outlier.groupby([table["age_group"], table["gender"]], observed=True).mean().unstack()
print("share of each class's clips the rule would drop:")
display(lost.style.format("{:.0%}").background_gradient(cmap="Reds", axis=None))

# %% [markdown]
# ## 6. Correlations
#
# Spearman correlations (`DataFrame.corr(method="spearman")`: correlations of the ranks,
# robust to skew and outliers) among the scalar original features and the voice and
# rhythm features. Blocks of strongly correlated features (the f0 statistics, the jitter
# and shimmer variants) carry the same information twice.

# %%
corr_cols = [c for c in scalars if c.startswith(("orig_", "voice_", "rhythm_"))]
corr = table[corr_cols].corr(method="spearman")
fig, ax = plt.subplots(figsize=(0.22 * len(corr_cols) + 2.5, 0.22 * len(corr_cols) + 1.5))
sns.heatmap(corr, vmin=-1, vmax=1, cmap="RdBu_r", square=True, xticklabels=True, yticklabels=True,
            cbar_kws={"label": "Spearman correlation", "shrink": 0.7}, ax=ax)
ax.tick_params(labelsize=6);

# %% [markdown]
# And the features most correlated with age (in years where known, else the age group's
# rank: the codes of the ordered categorical), each gender separately, since f0 and
# formants differ between them far more than across ages. `corrwith` correlates every
# column with one series:
#
# `corr_age` has one row per scalar feature and one column per gender. Each value is a
# **Spearman** correlation between the feature and age, computed over the **clips** of
# that gender (one row per clip, so a speaker counts once per clip). The **sign** gives the
# direction: positive, the feature tends to be larger in older speakers; negative,
# smaller. The **size** (the absolute value, 0 to 1) says how consistently the ranks move
# together: 0, no steady rise or fall; 1, the feature's order is exactly the age order.
# Rows are sorted by the larger of the two absolute values. It is one feature at a time:
# correlated features (the f0 statistics) appear together, and a large value does not say
# the feature adds anything beyond its neighbours. It is not a test either (clips of one
# speaker are not independent), and on real data it may carry the language and channel
# leaks above as well as age.

# %%
if synthetic and table["age_years"].notna().all():
    age_target = table["age_years"]
else:
    age_target = table["age_group"].cat.codes.astype(float).replace(-1.0, np.nan)
corr_age = pd.DataFrame({
    g: table.loc[table["gender"] == g, scalars].corrwith(age_target, method="spearman") for g in genders
})
corr_age = corr_age.reindex(corr_age.abs().max(axis=1).sort_values(ascending=False).index)
display(corr_age.head(12))

# %% [markdown]
# ## 7. Mean mel spectrograms
#
# Notebook 03 stored every clip as a fixed 3-second log-mel "image" (128 bands, dB; made
# with `n_fft=2048`, `hop_length=512`) in one `.npy` array. It comes back memory-mapped
# (`np.load(..., mmap_mode="r")`): only the clips a cell touches are read from disk.
# Averaging the images of each gender shows where their energy differs: women's higher f0
# and formants push energy up the mel scale. `mean(..., where=mask)` averages only the
# clips the mask selects, reading them from the file; `images[mask].mean(...)` gives the
# same numbers but first copies the selected images into memory (24 KB a clip per gender:
# a gigabyte at 40,000 clips).

# %%
images, mel_index = load_mel_images(ds, out_dir, n_jobs=n_jobs, sr=sr)
print(f"{type(images).__name__} {images.shape} {images.dtype}")
mel_gender = mel_index["gender"].astype("object").to_numpy()
gender_means = {g: images.mean(axis=0, dtype=np.float64, where=(mel_gender == g)[:, None, None]) for g in genders}

# %%
if len(gender_means) == 2:
    diff = gender_means["female"] - gender_means["male"]
    lo = min(m.min() for m in gender_means.values())
    hi = max(m.max() for m in gender_means.values())
    lim = np.abs(diff).max()
    panels = [("female (mean)", gender_means["female"], "magma", lo, hi),
              ("male (mean)", gender_means["male"], "magma", lo, hi),
              ("female - male", diff, "RdBu_r", -lim, lim)]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3), layout="constrained")
    for ax, (title, image, cmap, vmin, vmax) in zip(axes, panels):
        mesh = librosa.display.specshow(image, sr=sr, hop_length=512, x_axis="time", y_axis="mel",
                                        cmap=cmap, vmin=vmin, vmax=vmax, ax=ax)
        fig.colorbar(mesh, ax=ax, label="dB")
        ax.set_title(title)

# %% [markdown]
# The same per age group, averaged over time too: each clip's mean level in each band over
# its sounding frames (frames whose mean level is above -80 dB, so the silent padding of
# short clips does not count), then averaged over the clips of each gender and age group.
# Each row of the heatmaps is an age group, relative to the mean over groups. The warning
# of section 5 applies here too: a difference that sits only in the highest bands (the
# right-hand edge) is more likely a difference in microphones, codecs or sample rates
# between the groups than in their voices.

# %%
sounding = images.mean(axis=1) > -80.0                       # (clips, frames)
clip_profiles = np.einsum("cbt,ct->cb", images, sounding) / np.maximum(sounding.sum(axis=1), 1)[:, None]
profiles = (pd.DataFrame(clip_profiles, index=mel_index.index)
            .groupby([mel_index["gender"].astype("object"), mel_index["age_group"].astype("object")]).mean())
fig, axes = plt.subplots(1, len(genders), figsize=(7 * len(genders), 2.8), layout="constrained", squeeze=False)
for ax, g in zip(axes.flat, genders):
    p = profiles.loc[g].reindex([a for a in age_order if a in profiles.loc[g].index])
    sns.heatmap(p - p.mean(), cmap="RdBu_r", center=0, xticklabels=16, ax=ax,
                cbar_kws={"label": "dB re the mean over groups"})
    ax.set(title=f"{g} speakers: mean mel level per age group", xlabel="mel band", ylabel="")

# %% [markdown]
# ## 8. f0 against age
#
# One point per speaker (median over their clips). On the synthetic corpus the lines are
# the voice-science means the corpus was drawn around (Stathopoulos et al. 2011; Nishio &
# Niimi 2008): male f0 falls through puberty and rises after 60, female f0 drops around
# menopause. On real data the lines are left out: there they are a hypothesis to test, not
# the truth.

# %%
ax = plot_f0_vs_age(table, f0_col, trend=f0_trend_hz if synthetic else None)
ax.set_title("speaker median f0 against age");

# %% [markdown]
# ## The numbers, for `metrics.json`

# %%
eda_metrics = {
    "n_clips": len(table),
    "n_speakers": int(table["speaker"].nunique()),
    "n_features": len(features),
    "clips_per_age_group": {str(g): int(v) for g, v in per_group["clips"].items()},
    "speakers_per_age_group": {str(g): int(v) for g, v in per_group["speakers"].items()},
    "clips_per_gender": {str(g): int(v) for g, v in table["gender"].astype("object").fillna("(none)").value_counts().sort_index().items()},
    "zscore_outlier_rows": n_out,
    "zscore_threshold": outlier_threshold,
    "random_split_test_clips_with_speaker_in_training": float(leaked.mean()),
    "language_age_mix_tv_distance": language_mix["tv_distance"].round(4).to_dict() if have_languages else None,
}
path = update_metrics(out_dir, "eda", eda_metrics)
print(f"wrote the 'eda' section of {path}")

# %% [markdown]
# ## In this notebook we…
#
# - counted clips **and speakers** per age group and gender with `groupby`, and saw that a
#   random `train_test_split` of clips puts most test speakers in the training data too;
# - compared the age mix of each language (`pd.crosstab`, `sns.heatmap`) with the pooled one
#   (total-variation distance, `scipy.stats.chisquare`): a speaker-grouped split is necessary,
#   not sufficient, where languages differ in age;
# - looked at every feature's distribution with `sns.histplot`, measured skewness with
#   `skew()` and saw what `np.log1p` does to the skewed ones;
# - split the bimodal f0 by gender, and read each feature's trend with age within a gender
#   (`sns.pointplot`);
# - counted the rows the original's z-score rule (`scipy.stats.zscore`, |z| > 3) would drop
#   before splitting, and which classes lose most;
# - looked at the Spearman correlations between features (`corr`, `sns.heatmap`) and with age;
# - compared mean mel spectrograms of women and men, and across age groups;
# - plotted f0 against age, with the literature's trend on the synthetic corpus.
#
# **Wrote:** the `eda` section of `metrics.json` in the run's output folder. Notebook 05
# reads the same feature table (`features.parquet`) to build the models.

# %% [markdown]
# ## Exercises
#
# Predict first, then check. Worked solutions: `notebooks/solutions/04_eda_solutions.ipynb`.
#
# 1. **Measure the leak of a split.** With `train_test_split` at `test_size` 0.2 and 0.5,
#    what share of test clips has its speaker in the training part? Predict, then count.
# 2. **Change a transform and predict.** Compute each clip's mean RMS energy
#    (`librosa.feature.rms`). Is it skewed? What does `np.log1p` do to its `skew()`?
# 3. In the feature explorer, find a feature whose trend with age differs between women
#    and men, and say which voice change from the literature it could reflect.
