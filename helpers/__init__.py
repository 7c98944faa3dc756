"""helpers: the thin teaching library behind the notebooks - what they reuse, draw and play.

A notebook shows each method with the library a reader will use afterwards (``librosa.stft``,
``nr.reduce_noise``, ``cross_val_predict`` ...) the first time it teaches it; later cells
call the helper here that does the same for a whole data set. The machinery a learner need
not read (data sets, the synthetic generator, the feature engine, model files, the runner)
lives apart in :mod:`workbook`; ``helpers`` never imports it.

Listening and looking
- :mod:`helpers.audio`        any recording to mono float32, with clear errors
- :mod:`helpers.players`      audio players that keep committed notebooks small
- :mod:`helpers.plots`        waveform, spectrum, spectrogram and f0 figures (``ax=None``)
- :mod:`helpers.widgets`      the signal explorer (01)
- :mod:`helpers.examples`     example clips and young/old contrasts from any data set

Cleaning (02)
- :mod:`helpers.cleaning`         ``clean()``: click repair, gate, trim; presets; the saved choice
- :mod:`helpers.clicks`           click detection and least-squares (LSAR) repair
- :mod:`helpers.speech_activity`  speech/silence frames, noise clips, a blind SNR estimate
- :mod:`helpers.cleaning_scores`  SI-SDR, boundary and click scores
- :mod:`helpers.cleaning_plots`   before/after figures and the cleaning panel

Features (03)
- :mod:`helpers.features`           the feature families and ``compute_features`` for one clip
- :mod:`helpers.pitch`              f0 tracks (Praat or pYIN) and their statistics
- :mod:`helpers.voice`              jitter, shimmer, HNR, formants, tract length, tremor (Praat)
- :mod:`helpers.rhythm`             intensity, syllable nuclei, pauses, speaking rate
- :mod:`helpers.spectral_features`  MFCC and spectral-shape statistics
- :mod:`helpers.original`           the original analysis's features and procedure

Exploring and modelling (04-06)
- :mod:`helpers.eda_plots`        figures of the exploratory notebook
- :mod:`helpers.models`           the pipelines (balanced, CV-safe outlier handling)
- :mod:`helpers.evaluation`       scores with speaker-bootstrap intervals, speaker votes, comparisons
- :mod:`helpers.levels`           three levels (random, speaker-, language-grouped), language baseline, nested CV
- :mod:`helpers.model_plots`      comparison, grid-search and importance figures
- :mod:`helpers.predict_widgets`  the upload panel

Each module's ``__all__`` is its public surface; each public function names the notebook
that uses it (``Notebook:`` in its docstring).
"""

__all__ = []
__version__ = "0.1.0"
