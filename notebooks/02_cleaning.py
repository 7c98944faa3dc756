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
# # 02 · Cleaning: noise reduction, trimming and click removal that measurably help
#
# Crowd-sourced voice clips are messy. The original analysis listened to four of them and
# heard long silences at the start and end, button clicks inside those silences, varying
# broadband background noise in one clip and constant tonal hum in another. It cleaned
# them with `noisereduce` (non-stationary) and `librosa.effects.trim(top_db=20)` and
# judged the result by ear. In this notebook you will:
#
# - see and hear **why each cleaning step is needed**, and why their **order** matters
#   (clicks before trimming, noise reduction before trimming);
# - compare **stationary and non-stationary spectral gating** and choose `top_db`, first
#   by looking and listening, then **by measuring**;
# - measure every cleaning variant **against the truth** of the synthetic corpus, which
#   knows each clip's clean speech, speech boundaries and click times: SI-SDR gain per
#   noise type, trimming error, clicks found, and **where cleaning hurts**;
# - play with an interactive panel (clip, method, `top_db`, strength);
# - fix the **cleaning choice** that later notebooks apply (`cleaning.json`).
#
# **Needs:** nothing from notebook 01 except the ideas (waveform, spectrogram). The data
# set is loaded below. Every function lives in `helpers.cleaning` (compute),
# `helpers.cleaning.plots` (figures), `helpers.cleaning.widgets` (the panel),
# `helpers.plots` and `helpers.display` (spectrograms and players).

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
cleaning = "gentle"
n_eval_clips = 150
top_db_sweep = [15, 20, 25, 30, 35]

# %%
import json
import platform
import time
from importlib.metadata import version

import ipywidgets
import librosa
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from helpers.audio import load_audio
from helpers.cleaning import (
    CLEANING_PRESETS,
    as_mono,
    clean,
    resolve_cleaning,
    save_cleaning_choice,
)
from helpers.cleaning.evaluate import (
    boundary_summary,
    evaluate_corpus,
    evaluate_files,
    gain_table,
    parse_click_times,
    si_sdr_db,
    summarise_scores,
)
from helpers.cleaning.plots import (
    plot_before_after,
    plot_blind_snr,
    plot_boundary_errors,
    plot_cleaning_figure,
    plot_gain_by_noise_type,
    plot_gain_vs_input,
    plot_summary_heatmap,
    plot_top_db_sweep,
)
from helpers.cleaning.widgets import cleaning_panel
from workbook.datasets import load_dataset
from helpers.display import audio_players
from helpers.examples import pick_example_clips
from workbook.paths import run_output_dir
from helpers.cleaning.clicks import detect_clicks
from helpers.plots import plot_spectrogram, use_workbook_style
from workbook.sources import display_load_report
from helpers.spectral import compute_stft_db

use_workbook_style(dpi=56)
pd.set_option("display.precision", 1)
print(f"python {platform.python_version()} | numpy {np.__version__} | pandas {pd.__version__}")
print(f"librosa {librosa.__version__} | noisereduce {version('noisereduce')} | "
      f"matplotlib {matplotlib.__version__} | ipywidgets {ipywidgets.__version__}")

# %%
ds = load_dataset(dataset, data_dir, n_speakers=n_speakers, clips_per_speaker=clips_per_speaker,
                  seed=seed, n_jobs=n_jobs, **dataset_params)
display_load_report(ds)
chosen_label, chosen = resolve_cleaning(cleaning)
print(f"cleaning choice for this run: {chosen_label!r}")

# %% [markdown]
# ## The four example clips
#
# Listen first. The synthetic corpus's four named examples come with their clean
# references (the same speech without noise or clicks) and their truth: where the speech
# starts and ends, and where the clicks are. A real data set has no such examples; then
# the first clips of the first speakers stand in, without references.

