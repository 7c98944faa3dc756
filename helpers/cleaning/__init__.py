"""Cleaning recordings: noise reduction, trimming, click removal, an SNR estimate, and measurement.

Compute modules (arrays in, arrays out):

- :mod:`helpers.cleaning.inputs`    downmix to mono, silence and clipping checks
- :mod:`helpers.cleaning.activity`  speech/silence frames, noise clips, blind SNR estimate
- :mod:`helpers.cleaning.clicks`    click detection and LSAR repair, declipping
- :mod:`helpers.cleaning.denoise`   spectral gating with noisereduce (stationary / non-stationary)
- :mod:`helpers.cleaning.trim`      ``librosa.effects.trim`` by ``top_db``
- :mod:`helpers.cleaning.pipeline`  :func:`clean`, :data:`CLEANING_PRESETS`, the saved choice
- :mod:`helpers.cleaning.evaluate`  SI-SDR, boundary errors and click scores against the truth

Figures and the interactive panel live in :mod:`helpers.cleaning.plots` and
:mod:`helpers.cleaning.widgets` (not imported here: they need matplotlib / ipywidgets).

Typical use, in a later notebook::

    from helpers.cleaning import clean, load_cleaning_choice
    choice = load_cleaning_choice(run_output_dir(dataset, output_dir))  # written by 02
    result = clean(y, sr, choice)        # result.y: cleaned, trimmed; result.notes: what happened

Notebook: 02_cleaning (later notebooks apply the chosen cleaning with :func:`clean`).
"""

from helpers.cleaning.activity import Activity, estimate_snr_db, frame_power_db, noise_clip_from_silence, speech_activity
from helpers.cleaning.clicks import declip, detect_clicks, lsar_interpolate, remove_clicks
from helpers.cleaning.denoise import METHODS, reduce_noise
from helpers.cleaning.inputs import CleaningInputError, as_mono, detect_clipping, is_silent
from helpers.cleaning.pipeline import (
    CHOICE_FILENAME,
    CLEANING_PRESETS,
    CLEANING_VERSION,
    DEFAULT_CLEANING,
    DEFAULT_PARAMS,
    CleaningResult,
    clean,
    clean_clips,
    clean_file,
    load_cleaning_choice,
    resolve_cleaning,
    save_cleaning_choice,
)
from helpers.cleaning.trim import trim_silence

__all__ = [
    "Activity",
    "CHOICE_FILENAME",
    "CLEANING_PRESETS",
    "CLEANING_VERSION",
    "CleaningInputError",
    "CleaningResult",
    "DEFAULT_CLEANING",
    "DEFAULT_PARAMS",
    "METHODS",
    "as_mono",
    "clean",
    "clean_clips",
    "clean_file",
    "declip",
    "detect_clicks",
    "detect_clipping",
    "estimate_snr_db",
    "frame_power_db",
    "is_silent",
    "load_cleaning_choice",
    "lsar_interpolate",
    "noise_clip_from_silence",
    "reduce_noise",
    "remove_clicks",
    "resolve_cleaning",
    "save_cleaning_choice",
    "speech_activity",
    "trim_silence",
]
