"""Benchmark: how each stage's cost grows with the data (per clip, and peak memory).

Synthetic corpora of each size (default 1,500, 6,000 and 24,000 clips: 5 clips per speaker,
seed 0) are generated once and cached under ``--data-dir`` (default
``data/bench_scale/``); each stage then runs in a fresh process while the parent samples
the resident memory of its whole process tree (workers and notebook kernels included)
every 50 ms, in all and anonymous only (``RssAnon``: without the pages of mapped files, such as
the memory-mapped mel images, which the system can drop and read again):

==========  ==================================================================================
generate    ``ensure_corpus`` (timed once, when the corpus is made; later runs report that time)
load        ``load_dataset("synthetic", ...)``: manifest read and validated
features    notebook 03 (extraction with an empty cache, the truth checks, the mel images)
eda         notebook 04
modeling    notebook 05
learned     notebook 06 (speaker embedding, small CNN)
predict     notebook 07
==========  ==================================================================================

Printed and written (``--out``): seconds, milliseconds per clip and peak MB (all resident and
anonymous) per stage and size, each notebook's three slowest cells (``index:seconds``), and for each stage the ratio
of its per-clip cost at the largest size to the smallest (flat cost: 1.0; the target is at
most 1.5). ``--plot`` draws per-clip cost against size on log-log axes.

    python benchmarks/bench_scale.py                          # 1,500 / 6,000 / 24,000 clips: hours
    python benchmarks/bench_scale.py --sizes 150,600 --plot scale.png --out scale.csv
    python benchmarks/bench_scale.py --sizes '' --add a.csv --add b.csv --out scale.csv --plot scale.png   # join runs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

STAGES = ("generate", "load", "features", "eda", "modeling", "learned", "predict")
NOTEBOOK_OF = {"features": "03_features", "eda": "04_eda", "modeling": "05_modeling", "learned": "06_learned_representations",
               "predict": "07_predict"}
CLIPS_PER_SPEAKER = 5
CELL_TIMEOUT_S = 4 * 3600  # make run's 900 s per cell is too short for extracting 24,000 clips (about 26 min)


def _config(size: int):
    from workbook.synthetic.corpus import CorpusConfig

    if size % CLIPS_PER_SPEAKER:
        raise SystemExit(f"--sizes: {size} is not a multiple of {CLIPS_PER_SPEAKER} clips per speaker")
    return CorpusConfig(n_speakers=size // CLIPS_PER_SPEAKER, clips_per_speaker=CLIPS_PER_SPEAKER, seed=0)


def run_stage(stage: str, size: int, corpus: Path, out_dir: Path, jobs: int) -> dict:
    """Run one stage in this process; returns ``{"seconds": ...}`` (and what it did)."""
    config = _config(size)
    t0 = time.perf_counter()
    if stage == "generate":
        from workbook.synthetic.corpus import corpus_is_complete, ensure_corpus

        record = corpus / "bench_generate.json"
        if corpus_is_complete(corpus, config) and record.is_file():
            return {**json.loads(record.read_text()), "cached": True}
        ensure_corpus(corpus, config, n_jobs=jobs, progress=False)
        info = {"seconds": time.perf_counter() - t0, "jobs": jobs}
        record.write_text(json.dumps(info))
        return info
    if stage == "load":
        from workbook.datasets import load_dataset

        ds = load_dataset("synthetic", corpus, n_speakers=config.n_speakers, clips_per_speaker=config.clips_per_speaker,
                          seed=config.seed)
        return {"seconds": time.perf_counter() - t0, "rows": len(ds.manifest)}
    from workbook.paths import notebooks_dir
    from workbook.runner import _declared_parameters, run_notebooks

    notebook = notebooks_dir() / f"{NOTEBOOK_OF[stage]}.ipynb"
    params = {"n_speakers": config.n_speakers, "clips_per_speaker": config.clips_per_speaker, "seed": config.seed,
              "cache_dir": str(out_dir / "cache")}
    declared = _declared_parameters(notebook)
    [run] = run_notebooks(dataset="synthetic", data_dir=str(corpus), params={k: v for k, v in params.items() if k in declared},
                          out_dir=out_dir, n_jobs=jobs, notebooks=[notebook], html=False, echo=lambda *_: None,
                          cell_timeout_s=CELL_TIMEOUT_S)
    if run.status != "ok":
        raise RuntimeError(f"{notebook.name} failed at {size} clips: {run.error}")
    cells = [(c.metadata.get("papermill", {}).get("duration") or 0.0, i) for i, c in enumerate(nbformat.read(run.output, as_version=4).cells)]
    return {"seconds": time.perf_counter() - t0, "slowest_cells": " ".join(f"{i}:{d:.0f}s" for d, i in sorted(cells, reverse=True)[:3])}


def _anon_bytes(pid: int) -> int:
    """Anonymous resident memory of one process (Linux ``RssAnon``): what it allocated, without
    the pages of files it maps, which the system can drop and read again (0 where unknown)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_rss(proc) -> tuple[int, int]:
    """``(resident, anonymous)`` bytes of a process and all its descendants."""
    import psutil

    total = anon = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
        anon += _anon_bytes(p.pid)
    return total, anon


