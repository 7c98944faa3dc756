"""The extraction engine: features (or mel images) for every file of a data set, in parallel,
cached, resumable and fault-tolerant.

``extract_features(manifest)`` streams the files through worker processes (joblib by
default; ``backend="dask"`` sends the same work to a Dask cluster), so only a few clips are
in memory at any time. Each file goes through the same steps on a worker: load at ``sr``
Hz, clean (optional, :func:`helpers.cleaning.clean` with a preset or parameters), check
(too short, silent), compute the chosen families. Results are written to the cache
(:mod:`workbook.cache`) in atomic shards as they complete: a re-run computes only
new or changed files, and a run killed part-way resumes where it stopped. A file that
fails is recorded with its stage and reason in the error table; the others go on.

The result is one row per clip keyed by ``path``, joined with the manifest's labels.

Notebook: 03_features (and ``python -m workbook features``).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from workbook.cache import KEY, FileHasher, ShardStore, spec_key
from helpers.features.families import FAMILY_PREFIX, FeatureParams, compute_features, resolve_families

#: Version of the feature code. Bump it whenever a change alters any feature value: every
#: cached result of an older version is then recomputed.
FEATURE_CODE_VERSION = "3"

#: Backends :func:`extract_features` can run on.
BACKENDS = ("joblib", "dask")

#: Manifest columns joined to the feature table by default.
DEFAULT_MANIFEST_COLUMNS = ("speaker", "age_group", "age_years", "gender")

#: Output file names in a run's output folder (read by notebook 04).
FEATURES_FILE = "features.parquet"
ERRORS_FILE = "feature_errors.csv"
SPEC_FILE = "features_spec.json"

ERROR_COLUMNS = ["path", "stage", "error"]


def default_cache_dir() -> Path:
    """Default cache folder: ``<data folder>/cache/features`` (shared by every data set).

    Notebook: 03_features
    """
    from workbook.paths import data_root

    return data_root() / "cache" / "features"


def resolve_cleaning_params(cleaning) -> dict | None:
    """Full parameter dict of a cleaning choice, or None for no cleaning.

    ``None`` and ``"none"`` mean no cleaning (note: unlike :func:`helpers.cleaning.clean`,
    where None means its default preset). A preset name or a parameter dict is resolved
    with :func:`helpers.cleaning.resolve_cleaning`; a clear error says so if the cleaning
    module is missing.

    Notebook: 03_features
    """
    if cleaning is None or (isinstance(cleaning, str) and cleaning.lower() == "none"):
        return None
    try:
        from helpers.cleaning import resolve_cleaning
    except ImportError as exc:
        raise ValueError(
            f"cleaning={cleaning!r} asked for, but helpers.cleaning cannot be imported ({exc}); "
            "use cleaning=None to extract features from the raw audio"
        ) from exc
    _, params = resolve_cleaning(cleaning)
    return dict(params)


def _cleaning_version() -> str | None:
    try:
        from helpers.cleaning import pipeline
    except ImportError:
        return None
    return str(getattr(pipeline, "CLEANING_VERSION", "1"))


# --- jobs: what a worker does with one file -------------------------------------------------


@dataclass
class Job:
    """What to do with each file (picklable; sent to the workers).

    ``sr``: analysis rate in Hz; ``cleaning``: resolved cleaning parameters or None;
    ``min_duration_s``/``silence_dbfs``: the checks after cleaning.
    """

    sr: int = 16000
    cleaning: dict | None = None
    min_duration_s: float = 0.25
    silence_dbfs: float = -60.0

    kind = "job"

    def describe(self) -> dict:
        """Everything that determines the output (hashed into the cache key)."""
        d = asdict(self)
        d["kind"] = self.kind
        d["code_version"] = FEATURE_CODE_VERSION
        if self.cleaning is not None:
            d["cleaning_version"] = _cleaning_version()
        return d

    def key(self) -> str:
        return spec_key(self.describe())

    def compute(self, y: np.ndarray, sr: int) -> tuple[dict, list[tuple[str, str]]]:
        raise NotImplementedError


@dataclass
class FeatureJob(Job):
    """Compute feature families (see :mod:`helpers.features.families`)."""

    families: tuple[str, ...] = ("original", "spectral", "voice", "rhythm")
    params: FeatureParams = field(default_factory=FeatureParams)

    kind = "features"

    def compute(self, y, sr):
        return compute_features(y, sr, self.families, self.params)


def _error(stage: str, message: str) -> list[str]:
    return [stage, message]


def process_file(path: str, content_key: str, job: Job) -> dict:
    """Run ``job`` on one file and return its cache row (never raises for a bad file).

    The row holds ``content_sha1``, ``_status`` ("ok" or "failed"), ``_errors`` (JSON list
    of [stage, message]), ``_loaded_s`` (decoded duration, s), ``_compute_s`` (wall time,
    s) and the computed values.

    Notebook: 03_features
    """
    import warnings

    from helpers.audio import AudioLoadError, load_audio

    t0 = time.perf_counter()
    row: dict[str, Any] = {KEY: content_key, "_status": "ok", "_errors": "", "_loaded_s": math.nan, "_compute_s": math.nan}
    errors: list[list[str]] = []

    def finish(failed: bool) -> dict:
        if failed:
            row["_status"] = "failed"
        row["_errors"] = json.dumps(errors) if errors else ""
        row["_compute_s"] = time.perf_counter() - t0
        return row

    try:
        y, sr = load_audio(path, sr=job.sr)
    except AudioLoadError as exc:
        errors.append(_error("load", exc.problem))
        return finish(True)
    except Exception as exc:  # anything else the decoder throws
        errors.append(_error("load", f"{type(exc).__name__}: {exc}"))
        return finish(True)
    row["_loaded_s"] = len(y) / sr

    if job.cleaning is not None:
        try:
            from helpers.cleaning import clean

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = np.asarray(clean(y, sr, job.cleaning, name=str(path)).y, dtype=np.float32)
        except Exception as exc:
            errors.append(_error("clean", f"{type(exc).__name__}: {exc}"))
            return finish(True)

    duration = len(y) / sr
    if duration < job.min_duration_s:
        after = " after cleaning" if job.cleaning is not None else ""
        errors.append(_error("check", f"too short: {duration:.2f} s of audio{after}, features need at least {job.min_duration_s:.2f} s"))
        return finish(True)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    peak_db = 20 * np.log10(peak) if peak > 0 else -np.inf
    if peak_db < job.silence_dbfs:
        errors.append(_error("check", f"silent: peak level {peak_db:.0f} dBFS is below {job.silence_dbfs:.0f} dBFS"))
        return finish(True)

    try:
        values, family_errors = job.compute(y, sr)
    except Exception as exc:
        errors.append(_error(job.kind, f"{type(exc).__name__}: {exc}"))
        return finish(True)
    row.update(values)
    errors.extend(_error(stage, msg) for stage, msg in family_errors)
    return finish(False)


# --- inputs ------------------------------------------------------------------------------


def as_manifest(data) -> pd.DataFrame:
    """A manifest-like DataFrame with a ``path`` column from a manifest, a LoadedDataset,
    or an iterable of paths. A path listed twice is kept once (its first row).

    Notebook: 03_features
    """
    if hasattr(data, "manifest") and isinstance(getattr(data, "manifest"), pd.DataFrame):
        data = data.manifest
    if isinstance(data, pd.DataFrame):
        if "path" not in data.columns:
            raise ValueError(f"the table has no 'path' column (columns: {list(data.columns)})")
        df = data.reset_index(drop=True).copy()
    elif isinstance(data, (str, Path)):
        raise TypeError("give a list of paths or a manifest, not a single path")
    else:
        df = pd.DataFrame({"path": [str(p) for p in data]})
    df["path"] = df["path"].astype(str)
    dup = df["path"].duplicated()
    if dup.any():
        df = df.loc[~dup].reset_index(drop=True)
    return df


# --- running -------------------------------------------------------------------------------


def _single_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _joblib_results(tasks: list[tuple[str, str]], job: Job, n_jobs: int):
    if n_jobs == 1:
        # one BLAS thread, as in the worker processes (loky and Dask set the same): the
        # order of float sums, and so every feature bit for bit, then match across back-ends
        with _single_blas_thread():
            for p, k in tasks:
                yield process_file(p, k, job)
        return
    from joblib import Parallel, delayed

    calls = (delayed(process_file)(p, k, job) for p, k in tasks)
    try:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered", pre_dispatch="2*n_jobs", batch_size=1)
    except ValueError:  # joblib < 1.4 has no unordered generator
        parallel = Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch="2*n_jobs", batch_size=1)
    yield from parallel(calls)


def _dask_client(scheduler, n_jobs: int):
    """(client, cluster we own or None) from an address, a Client, or None for a local cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ValueError(
            f"backend='dask' needs the distributed package ({exc}); install it with `pip install \"dask[distributed]\"`"
        ) from exc
    if scheduler is not None and hasattr(scheduler, "submit"):
        return scheduler, None
    if scheduler is not None and hasattr(scheduler, "scheduler_address"):
        return Client(scheduler.scheduler_address), "client"
    if isinstance(scheduler, str) and scheduler not in ("", "local"):
        return Client(scheduler), "client"
    cluster = LocalCluster(
        n_workers=max(1, n_jobs), threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster


def _dask_results(tasks: list[tuple[str, str]], job: Job, n_jobs: int, scheduler):
    from distributed import as_completed

    client, owned = _dask_client(scheduler, n_jobs)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or n_jobs)
        window = 4 * n_workers  # tasks in flight: bounds memory on the client and the workers
        it = iter(tasks)
        pending = {}

        def submit_next(ac=None) -> bool:
            try:
                p, k = next(it)
            except StopIteration:
                return False
            fut = client.submit(process_file, p, k, job, pure=False)
            pending[fut.key] = (p, k)
            if ac is not None:
                ac.add(fut)
            return fut

        first = []
        for _ in range(window):
            fut = submit_next()
            if fut is False:
                break
            first.append(fut)
        ac = as_completed(first)
        for fut in ac:
            p, k = pending.pop(fut.key)
            try:
                row = fut.result()
            except Exception as exc:  # the worker died (e.g. out of memory)
                row = {KEY: k, "_status": "failed", "_errors": json.dumps([["worker", f"{type(exc).__name__}: {exc}"]]),
                       "_loaded_s": math.nan, "_compute_s": math.nan}
            fut.release()
            yield row
            submit_next(ac)
    finally:
        if owned is not None:
            client.close()
            if owned != "client":
                owned.close()


