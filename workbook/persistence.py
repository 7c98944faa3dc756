"""Saving and loading trained models safely: skops files with a stated list of trusted types.

A pickle (or joblib) file runs whatever code it names when it is loaded, so loading a
model file from someone else is running their program. **skops** stores the model as data
plus a list of the types it contains, and refuses to build any type the caller has not
trusted. :func:`load_model` trusts exactly :data:`TRUSTED_TYPES` (beyond skops's own
defaults of scikit-learn estimators and NumPy arrays) and raises
:class:`UntrustedModelError` naming every other type it finds, without building any.

A saved model is a folder with:

- ``age_model.skops`` and ``gender_model.skops``: the fitted scikit-learn pipelines;
- ``model_card.json``: what they need and what they scored: feature columns in order,
  classes, the feature spec (families, parameters, cleaning; :mod:`helpers.features`),
  the training data set, the cross-validated headline numbers and library versions.

Notebook: 05_modeling (saves), 06_predict (loads)
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

#: Types a workbook model may contain beyond skops's defaults. Anything else in a file
#: makes :func:`load_model` refuse it.
TRUSTED_TYPES: tuple[str, ...] = (
    "helpers.models.outliers.SkewLog",
    "helpers.models.outliers.ZScoreClipper",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)

CARD_FILENAME = "model_card.json"
MODEL_FILES = {"age": "age_model.skops", "gender": "gender_model.skops"}


class UntrustedModelError(ValueError):
    """A model file holds types outside :data:`TRUSTED_TYPES`; it was not loaded."""


class ModelNotFoundError(FileNotFoundError):
    """No saved model where one was expected."""


def save_pipeline(path: str | Path, model) -> Path:
    """Write one fitted pipeline as a skops file; check it reloads with the trusted types only.

    Notebook: 05_modeling
    """
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    sio.dump(model, tmp)
    _check_types(tmp)
    tmp.replace(path)
    return path


def _check_types(path: Path) -> list[str]:
    import skops.io as sio

    found = sio.get_untrusted_types(file=path)
    bad = sorted(set(found) - set(TRUSTED_TYPES))
    if bad:
        raise UntrustedModelError(
            f"{path}: contains type(s) not on the trusted list: {', '.join(bad)}. It was not loaded. "
            "Only load model files you made yourself or whose source you trust; to trust a new type, "
            "add it to workbook.persistence.TRUSTED_TYPES after reading what it does."
        )
    return list(found)


def load_pipeline(path: str | Path):
    """Load one skops model file, refusing types outside :data:`TRUSTED_TYPES`.

    Notebook: 06_predict
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: no model file; run notebooks/05_modeling first")
    found = _check_types(path)
    return sio.load(path, trusted=found)


def library_versions() -> dict:
    """Versions of Python and the libraries a saved model depends on."""
    import numpy
    import sklearn

    out = {"python": platform.python_version(), "numpy": numpy.__version__, "scikit-learn": sklearn.__version__}
    try:
        import skops

        out["skops"] = skops.__version__
    except ImportError:
        pass
    return out


def save_models(folder: str | Path, models: dict, card: dict) -> dict[str, Path]:
    """Save the pipelines (``{"age": ..., "gender": ...}``) and their card into ``folder``.

    ``card`` must hold, per model, ``feature_columns`` and ``classes`` under
    ``card["models"][name]``, and the feature spec under ``card["feature_spec"]``.
    Library versions are added. Returns the written paths by name.

    Notebook: 05_modeling
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in models:
        entry = card.get("models", {}).get(name, {})
        if "feature_columns" not in entry or "classes" not in entry:
            raise ValueError(f"card['models'][{name!r}] needs 'feature_columns' and 'classes'")
    if "feature_spec" not in card:
        raise ValueError("card needs 'feature_spec' (the features' families, parameters and cleaning)")
    paths = {}
    for name, model in models.items():
        fname = MODEL_FILES.get(name, f"{name}_model.skops")
        card["models"][name]["file"] = fname
        paths[name] = save_pipeline(folder / fname, model)
    card = {**card, "versions": library_versions()}
    paths["card"] = folder / CARD_FILENAME
    paths["card"].write_text(json.dumps(card, indent=2, sort_keys=True, default=_json_default) + "\n")
    return paths


def read_card(folder: str | Path) -> dict:
    """The model card of a saved model folder.

    Notebook: 06_predict
    """
    path = Path(folder) / CARD_FILENAME
    if not path.is_file():
        raise ModelNotFoundError(
            f"{path}: no saved model here; run notebooks/05_modeling (or `make run`) first, "
            "or pass the folder holding model_card.json"
        )
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a valid model card ({exc})") from exc


def load_models(folder: str | Path) -> tuple[dict, dict]:
    """Load every pipeline named in a folder's card: ``({"age": pipeline, ...}, card)``.

    Notebook: 06_predict
    """
    folder = Path(folder)
    card = read_card(folder)
    models = {name: load_pipeline(folder / entry["file"]) for name, entry in card.get("models", {}).items()}
    return models, card


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")
