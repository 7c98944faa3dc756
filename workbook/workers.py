"""The worker side of the engine: what happens to one file, and where the files are processed.

:func:`process_file` loads one file at the :class:`Job`'s rate, cleans it
(:func:`helpers.cleaning.clean`, if asked), checks it (too short, silent) and computes the
job, returning a cache row that records the first failing step instead of raising.
:func:`compute_rows` runs it in joblib worker processes or on a Dask cluster.

Notebook: 03_features (through :mod:`workbook.engine`), 07_predict (one file at a time).
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import time
import warnings
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
from joblib import Parallel, delayed
from joblib._parallel_backends import LokyBackend
from joblib.externals.loky.process_executor import BrokenProcessPool, ProcessPoolExecutor
from threadpoolctl import threadpool_limits

from helpers.audio import AudioLoadError, audio_info, load_audio
from helpers.cleaning import clean
from workbook.cache import KEY
from workbook.watchdog import watch_parent

__all__ = []  # internal to the package: nothing here is meant for notebooks

#: The math libraries' thread counts, set to 1 in a worker process of :func:`_alone`.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: How long to try a scheduler (Dask's default 30 s; ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=10s``).
CONNECT_TIMEOUT = "distributed.comm.timeouts.connect"

#: Where :func:`compute_rows` can run the files: processes on this machine, or a Dask cluster.
BACKENDS = ("joblib", "dask")

#: Longest file analysed (s): a file is read whole, so a longer one is refused up front (from
#: its header) with a message that says how to split it, keeping a worker under 1 GB.
MAX_DURATION_S = 600.0


@dataclass
class Job:
    """What to do with each file (picklable: it is sent to the workers).

    ``sr``: analysis rate in Hz; ``cleaning``: resolved cleaning parameters or None;
    ``min_duration_s`` / ``silence_dbfs``: the checks after cleaning. A subclass sets
    ``kind`` (the name of its cache folder and of its error stage) and :meth:`compute`.

    Notebook: 03_features
    """

    sr: int = 16000
    cleaning: dict | None = None
    min_duration_s: float = 0.25
    silence_dbfs: float = -60.0

    kind = "job"
    reads_recording = False  # True: compute() also takes recording=, the clip as loaded (before cleaning)

    def compute(self, y: np.ndarray, sr: int) -> tuple[dict, list[tuple[str, str]]]:
        """``(values, [(stage, message), ...])`` of one loaded, cleaned and checked clip."""
        raise NotImplementedError(f"{type(self).__name__} does not say what to compute")


class _StepFailed(Exception):
    def __init__(self, stage: str, message: str):
        super().__init__(message)
        self.stage, self.message = stage, message


def _front(path: str, job: Job, row: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """Load, clean and check one file: ``(clip, recording, sr)``, the clip cleaned and the
    recording as loaded; raise :class:`_StepFailed` at the first failure."""
    try:
        minutes = audio_info(path)["duration_s"] / 60
        if minutes > MAX_DURATION_S / 60:
            raise _StepFailed("load", f"too long: {minutes:.0f} min; files up to {MAX_DURATION_S / 60:.0f} min are analysed "
                              "whole (memory grows about 66 MB a minute). Split it into parts and list those, e.g. "
                              "ffmpeg -i LONG.wav -f segment -segment_time 300 PART_%03d.wav")
        y, sr = load_audio(path, sr=job.sr)
    except _StepFailed:
        raise
    except AudioLoadError as exc:
        raise _StepFailed("load", exc.problem) from exc
    except Exception as exc:  # anything else the decoder throws
        raise _StepFailed("load", f"{type(exc).__name__}: {exc}") from exc
    row["_loaded_s"] = len(y) / sr
    recording = y
    if job.cleaning is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = np.asarray(clean(y, sr, job.cleaning, name=str(path)).y, dtype=np.float32)
        except Exception as exc:
            raise _StepFailed("clean", f"{type(exc).__name__}: {exc}") from exc
    duration = len(y) / sr
    if duration < job.min_duration_s:
        after = " after cleaning" if job.cleaning is not None else ""
        raise _StepFailed("check", f"too short: {duration:.2f} s of audio{after}, features need at least {job.min_duration_s:.2f} s")
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    peak_db = 20 * np.log10(peak) if peak > 0 else -np.inf
    if peak_db < job.silence_dbfs:
        raise _StepFailed("check", f"silent: peak level {peak_db:.0f} dBFS is below {job.silence_dbfs:.0f} dBFS")
    return y, recording, sr


def same_front(jobs) -> bool:
    """Whether jobs load, clean and check files alike (rate, cleaning, checks): one pass can serve them all.

    Notebook: 03_features (through :mod:`workbook.engine`)
    """
    fronts = {(j.sr, json.dumps(j.cleaning, sort_keys=True, default=str), j.min_duration_s, j.silence_dbfs) for j in jobs}
    return len(fronts) <= 1


def process_file(path: str, content_key: str, job: Job | tuple[Job, ...]) -> dict | list[dict]:
    """Run ``job`` on one file and return its cache row (never raises for a bad file).

    The row holds ``content_sha1``, ``_status`` ("ok" or "failed"), ``_errors`` (JSON list
    of [stage, message]), ``_loaded_s`` (decoded duration, s), ``_compute_s`` (wall time,
    s) and the computed values. A tuple of jobs that load, clean and check alike
    (:func:`same_front`) runs on one load and cleaning of the file: a list of rows, one per job.

    Notebook: 03_features, 07_predict
    """
    jobs = job if isinstance(job, tuple) else (job,)
    t0 = time.perf_counter()
    front: dict[str, Any] = {KEY: content_key, "_status": "ok", "_errors": "", "_loaded_s": math.nan, "_compute_s": math.nan}
    try:
        y, recording, sr = _front(path, jobs[0], front)
    except _StepFailed as exc:
        front.update(_status="failed", _errors=json.dumps([[exc.stage, exc.message]]), _compute_s=time.perf_counter() - t0)
        rows = [dict(front) for _ in jobs]
        return rows if isinstance(job, tuple) else rows[0]
    front_s, rows = time.perf_counter() - t0, []
    for one in jobs:
        t1, row = time.perf_counter(), dict(front)
        try:
            values, problems = one.compute(y, sr, recording=recording) if one.reads_recording else one.compute(y, sr)
            row.update(values)
            errors = [[stage, message] for stage, message in problems]
        except Exception as exc:
            row["_status"] = "failed"
            errors = [[one.kind, f"{type(exc).__name__}: {exc}"]]
        row["_errors"] = json.dumps(errors) if errors else ""
        row["_compute_s"] = front_s + time.perf_counter() - t1
        rows.append(row)
    return rows if isinstance(job, tuple) else rows[0]


def compute_rows(tasks: list[tuple[str, str]], job: Job | tuple[Job, ...], *, backend: str = "joblib", n_jobs: int = 1,
                 scheduler=None) -> Iterator[dict | list[dict]]:
    """The row of :func:`process_file` (a list of rows for a tuple of jobs) for each
    ``(path, content_key)`` task, in the order they finish: on ``n_jobs`` joblib processes (1: in this process) or on the Dask cluster of
    ``scheduler`` (an address, a Client or a cluster; None: a local one of ``n_jobs`` workers).

    Notebook: 03_features
    """
    if backend == "joblib":
        return _joblib_rows(tasks, job, n_jobs)
    if backend == "dask":
        return _dask_rows(tasks, job, n_jobs, scheduler)
    raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")


def _joblib_rows(tasks, job: Job, n_jobs: int) -> Iterator[dict]:
    if n_jobs == 1:
        # one BLAS thread, as in the worker processes (loky and Dask set the same): the
        # order of float sums, and so every feature bit for bit, then match across back-ends
        with threadpool_limits(limits=1):
            for path, key in tasks:
                yield process_file(path, key, job)
        return
    todo = list(tasks)
    while todo:  # a worker killed (the OOM killer) breaks the pool: finish the rest in a fresh one
        sent, done = [], set()

        def feed(batch):
            for path, key in batch:
                sent.append((path, key))
                yield delayed(process_file)(path, key, job)

        parallel = _parallel(n_jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs", batch_size=1)
        try:
            for row in parallel(feed(todo)):
                done.add((row[0] if isinstance(row, list) else row)[KEY])
                yield row
            return
        except BrokenProcessPool:
            todo = todo[len(sent):]
            yield from _alone([t for t in sent if t[1] not in done], job)  # which of the files in flight kills


def _alone(tasks, job: Job) -> Iterator[dict]:
    """Each task alone in one worker process (one at a time, the same process until one dies):
    the file that kills its worker gets the row of :func:`_died`, the others their real row."""
    executor = None
    try:
        for path, key in tasks:
            if executor is None:  # one BLAS thread, as in the pool's workers
                executor = ProcessPoolExecutor(max_workers=1, initializer=watch_parent, initargs=(os.getpid(),),
                                               env={v: "1" for v in _THREAD_VARIABLES})
            try:
                yield executor.submit(process_file, path, key, job).result()
            except BrokenProcessPool as exc:
                yield _died(key, exc, job)
                executor.shutdown(wait=True)
                executor = None
    finally:
        if executor is not None:
            executor.shutdown(wait=True)


def _died(key: str, exc: Exception, job: Job | tuple[Job, ...]) -> dict | list[dict]:
    """The row of a file whose worker process died while it held it (one per job of a tuple)."""
    row = {KEY: key, "_status": "failed", "_errors": json.dumps([["worker", f"worker died, likely out of memory "
           f"({type(exc).__name__})"]]), "_loaded_s": math.nan, "_compute_s": math.nan}
    return [dict(row) for _ in job] if isinstance(job, tuple) else row


def _parallel(n_jobs: int, **kwargs) -> Parallel:
    """joblib's loky pool whose workers exit within a second of this process's death."""
    return Parallel(n_jobs=n_jobs, backend=LokyBackend(initializer=watch_parent, initargs=(os.getpid(),)), **kwargs)


def _dask_client(scheduler, n_jobs: int):
    """``(client, [what to close])`` from a Client, a cluster, an address, or None for a local cluster."""
    import dask
    from distributed import Client, LocalCluster  # optional heavy dependency

    if hasattr(scheduler, "submit"):  # a Client: the caller owns it
        return scheduler, []
    if hasattr(scheduler, "scheduler_address") or (isinstance(scheduler, str) and scheduler not in ("", "local")):
        address = getattr(scheduler, "scheduler_address", scheduler)
        try:
            return (client := Client(address, timeout=dask.config.get(CONNECT_TIMEOUT))), [client]
        except (OSError, TimeoutError) as exc:
            raise RuntimeError(f"cannot reach the Dask scheduler at {address!r} ({type(exc).__name__}: {exc})") from exc
    cluster = LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    return client, [client, cluster]


def _dask_rows(tasks, job: Job, n_jobs: int, scheduler) -> Iterator[dict]:
    from distributed import as_completed

    client, owned = _dask_client(scheduler, n_jobs)
    try:
        key_of = {}

        def submit(path: str, key: str):
            future = client.submit(process_file, path, key, job, pure=False)
            key_of[future.key] = key
            return future

        todo = iter(tasks)
        window = 4 * (len(client.scheduler_info().get("workers", {})) or n_jobs)  # bounds the memory in flight
        running = as_completed([submit(*task) for task in itertools.islice(todo, window)])
        for future in running:
            key = key_of.pop(future.key)
            try:
                row = future.result()
            except Exception as exc:  # the worker died (e.g. out of memory)
                row = _died(key, exc, job)
            future.release()
            yield row
            task = next(todo, None)
            if task is not None:
                running.add(submit(*task))
    finally:
        for resource in owned:
            resource.close()
