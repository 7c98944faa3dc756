"""Saving and loading trained models safely: skops files with a stated list of trusted types.

A pickle file runs whatever code it names when loaded; **skops** stores the model as data
and builds only the types the caller trusts: :data:`TRUSTED_TYPES` beyond its defaults
(scikit-learn estimators, NumPy arrays). A saved model is a folder with ``age_model.skops``,
``gender_model.skops`` and ``model_card.json`` (feature columns in order, classes, the
feature spec, the training data set, the headline scores, library versions).

Notebook: 05_modeling (saves), 07_predict (loads)
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
from pathlib import Path

import numpy as np
import sklearn

from helpers.models import QuantileBins, SkewLog, ZScoreClipper

__all__ = ["ModelFileError", "ModelNotFoundError", "TRUSTED_TYPES", "UntrustedModelError", "save_models"]

#: Types a workbook model may contain beyond skops's defaults: the workbook's own transformers
#: and the scikit-learn internals its pipelines hold. Anything else in a file is refused.
TRUSTED_TYPES: tuple[str, ...] = (
    *(f"{cls.__module__}.{cls.__qualname__}" for cls in (QuantileBins, SkewLog, ZScoreClipper)),
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration._TemperatureScaling",
)

_CARD_FILENAME = "model_card.json"
_MODEL_FILES = {"age": "age_model.skops", "gender": "gender_model.skops"}


class UntrustedModelError(ValueError):
    """A model file holds types outside :data:`TRUSTED_TYPES`; it was not loaded."""


class ModelFileError(ValueError):
    """A model folder or file is not what its card says (outside the folder, unreadable, other
    classes); it was not used."""


class ModelNotFoundError(FileNotFoundError):
    """No saved model where one was expected."""


def _check_types(path: Path) -> list[str]:
    import skops.io as sio  # skops loads in seconds: only where a model is read or written

    found = sio.get_untrusted_types(file=path)
    bad = sorted(set(found) - set(TRUSTED_TYPES))
    if bad:
        raise UntrustedModelError(
            f"{path}: contains type(s) not on the trusted list: {', '.join(bad)}. It was not loaded. "
            "Only load model files you made yourself or whose source you trust; to trust a new type, "
            "add it to workbook.persistence.TRUSTED_TYPES after reading what it does."
        )
    return list(found)


def save_pipeline(path: str | Path, model) -> Path:
    """Write one fitted pipeline as a skops file; check it reloads with the trusted types only.

    Notebook: 05_modeling
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    import skops.io as sio

    sio.dump(model, tmp)
    _check_types(tmp)
    tmp.replace(path)
    return path


def load_pipeline(path: str | Path):
    """Load one skops model file, refusing types outside :data:`TRUSTED_TYPES`.

    Notebook: 07_predict
    """
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: no model file; run notebooks/05_modeling first")
    import skops.io as sio

    try:
        return sio.load(path, trusted=_check_types(path))
    except UntrustedModelError:
        raise
    except Exception as exc:  # a pickle renamed .skops, a truncated or hand-edited file
        raise ModelFileError(f"{path}: not a readable skops model file ({type(exc).__name__}: {exc}); refused. "
                             "Save the model again with notebooks/05_modeling") from exc


def _json_default(obj):
    if isinstance(obj, (np.integer, np.floating, np.ndarray)):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def save_models(folder: str | Path, models: dict, card: dict) -> dict[str, Path]:
    """Save the pipelines (``{"age": ..., "gender": ...}``) and their card into ``folder``.

    ``card`` must hold, per model, ``feature_columns`` and ``classes`` under
    ``card["models"][name]``, and the feature spec under ``card["feature_spec"]``. Library
    versions are added. Returns the written paths by name.

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
        card["models"][name]["file"] = _MODEL_FILES.get(name, f"{name}_model.skops")
        paths[name] = save_pipeline(folder / card["models"][name]["file"], model)
    versions = {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__,
                "skops": importlib.metadata.version("skops")}
    paths["card"] = folder / _CARD_FILENAME
    paths["card"].write_text(json.dumps({**card, "versions": versions}, indent=2, sort_keys=True, default=_json_default) + "\n")
    return paths


def read_card(folder: str | Path) -> dict:
    """The model card of a saved model folder.

    Notebook: 07_predict
    """
    path = Path(folder) / _CARD_FILENAME
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

    Notebook: 07_predict
    """
    card, folder = read_card(folder), Path(folder).resolve()
    models = {}
    for name, entry in card.get("models", {}).items():
        try:
            path, classes = (folder / entry["file"]).resolve(), [str(c) for c in entry["classes"]]
        except (KeyError, TypeError) as exc:
            raise ModelFileError(f"{folder / _CARD_FILENAME}: models.{name} needs 'file' and 'classes' ({exc!r}); refused") from exc
        if path.parent != folder:
            raise ModelFileError(f"{folder / _CARD_FILENAME}: models.{name} names {entry['file']!r}, outside the model "
                                 "folder; a card may only name files beside it. Refused")
        models[name] = load_pipeline(path)
        found = [str(c) for c in getattr(models[name], "classes_", [])]
        if sorted(found) != sorted(classes):
            raise ModelFileError(f"{path}: the model predicts classes {found}, its card says {classes}; "
                                 "the card and the file do not belong together. Refused")
    return models, card
