"""``python -m workbook features ...``: extract the feature table (and mel images) from the shell.

Examples::

    python -m workbook features                                   # synthetic corpus, full set
    python -m workbook features --dataset synthetic --params "n_speakers=40 seed=3" --jobs 2
    python -m workbook features --manifest my_data/manifest.csv --families all --tracker pyin
    python -m workbook features clips/*.wav --cleaning none --out /tmp/feats
    python -m workbook features --backend dask --scheduler tcp://127.0.0.1:8786
    python -m workbook features --mel-images

Writes ``features.parquet``, ``feature_errors.csv`` and ``features_spec.json`` (and with
``--mel-images`` ``mel_images.npy`` + ``mel_images_index.parquet``) into the output folder
(default ``outputs/<dataset>/``, where notebook 04 looks). Exit code 0 when at least one
file was analysed (failures are listed, not fatal), 1 when none was, 2 for bad arguments.

Notebook: 03_features (the same engine).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from helpers.features.families import FAMILY_PREFIX, FAMILY_SETS
from helpers.features.pitch import PITCH_METHODS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m workbook features",
        description="Extract voice features (cached, parallel, fault-tolerant) into a Parquet table.",
    )
    p.add_argument("paths", nargs="*", help="audio files (instead of --dataset or --manifest)")
    p.add_argument("--dataset", default="synthetic", help="data set name for workbook.datasets.load_dataset (default: synthetic)")
    p.add_argument("--data-dir", default=None, help="data set folder (default: the data set's own)")
    p.add_argument("--params", default="", help='data set parameters, e.g. "n_speakers=40 clips_per_speaker=5 seed=0"')
    p.add_argument("--manifest", default=None, help="a manifest CSV (columns path, speaker, age_group, age_years, gender)")
    p.add_argument("--families", default="full",
                   help=f"comma-separated families or sets: {', '.join(FAMILY_PREFIX)}; sets {', '.join(FAMILY_SETS)} (default: full)")
    p.add_argument("--tracker", default="praat", choices=PITCH_METHODS, help="pitch tracker (default: praat)")
    p.add_argument("--sr", type=int, default=16000, help="analysis sample rate in Hz (default: 16000)")
    p.add_argument("--cleaning", default="saved",
                   help="'none', a cleaning preset, or 'saved': the choice notebook 02 saved in the output folder (default)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    p.add_argument("--backend", default="joblib", choices=("joblib", "dask"), help="joblib (this machine) or dask")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (default: a local cluster of --jobs workers)")
    p.add_argument("--cache-dir", default=None, help="cache folder (default: data/cache/features)")
    p.add_argument("--out", default=None, help="output folder (default: outputs/<dataset>)")
    p.add_argument("--mel-images", action="store_true", help="also write the 3 s mel images (mel_images.npy)")
    p.add_argument("--retry-failed", action="store_true", help="recompute files whose earlier attempt failed")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _resolve_cleaning(choice: str, out_dir: Path):
    if choice.lower() == "none":
        return None
    if choice.lower() == "saved":
        try:
            from helpers.cleaning import load_cleaning_choice
        except ImportError:
            return None
        return load_cleaning_choice(out_dir)
    return choice


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring).

    Notebook: 03_features
    """
    from workbook.paths import run_output_dir
    from workbook.engine import extract_features, write_outputs

    args = build_parser().parse_args(argv)
    try:
        if args.paths:
            data, label = [str(Path(p).resolve()) for p in args.paths], "files"
        elif args.manifest:
            from workbook.manifest import read_manifest

            data, label = read_manifest(args.manifest, check_files=False).manifest, Path(args.manifest).resolve().parent.name
        else:
            from workbook.datasets import load_dataset
            from workbook.runner import parse_params

            ds = load_dataset(args.dataset, args.data_dir, **parse_params(args.params))
            print(ds.summary())
            data, label = ds.manifest, args.dataset
        out_dir = run_output_dir(label, args.out)
        cleaning = _resolve_cleaning(args.cleaning, out_dir)
        families = [f.strip() for f in args.families.split(",") if f.strip()]
        result = extract_features(
            data, families=families, cleaning=cleaning, n_jobs=args.jobs, backend=args.backend, scheduler=args.scheduler,
            cache_dir=args.cache_dir, progress=not args.no_progress, retry_failed=args.retry_failed,
            pitch_method=args.tracker, sr=args.sr,
        )
    except (ValueError, FileNotFoundError, RuntimeError) as exc:  # ParameterError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths = write_outputs(result, out_dir)
    print(result.summary())
    for name, path in paths.items():
        print(f"wrote {name}: {path}")
    if args.mel_images:
        from workbook.mel_images import extract_mel_images

        mel = extract_mel_images(
            data, out_dir, cleaning=cleaning, sr=args.sr, n_jobs=args.jobs, backend=args.backend, scheduler=args.scheduler,
            cache_dir=args.cache_dir, progress=not args.no_progress,
        )
        print(f"wrote mel images: {mel.path} {mel.shape} float32 (+ {mel.path.parent / 'mel_images_index.parquet'})")
    if len(result.errors):
        print(f"{len(result.errors)} problem(s) recorded in {paths['errors']}")
    return 0 if len(result.features) or not result.stats.n_files else 1


if __name__ == "__main__":  # python -m workbook.features_cli
    sys.exit(main())
