"""Put back, one at a time, each deliberate bug of issue 15's table and check a test goes red.

    python tests/mutations.py [--only NAME ...] [--keep]

Each mutation replaces one exact piece of source text in a scratch copy of the committed
tree (``git archive HEAD``; uncommitted edits are not in it) and runs only the tests named
for it, from the copy (so its ``helpers``/``workbook`` are imported, not the worktree's).
A mutation whose text is no longer found is reported as "stale" (update it here). Prints one
line per mutation: red (caught, with the failing tests) or GREEN (missed); exit status 1 if
any was missed or stale.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> (file, exact old text, new text, pytest node ids / -k selections)
MUTATIONS = {
    "every speaker gets speaker 0's voice": (
        "workbook/synthetic/corpus.py",
        "clip = render(Voice.from_row(spk), channel, cond, rng, seed=config.seed)",
        "clip = render(Voice.from_row(_speakers_table(config).iloc[0]), channel, cond, rng, seed=config.seed)",
        ["tests/test_generator_trends.py::test_each_speaker_is_rendered_in_its_own_voice"]),
    "vocal-tract length ignored": (
        "workbook/synthetic/voice.py",
        "scale = _REFERENCE_VTL_CM / voice.vtl_cm",
        "scale = 1.0",
        ["tests/test_generator_trends.py", "-k", "vtl"]),
    "HNR age trend removed": (
        "workbook/synthetic/trends.py",
        "return base - 0.12 * np.clip(a - 20.0, 0.0, None)",
        "return base + 0.0 * a",
        ["tests/test_generator_trends.py", "-k", "hnr"]),
    "jitter age trend removed": (
        "workbook/synthetic/trends.py",
        "adult = 0.35 * np.exp(0.018 * np.clip(a - 20.0, 0.0, None))",
        "adult = 0.35 + 0.0 * a",
        ["tests/test_generator_trends.py", "-k", "jitter"]),
    "speaking-rate age trend removed": (
        "workbook/synthetic/trends.py",
        "return 5.5 - 0.022 * np.clip(a - 30.0, 0.0, None)",
        "return 5.5 + 0.0 * a",
        ["tests/test_generator_trends.py", "-k", "speaking_rate"]),
    "f0 age trend removed": (
        "workbook/synthetic/trends.py",
        "        return 215.0 + teen_excess + adult_drift + menopause",
        "        return 200.0 + 0.0 * a",
        ["tests/test_generator_trends.py", "-k", "f0"]),
    "HNR x0.5": (
        "helpers/voice.py",
        'out["hnr_db"] = float(np.nanmean(hnr))',
        'out["hnr_db"] = 0.5 * float(np.nanmean(hnr))',
        ["tests/test_features.py", "-k", "hnr"]),
    "jitter x1.25": (
        "helpers/voice.py",
        'out[f"jitter_{name}_pct"] = 100 * _nan_if_undefined(',
        'out[f"jitter_{name}_pct"] = 125 * _nan_if_undefined(',
        ["tests/test_features.py", "-k", "jitter"]),
    "cache: file identity by size only": (
        "workbook/cache.py",
        'return hashlib.file_digest(fh, "sha1").hexdigest()',
        "return str(os.fstat(fh.fileno()).st_size)",
        ["tests/test_cache_integrity.py", "-k", "new_mtime"]),
    "cache: feature-code version dropped from the key": (
        "workbook/engine.py",
        '"code_version": FEATURE_CODE_VERSION}',
        "}",
        ["tests/test_golden.py", "-k", "feature_code_version"]),
    "resume: a half-written shard": (
        "workbook/cache.py",
        "        df.to_parquet(tmp, index=False)\n        os.replace(tmp, path)",
        "        df.to_parquet(path, index=False)",
        ["tests/test_cache_integrity.py", "-k", "kill"]),
    "prediction: feature columns in another order": (
        "workbook/predict.py",
        'cols = self.card["models"][name]["feature_columns"]',
        'cols = sorted(self.card["models"][name]["feature_columns"])',
        ["tests/test_predict.py", "-k", "predict_proba"]),
    "grouped folds: each fold trains on its own test rows": (
        "helpers/evaluation.py",
        'cv=list(folds), method="predict_proba"',
        'cv=[(test, test) for _, test in folds], method="predict_proba"',
        ["tests/test_models.py", "-k", "beats_chance"]),
}


def scratch_copy() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="workbook-mutants-"))
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_mutation(copy: Path, name: str, file: str, old: str, new: str, tests: list[str]) -> tuple[str, str, float]:
    target = copy / file
    original = target.read_text()
    if original.count(old) != 1:
        return "stale", f"{file}: the text to mutate occurs {original.count(old)} times", 0.0
    target.write_text(original.replace(old, new))
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--no-header", "-p", "no:cacheprovider",
                               "-o", "addopts=-ra", *tests], cwd=copy, capture_output=True, text=True)
    finally:
        target.write_text(original)
    seconds = time.perf_counter() - t0
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, flags=re.M)
    if proc.returncode == 0:
        return "GREEN", "no test failed", seconds
    if not failed:
        return "error", proc.stdout[-600:] + proc.stderr[-600:], seconds
    return "red", ", ".join(f.split("/")[-1] for f in failed), seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names (substrings) of the mutations to run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = parser.parse_args(argv)
    chosen = {k: v for k, v in MUTATIONS.items() if not args.only or any(o in k for o in args.only)}
    copy = scratch_copy()
    # the copy's own packages, not the worktree's editable install
    check = subprocess.run([sys.executable, "-c", "import workbook, helpers; print(workbook.__file__)"],
                           cwd=copy, capture_output=True, text=True)
    assert str(copy) in check.stdout, f"the scratch copy's packages are not the ones imported: {check.stdout}"
    bad = 0
    try:
        for name, (file, old, new, tests) in chosen.items():
            status, detail, seconds = run_mutation(copy, name, file, old, new, tests)
            bad += status != "red"
            print(f"{status:5s} {seconds:6.0f} s  {name}: {detail}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(copy, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