# %%
examples = pick_example_clips(ds)
clips = {row.label: load_audio(row.path, sr=sr)[0] for row in examples.itertuples()}
references = {}
if "clean_path" in examples:
    references = {row.label: load_audio(row.clean_path, sr=sr)[0] for row in examples.itertuples()
                  if isinstance(row.clean_path, str)}
truths, true_clicks = {}, {}
if {"speech_start_s", "speech_end_s"} <= set(examples.columns):
    truths = {row.label: (row.speech_start_s, row.speech_end_s) for row in examples.itertuples()}
if "click_times_s" in examples:
    true_clicks = {row.label: list(parse_click_times(row.click_times_s)) for row in examples.itertuples()}
shown = [c for c in ("label", "noise_type", "snr_db", "speech_start_s", "speech_end_s", "click_times_s")
         if c in examples]
display(examples[shown])
audio_players(clips, sr)

# %% [markdown]
# ## Why each step is needed
#
# ### 0. One channel
#
# `noisereduce` reads a 2-D array as `(channels, samples)`. A stereo recording loaded as
# `(samples, 2)` is read as *thousands of two-sample channels* and the gate tries to
# allocate a spectrogram for each: memory runs out. `clean()` downmixes first and says so.

# %%
stereo = np.stack([clips[next(iter(clips))]] * 2, axis=1)
mono, notes = as_mono(stereo)
print(f"stereo array {stereo.shape} -> mono {mono.shape}: {notes}")

# %% [markdown]
# ### 1. Clicks before trimming
#
# `librosa.effects.trim` keeps everything between the first and the last frame within
# `top_db` of the loudest frame. A button click in the leading silence is as loud as the
# speech, so trimming alone keeps it, and the silence around it (top). The click
# detector looks, in the detected silences, for a high-frequency envelope that jumps
# more than 26 dB above its local background and lasts only milliseconds; each click is
# replaced by a least-squares autoregressive interpolation of the audio around it
# (bottom). Red triangles: the inserted clicks; red bands: the clicks repaired.

# %%
click_label = "click_in_silence" if "click_in_silence" in clips else next(iter(clips))
y = clips[click_label]
fig, axes = plt.subplots(2, 1, figsize=(9, 4.6), sharex=True)
for ax, preset in zip(axes, ("trim", "clicks_trim")):
    res = clean(y, sr, preset)
    plot_before_after(y, res.y_untrimmed, sr, trim=res.trim, clicks=res.clicks, truth_s=truths.get(click_label),
                      true_clicks_s=true_clicks.get(click_label, []), ax=ax,
                      title=f"{click_label}: {preset!r} keeps {res.trim_s[0]:.2f}-{res.trim_s[1]:.2f} s")
_ = axes[0].set_xlabel("")

# %% [markdown]
# Why only in the silences? A plosive (/p/, /t/, /k/) is a closure followed by a burst:
# acoustically a click, 20-45 dB above its background, just like a button. Searching
# inside the speech as well "repairs" plosives. Count the detections on the four
# examples both ways:

# %%
click_counts = pd.DataFrame(
    {label: {"inserted clicks": len(true_clicks.get(label, [])),
             "found, silences only": len(detect_clicks(y, sr)),
             "found, anywhere": len(detect_clicks(y, sr, in_speech=True))}
     for label, y in clips.items()}
).T
click_counts

# %% [markdown]
# Every extra detection "anywhere" is a plosive or a consonant onset that would have been
# smoothed away. Over the corpus, searching the silences finds nearly all inserted
# clicks with few false alarms (measured below).
#
# ### 2. Noise reduction before trimming
#
# In the hum example the noise floor sits less than `top_db` below the speech peak, so
# trimming finds nothing to cut (top). Once the hum is gated, the silences are quiet and
# the boundaries land on the speech (bottom).

