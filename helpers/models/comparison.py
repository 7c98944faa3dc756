"""One table, the same folds: random vs speaker-grouped split x feature sets x models.

:func:`compare_splits` makes one set of random folds and one set of speaker-grouped folds,
then cross-validates every (feature set, model) pair on *both* sets. Because every row of
the table uses the same folds, the difference between a random-split row and the
grouped-split row below it is the part of the score that came from recognising speakers.

Extra pipelines (the original analysis's, with gender as an input) can join the table
through ``extra`` and run on the same folds.

Notebook: 05_modeling
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers.models.evaluation import make_folds, speakers_on_both_sides
from helpers.models.honest import MODEL_LABELS, CVResult, evaluate_cv, make_model


def compare_splits(
    feature_sets: Mapping[str, pd.DataFrame],
    y: Sequence,
    groups: Sequence,
    *,
    classes: Sequence,
    models: Sequence[str] = ("lr", "svm", "gb"),
    splits: Sequence[str] = ("random", "grouped"),
    extra: Mapping[str, tuple[str, object]] | None = None,
    n_splits: int = 5,
    n_bootstrap: int = 1000,
    seed: int = 0,
    fast: bool = False,
    weighting: str | None = "class+speaker",
    progress=None,
) -> tuple[pd.DataFrame, dict[tuple[str, str, str], CVResult]]:
    """Cross-validate every feature set x model on random and grouped folds.

    ``feature_sets``: name -> input table (same rows, in the order of ``y``).
    ``extra``: model name -> ``(feature set name, estimator)`` or ``(feature set name,
    estimator, X)`` for further pipelines; with ``X`` (same rows) the pipeline gets its
    own inputs, shown under that feature set name (e.g. the original features plus gender).
    Extra pipelines are fitted without sample weights (as the original was); the honest
    models with ``weighting`` (see :func:`helpers.models.honest.sample_weights`).
    Returns the table (one row per split x features x model, clip and speaker UAR with
    95 % speaker-bootstrap intervals and accuracy, and ``leaked_speakers``: speakers with
    clips on both sides of some fold) and the :class:`~helpers.models.honest.CVResult`
    of every row keyed by ``(split, features, model)``.

    Notebook: 05_modeling
    """
    y = np.asarray(y)
    groups = np.asarray(groups)
    folds = {kind: make_folds(y, groups, kind=kind, n_splits=n_splits, seed=seed) for kind in splits}
    leaked = {kind: speakers_on_both_sides(f, groups) for kind, f in folds.items()}
    jobs = []
    for fname in feature_sets:
        for m in models:
            jobs.append((fname, m, make_model(m, seed=seed, fast=fast), weighting))
    inputs = dict(feature_sets)
    for label, spec in (extra or {}).items():
        fname, est = spec[0], spec[1]
        if len(spec) > 2:
            if len(spec[2]) != len(y):
                raise ValueError(f"extra model {label!r}: its inputs have {len(spec[2])} rows, y has {len(y)}")
            inputs[fname] = spec[2]
        elif fname not in feature_sets:
            raise KeyError(f"extra model {label!r} asks for feature set {fname!r}; have {list(feature_sets)}")
        jobs.append((fname, label, est, None))
    results: dict[tuple[str, str, str], CVResult] = {}
    rows = []
    for kind in splits:
        for fname, mname, est, wt in jobs:
            if progress is not None:
                progress(f"{kind} split, {fname} features, {mname}")
            res = evaluate_cv(
                est, inputs[fname], y, groups, folds[kind], classes=classes, n_bootstrap=n_bootstrap,
                seed=seed, name=mname, features=fname, split=kind, weighting=wt,
            )
            results[(kind, fname, mname)] = res
            row = res.row()
            row["model_label"] = MODEL_LABELS.get(mname, mname)
            row["leaked_speakers"] = leaked[kind]
            rows.append(row)
    table = pd.DataFrame(rows)
    return table, results


def speaker_recognition_share(table: pd.DataFrame, *, level: str = "clip") -> pd.DataFrame:
    """Per features x model: UAR on random and grouped folds and the drop between them.

    ``drop`` is the part of the random-split UAR that does not survive keeping speakers
    apart: what the model got from recognising speakers rather than ages.

    Notebook: 05_modeling
    """
    col = f"{level}_uar"
    wide = table.pivot_table(index=["features", "model"], columns="split", values=col, sort=False)
    if not {"random", "grouped"} <= set(wide.columns):
        raise ValueError("the table needs both random and grouped rows")
    out = wide[["random", "grouped"]].copy()
    out["drop"] = out["random"] - out["grouped"]
    return out.reset_index()


def best_row(table: pd.DataFrame, *, split: str = "grouped", level: str = "speaker", features=None) -> pd.Series:
    """The row with the highest UAR among one split (and optionally one feature set).

    Notebook: 05_modeling
    """
    t = table[table["split"] == split]
    if features is not None:
        t = t[t["features"] == features]
    if t.empty:
        raise ValueError(f"no rows for split={split!r}, features={features!r}")
    return t.loc[t[f"{level}_uar"].idxmax()]


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table for reading: UAR with its 95 % interval as text, accuracy beside it.

    Notebook: 05_modeling
    """
    out = pd.DataFrame({"split": table["split"], "features": table["features"], "model": table["model"]})
    for level in ("clip", "speaker"):
        if f"{level}_uar" not in table:
            continue
        out[f"{level} UAR [95 % CI]"] = [
            f"{u:.3f} [{lo:.3f}, {hi:.3f}]"
            for u, lo, hi in zip(table[f"{level}_uar"], table[f"{level}_uar_low"], table[f"{level}_uar_high"])
        ]
        out[f"{level} accuracy"] = table[f"{level}_accuracy"].map(lambda v: f"{v:.3f}")
    if "leaked_speakers" in table:
        out["speakers on both sides"] = table["leaked_speakers"]
    return out.reset_index(drop=True)
