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
# # 04 · Exploratory analysis: what the features look like, and where leakage starts
#
# Before fitting a model, look at the data. This notebook walks through everything the
# original analysis explored, with current APIs, and a few things it did not:
#
# - how many clips and **speakers** each age group and gender has, and how many clips each
#   speaker contributed: a model tested on clips of speakers it trained on is recognising
#   voices, not ages, and this is where that starts;
# - the distribution of every feature, which ones are skewed and what `log1p` does to them;
# - the bimodal f0 distribution, and how gender splits it;
# - each feature's mean per age group and gender (point plots);
# - z-score outliers: how many rows the original's rule would drop, and which;
# - the correlations between features;
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

# %% [markdown]
# `outlier_threshold`: the |z| above which the original analysis called a value an outlier.

# %%
import platform

import ipywidgets
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sklearn
from IPython.display import display

from helpers import eda
from workbook.datasets import load_dataset
from workbook.manifest import AGE_GROUPS
from workbook.feature_table import feature_columns, load_feature_table, load_mel_images, mel_columns, scalar_columns
from workbook.metrics_json import update_metrics
from helpers.models.outliers import outliers_per_feature, zscore_outliers
from workbook.paths import run_output_dir
from helpers.plots import use_workbook_style
from workbook.synthetic.trends import f0_trend_hz

use_workbook_style(dpi=72)
pd.set_option("display.precision", 3)
print(f"python {platform.python_version()} | numpy {np.__version__} | pandas {pd.__version__} | "
      f"scikit-learn {sklearn.__version__} | matplotlib {matplotlib.__version__} | ipywidgets {ipywidgets.__version__}")

# %%
ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed, n_jobs=n_jobs, **dataset_params)
out_dir = run_output_dir(dataset, output_dir)
table, spec = load_feature_table(ds, out_dir, n_jobs=n_jobs, sr=sr)
synthetic = bool(ds.info.get("synthetic"))
features = feature_columns(table, spec["families"])
scalars = scalar_columns(features)
mels = mel_columns(features)
print(f"{len(table)} clips x {len(features)} features ({len(scalars)} scalar features + {len(mels)} mel-band means)")

# %% [markdown]
# ## 1. Who is in the data: classes, speakers, and where leakage starts
#
# First the labels: clips per age group and gender. Common Voice spells the forties
# "fourties"; we keep its spelling.

# %%
# NBVAL_CHECK_OUTPUT
counts = eda.class_counts(table)
print(counts.to_string())

# %%
eda.plot_class_counts(table)
plt.title("clips per age group (bars by gender), speakers above each bar");

# %% [markdown]
# A clip is not an independent sample: speakers contribute several. The table shows, per
# age group, how many clips and how many **different speakers** there are, and how much of
# the group the most prolific speaker makes up. A group with few speakers is a group a
# model can learn by recognising them.

# %%
spk_counts = eda.speaker_counts(table)
display(spk_counts)
fig, ax = plt.subplots(figsize=(6, 3))
eda.plot_clips_per_speaker(table, ax=ax);

# %% [markdown]
# Split the clips at random into 80 % training and 20 % test data, as the original analysis
# did, and count how many test clips have a clip **of the same speaker** in the training
# data. Every one of them lets the model look the answer up.

# %%
leak = eda.random_split_leakage(table["speaker"], test_size=0.2, seed=seed)
print(f"random 80/20 split: {leak['test_clips_with_speaker_in_training']} of {leak['test_clips']} test clips "
      f"({leak['fraction']:.0%}) have a training clip of the same speaker; "
      f"{leak['test_speakers_also_in_training']} of {leak['test_speakers']} test speakers are also training speakers")

# %% [markdown]
# ## 2. The distribution of every feature
#
# One small histogram per scalar feature (the original's onsets, duration, tempo and f0
# statistics, then MFCC, spectral, voice and rhythm statistics).

# %%
eda.plot_histograms(table, scalars, ncols=10, bins=30);

# %% [markdown]
# The 128 mel-band means would need 128 more panels; instead, each row of this image is one
# band's histogram (of `log10` power, where the bands are comparable).

