"""Benchmark: `make run` repeated headless N times; does any run stall?

Runs ``python -m workbook run --dataset synthetic --params PARAMS --jobs JOBS`` (what
``make run PARAMS=...`` runs) ``--repeats`` times in a row, each in its own process group
with a wall-clock limit (``--timeout``, default 900 s): a run that exceeds it is a stall, is
killed with its workers, and the next run starts. Each run writes into its own output folder
(the feature cache is shared, as with repeated ``make run``). Prints one line per run (time,
exit status, stall) and a summary; exits 1 if any run stalled or failed.

    python benchmarks/bench_repeat_run.py                       # 10 runs, n_speakers=40 seed=3
    python benchmarks/bench_repeat_run.py --repeats 1 --timeout 1200
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(params: str, jobs: int, out: Path, timeout_s: float, log: Path) -> tuple[str, float]:
    """``(status, wall s)`` of one headless run: ok, failed (exit N) or STALL."""
    cmd = [sys.executable, "-m", "workbook", "run", "--dataset", "synthetic", "--params", params,
           "--jobs", str(jobs), "--out", str(out)]
    start = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the run and every worker it started
            proc.wait()
            return "STALL", time.monotonic() - start
    return ("ok" if code == 0 else f"failed (exit {code})"), time.monotonic() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--params", default="n_speakers=40 seed=3")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds before a run counts as stalled")
    ap.add_argument("--out", default=None, help="folder for the runs' outputs and logs (default: a temporary one)")
    args = ap.parse_args()
    root = Path(args.out or tempfile.mkdtemp(prefix="bench_repeat_run_"))
    root.mkdir(parents=True, exist_ok=True)
    results = []
    for i in range(1, args.repeats + 1):
        status, wall = one_run(args.params, args.jobs, root / f"run{i:02d}", args.timeout, root / f"run{i:02d}.log")
        results.append((status, wall))
        print(f"run {i:2d}/{args.repeats}: {status:16s} {wall:7.1f} s   (log: {root / f'run{i:02d}.log'})", flush=True)
    stalls = sum(s == "STALL" for s, _ in results)
    failed = sum(s not in ("ok", "STALL") for s, _ in results)
    walls = sorted(w for s, w in results if s == "ok")
    median = f"{walls[len(walls) // 2]:.1f} s" if walls else "-"
    print(f"{len(results)} run(s) of PARAMS={args.params!r}: {len(walls)} ok (median {median}), "
          f"{stalls} stalled (> {args.timeout:.0f} s), {failed} failed")
    return 0 if stalls == failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
