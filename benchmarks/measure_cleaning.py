"""Peak memory and run time of ``helpers.cleaning.clean`` on a long recording.

Builds a synthetic long input (speech-like tone bursts over noise, with clicks) of
``--minutes`` at ``--sr`` Hz, cleans it with each preset named in ``--presets`` in a fresh
subprocess, and prints the peak resident memory (ru_maxrss) and wall time of each, next
to the memory of the input itself. Not part of the test suite (timings depend on the load
of the machine); the 10-minute memory bound is checked by tests/test_cleaning.py.

    .venv/bin/python benchmarks/measure_cleaning.py --minutes 10 --presets none gentle nonstationary

Notebook: 02_cleaning (the long-input note in its summary).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
from helpers.cleaning import clean
minutes, sr, preset = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
n = int(minutes * 60 * sr)
rng = np.random.default_rng(0)
t = np.arange(n) / sr
gate = (np.sin(2 * np.pi * 0.3 * t) > 0).astype(np.float32)
y = (0.2 * np.sin(2 * np.pi * 180 * t) * gate + 0.01 * rng.standard_normal(n)).astype(np.float32)
del t, gate
y[sr // 2 :: 37 * sr] += 0.8  # a click every 37 s
loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
res = clean(y, sr, preset)
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"preset": preset, "input_mb": y.nbytes / 2**20, "after_imports_mb": base,
                  "after_input_mb": loaded, "peak_mb": peak, "seconds": dt, "n_clicks": len(res.clicks),
                  "notes": res.notes[:3]}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--sr", type=int, default=16000)
    ap.add_argument("--presets", nargs="+", default=["none", "gentle", "nonstationary"])
    args = ap.parse_args(argv)
    for preset in args.presets:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.minutes), str(args.sr), preset],
            capture_output=True, text=True, check=False,
        )
        if out.returncode != 0:
            print(f"{preset}: failed\n{out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{preset:>14}: input {r['input_mb']:.0f} MB, peak RSS {r['peak_mb']:.0f} MB "
            f"(after imports {r['after_imports_mb']:.0f} MB, with input {r['after_input_mb']:.0f} MB), {r['seconds']:.1f} s, {r['n_clicks']} clicks"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
