"""Benchmark: how fast the default synthetic corpus generates, 1 versus 2 workers.

Generates the corpus (default 300 speakers x 5 clips) into a temporary folder with each
worker count, ``--repeats`` times, interleaved so that machine noise hits both alike,
and prints median wall time, audio seconds generated per wall second and the ratio.
Also checks that every run wrote byte-identical files.

    python benchmarks/bench_generate.py [--n-speakers 300] [--clips 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from workbook.synthetic import corpus
from workbook.synthetic.corpus import CorpusConfig, generate_corpus


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-speakers", type=int, default=300)
    ap.add_argument("--clips", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    config = CorpusConfig(n_speakers=args.n_speakers, clips_per_speaker=args.clips, seed=args.seed)
    print(f"cores: {os.cpu_count()}, corpus: {config.n_speakers} speakers x {config.clips_per_speaker} clips")

    times: dict[int, list[float]] = {1: [], 2: []}
    digests = set()
    audio_s = None
    for r in range(args.repeats):
        for jobs in (2, 1) if r % 2 else (1, 2):
            corpus._speakers_table.cache_clear()  # each run pays for sampling its speakers
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "corpus"
                start = time.perf_counter()
                generate_corpus(root, config, n_jobs=jobs, progress=False)
                elapsed = time.perf_counter() - start
                times[jobs].append(elapsed)
                digests.add(tree_digest(root))
                if audio_s is None:
                    audio_s = pd.read_csv(root / "manifest.csv")["duration_s"].sum()
            print(f"  repeat {r + 1}, {jobs} worker(s): {elapsed:.1f} s", flush=True)

    med = {j: statistics.median(t) for j, t in times.items()}
    print()
    print(f"audio generated per run: {audio_s:.0f} s ({audio_s / 60:.1f} min)")
    for j in (1, 2):
        print(f"{j} worker(s): median {med[j]:.1f} s wall, {audio_s / med[j]:.0f} audio s per wall s "
              f"(runs: {', '.join(f'{t:.1f}' for t in times[j])})")
    print(f"speed-up 2 vs 1 workers: {med[1] / med[2]:.2f}x")
    print(f"byte-identical across all runs: {len(digests) == 1}")


if __name__ == "__main__":
    main()
