"""Benchmark: feature extraction speed and memory, side by side on the same clips.

For each corpus (the synthetic corpus and the real Common Voice sample) the same clips go
through each configuration, each in a fresh process:

==========================  =================================================================
decode                      load every file at 16 kHz (mono, soxr): the floor
original_procedure          the original analysis per file: load 16 kHz, noisereduce
                            (non-stationary), trim, its features with pyin 16 Hz-8 kHz,
                            frame 1024 (helpers.original.original_procedure)
engine_original             the engine, the same feature set (family "original"), 1 worker
engine_full                 the engine, the default full set, 1 worker
engine_full_2w              the same with 2 joblib worker processes
engine_full_dask            the same on a Dask local cluster of 2 worker processes
engine_<family>             one family alone, 1 worker: spectral, voice, rhythm, egemaps,
                            speaker_embedding (resemblyzer; its model load is start-up)
engine_all                  the engine, every family (full + eGeMAPS + speaker_embedding), 1 worker:
                            with --cleaning gentle this is the real-data default path of notebook 03
engine_all_images           engine_all and notebook 03's mel images in the same pass (mel_images=True)
engine_all_then_images      engine_all, then the mel images in a second pass (extract_mel_images): what
                            notebook 03 did before; with --cleaning gentle each file is cleaned twice
engine_*_clean              (with --cleaning PRESET) the engine rows again with that cleaning
*@REF                       (with --compare-ref REF) the engine rows again on the code of git
                            revision REF (e.g. main), in the same run: before/after side by side
==========================  =================================================================

Measured: wall time, CPU time of the process tree, audio seconds processed per wall
second, and the peak resident memory of the whole process tree (sampled every 20 ms).
Each process first handles a few warm-up clips that are not timed (imports, numba
compilation, worker start: every worker gets one); that start-up is reported separately. The engine runs with
an empty cache, so everything is computed.

Ratios printed at the end: engine vs the original procedure (original set and full set, 1
worker each: the same single core), decode as the floor, 2 vs 1 workers, Dask vs joblib.

    python benchmarks/bench_features.py                 # 200 clips per corpus (a quiet machine!)
    python benchmarks/bench_features.py --quick         # 6 clips per corpus: checks it runs
    python benchmarks/bench_features.py --n-clips 100 --cleaning original --out results.csv
    python benchmarks/bench_features.py --n-clips 60 --configs engine_all --cleaning gentle --compare-ref main

The original procedure's pyin settings are reproduced exactly where the installed librosa
allows (it prints what, if anything, had to change and why).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

#: Clips handled before timing starts (not counted): enough for every worker to get one.
N_WARMUP = 4

#: Families timed alone (beside the sets), so their costs per audio second can be compared.
FAMILY_CONFIGS = ("engine_spectral", "engine_voice", "engine_rhythm", "engine_egemaps", "engine_speaker_embedding")
CONFIGS = ("decode", "original_procedure", "engine_original", "engine_full", "engine_full_2w", "engine_full_dask",
           "engine_all", "engine_all_images", "engine_all_then_images", *FAMILY_CONFIGS)
SR = 16000


# --- the worker side: run one configuration on a list of files ------------------------------


def _tree_cpu_s() -> float:
    """CPU seconds (user + system) of this process, its live descendants and its reaped children."""
    import psutil

    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in me.children(recursive=True):
        try:
            c = child.cpu_times()
            total += c.user + c.system
        except psutil.Error:
            pass
    return total


def _engine_kwargs(config: str, cleaning: str | None) -> dict:
    families = "original" if config.startswith("engine_original") else "all" if config.startswith("engine_all") else "full"
    if config in FAMILY_CONFIGS:
        families = config.removeprefix("engine_")
    kw = {"families": families, "cleaning": cleaning, "n_jobs": 1, "backend": "joblib", "progress": False}
    if config == "engine_all_images":
        kw["mel_images"] = True
    if "_2w" in config:
        kw["n_jobs"] = 2
    if "_dask" in config:
        kw.update(n_jobs=2, backend="dask")
    return kw


def run_config(config: str, files: list[str], warmup: list[str], cleaning: str | None) -> dict:
    """Run ``config`` on ``files`` in this process; returns timings (wall, CPU, start-up)."""
    import warnings

    warnings.simplefilter("ignore")
    from helpers.audio import load_audio

    info: dict = {"config": config, "startup_s": 0.0}
    base = config.split("@")[0].removesuffix("_clean")
    if base == "decode":
        load_audio(warmup[0], sr=SR)
        fn = lambda: [load_audio(f, sr=SR) for f in files]  # noqa: E731
    elif base == "original_procedure":
        from helpers.original import original_procedure, original_pyin_settings

        info["pyin_settings"], info["pyin_changes"] = original_pyin_settings(SR)
        original_procedure(warmup[0], sr=SR)
        fn = lambda: [original_procedure(f, sr=SR) for f in files]  # noqa: E731
    else:
        from workbook.engine import extract_features

        kw = _engine_kwargs(base, cleaning if "_clean" in config else None)
        t0 = time.perf_counter()
        if kw["backend"] == "dask":
            import logging

            from distributed import LocalCluster

            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=logging.ERROR)
            kw["scheduler"] = cluster.scheduler_address
        with tempfile.TemporaryDirectory() as warm_cache:
            extract_features(warmup, cache_dir=warm_cache, **kw)  # starts and warms the workers
        info["startup_s"] = time.perf_counter() - t0
        cache = tempfile.mkdtemp(prefix="bench-cache-")
        holder = {}

        def fn():
            holder["result"] = extract_features(files, cache_dir=cache, **kw)
            if base == "engine_all_then_images":  # the second pass notebook 03 used to make
                from workbook.mel_images import extract_mel_images

                extract_mel_images(files, tempfile.mkdtemp(dir=cache), cleaning=kw["cleaning"], sr=SR, n_jobs=kw["n_jobs"],
                                   cache_dir=cache, progress=False)

    c0 = _tree_cpu_s()
    t0 = time.perf_counter()
    fn()
    info["wall_s"] = time.perf_counter() - t0
    info["cpu_s"] = _tree_cpu_s() - c0
    if base.startswith("engine"):
        res = holder["result"]
        info["n_ok"] = len(res.features)
        info["n_failed"] = res.stats.n_failed
        info["n_features"] = len(res.feature_columns())
        shutil.rmtree(cache, ignore_errors=True)  # the timed run's cache is not kept
        if kw["backend"] == "dask":
            cluster.close()
    return info


# --- the parent side: one fresh process per configuration, memory sampled --------------------


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(config: str, files: list[str], warmup: list[str], cleaning: str | None, code: dict | None = None) -> dict:
    """Run one configuration in a fresh Python process (``config@REF``: on the code of REF, a
    folder in ``code``); add its peak tree memory (MB)."""
    import psutil

    env = dict(os.environ)
    if "@" in config:  # the worker imports helpers and workbook from the exported revision first
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code[config.split("@")[1]]), env.get("PYTHONPATH")]))

    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.json"
        out = Path(tmp) / "out.json"
        spec.write_text(json.dumps({"config": config, "files": files, "warmup": warmup, "cleaning": cleaning}))
        proc = subprocess.Popen([sys.executable, __file__, "--worker", str(spec), str(out)], env=env)
        ps = psutil.Process(proc.pid)
        peak = 0
        stop = threading.Event()

        def sample():
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _tree_rss(ps))
                time.sleep(0.02)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        rc = proc.wait()
        stop.set()
        th.join()
        if rc != 0 or not out.exists():
            return {"config": config, "error": f"exit code {rc}"}
        info = json.loads(out.read_text())
    info["peak_mb"] = peak / 1e6
    return info


def pick_clips(manifest, n: int) -> list[str]:
    """``n`` clips spread evenly over the manifest sorted by path (deterministic)."""
    paths = sorted(manifest["path"].astype(str))
    if n >= len(paths):
        return paths
    step = len(paths) / n
    return [paths[int(i * step)] for i in range(n)]


def corpora(args) -> dict[str, list[str]]:
    from workbook.datasets import load_dataset
    from workbook.paths import shared_commonvoice_sample

    out = {}
    syn = load_dataset("synthetic", args.synthetic_dir, n_speakers=args.synthetic_speakers, clips_per_speaker=5, seed=0)
    out["synthetic"] = pick_clips(syn.manifest, args.n_clips + N_WARMUP)
    cv_dir = Path(args.cv_dir) if args.cv_dir else shared_commonvoice_sample()
    if cv_dir.exists():
        cv = load_dataset("commonvoice", cv_dir)
        out["commonvoice"] = pick_clips(cv.manifest, args.n_clips + N_WARMUP)
    else:
        print(f"(no Common Voice sample at {cv_dir}: real-data rows skipped)")
    return out


def _export(ref: str) -> Path:
    """``helpers`` and ``workbook`` of git revision ``ref``, exported to a temporary folder."""
    root = Path(__file__).resolve().parent.parent
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{ref.replace('/', '_')}-"))
    archive = subprocess.run(["git", "-C", str(root), "archive", ref, "helpers", "workbook"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="6 clips per corpus, a small synthetic corpus: checks that it runs")
    ap.add_argument("--n-clips", type=int, default=200, help="clips per corpus (default 200)")
    ap.add_argument("--synthetic-speakers", type=int, default=300, help="size of the synthetic corpus to draw from")
    ap.add_argument("--synthetic-dir", default=None, help="synthetic corpus folder (default: the data folder's)")
    ap.add_argument("--cv-dir", default=None, help="Common Voice sample (default ../shared/data/commonvoice-6.1-sample)")
    ap.add_argument("--cleaning", default=None, help="also run the engine rows with this cleaning preset (e.g. original)")
    ap.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated subset of {', '.join(CONFIGS)}")
    ap.add_argument("--compare-ref", default=None, help="also run the engine rows on this git revision (e.g. main)")
    ap.add_argument("--out", default=None, help="write the results table to this CSV")
    args = ap.parse_args(argv)

    if args.worker:
        spec = json.loads(Path(args.worker[0]).read_text())
        info = run_config(spec["config"], spec["files"], spec["warmup"], spec["cleaning"])
        Path(args.worker[1]).write_text(json.dumps(info, default=str))
        return 0

    import pandas as pd

    from helpers.audio import audio_info

    if args.quick:
        args.n_clips = min(args.n_clips, 6)
        args.synthetic_speakers = min(args.synthetic_speakers, 4)
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    if args.cleaning:
        configs += [f"{c}_clean" for c in configs if c.startswith("engine")]
    code = {}
    if args.compare_ref:
        code[args.compare_ref] = _export(args.compare_ref)
        configs = [v for c in configs for v in ([c, f"{c}@{args.compare_ref}"] if c.startswith("engine") else [c])]
    print(f"cores: {os.cpu_count()}; load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rows = []
    for corpus, paths in corpora(args).items():
        warmup, files = paths[:N_WARMUP], paths[N_WARMUP:]
        audio_s = sum(audio_info(f)["duration_s"] for f in files)
        print(f"\n{corpus}: {len(files)} clips, {audio_s:.0f} s of audio (+{len(warmup)} warm-up clips, not timed)", flush=True)
        for config in configs:
            info = measure(config, files, warmup, args.cleaning, code)
            info.update(corpus=corpus, n_clips=len(files), audio_s=audio_s)
            if "wall_s" in info:
                info["audio_s_per_wall_s"] = audio_s / info["wall_s"]
                info["cpu_ms_per_audio_s"] = 1000 * info["cpu_s"] / audio_s
                print(f"  {config:26s} {info['wall_s']:8.2f} s wall  {info['audio_s_per_wall_s']:8.1f} audio s/s  "
                      f"{info['cpu_ms_per_audio_s']:7.1f} CPU ms per audio s  peak {info['peak_mb']:7.0f} MB"
                      + (f"  (start-up {info['startup_s']:.1f} s)" if info.get("startup_s") else ""), flush=True)
                if info.get("pyin_changes"):
                    print(f"    original pyin settings changed: {info['pyin_changes']}")
                elif "pyin_settings" in info:
                    print(f"    original pyin settings reproduced exactly: {info['pyin_settings']}")
            else:
                print(f"  {config:26s} FAILED: {info.get('error')}", flush=True)
            rows.append(info)

    df = pd.DataFrame(rows)
    if args.out:
        df.to_csv(args.out, index=False)
        print(f"\nwrote {args.out}")
    print("\nratios of throughput (audio s per wall s), and in brackets of CPU time per audio s:")
    for corpus, g in df.groupby("corpus", sort=False):
        t = g.set_index("config")["audio_s_per_wall_s"] if "audio_s_per_wall_s" in g else pd.Series(dtype=float)
        c = g.set_index("config")["cpu_ms_per_audio_s"] if "cpu_ms_per_audio_s" in g else pd.Series(dtype=float)

        def ratio(a, b):
            if not (a in t and b in t and pd.notna(t[a]) and pd.notna(t[b])):
                return "n/a"
            return f"{t[a] / t[b]:.1f}x ({c[b] / c[a]:.1f}x)" if c[a] > 0 else f"{t[a] / t[b]:.1f}x"

        print(f"  {corpus}:")
        print(f"    engine original set vs original procedure (1 worker each): {ratio('engine_original', 'original_procedure')}")
        print(f"    engine full set vs original procedure (1 worker each):     {ratio('engine_full', 'original_procedure')}")
        if args.cleaning:
            print(f"    the same with cleaning {args.cleaning!r}: original set {ratio('engine_original_clean', 'original_procedure')}, "
                  f"full set {ratio('engine_full_clean', 'original_procedure')}")
        print(f"    floor: decoding alone runs {ratio('decode', 'engine_full')} faster than the full set")
        print(f"    2 vs 1 joblib workers (full set): {ratio('engine_full_2w', 'engine_full')}")
        print(f"    Dask local cluster (2 workers) vs joblib (2 workers): {ratio('engine_full_dask', 'engine_full_2w')}")
        fams = [f for f in FAMILY_CONFIGS if f in c and pd.notna(c[f])]
        if fams:
            print("    CPU ms per audio s by family (1 worker, decoding included): "
                  + ", ".join(f"{f.removeprefix('engine_')} {c[f]:.1f}" for f in fams))
        if args.cleaning:
            print(f"    real-data path (all families, cleaning {args.cleaning!r}) vs the full set without cleaning: "
                  f"{ratio('engine_all_clean', 'engine_full')}")
        for sfx in ("", "_clean"):
            if f"engine_all_images{sfx}" in t:
                print(f"    features and mel images in one pass vs two passes{' (cleaned)' if sfx else ''}: "
                      f"{ratio(f'engine_all_images{sfx}', f'engine_all_then_images{sfx}')}")
        if args.compare_ref:
            for config in [c for c in configs if c.startswith("engine") and "@" not in c]:
                print(f"    {config}: this code vs {args.compare_ref}: {ratio(config, f'{config}@{args.compare_ref}')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