# %%
hum_label = "tonal_noise" if "tonal_noise" in clips else list(clips)[-1]
y = clips[hum_label]
fig, axes = plt.subplots(2, 1, figsize=(9, 4.6), sharex=True)
for ax, preset in zip(axes, ("clicks_trim", "stationary")):
    res = clean(y, sr, preset)
    plot_before_after(y, res.y_untrimmed, sr, trim=res.trim, truth_s=truths.get(hum_label), ax=ax,
                      title=f"{hum_label}: {preset!r} keeps {res.trim_s[0]:.2f}-{res.trim_s[1]:.2f} s")
_ = axes[0].set_xlabel("")

# %% [markdown]
# ### 3. Stationary or non-stationary gating?
#
# Spectral gating turns down the time-frequency cells that do not rise above an estimate
# of the noise:
#
# - **stationary**: one threshold per frequency, learned from a noise-only sample. We take
#   that sample from the detected silences. Right for constant noise: hum, fans.
# - **non-stationary**: the threshold follows a 2-second running average of each
#   frequency, so it adapts to changing noise, and also eats into long steady sounds.
#
# Below: the hum clip and the noise-burst clip, each before, after stationary and after
# non-stationary gating (spectrograms up to 4 kHz, one colour scale per clip). Then
# listen.

# %%
burst_label = "nonstationary_noise" if "nonstationary_noise" in clips else list(clips)[-2]
fig, axes = plt.subplots(2, 3, figsize=(10, 4.2), sharex="row", sharey=True)
players = {}
for row, label in enumerate((hum_label, burst_label)):
    y = clips[label]
    versions = {"before": y}
    for preset in ("stationary", "nonstationary"):
        versions[preset] = clean(y, sr, preset).y_untrimmed
        players[f"{label} · {preset}"] = versions[preset]
    specs = {k: compute_stft_db(v, sr, n_fft=512, hop_length=128) for k, v in versions.items()}
    vmax = max(float(S.max()) for S in specs.values())
    for col, (name, S) in enumerate(specs.items()):
        plot_spectrogram(S, sr, n_fft=512, hop_length=128, fmax_hz=4000, ax=axes[row, col], vmin=vmax - 60,
                         vmax=vmax, colorbar=col == 2, title=f"{label}: {name}")
audio_players(players, sr)  # the inputs are played at the top

# %% [markdown]
# Look for: both gates clear the hum's horizontal lines (50 Hz and its harmonics) from
# the pauses; the non-stationary gate also thins the vowels' harmonics (they are steady,
# so they look like "noise" to a running average) and leaves isolated speckles, heard as
# "musical noise". Neither gate removes the noise bursts: a burst rises above any noise
# estimate just as a syllable does. Listen for how the voice itself changes, not only
# how quiet the pauses become.
#
# ## All four examples, as the original analysis cleaned them and with this run's choice
#
# The original analysis: non-stationary gating with noisereduce's defaults, then
# `top_db=20` (preset `"original"`). This run's choice is the `cleaning` parameter
# (default `"gentle"`: click repair, a 70 % stationary gate applied only when the blind
# SNR estimate is below 20 dB, `top_db=25` with the boundaries found on a copy gated at
# full strength). Each figure: waveform overlay with what trimming removes (shaded), true
# boundaries (green), inserted and repaired clicks (red); spectrogram before and after.

# %%
results = {}
for label, y in clips.items():
    results[label] = {name: clean(y, sr, spec, name=label)
                      for name, spec in (("original", "original"), (chosen_label, cleaning))}
    ref = references.get(label)
    scores_here = ""
    if ref is not None and len(ref) == len(y):
        scores_here = " | SI-SDR " + ", ".join(
            f"{name} {si_sdr_db(r.y_untrimmed, ref):.1f} dB" for name, r in results[label].items()
        ) + f" (input {si_sdr_db(y, ref):.1f} dB)"
    print(f"{label}{scores_here}")
    for name, r in results[label].items():
        print("   " + r.summary().replace("\n", "\n   "))

