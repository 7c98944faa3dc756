"""The headline numbers of the notebooks' small run, each in a two-sided band.

The small run (tests/conftest.py: 36 speakers x 3 clips, seed 3, 2 folds, 50 bootstraps,
notebook 02's cleaning scored on 60 clips) writes ``metrics.json`` (notebooks 04, 05) and
``cleaning.json`` (02); notebook 03 writes the feature table that is compared here with the
corpus's true voice parameters.

How the bands were set (measured 2026-12-06, generator v4; the cleaning bands again on
2026-12-07 at 60 clips, down from 150): the same run with seeds 1, 2 and 3 (``python tests/test_headlines.py
--measure DIR...`` prints min, max and the band of every key for run folders made with
``workbook.runner.run_notebooks``); band = [min - m, max + m] with m = max(margin of the key's
kind, half the min-max spread), clipped to the possible range. Margins: 0.05 for a UAR,
accuracy, correlation or ratio; 1.0 dB for an SI-SDR gain; 2 years for an MAE; 8 points for a
percentage; against the truth, 0.05 for a correlation, 1 dB or Hz (0.1 jitter %) for a bias.
Counts that the parameters fix are exact. A key another slice adds is one line in
:data:`BANDS`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

#: name -> (file, path into it, band). A path step ``{"split": "grouped", ...}`` picks the one
#: record of a list whose fields match.
BANDS = {
    # counts fixed by the parameters
    "eda n_clips": ("metrics.json", ["eda", "n_clips"], (108, 108)),
    "eda n_speakers": ("metrics.json", ["eda", "n_speakers"], (36, 36)),
    "random split test clips with speaker in training": (
        "metrics.json", ["eda", "random_split_test_clips_with_speaker_in_training"], (0.59, 1.0)),
    # gender: easy
    "gender clip UAR (best model)": ("metrics.json", ["modeling", "gender", "@best_gender", "clip", "uar"], (0.85, 1.0)),
    "gender speaker UAR (best model)": ("metrics.json", ["modeling", "gender", "@best_gender", "speaker", "uar"],
                                        (0.89, 1.0)),
    # age: hard; 36 speakers over 5 classes (chance 0.2) is too few to be clearly above chance
    # on grouped folds in every seed, but never near perfect (a leak would show)
    "best age speaker UAR": ("metrics.json", ["modeling", "best_age", "speaker", "uar"], (0.162, 0.396)),
    "best age clip UAR": ("metrics.json", ["modeling", "best_age", "clip", "uar"], (0.213, 0.382)),
    "age regression speaker MAE years": ("metrics.json", ["modeling", "age_regression", "speaker_mae_years"],
                                         (9.5, 15.7)),
    "age regression baseline MAE years": ("metrics.json", ["modeling", "age_regression", "baseline_mae_years"],
                                          (14.4, 20.4)),
    "original pipeline test accuracy (random 80/20)": (
        "metrics.json", ["modeling", "original_pipeline", "test_accuracy"], (0.0, 0.78)),
    "original pipeline test speakers heard in training": (
        "metrics.json", ["modeling", "original_pipeline", "test_speakers_also_in_training"], (12, 14)),
    "grouped full gb clip UAR": ("metrics.json", ["modeling", "comparison",
                                                  {"split": "grouped", "features": "full", "model": "gb"}, "clip_uar"],
                                 (0.167, 0.349)),
    "random full gb clip UAR": ("metrics.json", ["modeling", "comparison",
                                                 {"split": "random", "features": "full", "model": "gb"}, "clip_uar"],
                                (0.301, 0.433)),
    "oracle speaker UAR": ("metrics.json", ["modeling", "oracle", "oracle_speaker_uar"], (0.212, 0.464)),
    # 36 speakers over 7 age groups: the end groups are merged into their neighbours (fewer than
    # 15 speakers each); seed 3 keeps 5 classes (seeds 1-3: 5, 4, 5), so chance is exactly 1/5
    "chance UAR": ("metrics.json", ["modeling", "chance_uar"], (0.2 - 1e-6, 0.2 + 1e-6)),
    # the three evaluation levels (notebook 05): the same best models at random, speaker-grouped and
    # community-grouped folds, beside the community-only baseline
    "levels: age clip UAR, random split": ("metrics.json", ["modeling", "levels", "age", "best", "random", "clip", "uar"],
                                           (0.333, 0.529)),
    "levels: age clip UAR, speaker-grouped": (
        "metrics.json", ["modeling", "levels", "age", "best", "grouped", "clip", "uar"], (0.213, 0.382)),
    "levels: age clip UAR, language-grouped": (
        "metrics.json", ["modeling", "levels", "age", "best", "language", "clip", "uar"], (0.2, 0.393)),
    "levels: gender clip UAR, language-grouped": (
        "metrics.json", ["modeling", "levels", "gender", "best", "language", "clip", "uar"], (0.818, 0.994)),
    # cleaning (notebook 02, 60 clips; bands from seeds 1-3 measured 2026-12-07): gentle helps,
    # noise reduction of the original kind hurts
    "SI-SDR gain gentle, all clips": ("cleaning.json", ["measured", "si_sdr_gain_db_median", "gentle", "all"],
                                      (0.69, 3.28)),
    "SI-SDR gain original, all clips": ("cleaning.json", ["measured", "si_sdr_gain_db_median", "original", "all"],
                                        (-9.09, -3.70)),
    "SI-SDR gain nonstationary, all clips": (
        "cleaning.json", ["measured", "si_sdr_gain_db_median", "nonstationary", "all"], (-7.77, -1.57)),
    "boundaries within 100 ms, gentle@25 (%)": (
        "cleaning.json", ["measured", "boundaries_within_100ms_pct", "gentle@25"], (63.7, 86.3)),
    "boundaries within 100 ms, original@20 (%)": (
        "cleaning.json", ["measured", "boundaries_within_100ms_pct", "original@20"], (25.3, 44.7)),
}

#: notebook 03's features against the corpus's truth: (latent, statistic of
#: truth_correlations) -> band. Pearson r checks that a feature follows its parameter, the
#: bias (mean measured - true) that it reads it on the right scale (r is blind to x0.5).
TRUTH_BANDS = {
    ("f0_hz", "pearson_r"): (0.925, 1.0),
    ("tremor_depth_pct", "pearson_r"): (0.704, 1.0),
    ("hnr_db", "pearson_r"): (0.126, 0.32),
    ("vtl_cm", "pearson_r"): (0.291, 0.659),
    ("speaking_rate_sps", "pearson_r"): (0.461, 0.684),
    ("f0_hz", "bias"): (-2.41, -0.22),
    ("hnr_db", "bias"): (-4.45, -0.66),
    ("jitter_pct", "bias"): (0.649, 1.143),
}


def lookup(data, path, name=""):
    """Follow ``path`` into ``data``; ``@key`` steps take the key from the top-level section."""
    value = data
    for step in path:
        if isinstance(step, dict):
            hits = [r for r in value if all(r.get(k) == v for k, v in step.items())]
            assert len(hits) == 1, f"{name}: {len(hits)} records match {step}"
            value = hits[0]
        elif step.startswith("@"):
            value = value[data[path[0]][step[1:]]]
        else:
            assert step in value, f"{name}: no {step!r} in {sorted(value)}"
            value = value[step]
    return value


@pytest.mark.parametrize("name", list(BANDS))
def test_headline_number_within_its_band(small_run, name):
    file, path, (lo, hi) = BANDS[name]
    value = lookup(json.loads((small_run / file).read_text()), path, name)
    assert lo <= value <= hi, f"{name} = {value} outside [{lo}, {hi}]"


def truth_of(run_folder: Path, corpus: Path) -> pd.DataFrame:
    """truth_correlations of a run's feature table against its corpus, indexed by latent."""
    from workbook.synthetic.ground_truth import truth_correlations, truth_table

    features = pd.read_parquet(run_folder / "features.parquet")
    manifest = pd.read_csv(corpus / "manifest.csv")
    manifest["path"] = [str((corpus / p).resolve()) if not Path(p).is_absolute() else p for p in manifest["path"]]
    return truth_correlations(truth_table(features, manifest)).set_index("latent")


