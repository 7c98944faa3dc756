"""``python -m workbook predict FILE...``: age group and gender of recordings, from the command line.

Loads the model notebook 05 saved (default ``outputs/<dataset>/model``, ``--model-dir``
to choose), computes each file's features with the training's cleaning and feature
settings, and prints one line per file::

    clip.wav: age group thirties (p=0.41; teens 0.05, twenties 0.30, ...); gender female (p=0.97)
    broken.mp3: ERROR broken.mp3: cannot decode: ... (at the load step)

A file that fails is reported and the rest are still predicted. Exit status: 0 if every
file was predicted, 1 if any failed, 2 if no model could be loaded or the arguments are
wrong. ``--json`` prints the table as JSON lines instead; ``--same-speaker`` adds a
combined prediction over all files.

Notebook: 06_predict
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def default_model_dir(dataset: str = "synthetic") -> Path:
    """Where notebook 05 saves the model of a data set's run: ``<outputs>/<dataset>/model``.

    Notebook: 05_modeling, 06_predict
    """
    from workbook.paths import outputs_root

    return outputs_root() / dataset / "model"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m workbook predict",
        description="Predict the age group and gender of voice recordings with the model notebook 05 saved.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files (wav, flac, ogg, mp3; any rate, mono or stereo)")
    parser.add_argument("--model-dir", default=None, help="folder with model_card.json (default: outputs/<dataset>/model)")
    parser.add_argument("--dataset", default="synthetic", help="data set whose model to use when --model-dir is not given")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file instead of text")
    parser.add_argument("--same-speaker", action="store_true", help="also combine all files as one speaker's clips")
    return parser


def predict_main(argv: list[str] | None = None, *, out=None, err=None) -> int:
    """Run the ``predict`` command with ``argv`` (without the command name); return the exit status.

    Notebook: 06_predict
    """
    from workbook.persistence import ModelNotFoundError, UntrustedModelError
    from workbook.predict import Predictor, format_prediction

    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage
        return int(exc.code or 0) and 2
    folder = Path(args.model_dir) if args.model_dir else default_model_dir(args.dataset)
    try:
        predictor = Predictor.from_folder(folder)
    except (ModelNotFoundError, UntrustedModelError, ValueError, KeyError) as exc:
        print(f"error: cannot load the model from {folder}: {exc}", file=err)
        return 2
    for note in predictor.notes:
        print(f"note: {note}", file=err)
    table = predictor.predict_files(args.files, same_speaker=args.same_speaker)
    for _, row in table.iterrows():
        if args.json:
            record = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            print(json.dumps(record), file=out)
        else:
            print(format_prediction(row, predictor.card), file=out)
    n_failed = int((table["status"] != "ok").sum())
    if n_failed:
        print(f"{n_failed} of {len(args.files)} file(s) could not be predicted", file=err)
    return 1 if n_failed else 0