@dataclass
class RunStats:
    """What a run did: counts of files, seconds of audio and wall time."""

    n_files: int = 0
    n_unique: int = 0
    n_cached: int = 0
    n_computed: int = 0
    n_failed: int = 0
    n_error_rows: int = 0
    computed_audio_s: float = 0.0
    wall_s: float = 0.0
    backend: str = "joblib"
    n_jobs: int = 1

    @property
    def audio_s_per_wall_s(self) -> float:
        return self.computed_audio_s / self.wall_s if self.wall_s > 0 else float("nan")

    def summary(self) -> str:
        rate = f", {self.audio_s_per_wall_s:.0f} s of audio per s" if self.n_computed else ""
        return (
            f"{self.n_files} files: {self.n_cached} from the cache, {self.n_computed} computed "
            f"({self.backend}, {self.n_jobs} worker(s)) in {self.wall_s:.1f} s{rate}; "
            f"{self.n_failed} failed, {self.n_error_rows} error row(s)"
        )


def run_job(
    manifest: pd.DataFrame,
    job: Job,
    *,
    n_jobs: int = 2,
    backend: str = "joblib",
    scheduler=None,
    cache_dir: str | Path | None = None,
    shard_size: int = 64,
    flush_every_s: float = 30.0,
    progress: bool = True,
    retry_failed: bool = False,
    on_shard: Callable[[Path, int], None] | None = None,
    desc: str = "features",
) -> tuple[pd.DataFrame, ShardStore, list[dict], RunStats]:
    """Run ``job`` on every file of ``manifest`` through the cache; the engine's core.

    Returns ``(keys, store, read_errors, stats)``: ``keys`` maps each ``path`` to its
    ``content_sha1`` (files that could not be read are absent and listed in
    ``read_errors``), ``store`` holds the rows.

    Notebook: 03_features
    """
    from tqdm.auto import tqdm

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if n_jobs is None or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive number of workers, got {n_jobs!r}")
    t0 = time.perf_counter()
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    description = job.describe()
    store = ShardStore(cache_dir / f"{job.kind}-{job.key()}", description)
    hasher = FileHasher(cache_dir)

    read_errors: list[dict] = []
    key_rows = []
    for p in manifest["path"]:
        try:
            key_rows.append((p, hasher.sha1(p)))
        except FileNotFoundError:
            read_errors.append({"path": p, "stage": "read", "error": "file not found"})
        except IsADirectoryError:
            read_errors.append({"path": p, "stage": "read", "error": "is a folder, not an audio file"})
        except OSError as exc:
            read_errors.append({"path": p, "stage": "read", "error": f"cannot read: {exc.strerror or exc}"})
    hasher.save()
    keys = pd.DataFrame(key_rows, columns=["path", KEY])

    present = store.keys() if not retry_failed else store.keys(where_status="ok")
    todo: dict[str, str] = {}
    for p, k in key_rows:
        if k not in present and k not in todo:
            todo[k] = p
    tasks = [(p, k) for k, p in todo.items()]
    stats = RunStats(n_files=len(manifest), n_unique=keys[KEY].nunique(), backend=backend, n_jobs=n_jobs)
    stats.n_cached = stats.n_unique - len(tasks)

    buffer: list[dict] = []
    last_flush = time.monotonic()
    done = 0

    def flush():
        nonlocal buffer, last_flush
        if buffer:
            shard = store.write(buffer)
            buffer = []
            if on_shard is not None:
                on_shard(shard, done)
        last_flush = time.monotonic()

    if tasks:
        results = _joblib_results(tasks, job, n_jobs) if backend == "joblib" else _dask_results(tasks, job, n_jobs, scheduler)
        bar = tqdm(total=stats.n_unique, initial=stats.n_cached, desc=desc, unit="file", disable=not progress, smoothing=0.1)
        try:
            for row in results:
                buffer.append(row)
                done += 1
                stats.n_computed += 1
                if np.isfinite(row.get("_loaded_s", np.nan)):
                    stats.computed_audio_s += float(row["_loaded_s"])
                bar.update(1)
                if len(buffer) >= shard_size or time.monotonic() - last_flush > flush_every_s:
                    flush()
        finally:
            flush()  # keep what is done, also on KeyboardInterrupt
            bar.close()
    store.compact()
    stats.wall_s = time.perf_counter() - t0
    return keys, store, read_errors, stats


