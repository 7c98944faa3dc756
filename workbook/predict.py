"""Predicting age group and gender of new recordings, with the training's cleaning and features.

:class:`Predictor` loads a saved model folder (:mod:`workbook.persistence`) and sends each
new file through the training's steps (:func:`workbook.workers.process_file`: load and
resample, clean, check, compute) before the pipelines predict. A file that cannot be read or
analysed gets a row with ``status="error"`` naming the file and the problem; the others go on.

Notebook: 07_predict (and ``python -m workbook predict``).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.features import FAMILY_PREFIX, FeatureParams
from helpers.evaluation import aggregate_by_speaker
from helpers.models import MODEL_LABELS
from workbook.engine import FEATURE_CODE_VERSION, make_feature_job
from workbook.persistence import load_models
from workbook.workers import Job, process_file

__all__ = ["PredictionError", "Predictor"]

#: Below this fraction of the training's feature columns a prediction is refused.
_MIN_FEATURE_FRACTION = 0.5


class PredictionError(ValueError):
    """A file could not be predicted (the message names the file and the problem)."""


def _feature_job_from_spec(spec: dict) -> Job:
    """The engine job that reproduces the training features from notebook 03's ``features_spec.json``."""
    known = set(FeatureParams.__dataclass_fields__)
    params = FeatureParams(**{k: v for k, v in spec.get("params", {}).items() if k in known})
    return make_feature_job(families=tuple(spec["families"]), cleaning=spec.get("cleaning"), params=params)


def _label(model_name: str) -> str:
    return "age_group" if model_name == "age" else model_name


_LEVEL_NAMES = {"random": "random split of clips", "grouped": "speaker-grouped", "language": "language-grouped"}


def _judged(name: str, entry: dict) -> str:
    """Where the card says a model was judged: its most honest level first, the others beside it."""
    ev = entry.get("evaluation", {})
    if not ev.get("levels"):
        return f"the {name} model's card does not say on which level it was judged (re-run notebook 05)"
    first, *others = [ev["judged_on"]] + [k for k in ev["levels"] if k != ev["judged_on"]]
    spk = ev["levels"][first]["speaker"]
    beside = "; ".join(f"{_LEVEL_NAMES.get(k, k)} {ev['levels'][k]['speaker']['uar']:.3f}" for k in others)
    return (f"the {name} model was judged on the {_LEVEL_NAMES.get(first, first)} level: speaker UAR {spk['uar']:.3f} "
            f"[{spk['uar_low']:.3f}, {spk['uar_high']:.3f}]" + (f" ({beside})" if beside else ""))


def _proba_in_order(model, X, classes) -> np.ndarray:
    p = model.predict_proba(X)
    where = {c: j for j, c in enumerate(model.classes_)}
    return np.column_stack([p[:, where[c]] if c in where else np.zeros(len(X)) for c in classes])


