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
# # 07 · Predict: age group and gender of a new recording
#
# The model of notebook 05, used the way a person would: give it a recording, listen to
# it, look at it, and read what the model thinks, with its probabilities. You will learn:
#
# - what a saved model needs besides its weights: the **same cleaning and features** as in
#   training (the model card records them), so a new file goes through exactly those steps;
# - why the model file is a **skops** file that is refused if it holds unexpected types;
# - how to predict your own recordings, in any format and at any rate (stereo is
#   downmixed, 44.1/48 kHz resampled), here with an upload button and from the command
#   line with `python -m workbook predict FILE...`.
#
# **Needs:** the model notebook 05 saved (`model/` in the run's output folder).
# **Writes** nothing.
#
# Keep the scores of notebook 05 in mind: on real voices, age groups are hard (speaker-
# independent UAR far below the original's 43.5 % accuracy); a single prediction is a
# guess with odds, not a measurement.

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
audio_path = None
model_dir = None

# %% [markdown]
# `audio_path`: a recording to predict in the static part (default: the data set's example
# clips). `model_dir`: the saved model (default: `model/` in the run's output folder).

# %%
import platform
from pathlib import Path

import ipywidgets
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from helpers.audio import load_audio
from helpers.cleaning import clean
from helpers.examples import pick_example_clips
from helpers.model_plots import plot_prediction
from helpers.players import audio_player
from helpers.plots import plot_stft_grid, use_workbook_style
from helpers.predict_widgets import UploadPanel
from workbook.datasets import load_dataset
from workbook.paths import run_output_dir
from workbook.persistence import TRUSTED_TYPES
from workbook.predict import Predictor

use_workbook_style(dpi=72)
pd.set_option("display.precision", 3)
print(f"python {platform.python_version()} | numpy {np.__version__} | pandas {pd.__version__} | "
      f"matplotlib {matplotlib.__version__} | ipywidgets {ipywidgets.__version__}")

# %% [markdown]
# ## 1. The saved model and its card
#
# Look first at the `note:` line of each model: its **speaker UAR at the level it was
# judged on**, with a 95 % interval. That level is the card's `judged_on`: language-grouped
# where the data set has several languages (test speakers *and* their languages never
# seen in training), else speaker-grouped. "Speaker" means each test speaker's clips
# were combined into one prediction before scoring. Compare it with chance, 1 / number of
# classes (the classes are listed below). The scores at the other levels follow in
# brackets, and `describe()` repeats the speaker-grouped one: where it is clearly higher
# than the judged score, the difference was language recognition. One clip, as predicted
# below, is usually right less often than this (notebook 05's clip-level UAR is lower).

# %%
ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed, n_jobs=n_jobs, **dataset_params)
out_dir = run_output_dir(dataset, output_dir)
folder = Path(model_dir) if model_dir else out_dir / "model"
predictor = Predictor.from_folder(folder)
card = predictor.card
for note in predictor.notes:
    print("note:", note)
print(predictor.describe())  # which model and which features predict each label
spec = card["feature_spec"]
print(f"features: families {', '.join(spec['families'])}; pitch by {spec['params']['pitch_method']}; "
      f"analysis rate {spec['params']['sr']} Hz; cleaning: {spec.get('cleaning') or 'none'}")
print("types trusted when loading, beyond skops's defaults:", ", ".join(TRUSTED_TYPES))

# %% [markdown]
# ## 2. One recording: listen, look, predict
#
# The default clips are the synthetic corpus's named examples: voices made apart from the
# corpus, so the model has not heard them. (On another data set the default clips come
# from its manifest, and those speakers **were** in the training data: their predictions
# are flattering.)

# %%
if audio_path:
    clips = pd.DataFrame({"label": [Path(audio_path).name], "path": [str(audio_path)]})
else:
    clips = pick_example_clips(ds, n=4)
clips_info = clips[[c for c in ("label", "age_years", "age_group", "gender") if c in clips.columns]]
display(clips_info)

# %% [markdown]
# First clip: the recording as it is, and as the training's cleaning leaves it (this is
# what the features are computed on). `predictor.job` is the feature recipe rebuilt from
# the card's feature spec: `job.sr` is the analysis rate every file is resampled to and
# `job.cleaning` the training's cleaning parameters (None: no cleaning).
#
# Listen to both, then compare the two spectrograms (one colour scale; without cleaning in
# the job they are the same). What the cleaning should remove is gone on the right:
# silence before and after the speech trimmed (the time axis is shorter), clicks (thin
# vertical lines through all frequencies) removed, and the background between syllables
# darker. The voice itself should be intact: its horizontal harmonic stripes (spaced by
# f0) and the broader formant bands look the same in both panels; where they have gaps on
# the right, the cleaning took voice too, and the features measure that.