def error_table(keys: pd.DataFrame, rows: pd.DataFrame, read_errors: list[dict]) -> pd.DataFrame:
    """Error table (path, stage, error) from the cache rows of ``keys`` and the read errors.

    Notebook: 03_features
    """
    records = list(read_errors)
    if len(rows) and "_errors" in rows.columns:
        has = rows[rows["_errors"].fillna("") != ""][[KEY, "_errors"]]
        by_key = {k: json.loads(e) for k, e in zip(has[KEY], has["_errors"])}
        for p, k in zip(keys["path"], keys[KEY]):
            for stage, msg in by_key.get(k, []):
                records.append({"path": p, "stage": stage, "error": msg})
    return pd.DataFrame(records, columns=ERROR_COLUMNS)


def count_failures(stats: RunStats, keys: pd.DataFrame, rows: pd.DataFrame, read_errors: list, errors: pd.DataFrame) -> None:
    """Fill ``stats.n_failed`` (files without a result) and ``stats.n_error_rows``."""
    failed = 0
    if len(rows):
        failed = int(keys[KEY].isin(rows.loc[rows["_status"] == "failed", KEY]).sum())
    stats.n_failed = failed + len(read_errors)
    stats.n_error_rows = len(errors)


@dataclass
class ExtractionResult:
    """Output of :func:`extract_features`.

    ``features``: one row per clip that could be analysed, keyed by ``path``, with the
    manifest's label columns, ``audio_duration_s`` and the feature columns (family
    prefixes); ``errors``: one row per problem (``path``, ``stage``, ``error``), stage being
    read, load, clean, check or a family name; ``stats``: :class:`RunStats`; ``spec``: what
    was computed (families, parameters, cleaning, code version); ``cache_path``: the folder
    of this spec's shards.
    """

    features: pd.DataFrame
    errors: pd.DataFrame
    stats: RunStats
    spec: dict
    cache_path: Path

    def feature_columns(self, family: str | None = None) -> list[str]:
        """Names of the feature columns (of one family if given)."""
        prefixes = tuple(FAMILY_PREFIX.values()) if family is None else (FAMILY_PREFIX[family],)
        return [c for c in self.features.columns if c.startswith(prefixes)]

    def summary(self) -> str:
        lines = [self.stats.summary(), f"feature table: {len(self.features)} clips x {len(self.feature_columns())} features"]
        if len(self.errors):
            for stage, n in self.errors.groupby("stage").size().items():
                lines.append(f"  errors at {stage}: {n}")
        return "\n".join(lines)


