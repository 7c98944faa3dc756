"""Models of age and gender, and their honest evaluation.

- :mod:`workbook.feature_table`        the feature table (notebook 03's, or made now) and its feature sets
- :mod:`helpers.models.evaluation`  speaker-grouped folds, UAR, speaker-bootstrap CIs,
  confusion matrices, per-speaker aggregation, mean class distance, MAE
- :mod:`helpers.models.outliers`    z-score outliers: the original's rule and a CV-safe clipper
- :mod:`helpers.models.original`    the original analysis's pipeline, reproduced
- :mod:`helpers.models.honest`      grouped CV of class- and speaker-balanced LR / SVM / gradient boosting
- :mod:`helpers.models.comparison`  random vs grouped split x features x models, same folds
- :mod:`helpers.models.oracle`      the same model on the synthetic corpus's latent parameters
- :mod:`helpers.models.importance`  permutation importance on grouped test folds
- :mod:`workbook.persistence` skops files with a stated list of trusted types
- :mod:`workbook.predict`     age and gender of new recordings
- :mod:`workbook.predict_cli`         ``python -m workbook predict FILE...``
- :mod:`workbook.metrics_json`     metrics.json
- :mod:`helpers.models.plots`       the figures
- :mod:`helpers.models.widgets`     the upload panel of notebook 06

Submodules are imported on use.

Notebook: 04_eda, 05_modeling, 06_predict
"""
