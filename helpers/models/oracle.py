"""The oracle: the same model trained on the synthetic corpus's *latent* voice parameters.

The synthetic corpus knows each speaker's true f0, jitter, shimmer, HNR, tremor, speaking
rate and vocal-tract length (the values it drew before rendering any sound). A model
trained on those numbers shows how much age the voices carry at all, before any
measurement error: features extracted from the audio can approach that ceiling, not pass
it (unless they pick up what the latent list leaves out). :func:`oracle_ratio` says how
close they come.

Only the synthetic corpus has latent parameters; on real data there is no oracle.

Notebook: 05_modeling
"""

from __future__ import annotations

import pandas as pd

#: Speaker-level latent columns of the synthetic manifest (the voice the corpus drew).
LATENT_COLUMNS: tuple[str, ...] = (
    "speaker_f0_hz",
    "jitter_pct",
    "shimmer_pct",
    "hnr_db",
    "tremor_depth_pct",
    "tremor_rate_hz",
    "speaker_speaking_rate_sps",
    "vtl_cm",
)


def latent_table(manifest: pd.DataFrame, paths: pd.Series | None = None) -> pd.DataFrame:
    """The latent parameters of each clip, in the row order of ``paths`` (default: the manifest's).

    Raises ``KeyError`` if the manifest is not a synthetic corpus's (no latent columns).

    Notebook: 05_modeling
    """
    missing = [c for c in LATENT_COLUMNS if c not in manifest.columns]
    if missing:
        raise KeyError(f"no latent parameters ({', '.join(missing)} missing): the oracle needs the synthetic corpus")
    table = manifest.set_index(manifest["path"].astype(str))[list(LATENT_COLUMNS)].astype(float)
    if paths is None:
        return table.reset_index(drop=True)
    lookup = table.reindex(pd.Index(paths.astype(str)))
    if lookup.isna().all(axis=1).any():
        n = int(lookup.isna().all(axis=1).sum())
        raise KeyError(f"{n} path(s) of the feature table are not in the manifest")
    return lookup.reset_index(drop=True)


def oracle_ratio(model_uar: float, oracle_uar: float) -> float:
    """Model UAR as a fraction of the oracle's (1.0: the features recover all the latent information).

    Notebook: 05_modeling
    """
    return float(model_uar / oracle_uar) if oracle_uar > 0 else float("nan")
