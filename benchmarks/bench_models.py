"""Benchmark: how each classifier's fit time grows with the rows, and what the approximated SVM costs in UAR.

Rows come from a feature table (default: the default run's ``outputs/synthetic/features.parquet``)
drawn with replacement up to each size; every copy of a speaker becomes a new speaker and
each value gets a little noise (5 % of its column's s.d.), so larger sizes are new
speakers of the same population. Each model of notebook 05 (``make_model``: logistic
regression, the exact RBF SVM, the SVM on the approximated kernel, gradient boosting) is
fitted once per size with the class and speaker weights (one thread), and its fit time
printed with milliseconds per row. The exact SVM is skipped above ``--max-exact`` rows.
Then UAR on a speaker-grouped 5-fold split of the table as it is (and of each ``--compare``
table, e.g. the Common Voice run's): exact against approximated SVM, side by side.

    python benchmarks/bench_models.py [--table outputs/synthetic/features.parquet] [--sizes 1500,3000,6000,12000,24000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold
from threadpoolctl import threadpool_limits

from helpers.evaluation import evaluate_cv
from helpers.models import EXACT_SVM_MAX_ROWS, SpeakerBalanced, make_model, prepare_task
from workbook.feature_table import model_feature_columns
from workbook.paths import outputs_root

MODELS = {"lr": {}, "svm exact": {"n_rows": 0}, "svm approximated": {"n_rows": EXACT_SVM_MAX_ROWS + 1}, "gb": {}}


def grown(X: np.ndarray, y: np.ndarray, speakers: np.ndarray, n: int, seed: int):
    """``n`` rows drawn by whole speakers with replacement; each draw of a speaker is a new speaker."""
    rng = np.random.default_rng(seed)
    uniq = np.unique(speakers)
    rows, spk = [], []
    while sum(map(len, rows)) < n:
        s = rng.choice(uniq)
        idx = np.flatnonzero(speakers == s)
        rows.append(idx)
        spk.append(np.full(len(idx), len(spk)))
    idx, spk = np.concatenate(rows)[:n], np.concatenate(spk)[:n]
    noise = rng.standard_normal((n, X.shape[1])) * 0.05 * np.nanstd(X, axis=0)
    return X[idx] + noise, y[idx], spk


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", default=str(outputs_root() / "synthetic" / "features.parquet"))
    ap.add_argument("--sizes", default="1500,3000,6000,12000,24000")
    ap.add_argument("--max-exact", type=int, default=12000, help="largest size the exact SVM is fitted at")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--compare", nargs="*", default=[], help="more feature tables to compare the two SVMs on")
    args = ap.parse_args()
    table = pd.read_parquet(args.table)
    task = prepare_task(table, model_feature_columns(table, "full"))
    X, y, g = task.X.to_numpy(dtype=float), np.asarray(task.y), np.asarray(task.groups)
    print(f"cores: {os.cpu_count()}; load average: {', '.join(f'{v:.1f}' for v in os.getloadavg())}; "
          f"{args.table}: {len(y)} clips x {X.shape[1]} features")
    rows = []
    with threadpool_limits(limits=1):
        for n in (int(s) for s in args.sizes.split(",")):
            Xn, yn, gn = grown(X, y, g, n, args.seed)
            for label, kw in MODELS.items():
                if label == "svm exact" and n > args.max_exact:
                    continue
                model = make_model(label.split()[0], seed=args.seed, **kw)
                if label == "svm approximated":  # the same C at every size: alpha = 1 / (C * rows)
                    model.set_params(model__estimator__alpha=1.0 / n)
                model = SpeakerBalanced(model)
                start = time.perf_counter()
                model.fit(Xn, yn, speakers=gn)
                seconds = time.perf_counter() - start
                rows.append({"rows": n, "model": label, "fit_s": seconds, "ms_per_row": 1000 * seconds / n})
                print(f"  {n:6d} rows  {label:17s} {seconds:8.2f} s  {1000 * seconds / n:7.3f} ms/row", flush=True)
        df = pd.DataFrame(rows).pivot(index="rows", columns="model", values="ms_per_row")
        print("\nms per row of one fit (flat = linear in the rows):")
        print(df.round(3).to_string())
    for path in [args.table, *args.compare]:
        table = pd.read_parquet(path)
        task = prepare_task(table, model_feature_columns(table, "full"))
        X, y, g = task.X.to_numpy(dtype=float), np.asarray(task.y), np.asarray(task.groups)
        folds = list(StratifiedGroupKFold(5, shuffle=True, random_state=args.seed).split(X, y, g))
        for label in ("svm exact", "svm approximated"):
            model = make_model("svm", seed=args.seed, **MODELS[label])
            if label == "svm approximated":
                model.set_params(model__estimator__alpha=1.0 / len(y))
            res = evaluate_cv(model, X, y, g, folds, classes=task.classes, n_bootstrap=200, seed=args.seed, n_jobs=2)
            print(f"{path}: speaker-grouped 5-fold, {len(y)} clips, {label:17s}: clip UAR {res.clip.uar:.3f} "
                  f"[{res.clip.uar_low:.3f}, {res.clip.uar_high:.3f}], speaker UAR {res.speaker.uar:.3f}")


if __name__ == "__main__":
    main()