# %%
for label, y in clips.items():
    fig = plot_cleaning_figure(y, results[label][chosen_label], truth_s=truths.get(label),
                               true_clicks_s=true_clicks.get(label, []), range_db=60,
                               fig=plt.figure(figsize=(8, 4.4), layout="constrained"),
                               title=f"{label}: {chosen_label!r}")
    plt.show()
    display(audio_players({f"{label} · original (trimmed)": results[label]["original"].y,
                           f"{label} · {chosen_label} (trimmed)": results[label][chosen_label].y}, sr))

# %% [markdown]
# The original recipe empties the pauses, which is what a quick listen rewards. Its cost
# is in the voice: in the clean example it lowers SI-SDR from about 37 dB to about 10 dB
# (printed above). Listen for a thinner voice with a watery shimmer (musical noise):
# the artefact the original analysis suspected, which the measurements below count.
#
# ## Try it yourself
#
# Choose the clip, the method, its strength (`prop_decrease`: 1 removes gated cells, 0.5
# halves them), `top_db`, click repair and the SNR gate; hear and see the result. Where a
# clean reference exists the panel prints the SI-SDR before and after. (Run the notebook
# live for the controls; the static figures above tell the same story.)

# %%
cleaning_panel(clips, sr, references=references, truths=truths, cleaning=cleaning)

# %% [markdown]
# ## Measuring against the truth
#
# Listening to four clips cannot tell whether cleaning helps on average, or where it
# hurts. The synthetic corpus re-renders each clip's clean speech, so we can score every
# preset on `n_eval_clips` clips drawn from the corpus:
#
# - **SI-SDR gain** (dB): how much closer the output is to the clean speech than the
#   input was, whatever the gain. It counts noise left in *and* speech damaged.
# - the same **on the true speech region only** (what trimming keeps and features see),
#   and how far the **noise in the pauses** drops;
# - **boundary error**: trimmed start/end minus the true ones;
# - **clicks**: inserted clicks found, missed, and false alarms.
#
# The presets compared:

# %%
# NBVAL_CHECK_OUTPUT
presets_table = pd.DataFrame(
    {name: {k: str(v) for k, v in resolve_cleaning(name)[1].items()
            if k in ("clicks", "denoise", "prop_decrease", "max_snr_db", "n_fft", "top_db", "trim_on")}
     for name in CLEANING_PRESETS}
).T
print(presets_table.to_string())

# %%
variants = {name: name for name in CLEANING_PRESETS}
if chosen_label not in variants:  # a custom choice is measured beside the presets
    variants[chosen_label] = cleaning
synthetic = bool(ds.info.get("synthetic")) and "config" in ds.info
t0 = time.perf_counter()
if synthetic:
    scores, failures = evaluate_corpus(ds.info["config"], variants, n_clips=n_eval_clips, sr=sr, seed=seed,
                                       top_db_sweep=top_db_sweep, n_jobs=n_jobs)
else:
    scores, failures = evaluate_files(ds.manifest["path"], {"none": "none", chosen_label: cleaning},
                                      sr=sr, n_clips=n_eval_clips, seed=seed)
print(f"scored {scores['variant'].nunique()} variants on {len(scores) // max(scores['variant'].nunique(), 1)} "
      f"clips in {time.perf_counter() - t0:.0f} s; {len(failures)} failures")
for f in failures[:10]:
    print("  failed:", f)

# %% [markdown]
# ### SI-SDR gain per noise type
#
# Median over the clips of each noise type (`none` = no environment noise, only a faint
# noise floor and, in half the clips, button clicks). Blue helps, red hurts.