def make_feature_job(
    families="full",
    cleaning=None,
    params: FeatureParams | None = None,
    **param_overrides,
) -> FeatureJob:
    """The :class:`FeatureJob` for these families, cleaning and parameters (checked here, so
    a bad choice fails at once rather than on every file).

    Notebook: 03_features
    """
    fams = resolve_families(families)
    if params is None:
        params = FeatureParams(**param_overrides)
    elif param_overrides:
        params = FeatureParams(**{**params.as_dict(), **param_overrides})
    if "egemaps" in fams:
        from helpers.features.egemaps import check_available

        check_available()
    return FeatureJob(
        sr=params.sr,
        cleaning=resolve_cleaning_params(cleaning),
        min_duration_s=params.min_duration_s,
        silence_dbfs=params.silence_dbfs,
        families=fams,
        params=params,
    )


def extract_features(
    data,
    *,
    families: str | Sequence[str] = "full",
    cleaning: str | Mapping | None = None,
    params: FeatureParams | None = None,
    n_jobs: int = 2,
    backend: str = "joblib",
    scheduler=None,
    cache_dir: str | Path | None = None,
    manifest_columns: Sequence[str] | str | None = DEFAULT_MANIFEST_COLUMNS,
    progress: bool = True,
    retry_failed: bool = False,
    shard_size: int = 64,
    on_shard: Callable[[Path, int], None] | None = None,
    **param_overrides,
) -> ExtractionResult:
    """Features of every file in ``data``, one row per clip.

    Parameters
    ----------
    data : a manifest (DataFrame with ``path``), a LoadedDataset, or a list of paths.
    families : a set name ("original", "full", "all"), a family name or a list of them
        (see :mod:`helpers.features.families`).
    cleaning : None or "none" for the raw audio, else a preset name or parameter dict of
        :func:`helpers.cleaning.clean`, applied on the workers before the features.
    params : :class:`FeatureParams`; keyword arguments (``pitch_method="pyin"``,
        ``sr=16000`` ...) override single fields.
    n_jobs : worker processes (joblib) or local Dask workers.
    backend : "joblib" (processes on this machine) or "dask".
    scheduler : Dask only: a scheduler address ("tcp://host:8786"), a ``distributed.Client``
        or cluster, or None for a new local cluster of ``n_jobs`` workers.
    cache_dir : cache folder (default :func:`default_cache_dir`).
    manifest_columns : manifest columns joined to the features (default speaker, age group,
        age in years, gender; "all" for every column; None for none).
    progress : show a tqdm progress bar.
    retry_failed : recompute files whose earlier attempt failed (otherwise their cached
        error is reported again).
    shard_size : files per cache shard (work lost if the run is killed is at most one
        shard or 30 s); ``on_shard(path, n_done)`` is called after each shard is written.

    Returns an :class:`ExtractionResult` (features, errors, stats).

    Notebook: 03_features
    """
    manifest = as_manifest(data)
    job = make_feature_job(families, cleaning, params, **param_overrides)
    keys, store, read_errors, stats = run_job(
        manifest, job, n_jobs=n_jobs, backend=backend, scheduler=scheduler, cache_dir=cache_dir,
        shard_size=shard_size, progress=progress, retry_failed=retry_failed, on_shard=on_shard,
    )
    rows = store.read(keys[KEY].unique())
    errors = error_table(keys, rows, read_errors)
    count_failures(stats, keys, rows, read_errors, errors)

    if "_status" in rows.columns:
        ok = rows[rows["_status"] == "ok"]
    else:  # nothing could be read: an empty table with the right key columns
        ok = pd.DataFrame(columns=[KEY, "_loaded_s"])
    feature_cols = [c for c in ok.columns if c.startswith(tuple(FAMILY_PREFIX.values()))]
    prefix_order = {p: i for i, p in enumerate(FAMILY_PREFIX.values())}
    feature_cols.sort(key=lambda c: prefix_order[next(p for p in FAMILY_PREFIX.values() if c.startswith(p))])
    table = keys.merge(ok[[KEY, "_loaded_s", *feature_cols]], on=KEY, how="inner")
    table = table.rename(columns={"_loaded_s": "audio_duration_s"})

    if manifest_columns == "all":
        extra = [c for c in manifest.columns if c != "path"]
    elif manifest_columns is None:
        extra = []
    else:
        extra = [c for c in manifest_columns if c in manifest.columns]
    order = manifest[["path", *extra]].reset_index(drop=True)
    features = order.merge(table, on="path", how="inner").drop(columns=[KEY])
    features[feature_cols] = features[feature_cols].astype("float64")
    spec = {**job.describe(), "families": list(job.families), "params": job.params.as_dict()}
    return ExtractionResult(features=features.reset_index(drop=True), errors=errors, stats=stats, spec=spec, cache_path=store.folder)


# --- outputs for later notebooks ------------------------------------------------------------------


def write_outputs(result: ExtractionResult, out_dir: str | Path) -> dict[str, Path]:
    """Save the feature table (Parquet), the error table (CSV) and the spec (JSON) in ``out_dir``.

    Returns the paths by name ("features", "errors", "spec").

    Notebook: 03_features
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"features": out / FEATURES_FILE, "errors": out / ERRORS_FILE, "spec": out / SPEC_FILE}
    result.features.to_parquet(paths["features"], index=False)
    result.errors.to_csv(paths["errors"], index=False, lineterminator="\n")
    paths["spec"].write_text(json.dumps(result.spec, indent=2, sort_keys=True, default=str) + "\n")
    return paths


def read_features(out_dir: str | Path) -> pd.DataFrame:
    """The feature table notebook 03 wrote in ``out_dir`` (run it first if missing).

    Notebook: 04_eda, 05_modeling
    """
    path = Path(out_dir) / FEATURES_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no feature table; run notebooks/03_features (or `python -m workbook features`) first")
    return pd.read_parquet(path)
