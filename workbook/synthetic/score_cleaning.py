"""Scoring cleaning presets over the synthetic corpus, against its re-rendered clean speech.

Every corpus clip can be re-rendered with its clean speech and its truth (speech
boundaries, click times) by :func:`workbook.synthetic.corpus.render_clip`, so cleaning can
be measured, not only judged by ear. The rendered mix is scored, not the (possibly mp3)
file, so codec loss is not counted against the cleaning; both mix and reference are
resampled to the analysis rate with soxr, as :func:`helpers.audio.load_audio` does.

Notebook: 02_cleaning.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import soxr
from joblib import Parallel, delayed

from helpers.cleaning_scores import score_clip
from workbook.synthetic.corpus import CorpusConfig, render_clip

__all__ = ["evaluate_corpus"]


def _score_one(config, speaker_index, clip_index, variants, sr, top_db_sweep):
    """Rows of one clip, or ``([], message)`` if it could not be scored."""
    try:
        clip = render_clip(config, speaker_index, clip_index)
        mix, ref = (np.asarray(p, dtype=np.float64) for p in (clip.mix, clip.clean))
        if int(clip.sr) != int(sr):
            mix, ref = (soxr.resample(p, int(clip.sr), int(sr), quality="HQ") for p in (mix, ref))
        return score_clip(mix, ref, clip.info, variants, sr=sr, top_db_sweep=top_db_sweep), None
    except Exception as exc:  # recorded, not fatal: batch work carries on
        return [], f"speaker {speaker_index} clip {clip_index}: {type(exc).__name__}: {exc}"


def evaluate_corpus(
    config: CorpusConfig,
    variants: Mapping[str, Any],
    *,
    n_clips: int | None = 150,
    sr: int = 16000,
    seed: int = 0,
    top_db_sweep: Iterable[float] = (),
    n_jobs: int = 1,
) -> tuple[pd.DataFrame, list[str]]:
    """Score cleaning variants (name -> preset or parameter dict) on clips of a synthetic corpus.

    ``n_clips`` clips are drawn without replacement with ``seed`` (None: all). Returns
    ``(scores, failures)``: the rows of :func:`helpers.cleaning_scores.score_clip` with
    speaker_index and clip_index in front, and one message per clip that failed.

    Notebook: 02_cleaning
    """
    pairs = [(i, j) for i in range(config.n_speakers) for j in range(config.clips_per_speaker)]
    if n_clips is not None and n_clips < len(pairs):
        pick = np.random.default_rng(seed).choice(len(pairs), size=int(n_clips), replace=False)
        pairs = [pairs[k] for k in sorted(pick)]
    sweep = tuple(top_db_sweep)
    if n_jobs == 1:
        results = [_score_one(config, i, j, variants, sr, sweep) for i, j in pairs]
    else:
        results = Parallel(n_jobs=n_jobs, batch_size=4)(
            delayed(_score_one)(config, i, j, variants, sr, sweep) for i, j in pairs
        )
    rows, failures = [], []
    for (i, j), (clip_rows, failure) in zip(pairs, results):
        if failure:
            failures.append(failure)
        rows += [{"speaker_index": i, "clip_index": j, **r} for r in clip_rows]
    return pd.DataFrame(rows), failures