# %%
if synthetic:
    order = list(variants)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    plot_summary_heatmap(gain_table(scores, "si_sdr_gain_db", variants=order), ax=axes[0],
                         title="whole clip: median SI-SDR gain (dB)")
    plot_summary_heatmap(gain_table(scores, "speech_si_sdr_gain_db", variants=order), ax=axes[1],
                         title="speech region only: median SI-SDR gain (dB)")
    plt.show()
    summary = summarise_scores(scores.assign(all="all"), by="all").droplevel(0)
    display((summary.loc[order, ["si_sdr_gain_db", "si_sdr_gain_p10_db", "hurt_pct"]].round(1) + 0.0)
            .rename(columns={"si_sdr_gain_db": "median gain (dB)", "si_sdr_gain_p10_db": "10th pct gain (dB)",
                             "hurt_pct": "clips hurt > 0.5 dB (%)"}))
else:
    print("no clean references in this data set: only blind estimates below")

# %% [markdown]
# How to read it:
#
# - **Click repair alone** (`clicks_trim`) is the largest single gain on the clips that
#   have clicks (the `none` column), and costs nothing elsewhere.
# - **Full-strength gating hurts.** The original recipe and full non-stationary gating
#   lower SI-SDR on every noise type, most of all on clean clips, and in the speech
#   region by roughly 5 to 25 dB. Full stationary gating helps on hum, fan and babble
#   but damages the speech of clean clips (right-hand map).
# - **Gentle stationary gating, only where the blind SNR is below 20 dB** (`gentle`)
#   helps on hum, fan and babble, leaves the speech region intact, and does not touch
#   clean clips (the blind SNR estimate tells it to leave them alone).
# - **Noise bursts defeat every gate**: nothing helps on `bursts`.
#
# (These sentences describe the default run, 150 clips of the default corpus; the
# figures are recomputed on every run.)
#
# Where does the gain come from? Mostly from the **pauses**: the gate makes them quiet.
# Inside the speech, the noise under the voice stays, and a strong gate removes voice too.

# %%
if synthetic:
    display(gain_table(scores, "pause_reduction_db", variants=order)
            .style.format("{:.1f}").set_caption("median drop of the noise in the true pauses (dB)"))

# %% [markdown]
# ### Where cleaning hurts
#
# Each point is a clip: its SI-SDR gain against its input SI-SDR. The cleaner the input,
# the more a strong gate costs: there is little noise to remove and its damage to the
# voice dominates. The chosen preset stays near or above zero across the range.

# %%
if synthetic:
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    for ax, variant in zip(axes, ("original", "stationary", chosen_label)):
        plot_gain_vs_input(scores, variant, ax=ax)
    plt.show()
    plot_gain_by_noise_type(scores, variants=["original", "nonstationary", "stationary", chosen_label],
                            title="SI-SDR gain per clip (boxes: middle half; whiskers: 5-95 %)")
    plt.show()

# %% [markdown]
# Hear the artefact: the clean example through each preset. The full-strength gates
# leave the pauses dead silent and the voice thin; the difference from the clean
# reference is what SI-SDR counts.

# %%
hurt_label = "clean_long_silences" if "clean_long_silences" in clips else next(iter(clips))
y = clips[hurt_label]
hurt = {name: clean(y, sr, spec).y_untrimmed
        for name, spec in (("original", "original"), ("stationary", "stationary"), (chosen_label, cleaning))}
ref = references.get(hurt_label)
if ref is not None:
    print(", ".join(f"{k}: SI-SDR {si_sdr_db(v, ref):.1f} dB" for k, v in hurt.items())
          + f" (input {si_sdr_db(y, ref):.1f} dB)")
fig, axes = plt.subplots(1, 3, figsize=(11, 2.8), sharey=True)
specs = {k: compute_stft_db(v, sr, n_fft=512, hop_length=128) for k, v in hurt.items()}
vmax = max(float(S.max()) for S in specs.values())
for col, (ax, (name, S)) in enumerate(zip(axes, specs.items())):
    plot_spectrogram(S, sr, n_fft=512, hop_length=128, fmax_hz=4000, ax=ax, vmin=vmax - 60, vmax=vmax,
                     colorbar=col == 2, title=f"{hurt_label}: {name}")
