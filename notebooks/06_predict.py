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
# # 06 · Predict: age group and gender of a new recording
#
# The model of notebook 05, used the way a person would: give it a recording, listen to
# it, look at it, and read what the model thinks, with its probabilities. You will learn:
#
# - what a saved model needs besides its weights: the **same cleaning and features** as in
#   training (the model card records them), so a new file goes through exactly those steps;
# - why the model file is a **skops** file that is refused if it holds unexpected types;
# - that any format and rate works (stereo is downmixed, 44.1/48 kHz resampled), and that a
#   file that cannot be read gets a clear error while the others are still predicted;
# - how to do the same from the command line: `python -m workbook predict FILE...`.
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
import tempfile
from pathlib import Path

import ipywidgets
import matplotlib
import numpy as np
import pandas as pd
import soundfile as sf
from IPython.display import display

from helpers.audio import load_audio
from helpers.cleaning import clean
from workbook.datasets import load_dataset
from helpers.display import audio_player
from helpers.examples import pick_example_clips
from workbook.predict_cli import predict_main
from workbook.persistence import TRUSTED_TYPES
from workbook.predict import Predictor
from helpers.models.widgets import show_prediction, upload_panel
from workbook.paths import run_output_dir
from helpers.plots import plot_spectrogram, use_workbook_style
from helpers.spectral import compute_stft_db

use_workbook_style(dpi=72)
pd.set_option("display.precision", 3)
print(f"python {platform.python_version()} | numpy {np.__version__} | pandas {pd.__version__} | "
      f"matplotlib {matplotlib.__version__} | ipywidgets {ipywidgets.__version__}")

# %% [markdown]
# ## 1. The saved model and its card

# %%
ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker, seed=seed, n_jobs=n_jobs, **dataset_params)
out_dir = run_output_dir(dataset, output_dir)
folder = Path(model_dir) if model_dir else out_dir / "model"
predictor = Predictor.from_folder(folder)
card = predictor.card
for note in predictor.notes:
    print("note:", note)
for name, entry in card["models"].items():
    cv = entry.get("grouped_cv", {}).get("speaker", {})
    print(f"{name}: {entry['model']} on {len(entry['feature_columns'])} features, classes {', '.join(entry['classes'])}; "
          f"speaker-grouped CV UAR {cv.get('uar', float('nan')):.3f} "
          f"[{cv.get('uar_low', float('nan')):.3f}, {cv.get('uar_high', float('nan')):.3f}] per speaker")
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
# what the features are computed on).

# %%
first = clips.iloc[0]
y, y_sr = load_audio(first["path"], sr=predictor.job.sr)
cleaned = clean(y, y_sr, predictor.job.cleaning, name=str(first["path"])).y if predictor.job.cleaning else y
display(audio_player(y, y_sr, label=f"{first['label']} (as recorded)"))
display(audio_player(cleaned, y_sr, label=f"{first['label']} (cleaned as in training)"))
plot_spectrogram(compute_stft_db(np.asarray(cleaned, dtype=np.float32), y_sr), y_sr, kind="stft",
                 fmax_hz=8000, title="cleaned recording");

# %% [markdown]
# Now the prediction for every chosen clip, with the truth beside it where we know it:

# %%
rows = []
for _, clip in clips.iterrows():
    row = show_prediction(predictor, clip["path"], label=str(clip["label"]))
    rows.append({"clip": clip["label"], "true age group": clip.get("age_group"), "predicted": row.get("age_group"),
                 "p": row.get("age_group_probability"), "true gender": clip.get("gender"),
                 "predicted gender": row.get("gender")})
display(pd.DataFrame(rows))

# %% [markdown]
# ## 3. Your own recording
#
# Upload one or more recordings (wav, flac, ogg or mp3, any sample rate, mono or stereo).
# Each is saved to a temporary folder outside the project, then gets the same steps as
# above. A file that cannot be read says why.

# %%
upload_panel(predictor)

# %% [markdown]
# ## 4. Files that are not what they seem
#
# A batch with a good file, a stereo 44.1 kHz copy of it, and a file that only claims to
# be audio: the broken one gets an error naming it, the others are predicted. (The files
# are written to a temporary folder.)

# %%
tmp = Path(tempfile.mkdtemp(prefix="predict_demo_"))
good = tmp / "good.wav"
sf.write(good, y, y_sr)
import soxr  # noqa: E402  (resampler used by the loader)

stereo = tmp / "stereo_44k.flac"
y44 = soxr.resample(np.asarray(y, dtype=np.float64), y_sr, 44100)
sf.write(stereo, np.column_stack([y44, y44]).astype(np.float32), 44100)
broken = tmp / "broken.wav"
broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(500))
table = predictor.predict_files([good, stereo, broken])
display(table[["path", "status", "error", "age_group", "age_group_probability", "gender", "gender_probability"]]
        .assign(path=lambda d: d["path"].map(lambda p: Path(p).name)))

# %% [markdown]
# If the stereo 44.1 kHz copy gets other probabilities than the original, resampling is the
# cause: the round trip 16 → 44.1 → 16 kHz removes the last few hundred hertz below
# 8 kHz (the resampler's anti-aliasing filter), and the spectral features of the top band
# read that edge (on the example clip, the contrast of the 4-8 kHz band moves by ~20 dB).
# Recordings made at different rates differ in the same way, one reason the training data
# should mix rates as the synthetic corpus and Common Voice do.
#
# ## 5. The same from the command line
#
# ```bash
# python -m workbook predict recording.wav other.mp3            # model of outputs/synthetic/model
# python -m workbook predict --dataset commonvoice clip.mp3      # the Common Voice run's model
# python -m workbook predict --model-dir path/to/model --json *.wav
# ```
#
# One line per file; the exit status is 1 if any file failed. Here it is, run in-process
# on the same three files:

# %%
status = predict_main([str(good), str(stereo), str(broken), "--model-dir", str(folder)])
print("exit status:", status)

# %% [markdown]
# ## In this notebook we…
#
# - loaded the saved model safely (skops, with a stated list of trusted types) and read its
#   card: the classes, the features and cleaning it needs, and its cross-validated scores;
# - listened to a recording raw and cleaned as in training, looked at its spectrogram and
#   read the predicted age group and gender with their probabilities;
# - uploaded our own recordings through a widget;
# - saw that stereo and 44.1 kHz files are handled, and that a broken file gets a clear
#   error without stopping the rest, in the notebook and on the command line.
#
# **Wrote:** nothing (uploads and the demonstration files go to temporary folders).
