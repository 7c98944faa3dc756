"""Command line: ``python -m workbook <command>``.

- ``run``       execute every notebook headless (papermill) into outputs/<dataset>/
- ``generate``  generate the synthetic corpus (the default data set)
- ``features``  extract features for a data set, cached and in parallel
- ``predict``   age group (with probabilities) and gender of new recordings
- ``refresh-notebooks``  rebuild each committed notebook from its py:percent twin and
  re-execute it in place on the default data (refreshes the committed outputs)

Notebook: none (this drives them all).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _cmd_run(args) -> int:
    from workbook.runner import ParameterError, parse_params, run_notebooks

    try:
        params = parse_params(args.params)
        runs = run_notebooks(
            dataset=args.dataset, data_dir=args.data_dir, params=params, out_dir=args.out, n_jobs=args.jobs
        )
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0 if all(r.status == "ok" for r in runs) else 1


def _cmd_generate(args) -> int:
    from workbook.datasets import default_synthetic_dir
    from workbook.runner import ParameterError, parse_params
    from workbook.synthetic.corpus import CorpusConfig, corpus_is_complete, ensure_corpus

    try:
        params = parse_params(args.params)
        allowed = {"n_speakers", "clips_per_speaker", "seed"}
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ParameterError(f"unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(allowed))}")
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    config = CorpusConfig(**params)
    root = Path(args.data_dir) if args.data_dir else default_synthetic_dir(
        config.n_speakers, config.clips_per_speaker, config.seed
    )
    if corpus_is_complete(root, config):
        print(f"synthetic corpus up to date: {root}")
        return 0
    start = time.perf_counter()
    ensure_corpus(root, config, n_jobs=args.jobs, progress=sys.stderr.isatty())  # no bar in CI logs
    print(f"generated {config.n_speakers * config.clips_per_speaker} clips in "
          f"{time.perf_counter() - start:.1f} s: {root}")
    return 0


def _cmd_refresh(args) -> int:
    import subprocess

    import papermill as pm

    from workbook.paths import notebooks_dir
    from workbook.runner import discover_notebooks

    failed = 0
    for nb in discover_notebooks():
        script = nb.with_suffix(".py")
        if script.exists():
            subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "--update", str(script)], check=True)
        print(f"executing {nb.name} in place ...", flush=True)
        start = time.perf_counter()
        try:
            pm.execute_notebook(str(nb), str(nb), cwd=str(notebooks_dir()), kernel_name="python3",
                                progress_bar=False)
        except Exception as exc:
            failed += 1
            print(f"  FAILED: {exc}", file=sys.stderr)
        size_mb = nb.stat().st_size / 1e6
        print(f"  {time.perf_counter() - start:.1f} s, {size_mb:.2f} MB")
    return 1 if failed else 0


#: Sub-commands that parse their own arguments: name -> (module, function, help text).
FORWARDED = {
    "features": ("workbook.features_cli", "main", "extract features for a data set, cached and in parallel"),
    "predict": ("workbook.predict_cli", "predict_main", "predict age group and gender of recordings"),
}


def _forward(module: str, function: str, rest: list[str]) -> int:
    """Hand the remaining arguments to a sub-command that parses its own."""
    import importlib

    return getattr(importlib.import_module(module), function)(rest)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in FORWARDED:
        module, function, _ = FORWARDED[argv[0]]
        return _forward(module, function, argv[1:])
    parser = argparse.ArgumentParser(prog="python -m workbook", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute every notebook headless into outputs/<dataset>/")
    run.add_argument("--dataset", default="synthetic", help="data set name (default: synthetic)")
    run.add_argument("--data-dir", default=None, help="folder of the data set (default: under data/)")
    run.add_argument("--params", default="", help='notebook parameters, e.g. "n_speakers=40 seed=3"')
    run.add_argument("--out", default=None, help="output folder (default: outputs/<dataset>/)")
    run.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    run.set_defaults(func=_cmd_run)

    gen = sub.add_parser("generate", help="generate the synthetic corpus if it is missing")
    gen.add_argument("--params", default="", help='corpus sizes, e.g. "n_speakers=40 clips_per_speaker=3 seed=3"')
    gen.add_argument("--data-dir", default=None, help="target folder (default: data/synthetic/n<N>_c<C>_seed<S>)")
    gen.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    gen.set_defaults(func=_cmd_generate)

    ref = sub.add_parser("refresh-notebooks", help="re-execute the committed notebooks in place")
    ref.set_defaults(func=_cmd_refresh)

    # listed for --help; main() hands their arguments over before argparse sees them
    for name, (_, _, text) in FORWARDED.items():
        sub.add_parser(name, add_help=False, help=f"{text} (python -m workbook {name} --help)")

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