@dataclass
class Predictor:
    """Saved age and gender pipelines plus the feature job that feeds them.

    Build one with :meth:`from_folder`; :meth:`predict_files` returns one row per file.

    Notebook: 07_predict
    """

    models: dict
    card: dict
    job: Job | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_folder(cls, folder: str | Path) -> "Predictor":
        """Load the model folder notebook 05 saved (``<outputs>/<dataset>/model``).

        Notebook: 07_predict
        """
        models, card = load_models(folder)
        notes = []
        trained = str(card["feature_spec"].get("code_version", ""))
        if trained and trained != FEATURE_CODE_VERSION:
            notes.append(
                f"the model was trained on features of code version {trained}, this installation computes "
                f"version {FEATURE_CODE_VERSION}: predictions may be off; re-run notebooks 03-05"
            )
        notes += [_judged(name, entry) for name, entry in card.get("models", {}).items()]
        return cls(models=models, card=card, job=_feature_job_from_spec(card["feature_spec"]), notes=notes)

    def describe(self) -> str:
        """Which model and which features predict each label, and its speaker-grouped CV UAR.

        Notebook: 07_predict
        """
        lines = []
        for name, entry in self.card["models"].items():
            uar = entry.get("grouped_cv", {}).get("speaker", {}).get("uar", float("nan"))
            model = entry.get("model", "")
            lines.append(f"{_label(name)}: {MODEL_LABELS.get(model, model or 'a saved model')} on "
                         f"{entry.get('features', 'hand-crafted')} features ({len(entry['feature_columns'])} columns), "
                         f"speaker-grouped CV UAR {uar:.3f}")
        columns = [c for entry in self.card["models"].values() for c in entry["feature_columns"]]
        if getattr(self.job, "cleaning", None) is not None and any(c.startswith(FAMILY_PREFIX["speaker_embedding"]) for c in columns):
            lines.append("the speaker embedding is computed from each recording as loaded; "
                         "the other features from the cleaned recording, as in training")
        return "\n".join(lines)

    def features_of(self, path: str | Path) -> dict:
        """Feature values of one file, computed as in training. Raises :class:`PredictionError`.

        Notebook: 07_predict
        """
        path = Path(path)
        if not path.exists():
            raise PredictionError(f"{path}: file not found")
        if path.is_dir():
            raise PredictionError(f"{path}: is a folder, not an audio file")
        row = process_file(str(path), "", self.job)
        if row["_status"] != "ok":
            errors = json.loads(row["_errors"]) if row["_errors"] else []
            stage, message = errors[0] if errors else ("unknown", "no reason recorded")
            raise PredictionError(f"{path}: {message} (at the {stage} step)")
        return {k: v for k, v in row.items() if not k.startswith("_") and k != "content_sha1"}

    def _matrix(self, values: dict, name: str, path) -> np.ndarray:
        cols = self.card["models"][name]["feature_columns"]
        x = np.array([[values.get(c, np.nan) for c in cols]], dtype=float)
        present = float(np.isfinite(x).mean()) if cols else 0.0
        if present < _MIN_FEATURE_FRACTION:
            raise PredictionError(
                f"{path}: only {present:.0%} of the {len(cols)} features could be computed "
                "(too little voiced speech?); no prediction"
            )
        return x

    def predict_one(self, path: str | Path) -> dict:
        """Age group and gender of one file with probabilities. Raises :class:`PredictionError`.

        Notebook: 07_predict
        """
        values = self.features_of(path)
        out: dict = {"path": str(path), "status": "ok", "error": ""}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for name, model in self.models.items():
                classes = list(self.card["models"][name]["classes"])
                p = _proba_in_order(model, self._matrix(values, name, path), classes)[0]
                out[_label(name)] = classes[int(np.argmax(p))]
                out[f"{_label(name)}_probability"] = float(np.max(p))
                out.update({f"p_{c}": float(v) for c, v in zip(classes, p)})
        return out

    def predict_files(self, paths: Iterable[str | Path], *, same_speaker: bool = False) -> pd.DataFrame:
        """One row per file: ``path``, ``status`` ("ok"/"error"), ``error``, ``age_group``,
        ``age_group_probability``, ``gender``, ``gender_probability`` and ``p_<class>``.

        A file that fails gets its error and the others go on. ``same_speaker=True`` adds a
        row ``path="(all files, one speaker)"`` that combines the successful files'
        probabilities as the evaluation combines a speaker's clips.

        Notebook: 07_predict
        """
        rows = []
        for p in paths:
            try:
                rows.append(self.predict_one(p))
            except PredictionError as exc:
                rows.append({"path": str(p), "status": "error", "error": str(exc)})
            except Exception as exc:  # an unexpected failure in one file must not stop the batch
                rows.append({"path": str(p), "status": "error", "error": f"{p}: {type(exc).__name__}: {exc}"})
        table = pd.DataFrame(rows)
        if same_speaker and (table["status"] == "ok").sum() > 1:
            table = pd.concat([table, pd.DataFrame([self._combine(table[table["status"] == "ok"])])], ignore_index=True)
        return table

    def _combine(self, ok: pd.DataFrame) -> dict:
        out = {"path": "(all files, one speaker)", "status": "ok", "error": ""}
        for name in self.models:
            classes = list(self.card["models"][name]["classes"])
            row = aggregate_by_speaker(ok[[f"p_{c}" for c in classes]].to_numpy(), ["one"] * len(ok), classes).iloc[0]
            out[_label(name)] = row["predicted"]
            out[f"{_label(name)}_probability"] = float(max(row[f"p_{c}"] for c in classes))
            out.update({f"p_{c}": float(row[f"p_{c}"]) for c in classes})
        return out


def format_prediction(row: dict | pd.Series, card: dict) -> str:
    """One line per file for the command line: age group with probabilities, and gender.

    Notebook: 07_predict
    """
    row = dict(row)
    if row.get("status") != "ok":
        return f"{row['path']}: ERROR {row.get('error', '')}"
    parts = []
    if "age" in card.get("models", {}):
        probs = ", ".join(f"{c} {row[f'p_{c}']:.2f}" for c in card["models"]["age"]["classes"])
        parts.append(f"age group {row['age_group']} (p={row['age_group_probability']:.2f}; {probs})")
    if "gender" in card.get("models", {}):
        parts.append(f"gender {row['gender']} (p={row['gender_probability']:.2f})")
    return f"{row['path']}: " + "; ".join(parts)