def measure(stage: str, size: int, corpus: Path, out_dir: Path, jobs: int) -> dict:
    """Run one stage in a fresh process; add its peak tree memory (MB)."""
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, __file__, "--stage", stage, "--size", str(size), "--corpus", str(corpus),
               "--out-dir", str(out_dir), "--jobs", str(jobs), "--result", str(result)]
        proc = subprocess.Popen(cmd)
        ps, peak, peak_anon, stop = psutil.Process(proc.pid), 0, 0, threading.Event()

        def sample():
            nonlocal peak, peak_anon
            while not stop.is_set():
                rss, anon = _tree_rss(ps)
                peak, peak_anon = max(peak, rss), max(peak_anon, anon)
                time.sleep(0.05)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        rc = proc.wait()
        stop.set()
        th.join()
        if rc != 0 or not result.is_file():
            return {"stage": stage, "size": size, "error": f"exit code {rc}"}
        info = json.loads(result.read_text())
    return {"stage": stage, "size": size, **info, "ms_per_clip": 1000 * info["seconds"] / size,
            "peak_mb": None if info.get("cached") else peak / 1e6,
            "peak_anon_mb": None if info.get("cached") else peak_anon / 1e6}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1500,6000,24000", help="corpus sizes in clips (default 1500,6000,24000)")
    ap.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated subset of {', '.join(STAGES)}")
    ap.add_argument("--data-dir", default=None, help="where the corpora are cached (default data/bench_scale)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--out", default=None, help="write the results table to this CSV")
    ap.add_argument("--plot", default=None, help="write the log-log plot of per-clip cost to this image")
    ap.add_argument("--add", action="append", default=[], metavar="CSV",
                    help="rows of an earlier run's --out to put in the same table and plot (repeatable; --sizes '' to run nothing)")
    for hidden in ("--stage", "--size", "--corpus", "--out-dir", "--result"):
        ap.add_argument(hidden, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.stage:  # the child: one stage
        info = run_stage(args.stage, int(args.size), Path(args.corpus), Path(args.out_dir), args.jobs)
        Path(args.result).write_text(json.dumps(info))
        return 0

    import pandas as pd

    from workbook.paths import data_root

    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise SystemExit(f"--stages: unknown {unknown}; stages: {', '.join(STAGES)}")
    base = Path(args.data_dir) if args.data_dir else data_root() / "bench_scale"
    print(f"cores: {os.cpu_count()}; load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rows = []
    for size in sizes:
        corpus = base / f"n{size // CLIPS_PER_SPEAKER}_c{CLIPS_PER_SPEAKER}_seed0"
        with tempfile.TemporaryDirectory(prefix=f"bench-scale-{size}-") as out_dir:
            for stage in [s for s in STAGES if s in stages or s == "generate"]:  # the corpus must exist
                info = measure(stage, size, corpus, Path(out_dir), args.jobs)
                if stage in stages:
                    rows.append(info)
                if "error" in info:
                    print(f"  {size:6d} clips  {stage:9s} FAILED: {info['error']}", flush=True)
                    break
                peak = "cached" if info["peak_mb"] is None else f"{info['peak_mb']:.0f} MB ({info['peak_anon_mb']:.0f} anonymous)"
                print(f"  {size:6d} clips  {stage:9s} {info['seconds']:8.1f} s  {info['ms_per_clip']:8.1f} ms/clip  peak {peak}"
                      f"{'  slowest cells ' + info['slowest_cells'] if info.get('slowest_cells') else ''}", flush=True)
    df = pd.concat([pd.DataFrame(rows), *(pd.read_csv(f) for f in args.add)], ignore_index=True)
    df = df[df["stage"].isin(stages)].sort_values(["size", "stage"], key=lambda c: c.map(STAGES.index) if c.name == "stage" else c)
    sizes = sorted(df["size"].unique())
    if args.out:
        df.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    ok = df[df.get("error").isna()] if "error" in df else df
    if len(sizes) > 1 and len(ok):
        table = ok.pivot(index="stage", columns="size", values="ms_per_clip").reindex([s for s in STAGES if s in stages])
        table["ratio"] = table[sizes[-1]] / table[sizes[0]]
        print(f"\nms per clip by size; ratio = {sizes[-1]} vs {sizes[0]} clips (flat = 1.0, target <= 1.5):")
        print(table.round(2).to_string())
    if args.plot and len(ok):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for stage, g in ok.groupby("stage", sort=False):
            ax.plot(g["size"], g["ms_per_clip"], marker="o", label=stage)
        ax.set(xscale="log", yscale="log", xlabel="clips", ylabel="ms per clip", title="cost per clip against data size")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