# %%
if mels:
    dens, edges = eda.band_histograms(table, mels, log=True)
    eda.plot_band_histograms(dens, edges)
    plt.title("histogram of each mel band's mean power");

# %% [markdown]
# ### Skewed features and `log1p`
#
# Several features are right-skewed (a long tail of large values: jitter, shimmer, mel
# power). Linear models and z-scores assume roughly symmetric distributions; `log1p`
# (log(1 + x)) pulls the tail in. Here are the most skewed non-negative features, before
# and after.

# %%
skew = eda.skewness(table, scalars)
candidates = eda.log1p_candidates(table, scalars, threshold=1.0)
print(f"{len(candidates)} of {len(scalars)} scalar features are non-negative with skewness > 1")
logged = eda.log1p_columns(table, candidates)
show = candidates[:6]
display(pd.DataFrame({"skewness": skew[show], "after log1p": logged[show].skew()}))
fig = plt.figure(figsize=(12, 3.2))
sub = fig.subfigures(1, 2)
eda.plot_histograms(table, show, ncols=3, fig=sub[0])
sub[0].suptitle("before", fontsize=9)
eda.plot_histograms(logged, show, ncols=3, fig=sub[1])
sub[1].suptitle("after log1p", fontsize=9);

# %% [markdown]
# ## 3. f0: one feature, two populations
#
# The median f0 of a clip is bimodal. Split by gender, the two humps are women (around
# 200 Hz) and men (around 120 Hz): any age effect on f0 has to be read *within* a gender.

# %%
f0_col = "orig_f0_median_hz"
eda.plot_f0_by_gender(table, f0_col)
plt.title("median f0 per clip");

# %% [markdown]
# ## 4. Each feature per age group
#
# Mean and 95 % interval per age group, one line per gender, for the features voice
# science links to age. Intervals treat clips as independent, so they are too narrow where
# speakers contribute many clips; they are a guide, not a test.

# %%
point_features = [c for c in [
    "orig_f0_median_hz", "orig_f0_std_hz", "voice_jitter_local_pct", "voice_shimmer_local_pct",
    "voice_hnr_db", "voice_f1_hz", "voice_vtl_cm", "rhythm_articulation_rate_sps",
    "orig_onsets_per_s", "orig_tempo_bpm", "spec_centroid_hz_mean", "spec_mfcc01_mean",
] if c in table.columns]
eda.plot_points(table, point_features, ncols=4);

# %% [markdown]
# Any other feature, interactively (the static grid above shows a fixed selection):

# %%
eda.feature_explorer(table, scalars)

# %% [markdown]
# ## 5. Outliers by z-score
#
# The original analysis computed z-scores on the whole table and dropped every row with any
# |z| above 3, *before* splitting the data. How many rows is that, and which?

# %%
flags = zscore_outliers(table, features, threshold=outlier_threshold)
n_out = int(flags["is_outlier"].sum())
print(f"|z| > {outlier_threshold:g} in at least one of {len(features)} features: {n_out} of {len(table)} rows "
      f"({n_out / len(table):.0%})")
worst = flags[flags["is_outlier"]].sort_values("n_features", ascending=False).head(8)
display(table.loc[worst.index, ["speaker", "age_group", "gender"]].join(worst[["n_features", "max_abs_z", "features"]]))

# %% [markdown]
# With this many features, even ordinary clips have *some* extreme value. Dropping rows
# also removes some classes more than others, and it decides on the test rows before the
# test: notebook 05 handles outliers inside cross-validation instead (clipping with limits
# learnt on the training folds).

# %%
per_feature = outliers_per_feature(table, features, threshold=outlier_threshold)
print("features that flag the most rows:")
display(per_feature.head(8).to_frame("rows flagged"))
by_class = (table.assign(outlier=flags["is_outlier"]).groupby(table["age_group"].astype("object"))["outlier"]
            .mean().reindex(eda.present_age_groups(table["age_group"])))
display(by_class.to_frame("share of the group's clips dropped"))

# %% [markdown]
# ## 6. Correlations
#
# Spearman correlations among the scalar original features and the voice and rhythm
# features. Blocks of strongly correlated features (the f0 statistics, the jitter and
# shimmer variants) carry the same information twice.

