"""Features of voice recordings, and the engine that extracts them for a whole data set.

Compute modules (arrays in, numbers or arrays out):

- :mod:`helpers.features.pitch`           f0 tracks (Praat or pyin), f0 statistics, gross pitch error
- :mod:`helpers.features.original`        the original analysis's feature set (and its procedure, for benchmarks)
- :mod:`helpers.features.spectral_stats`  MFCC + delta statistics, centroid, bandwidth, roll-off, flatness, contrast
- :mod:`helpers.features.voice`           jitter, shimmer, HNR, formants, vocal-tract length (Praat), vocal tremor
- :mod:`helpers.features.rhythm`          onsets, tempo, voiced fraction, pauses, syllable nuclei, speaking rate
- :mod:`helpers.features.egemaps`         the eGeMAPS set (openSMILE), a switchable family
- :mod:`workbook.mel_images`      fixed-length (3 s) log-mel "images", stored as a float32 .npy
- :mod:`helpers.features.families`        the families, their parameters and the per-clip computation

Running at scale:

- :mod:`workbook.engine`  :func:`extract_features`: parallel (joblib or Dask), cached, resumable
- :mod:`workbook.cache`   the Parquet cache keyed by file content, parameters and code version
- :mod:`workbook.features_cli`     ``python -m workbook features ...``

Checks and figures: :mod:`workbook.synthetic.ground_truth` (against the synthetic corpus's latent
values) and :mod:`helpers.features.plots`.

Notebook: 03_features
"""

from helpers.features.families import DEFAULT_FAMILIES, FAMILY_PREFIX, FAMILY_SETS, FeatureParams, compute_features, resolve_families

__all__ = [
    "DEFAULT_FAMILIES",
    "FAMILY_PREFIX",
    "FAMILY_SETS",
    "FeatureParams",
    "compute_features",
    "resolve_families",
]
