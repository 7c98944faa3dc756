"""The command line: ``python -m workbook <command>``.

- ``run``        execute every notebook headless (papermill) into outputs/<dataset>/
- ``generate``   generate the synthetic corpus (the default data set) if it is missing
- ``features``   extract the feature table (and mel images) of a data set, cached and in parallel
- ``predict``    age group (with probabilities) and gender of new recordings
- ``refresh-notebooks``  rebuild each committed notebook from its py:percent twin and
  re-execute it in place on the default data (refreshes the committed outputs)

Exit status: 0 on success; 1 when a notebook failed, no file could be analysed (features) or
a file could not be predicted (predict: the others are still printed); 2 for bad arguments
or parameters, or when no model could be loaded.

Notebook: none (this drives them all); 07_predict shows ``predict``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from helpers.cleaning import load_cleaning_choice
from helpers.features import FAMILY_PREFIX, FAMILY_SETS
from workbook.datasets import default_synthetic_dir, load_dataset
from workbook.engine import extract_features, write_outputs
from workbook.manifest import read_manifest
from workbook.mel_images import extract_mel_images
from workbook.paths import outputs_root, run_output_dir
from workbook.persistence import ModelNotFoundError, UntrustedModelError
from workbook.predict import Predictor, format_prediction
from workbook.runner import ParameterError, parse_params, refresh_notebooks, run_notebooks
from workbook.synthetic.corpus import CorpusConfig, corpus_is_complete, ensure_corpus

__all__ = ["main"]


def _run(args) -> int:
    runs = run_notebooks(dataset=args.dataset, data_dir=args.data_dir, params=parse_params(args.params),
                         out_dir=args.out, n_jobs=args.jobs, cell_timeout_s=args.cell_timeout, parallel=args.parallel)
    return 0 if all(r.status == "ok" for r in runs) else 1


def _generate(args) -> int:
    params = parse_params(args.params)
    allowed = {"n_speakers", "clips_per_speaker", "seed"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ParameterError(f"unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(allowed))}")
    config = CorpusConfig(**params)
    root = Path(args.data_dir) if args.data_dir else default_synthetic_dir(config.n_speakers, config.clips_per_speaker, config.seed)
    if corpus_is_complete(root, config):
        print(f"synthetic corpus up to date: {root}")
        return 0
    start = time.perf_counter()
    ensure_corpus(root, config, n_jobs=args.jobs, progress=sys.stderr.isatty())  # no bar in CI logs
    print(f"generated {config.n_speakers * config.clips_per_speaker} clips in {time.perf_counter() - start:.1f} s: {root}")
    return 0


def _features(args) -> int:
    progress = not args.no_progress
    try:
        if args.paths:
            data, label = [str(Path(p).resolve()) for p in args.paths], "files"
        elif args.manifest:
            data, label = read_manifest(args.manifest, check_files=False).manifest, Path(args.manifest).resolve().parent.name
        else:
            ds = load_dataset(args.dataset, args.data_dir, **parse_params(args.params))
            print(ds.summary())
            data, label = ds, args.dataset  # its load report names the rows it dropped
        out_dir = run_output_dir(label, args.out)
        choice = args.cleaning.lower()
        cleaning = load_cleaning_choice(out_dir) if choice == "saved" else None if choice == "none" else args.cleaning
        families = [f.strip() for f in args.families.split(",") if f.strip()]
        result = extract_features(data, families=families, cleaning=cleaning, n_jobs=args.jobs, backend=args.backend,
                                  scheduler=args.scheduler, cache_dir=args.cache_dir, progress=progress,
                                  retry_failed=args.retry_failed, pitch_method=args.tracker, sr=args.sr,
                                  mel_images=args.mel_images)  # in the same pass: each file decoded and cleaned once
    except (ValueError, FileNotFoundError, RuntimeError) as exc:  # ParameterError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths = write_outputs(result, out_dir)
    print(result.summary())
    for name, path in paths.items():
        print(f"wrote {name}: {path}")
    if args.mel_images:
        mel = extract_mel_images(data, out_dir, cleaning=cleaning, sr=args.sr, n_jobs=args.jobs, backend=args.backend,
                                 scheduler=args.scheduler, cache_dir=args.cache_dir, progress=progress)
        print(f"wrote mel images: {mel.path} {mel.shape} float32 (+ {mel.path.parent / 'mel_images_index.parquet'})")
    if len(result.errors):
        print(f"{len(result.errors)} problem(s) recorded in {paths['errors']}")
    return 0 if len(result.features) or not result.stats.n_files else 1


def _predict(args) -> int:
    folder = Path(args.model_dir) if args.model_dir else outputs_root() / args.dataset / "model"
    try:
        predictor = Predictor.from_folder(folder)
    except (ModelNotFoundError, UntrustedModelError, ValueError, KeyError) as exc:
        print(f"error: cannot load the model from {folder}: {exc}", file=sys.stderr)
        return 2
    for note in predictor.notes:
        print(f"note: {note}", file=sys.stderr)
    print(predictor.describe(), file=sys.stderr)
    table = predictor.predict_files(args.files, same_speaker=args.same_speaker)
    for _, row in table.iterrows():
        if args.json:
            print(json.dumps({k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}))
        else:
            print(format_prediction(row, predictor.card))
    n_failed = int((table["status"] != "ok").sum())
    if n_failed:
        print(f"{n_failed} of {len(args.files)} file(s) could not be predicted", file=sys.stderr)
    return 1 if n_failed else 0


def _refresh(args) -> int:
    return 0 if all(r.status == "ok" for r in refresh_notebooks()) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workbook", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute every notebook headless into outputs/<dataset>/")
    run.add_argument("--dataset", default="synthetic", help="data set name (default: synthetic)")
    run.add_argument("--data-dir", default=None, help="folder of the data set (default: under data/)")
    run.add_argument("--params", default="", help='notebook parameters, e.g. "n_speakers=40 seed=3"')
    run.add_argument("--out", default=None, help="output folder (default: outputs/<dataset>/)")
    run.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    run.add_argument("--parallel", type=int, default=2,
                     help="notebooks run at once where one does not read another's outputs (default: 2; 1: in order)")
    run.add_argument("--cell-timeout", type=int, default=900, help="seconds one cell may run (default: 900)")
    run.set_defaults(func=_run)

    gen = sub.add_parser("generate", help="generate the synthetic corpus if it is missing")
    gen.add_argument("--params", default="", help='corpus sizes, e.g. "n_speakers=40 clips_per_speaker=3 seed=3"')
    gen.add_argument("--data-dir", default=None, help="target folder (default: data/synthetic/n<N>_c<C>_seed<S>)")
    gen.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    gen.set_defaults(func=_generate)

    feat = sub.add_parser("features", help="extract features for a data set, cached and in parallel",
                          description="Extract voice features (cached, parallel, fault-tolerant) into features.parquet, "
                          "feature_errors.csv and features_spec.json in the output folder, where notebook 04 looks.")
    feat.add_argument("paths", nargs="*", help="audio files (instead of --dataset or --manifest)")
    feat.add_argument("--dataset", default="synthetic", help="data set name for load_dataset (default: synthetic)")
    feat.add_argument("--data-dir", default=None, help="data set folder (default: the data set's own)")
    feat.add_argument("--params", default="", help='data set parameters, e.g. "n_speakers=40 clips_per_speaker=5 seed=0"')
    feat.add_argument("--manifest", default=None, help="a manifest CSV (columns path, speaker, age_group, age_years, gender)")
    feat.add_argument("--families", default="full",
                      help=f"comma-separated families or sets: {', '.join(FAMILY_PREFIX)}; sets {', '.join(FAMILY_SETS)} (default: full)")
    feat.add_argument("--tracker", default="praat", help="pitch tracker: praat (default) or pyin")
    feat.add_argument("--sr", type=int, default=16000, help="analysis sample rate in Hz (default: 16000)")
    feat.add_argument("--cleaning", default="saved",
                      help="'none', a cleaning preset, or 'saved': the choice notebook 02 saved in the output folder (default)")
    feat.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    feat.add_argument("--backend", default="joblib", choices=("joblib", "dask"), help="joblib (this machine) or dask")
    feat.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --backend dask; "
                      "default: a local cluster of --jobs workers when --backend dask)")
    feat.add_argument("--cache-dir", default=None, help="cache folder (default: data/cache/features)")
    feat.add_argument("--out", default=None, help="output folder (default: outputs/<dataset>)")
    feat.add_argument("--mel-images", action="store_true", help="also write the 3 s mel images (mel_images.npy)")
    feat.add_argument("--retry-failed", action="store_true", help="recompute files whose earlier attempt failed")
    feat.add_argument("--no-progress", action="store_true", help="no progress bar")
    feat.set_defaults(func=_features)

    pred = sub.add_parser("predict", help="predict age group and gender of recordings",
                          description="Predict the age group and gender of voice recordings with the model notebook 05 saved.")
    pred.add_argument("files", nargs="+", metavar="FILE", help="audio files (wav, flac, ogg, mp3; any rate, mono or stereo)")
    pred.add_argument("--model-dir", default=None, help="folder with model_card.json (default: outputs/<dataset>/model)")
    pred.add_argument("--dataset", default="synthetic", help="data set whose model to use when --model-dir is not given")
    pred.add_argument("--json", action="store_true", help="print one JSON object per file instead of text")
    pred.add_argument("--same-speaker", action="store_true", help="also combine all files as one speaker's clips")
    pred.set_defaults(func=_predict)

    ref = sub.add_parser("refresh-notebooks", help="re-execute the committed notebooks in place")
    ref.set_defaults(func=_refresh)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: the process's arguments); return the exit status.

    Notebook: 07_predict (``main(["predict", ...])``)
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage (status 2) or the help (status 0)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