# %%
corr_cols = [c for c in scalars if c.startswith(("orig_", "voice_", "rhythm_"))]
eda.plot_correlation(table, corr_cols);

# %% [markdown]
# And the features most correlated with age (in years where known, else the age group's
# rank), each gender separately, since f0 and formants differ between them far more than
# across ages:

# %%
age_target = table["age_years"] if synthetic and table["age_years"].notna().all() else pd.Series(
    eda.age_rank(table["age_group"].astype("object")), index=table.index)
corr_age = pd.DataFrame({
    g: eda.correlation_with(table[table["gender"].astype("object") == g], scalars, age_target[table["gender"].astype("object") == g])
    for g in ("female", "male")
})
corr_age = corr_age.reindex(corr_age.abs().max(axis=1).sort_values(ascending=False).index)
display(corr_age.head(12))

# %% [markdown]
# ## 7. Mean mel spectrograms
#
# Notebook 03 stored every clip as a fixed 3-second log-mel "image" (128 bands). Averaging
# the images of each gender shows where their energy differs: women's higher f0 and
# formants push energy up the mel scale.

# %%
images, mel_index = load_mel_images(ds, out_dir, n_jobs=n_jobs, sr=sr)
gender_means = eda.mean_images(images, mel_index["gender"], order=["female", "male"])
eda.plot_gender_mel(gender_means, sr=sr);

# %% [markdown]
# The same per age group, averaged over time too (silent padding left out): each row is
# an age group's mean level in each band, relative to the mean over groups.

# %%
age_order = eda.present_age_groups(mel_index["age_group"])
for g in ("female", "male"):
    sel = (mel_index["gender"].astype("object") == g).to_numpy()
    prof = eda.mean_mel_profiles(images[np.flatnonzero(sel)] if sel.any() else images[:0],
                                 mel_index.loc[sel, "age_group"], order=age_order)
    if len(prof) > 1:
        ax = eda.plot_mel_profiles(prof)
        ax.set_title(f"{g} speakers: mean mel level per age group")

# %% [markdown]
# ## 8. f0 against age
#
# One point per speaker (median over their clips). On the synthetic corpus the lines are
# the voice-science means the corpus was drawn around (Stathopoulos et al. 2011; Nishio &
# Niimi 2008): male f0 falls through puberty and rises after 60, female f0 drops around
# menopause. On real data the lines are left out: there they are a hypothesis to test, not
# the truth.

# %%
eda.plot_f0_vs_age(table, f0_col, trend=f0_trend_hz if synthetic else None)
plt.title("speaker median f0 against age");

# %% [markdown]
# ## The numbers, for `metrics.json`

# %%
eda_metrics = {
    "n_clips": len(table),
    "n_speakers": int(table["speaker"].nunique()),
    "n_features": len(features),
    "clips_per_age_group": {g: int(v) for g, v in spk_counts["clips"].items()},
    "speakers_per_age_group": {g: int(v) for g, v in spk_counts["speakers"].items()},
    "clips_per_gender": {str(g): int(v) for g, v in table["gender"].astype("object").fillna("(none)").value_counts().sort_index().items()},
    "zscore_outlier_rows": n_out,
    "zscore_threshold": outlier_threshold,
    "random_split_test_clips_with_speaker_in_training": leak["fraction"],
}
path = update_metrics(out_dir, "eda", eda_metrics)
print(f"wrote the 'eda' section of {path}")

# %% [markdown]
# ## In this notebook we…
#
# - counted clips **and speakers** per age group and gender, and saw that a random split of
#   clips puts most test speakers in the training data too;
# - looked at every feature's distribution, found the skewed ones and what `log1p` does;
# - split the bimodal f0 by gender, and read each feature's trend with age within a gender;
# - counted the rows the original's z-score rule would drop before splitting (and which
#   classes lose most);
# - looked at the correlations between features and with age;
# - compared mean mel spectrograms of women and men, and across age groups;
# - plotted f0 against age, with the literature's trend on the synthetic corpus.
#
# **Wrote:** the `eda` section of `metrics.json` in the run's output folder. Notebook 05
# reads the same feature table (`features.parquet`) to build the models.