def test_features_follow_the_true_voice(small_run):
    from conftest import SMALL_ROOT

    corr = truth_of(small_run, SMALL_ROOT / "corpus")
    assert corr.loc["f0_hz", "n"] >= 100, corr
    for (latent, stat), (lo, hi) in TRUTH_BANDS.items():
        value = corr.loc[latent, stat]
        assert lo <= value <= hi, f"{corr.loc[latent, 'feature']} against true {latent}: {stat} {value:.3f} outside [{lo}, {hi}]"


def test_a_band_outside_catches_a_wrong_number(tmp_path):
    """The band check fails on a number just outside and passes on one inside."""
    (tmp_path / "metrics.json").write_text(json.dumps({"modeling": {"best_gender": "lr", "gender": {
        "lr": {"clip": {"uar": 0.5}}}}}))
    data = json.loads((tmp_path / "metrics.json").read_text())
    _, path, (lo, _) = BANDS["gender clip UAR (best model)"]
    assert lookup(data, path) == 0.5 < lo


# --- measuring the spread -----------------------------------------------------------------

_MARGINS = (("mae", 2.0), ("si_sdr", 1.0), ("pct", 8.0))


def _margin(name: str, path) -> float:
    key = " ".join(str(s) for s in path).lower() + " " + name.lower()
    return next((m for k, m in _MARGINS if k in key), 0.05)


def measure(folders: list[str]) -> None:
    """Print, per key of :data:`BANDS`, the values in each run folder and the band the rule gives."""
    for name, (file, path, band) in BANDS.items():
        values = [lookup(json.loads((Path(f) / file).read_text()), path, name) for f in folders]
        lo, hi = min(values), max(values)
        m = max(_margin(name, path), (hi - lo) / 2)
        print(f"{name:55s} {np.round(values, 3)} -> [{lo - m:.3f}, {hi + m:.3f}] (table: {band})")
    truths = [truth_of(Path(f), Path(json.loads((Path(f) / "run_summary.json").read_text())["data_dir"]))
              for f in folders]
    for (latent, stat), band in TRUTH_BANDS.items():
        values = [t.loc[latent, stat] for t in truths]
        lo, hi = min(values), max(values)
        m = max(0.05 if stat == "pearson_r" else 0.1 if latent == "jitter_pct" else 1.0, (hi - lo) / 2)
        print(f"{latent + ' ' + stat:55s} {np.round(values, 3)} -> [{lo - m:.3f}, {hi + m:.3f}] (table: {band})")


if __name__ == "__main__":
    if sys.argv[1:2] != ["--measure"] or len(sys.argv) < 3:
        sys.exit("usage: python tests/test_headlines.py --measure RUN_FOLDER [RUN_FOLDER ...]")
    measure(sys.argv[2:])