plt.show()
audio_players({f"{hurt_label} · {k}": v for k, v in hurt.items()}, sr)

# %% [markdown]
# ### Trimming: which `top_db`, and how close to the truth?
#
# For each preset with trimming, the share of clips whose trimmed start *and* end lie
# within 100 ms of the true speech boundaries (solid), and the share where trimming cut
# more than 100 ms into the speech (dotted), as `top_db` varies. Cutting speech is the
# costly error (the speech is lost); keeping some silence is the cheap one.

# %%
if synthetic:
    bounds = boundary_summary(scores)
    clean_bounds = boundary_summary(scores[scores["noise_type"] == "none"])
    noisy_bounds = boundary_summary(scores[scores["noise_type"] != "none"])
    plot_top_db_sweep(bounds, variants=["clicks_trim", "original", "stationary", chosen_label])
    plt.show()
    key = ["variant", "top_db"]
    cols = ["within_100ms_pct", "cut_speech_pct"]
    table = pd.concat(
        [bounds.set_index(key)[cols + ["start_med_abs_ms", "end_med_abs_ms"]],
         clean_bounds.set_index(key)[cols].add_suffix(" (clean)"),
         noisy_bounds.set_index(key)[cols].add_suffix(" (noisy)")], axis=1)
    main_rows = [(v, float(resolve_cleaning(s)[1]["top_db"])) for v, s in variants.items()
                 if resolve_cleaning(s)[1]["top_db"] is not None]
    display(table.loc[main_rows].round(0).style.format("{:.0f}")
            .set_caption("each preset at its own top_db (% of clips; median errors in ms)"))
    display(table.loc[chosen_label].sort_index().round(0).style.format("{:.0f}")
            .set_caption(f"{chosen_label} at every top_db of the sweep"))

# %% [markdown]
# Without click repair, trimming keeps the clicks. Without noise reduction, it keeps the
# noise of noisy clips. A low `top_db` cuts weak opening fricatives off clean clips
# (compare the clean-clip columns at 15 and 20 dB with 25 dB); a high one keeps noise.
# `top_db=25` is where the chosen preset cut no speech on the clean clips in the default
# run. The noisy clips are the hard part: their boundaries are decided on a fully gated
# copy (`trim_on = "gated"`), which lands as many of them as full stationary gating while
# the output keeps the gentler gate. Where it still misses, it mostly keeps noise rather
# than cutting speech:

# %%
if synthetic:
    plot_boundary_errors(scores, chosen_label)
    plt.show()

# %% [markdown]
# ### Clicks found, and the blind SNR estimate
#
# The click detector against the inserted clicks (a hit = detection within 20 ms), and
# the blind SNR estimate (speech frames against pause frames, no reference) against the
# true SNR. The estimate decides whether `gentle` gates a clip at all.

# %%
if synthetic:
    d = scores[scores["variant"] == chosen_label]
    display(d.groupby("noise_type")[["n_clicks_true", "click_hits", "click_misses", "click_false"]].sum()
            .astype(int).rename(columns={"n_clicks_true": "inserted", "click_hits": "found",
                                         "click_misses": "missed", "click_false": "false alarms"}))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
    plot_blind_snr(scores, variant="clicks_trim", column="blind_snr_in_db", ax=axes[0])
    axes[0].set_title("on the raw input")
    plot_blind_snr(scores, variant="clicks_trim", column="blind_snr_out_db", ax=axes[1])
    axes[1].set_title("after click repair (what gentle's SNR gate sees)")
    plt.show()
else:
    display(scores.groupby("variant")[["blind_snr_in_db", "blind_snr_out_db", "duration_s", "kept_s", "n_clicks"]]
            .median())

