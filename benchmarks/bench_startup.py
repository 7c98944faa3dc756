"""Benchmark: start-up with the venv's compiled bytecode against compiling from source.

uv installs no ``.pyc`` files, and where ``PYTHONDONTWRITEBYTECODE`` is set no import writes
them, so every notebook kernel and worker process would compile the libraries it imports
(``make setup`` now compiles them once with ``compileall``). This compares, side by side and
interleaved, each notebook's import cell (its parameters cell, then its first cell of
imports, in a fresh process) run two ways:

==============  ==========================================================================
compiled        the venv as ``make setup`` leaves it
from source     ``PYTHONPYCACHEPREFIX`` pointed at an empty folder and
                ``PYTHONDONTWRITEBYTECODE=1``: Python finds no ``.pyc`` and writes none,
                as in a venv nobody compiled
==============  ==========================================================================

``--runs N`` adds N interleaved pairs of whole headless runs (``python -m workbook run``,
what ``make run`` runs, on the default corpus with its feature cache as it is): the variables
reach every kernel and worker the run starts. Prints medians, CPU time and the ratio.

    python benchmarks/bench_startup.py                 # import cells, 3 pairs each: about 2 min
    python benchmarks/bench_startup.py --runs 2        # and 2 pairs of whole runs: about 20 min more
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def import_cell(notebook: Path) -> str:
    """The notebook's parameters cell and its first code cell with an import statement."""
    cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    params = next((c.source for c in cells if "parameters" in c.metadata.get("tags", [])), "")
    imports = next(c.source for c in cells if "parameters" not in c.metadata.get("tags", [])
                   and any(line.startswith(("import ", "from ")) for line in c.source.splitlines()))
    return params + "\n" + imports


def timed(cmd: list[str], env: dict, cwd: Path, log=None) -> tuple[float, float]:
    """``(wall s, CPU s of the process and everything it started)``; raises if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, stdout=log or subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        tail = (done.stdout or "")[-2000:] if log is None else f"see {log.name}"
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed (exit {done.returncode}): {tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="interleaved pairs per notebook's import cell (default 3)")
    ap.add_argument("--runs", type=int, default=0, help="interleaved pairs of whole headless runs (default 0)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes of the whole runs (default 2)")
    args = ap.parse_args(argv)

    import importlib.util

    import sklearn

    if not Path(importlib.util.cache_from_source(sklearn.__file__)).is_file():
        raise SystemExit(f"the venv has no compiled bytecode ({sklearn.__file__} has no .pyc): run make setup in a fresh venv, "
                         f"or {sys.executable} -m compileall on its site-packages, first")
    notebooks = sorted((ROOT / "notebooks").glob("0*.ipynb"))
    base = {**os.environ, "MPLBACKEND": "Agg"}
    empty = tempfile.mkdtemp(prefix="no-pyc-")
    ways = {"compiled": {k: v for k, v in base.items() if k != "PYTHONPYCACHEPREFIX"},
            "from source": {**base, "PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"}}
    print(f"cores: {os.cpu_count()}; load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"import cells, {args.repeats} interleaved pairs each; median wall (CPU) seconds")
    rows = []
    for nb in notebooks:
        code = import_cell(nb)
        times = {way: [] for way in ways}
        for _ in range(args.repeats):
            for way, env in ways.items():
                times[way].append(timed([sys.executable, "-c", code], env, ROOT))
        med = {way: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for way, t in times.items()}
        rows.append((nb.stem, med))
        print(f"  {nb.stem:28s} compiled {med['compiled'][0]:5.2f} ({med['compiled'][1]:5.2f})   from source "
              f"{med['from source'][0]:5.2f} ({med['from source'][1]:5.2f})   ratio {med['from source'][0] / med['compiled'][0]:.2f}x",
              flush=True)
    total = {way: sum(m[way][0] for _, m in rows) for way in ways}
    print(f"  {'all seven, summed':28s} compiled {total['compiled']:5.1f} s   from source {total['from source']:5.1f} s   "
          f"ratio {total['from source'] / total['compiled']:.2f}x")

    if args.runs:
        print(f"\nwhole headless runs (python -m workbook run, default corpus, {args.jobs} workers), {args.runs} interleaved pairs")
        runs = {way: [] for way in ways}
        with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
            for i in range(args.runs):
                for way, env in ways.items():
                    out = Path(tmp) / f"{way.replace(' ', '_')}_{i}"
                    log = open(Path(tmp) / f"{out.name}.log", "w")
                    cmd = [sys.executable, "-m", "workbook", "run", "--dataset", "synthetic", "--out", str(out),
                           "--jobs", str(args.jobs), "--params", ""]
                    wall, cpu = timed(cmd, env, ROOT, log=log)
                    runs[way].append((wall, cpu))
                    print(f"  pair {i + 1}, {way:11s}: {wall:6.1f} s wall, {cpu:6.1f} s CPU; "
                          f"load now {os.getloadavg()[0]:.1f}", flush=True)
        med = {way: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for way, t in runs.items()}
        print(f"  median: compiled {med['compiled'][0]:.1f} s ({med['compiled'][1]:.1f} s CPU), from source "
              f"{med['from source'][0]:.1f} s ({med['from source'][1]:.1f} s CPU): ratio {med['from source'][0] / med['compiled'][0]:.2f}x")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