# %%
first = clips.iloc[0]
y, y_sr = load_audio(first["path"], sr=predictor.job.sr)
cleaned = clean(y, y_sr, predictor.job.cleaning, name=str(first["path"])).y if predictor.job.cleaning else y
display(audio_player(y, y_sr, label=f"{first['label']} (as recorded)"))
display(audio_player(cleaned, y_sr, label=f"{first['label']} (cleaned as in training)"))
plot_stft_grid({"as recorded": y, "cleaned as in training": cleaned}, y_sr, n_fft=1024, fmax_hz=8000,
               suptitle=first["label"]);

# %% [markdown]
# Now the prediction for every chosen clip: `predictor.predict_files` loads each file,
# cleans it and computes its features as in training, and returns one row per file with
# the most likely age group and gender and the probability of every class (columns
# `p_<class>`; the age groups' values add up to 1, as do the two genders'). Each clip's
# spectrogram is drawn beside its probabilities.

# %%
predictions = predictor.predict_files(list(clips["path"]))
for (_, clip), (_, row) in zip(clips.iterrows(), predictions.iterrows()):
    y_clip, clip_sr = load_audio(clip["path"], sr=predictor.job.sr)
    display(audio_player(y_clip, clip_sr, label=str(clip["label"])))
    plot_prediction(y_clip, clip_sr, row, card, title=str(clip["label"]))
    plt.show()

# %% [markdown]
# The predictions beside the truth, where we know it. `p` is the probability the age
# model gives to the group it predicts (`age_group_probability`, the largest of the
# `p_<class>` values). It is the model's own estimate for this one clip, not a measured
# accuracy: compare it with 1 / number of classes, the value of a model with no idea. The
# model was trained with every age group weighing the same, so `p` assumes the groups are
# equally common, and notebook 05 did not check that a `p` of 0.7 is right 70 % of the
# time (calibration).

# %%
truth = clips.reindex(columns=["label", "age_group", "gender"]).reset_index(drop=True)
predicted = predictions.reindex(columns=["age_group", "age_group_probability", "gender"])
display(pd.concat([truth.set_axis(["clip", "true age group", "true gender"], axis=1),
                   predicted.set_axis(["predicted", "p", "predicted gender"], axis=1)], axis=1))

# %% [markdown]
# ## 3. Your own recording
#
# Upload one or more recordings (wav, flac, ogg or mp3, any sample rate, mono or stereo).
# Each is saved to a temporary folder outside the project, then gets the same steps and
# the same figure as the clips above. A file that cannot be read says why. (The panel
# works when the notebook runs live; in a headless run it stays empty.)

# %%
UploadPanel(predictor)

# %% [markdown]
# ## 4. Other formats, broken files, and the command line
#
# Any file the loader reads works: stereo is averaged to mono and other rates are
# resampled to the training's 16 kHz. A file at another rate may still get slightly other
# probabilities: a 16 → 44.1 → 16 kHz round trip removes the last few hundred hertz below
# 8 kHz (the resampler's anti-aliasing filter), and the spectral features of the top band
# read that edge. Recordings made at different rates differ in the same way, one reason
# the training data should mix rates as the synthetic corpus and Common Voice do. A file
# that cannot be read or analysed gets a row with `status="error"` and a message naming
# the file and the problem, and the other files are still predicted
# (`tests/test_predict_files.py` checks both on a stereo 44.1 kHz copy and a broken file).
#
# The same prediction from a terminal, one line per file:
#
# ```bash
# python -m workbook predict recording.wav other.mp3            # model of outputs/synthetic/model
# python -m workbook predict --dataset commonvoice clip.mp3      # the Common Voice run's model
# python -m workbook predict --model-dir path/to/model --json *.wav
# ```
#
# The exit status is 0 if every file was predicted, 1 if any failed, 2 if no model could
# be loaded.

# %% [markdown]
# ## In this notebook we…
#
# - loaded the saved model safely (skops, with a stated list of trusted types) and read its
#   card: the classes, the features and cleaning it needs, and its cross-validated scores;
# - listened to a recording raw and cleaned as in training, and read the predicted age
#   group and gender of the example clips with their probabilities, beside their
#   spectrograms and the truth;
# - met the upload panel for our own recordings, and the command line that predicts any
#   files (other formats and rates are converted, broken files are reported).
#
# **Wrote:** nothing (uploads go to a temporary folder).

# %% [markdown]
# ## Exercises
#
# Predict first, then check. Worked solutions: `notebooks/solutions/07_predict_solutions.ipynb`.
#
# 1. **A stereo 48 kHz recording.** Save a clip as stereo at 48 kHz and read it back with
#    `load_audio`. How many channels, what rate and how many samples will it have?
# 2. **How short may a recording be?** Cut a clip to 0.3 s and 1 s and run
#    `compute_features` on each. Which features go missing first, and why?
# 3. Upload your own voice in the panel above, then the same recording pitch-shifted
#    (`librosa.effects.pitch_shift`, +4 semitones). Predict what happens to the gender
#    probability.
