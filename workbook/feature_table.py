"""The feature table the models learn from: notebook 03's output (or made now), and its column sets.

Notebook 03 writes ``features.parquet``, ``features_spec.json`` and the mel images into the
run's output folder. :func:`load_feature_table` and :func:`load_mel_images` read them when
they belong to the data set at hand and otherwise run the engine (cached) with the saved
cleaning choice, so notebooks 04 and 05 also run on their own.

Notebook: 04_eda, 05_modeling, 06_learned_representations
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.cleaning import load_cleaning_choice
from helpers.features import FAMILY_PREFIX, resolve_families
from workbook.engine import extract_features, read_feature_spec, read_features, write_outputs
from workbook.mel_images import extract_mel_images, read_mel_images

__all__ = ["feature_columns", "load_feature_table", "load_mel_images", "mel_columns", "model_feature_columns", "scalar_columns"]


def feature_columns(table: pd.DataFrame, families: str | Sequence[str] = "full") -> list[str]:
    """Feature columns of ``table`` that belong to a family set ("original", "full", "all")
    or a list of family names, in the table's order.

    Notebook: 04_eda, 05_modeling
    """
    prefixes = tuple(FAMILY_PREFIX[f] for f in resolve_families(families))
    return [c for c in table.columns if c.startswith(prefixes)]


def model_feature_columns(table: pd.DataFrame, families: str | Sequence[str] = "full") -> list[str]:
    """The inputs of the honest hand-crafted models: a family set's columns without the 128 raw
    mel-band means, and without the speaker embedding (a learned representation: notebook 06
    compares it *with* these, so ``families="all"`` gives the hand-crafted part of "all").

    The full set already describes the spectral envelope with MFCC statistics (a compact
    cosine transform of the log-mel spectrum); the original's 128 mean mel powers repeat it
    in 128 heavy-tailed numbers dominated by each speaker's microphone, which on Common Voice
    cost the linear models and the SVM 0.02-0.04 UAR. The original feature set keeps them.

    Notebook: 05_modeling, 06_learned_representations
    """
    hand = [f for f in resolve_families(families) if f != "speaker_embedding"]
    return scalar_columns(feature_columns(table, hand))


def _is_mel_band(column: str) -> bool:
    return column.startswith("orig_mel") and column[8:].isdigit()


def scalar_columns(columns: Sequence[str]) -> list[str]:
    """The columns that are not one of the 128 mel-band means (``orig_mel###``).

    Notebook: 04_eda
    """
    return [c for c in columns if not _is_mel_band(c)]


def mel_columns(columns: Sequence[str]) -> list[str]:
    """The 128 mel-band mean columns (``orig_mel000`` ...).

    Notebook: 04_eda
    """
    return [c for c in columns if _is_mel_band(c)]


def load_feature_table(ds, out_dir: str | Path, *, families: str | Sequence[str] = "full", n_jobs: int = 2,
                       sr: int = 16000, echo=print) -> tuple[pd.DataFrame, dict]:
    """The feature table of data set ``ds`` and its spec: notebook 03's if it matches, else extracted now.

    Notebook 03's table matches if it has every feature family asked for and its clips are
    clips of ``ds`` (a table of another data set or corpus size is not reused). Otherwise the
    engine computes the features with the saved cleaning choice
    (:func:`helpers.cleaning.load_cleaning_choice`) and writes them to ``out_dir`` as notebook
    03 would. All of ``ds``'s clips are kept, labelled or not.

    Notebook: 04_eda, 05_modeling
    """
    out_dir = Path(out_dir)
    wanted = set(resolve_families(families))
    paths = set(ds.manifest["path"].astype(str))
    try:
        table, spec = read_features(out_dir), read_feature_spec(out_dir)
        have = set(spec.get("families", []))
        if wanted <= have and table["path"].astype(str).isin(paths).all() and len(table) >= 0.9 * len(paths):
            echo(f"feature table from notebook 03: {len(table)} clips, families {sorted(have)}")
            return table, spec
        echo("notebook 03's feature table does not match this data set or lacks families; extracting")
    except FileNotFoundError:
        pass  # notebook 03 has not run here: extract now
    except (OSError, ValueError, KeyError) as exc:
        echo(f"notebook 03's feature table is unreadable ({exc}); extracting")
    result = extract_features(ds, families=tuple(sorted(wanted | {"original"})), cleaning=load_cleaning_choice(out_dir),
                              n_jobs=n_jobs, sr=sr, progress=False)
    echo(result.summary())
    write_outputs(result, out_dir)
    return result.features, read_feature_spec(out_dir)


def load_mel_images(ds, out_dir: str | Path, *, n_jobs: int = 2, sr: int = 16000, echo=print) -> tuple[np.ndarray, pd.DataFrame]:
    """``(images, index)``: notebook 03's mel images if they belong to ``ds``, else made now.

    ``images``: memory-mapped float32 ``(n_clips, 128, n_frames)`` in dB; ``index``: ``row``,
    ``path`` and the label columns. Made with the saved cleaning choice, as notebook 03 does.

    Notebook: 04_eda
    """
    paths = set(ds.manifest["path"].astype(str))
    try:
        images, index = read_mel_images(out_dir)
        if index["path"].astype(str).isin(paths).all() and len(index) >= 0.9 * len(paths):
            echo(f"mel images from notebook 03: {images.shape}")
            return images, index
        echo("notebook 03's mel images belong to another data set; making them")
    except FileNotFoundError:
        echo("no mel images from notebook 03; making them")
    made = extract_mel_images(ds, out_dir, cleaning=load_cleaning_choice(out_dir), sr=sr, n_jobs=n_jobs, progress=False)
    return made.load(), made.index