# %% [markdown]
# The click detector finds nearly all inserted clicks. Its false alarms come mostly from
# noisy clips (hum, bursts, babble), where the silence detector misses weak speech and a
# plosive there is taken for a click; each costs a few milliseconds of interpolation.
#
# The blind SNR estimate follows the truth within a dB or so for hum, fan and babble once
# the clicks are repaired (on the raw input, a click in a pause counts as noise and drags
# the estimate of clean clips down). It overrates the **bursts** clips by about 10 dB:
# the bursts are loud, so the detector counts them as "speech" and measures the noise
# floor only between them. That is why `gentle` sometimes leaves a bursts clip alone;
# nothing would have helped it anyway.
#
# ## The choice, written for the later notebooks
#
# The `cleaning` parameter of this notebook (default `"gentle"`, the measured best) is
# written to `cleaning.json` in the run's output folder, with the measurements that
# justify it. Notebooks 03 and later read it with
# `helpers.cleaning.load_cleaning_choice(run_output_dir(dataset, output_dir))` and apply
# it with `helpers.cleaning.clean(y, sr, choice)`, so the whole run can be repeated with
# another choice: `make run PARAMS="cleaning=original"`.

# %%
out_dir = run_output_dir(dataset, output_dir)
measured = {}
if synthetic:
    g = gain_table(scores, "si_sdr_gain_db")
    s = gain_table(scores, "speech_si_sdr_gain_db")
    b = bounds.set_index(["variant", "top_db"])
    measured = {
        "n_clips": int(scores["clip_id"].nunique()),
        "si_sdr_gain_db_median": {v: g.loc[v].round(2).to_dict() for v in g.index},
        "speech_si_sdr_gain_db_median": {v: s.loc[v].round(2).to_dict() for v in s.index},
        "boundaries_within_100ms_pct": {f"{v}@{t:g}": round(float(b.loc[(v, t), "within_100ms_pct"]), 1)
                                        for v, t in main_rows},
    }
choice_path = save_cleaning_choice(out_dir, cleaning, extra={
    "dataset": dataset, "sr_hz": sr, "chosen_in": "02_cleaning", "measured": measured})
scores_path = out_dir / "02_cleaning_scores.csv"
scores.to_csv(scores_path, index=False, float_format="%.4g")
print(f"wrote {choice_path.name} (preset {json.loads(choice_path.read_text())['preset']!r}) "
      f"and {scores_path.name} ({len(scores)} rows) to {out_dir}")

# %% [markdown]
# ## In this notebook we…
#
# - heard and saw the four problems of crowd-sourced clips: long silences, clicks in
#   them, varying broadband noise and constant tonal hum;
# - learned why the order is **downmix → clicks → noise reduction → trim**: a click in
#   the silence defeats trimming, and so does a noise floor within `top_db` of the speech;
# - compared stationary and non-stationary spectral gating by eye and ear, then measured
#   every preset against the synthetic corpus's clean speech;
# - found that the original recipe (full non-stationary gating, by ear) **lowers** SI-SDR
#   on every noise type and damages clean clips most, while click repair plus a gentle
#   stationary gate, used only when the blind SNR is below 20 dB, helps on hum, fan and
#   babble without touching clean clips; nothing helps against noise bursts;
# - chose `top_db=25` (every clean boundary within 100 ms), with noisy clips' boundaries
#   found on a fully gated copy;
# - saw where cleaning hurts (clean inputs, strong gates) and how good a blind SNR
#   estimate is.
#
# **Written for later notebooks** (in the run's output folder):
# `cleaning.json` (`preset`, `params`: the cleaning choice, plus the measurements) and
# `02_cleaning_scores.csv` (one row per clip and variant: clip_id, noise_type, snr_db,
# variant, SI-SDR in/out/gain, speech-region SI-SDR, pause levels, boundary errors, click
# scores, blind SNR). Notebook 03 extracts features from recordings cleaned with
# `clean(y, sr, load_cleaning_choice(out_dir))`.
