"""Which features carry age: permutation importance measured on speaker-grouped test folds.

For each fold, a model is fitted on the training speakers; then, on the test speakers,
one feature (or a group of features, such as all MFCC statistics) at a time is shuffled
across rows and the drop in UAR is recorded. A feature the model relies on for age loses
UAR when shuffled; one it ignores, or one whose information another feature duplicates,
loses little (correlated features share their importance, so group them to read it).
Measuring on *test* speakers matters: importance on training rows rewards features that
help the model memorise speakers.

Notebook: 05_modeling
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from helpers.models.evaluation import uar


def permutation_importance_grouped(
    model,
    X: pd.DataFrame,
    y: Sequence,
    folds,
    *,
    classes: Sequence,
    feature_groups: Mapping[str, Sequence[str]] | None = None,
    n_repeats: int = 3,
    seed: int = 0,
    groups=None,
    weighting: str | None = "class+speaker",
) -> pd.DataFrame:
    """UAR lost when each feature (or group of features) is shuffled within a test fold.

    ``feature_groups``: name -> columns shuffled together (default: each column alone).
    Rows are shuffled jointly for the columns of a group, so their relation is kept and
    only their link to the label is broken. Returns one row per feature (group), sorted by
    ``importance`` (mean UAR drop over folds and repeats), with ``sd`` over folds,
    ``n_features`` and the baseline ``uar`` of the unshuffled test folds. ``groups`` and
    ``weighting``: the training's sample weights (:func:`helpers.models.honest.sample_weights`;
    ``"class+speaker"`` needs ``groups``, and without them falls back to ``"class"``).

    Notebook: 05_modeling
    """
    y = np.asarray(y)
    fgroups = {c: [c] for c in X.columns} if feature_groups is None else {k: list(v) for k, v in feature_groups.items()}
    missing = sorted({c for cols in fgroups.values() for c in cols} - set(X.columns))
    if missing:
        raise KeyError(f"feature group(s) name column(s) not in X: {missing[:5]}")
    col_index = {c: i for i, c in enumerate(X.columns)}
    Xv = X.to_numpy(dtype=float)
    rng = np.random.default_rng([seed, 11])
    drops = {name: [] for name in fgroups}
    baselines = []
    classes = list(classes)
    from helpers.models.honest import fit_pipeline, single_thread

    if groups is None and weighting == "class+speaker":
        weighting = "class"
    spk = None if groups is None else np.asarray(groups)

    with single_thread():
        for train, test in folds:
            m = fit_pipeline(clone(model), Xv[train], y[train], groups=None if spk is None else spk[train],
                             weighting=weighting)
            Xt = Xv[test]
            base = uar(y[test], m.predict(Xt), classes)
            baselines.append(base)
            for name, cols in fgroups.items():
                idx = [col_index[c] for c in cols]
                fold_drops = []
                for _ in range(n_repeats):
                    Xp = Xt.copy()
                    Xp[:, idx] = Xt[rng.permutation(len(Xt))][:, idx]
                    fold_drops.append(base - uar(y[test], m.predict(Xp), classes))
                drops[name].append(float(np.mean(fold_drops)))
    out = pd.DataFrame(
        {
            "feature": list(fgroups),
            "importance": [float(np.mean(drops[n])) for n in fgroups],
            "sd": [float(np.std(drops[n])) for n in fgroups],
            "n_features": [len(fgroups[n]) for n in fgroups],
        }
    )
    out["uar"] = float(np.mean(baselines))
    return out.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def feature_groups_by_name(columns: Sequence[str], rules: Mapping[str, Sequence[str]] | None = None) -> dict[str, list[str]]:
    """Group feature columns by readable families (f0, MFCC, mel bands, jitter/shimmer, ...).

    ``rules``: group name -> substrings; a column joins the first group one of whose
    substrings it contains, else a group of its own. The default rules suit the columns of
    :mod:`helpers.features` (``orig_mel*``, ``spec_mfcc*``, ``voice_jitter*`` ...).

    Notebook: 05_modeling
    """
    rules = rules or DEFAULT_GROUP_RULES
    out: dict[str, list[str]] = {}
    for c in columns:
        for name, subs in rules.items():
            if any(s in c for s in subs):
                out.setdefault(name, []).append(c)
                break
        else:
            out.setdefault(c, []).append(c)
    return out


#: Default groups for :func:`feature_groups_by_name` (first match wins).
DEFAULT_GROUP_RULES: dict[str, tuple[str, ...]] = {
    "f0 statistics": ("f0_",),
    "mel band means (128)": ("orig_mel",),
    "MFCC deltas": ("dmfcc",),
    "MFCC": ("mfcc",),
    "spectral shape": ("centroid", "bandwidth", "rolloff", "flatness"),
    "spectral contrast": ("contrast",),
    "jitter": ("jitter",),
    "shimmer": ("shimmer",),
    "HNR": ("hnr",),
    "formants / vocal-tract length": ("_f1_", "_f2_", "_f3_", "vtl", "formant"),
    "onsets / tempo / duration": ("onset", "tempo", "duration"),
    "speaking rate / pauses": ("rate", "pause", "nuclei", "voiced_fraction", "speech_span"),
    "eGeMAPS": ("egemaps_",),
}
