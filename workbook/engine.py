"""The extraction engine: features of every file of a data set, in parallel, cached, resumable.

:func:`extract_features` hands the files to worker processes (:mod:`workbook.workers`),
which load, clean, check and compute each one (:func:`helpers.features.compute_features`).
:func:`run_job`, the run loop, stores their rows in the cache (:mod:`workbook.cache`) as they
complete: a re-run computes only new or changed files, a killed run resumes where it stopped,
and a file that fails is recorded with its stage and reason while the others go on.

Notebook: 03_features (and ``python -m workbook features``).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from helpers.cleaning import CLEANING_VERSION, resolve_cleaning
from helpers.features import (FAMILY_PREFIX, RECORDING_FAMILIES, FeatureParams, check_egemaps, compute_features,
                             mel_image, resolve_families, speaker_encoder)
from workbook.cache import KEY, ShardStore, content_sha1, spec_key
from workbook.paths import data_root
from workbook.workers import BACKENDS, Job, compute_rows, same_front

__all__ = ["FEATURE_CODE_VERSION", "extract_features", "read_features", "write_outputs"]

#: Version of the feature code. Bump it whenever a change alters any feature value: every
#: cached result of an older version is then recomputed.
FEATURE_CODE_VERSION = "3"

#: Manifest columns joined to the feature table by default.
DEFAULT_MANIFEST_COLUMNS = ("speaker", "age_group", "age_years", "gender", "language")

_FEATURES_FILE, _ERRORS_FILE, _SPEC_FILE = "features.parquet", "feature_errors.csv", "features_spec.json"
_ERROR_COLUMNS = ["path", "stage", "error"]


def resolve_cleaning_params(cleaning: str | Mapping | None) -> dict | None:
    """Full parameter dict of a cleaning choice (preset name or dict), or None for no cleaning.

    ``None`` and ``"none"`` mean no cleaning (unlike :func:`helpers.cleaning.clean`, where
    None means its default preset); the rest goes through :func:`helpers.cleaning.resolve_cleaning`.

    Notebook: 03_features
    """
    if cleaning is None or (isinstance(cleaning, str) and cleaning.lower() == "none"):
        return None
    return dict(resolve_cleaning(cleaning)[1])


def as_manifest(data) -> pd.DataFrame:
    """A DataFrame with a ``path`` column from a manifest, a LoadedDataset or a list of paths.
    A path listed twice is kept once (its first row).

    Notebook: 03_features
    """
    if isinstance(getattr(data, "manifest", None), pd.DataFrame):
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
    return df.loc[~df["path"].duplicated()].reset_index(drop=True)


def _describe(job: Job) -> dict:
    """Everything that determines a job's output (hashed into its cache key)."""
    d = {**asdict(job), "kind": job.kind, "code_version": FEATURE_CODE_VERSION}
    if job.cleaning is not None:
        d["cleaning_version"] = str(CLEANING_VERSION)
        reads = sorted(set(getattr(job, "families", ())) & set(RECORDING_FAMILIES))
        if reads:  # these families read the recording before cleaning (until 2026-12-07: after)
            d["before_cleaning"] = reads
    return d


# --- the run: content keys, the cache, the back-end, the error table --------------------------


@dataclass
class RunStats:
    """What a run did: counts of files, seconds of audio computed and wall time (s)."""

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

    def summary(self) -> str:
        """One line: files from the cache and computed, speed, failures."""
        rate = f", {self.computed_audio_s / self.wall_s:.0f} s of audio per s" if self.n_computed and self.wall_s > 0 else ""
        return (
            f"{self.n_files} files: {self.n_cached} from the cache, {self.n_computed} computed "
            f"({self.backend}, {self.n_jobs} worker(s)) in {self.wall_s:.1f} s{rate}; "
            f"{self.n_failed} failed, {self.n_error_rows} error row(s)"
        )


def _content_keys(paths: Iterable[str]) -> tuple[pd.DataFrame, list[dict]]:
    """``(path, content_sha1)`` of every readable regular file, and a read error for each other one."""
    rows, errors = [], []
    for p in paths:
        try:
            rows.append((p, content_sha1(p)))
        except FileNotFoundError:
            errors.append({"path": p, "stage": "read", "error": "file not found"})
        except OSError as exc:  # a folder, a device or pipe (never opened for reading), no permission...
            errors.append({"path": p, "stage": "read", "error": f"cannot read: {exc.strerror or exc}"})
    return pd.DataFrame(rows, columns=["path", KEY]), errors


def _error_table(keys: pd.DataFrame, status: pd.DataFrame, read_errors: list[dict]) -> pd.DataFrame:
    """One row (path, stage, error) per problem: read errors first, then the cached ones by path."""
    records = list(read_errors)
    has = status[status["_errors"].fillna("") != ""]
    by_key = {k: json.loads(e) for k, e in zip(has[KEY], has["_errors"])}
    for path, key in zip(keys["path"], keys[KEY]):
        records += [{"path": path, "stage": stage, "error": message} for stage, message in by_key.get(key, [])]
    return pd.DataFrame(records, columns=_ERROR_COLUMNS)


def _flush(stores: list[ShardStore], buffers: dict[int, list[dict]], on_shard, n_done: int) -> float:
    """Write each job's buffered rows as a shard of its store (``on_shard`` hears of the first job's); the time now."""
    for i, rows in buffers.items():
        if rows:
            shard = stores[i].write(rows)
            rows.clear()
            if on_shard is not None and i == 0:
                on_shard(shard, n_done)
    return time.monotonic()


def run_job(manifest: pd.DataFrame, job: Job, *, n_jobs: int = 2, backend: str = "joblib", scheduler=None,
            cache_dir: str | Path | None = None, shard_size: int = 64, flush_every_s: float = 30.0, progress: bool = True,
            retry_failed: bool = False, on_shard: Callable[[Path, int], None] | None = None, desc: str = "features",
            also: Sequence[Job] = ()) -> tuple[pd.DataFrame, ShardStore, pd.DataFrame, RunStats]:
    """Run ``job`` on every file of ``manifest`` (a DataFrame with ``path``) through the cache.

    Returns ``(keys, store, errors, stats)``: ``keys`` has one row per readable file
    (``path``, ``content_sha1``, ``_status`` "ok" or "failed"), ``store`` holds the computed
    rows, ``errors`` is the error table (``path``, ``stage``, ``error``). ``also``: more jobs
    that load, clean and check files alike (:func:`workbook.workers.same_front`), computed in
    the same pass (each file decoded and cleaned once) into their own caches, where a later
    ``run_job`` of that job finds them.

    Notebook: 03_features
    """
    if scheduler is not None and scheduler != "local":
        backend = "dask"  # a scheduler address (or Client, cluster) means that cluster does the work
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if n_jobs is None or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive number of workers, got {n_jobs!r}")
    jobs = (job, *also)
    if not same_front(jobs):
        raise ValueError("jobs run in one pass must load, clean and check alike (sr, cleaning, min_duration_s, "
                         "silence_dbfs); run them separately")
    t0 = time.perf_counter()
    cache_dir = Path(cache_dir) if cache_dir is not None else data_root() / "cache" / "features"
    stores = [ShardStore(cache_dir / f"{j.kind}-{spec_key(_describe(j))}", _describe(j)) for j in jobs]
    store = stores[0]
    keys, read_errors = _content_keys(manifest["path"])

    unique = keys.drop_duplicates(KEY)  # one task per content: its first path
    missing = np.zeros((len(jobs), len(unique)), dtype=bool)  # [job, file]: still to compute
    for j, st in enumerate(stores):
        cached = st.read(columns=["_status"])
        missing[j] = ~unique[KEY].isin(cached.loc[cached["_status"] == "ok", KEY] if retry_failed else cached[KEY])
    stats = RunStats(n_files=len(manifest), n_unique=keys[KEY].nunique(), backend=backend, n_jobs=n_jobs)
    stats.n_cached = int((~missing.any(axis=0)).sum())
    passes: dict[tuple, list] = {}  # the jobs a file needs -> its tasks: usually one pass (all, or the one not cached)
    for i in np.flatnonzero(missing.any(axis=0)):
        passes.setdefault(tuple(np.flatnonzero(missing[:, i])), []).append((unique["path"].iat[i], unique[KEY].iat[i]))

    bar = tqdm(total=stats.n_unique, initial=stats.n_cached, desc=desc, unit="file", disable=not progress or not passes,
               smoothing=0.1)
    try:
        for which, tasks in passes.items():
            buffers, last_flush = {i: [] for i in which}, time.monotonic()
            try:
                for rows in compute_rows(tasks, tuple(jobs[i] for i in which), backend=backend, n_jobs=n_jobs,
                                         scheduler=scheduler):
                    for i, row in zip(which, rows):
                        buffers[i].append(row)
                    stats.n_computed += 1
                    stats.computed_audio_s += float(np.nan_to_num(rows[0].get("_loaded_s", np.nan)))
                    bar.update(1)
                    if len(buffers[which[0]]) >= shard_size or time.monotonic() - last_flush > flush_every_s:
                        last_flush = _flush(stores, buffers, on_shard, stats.n_computed)
            finally:
                _flush(stores, buffers, on_shard, stats.n_computed)  # keep what is done, also on KeyboardInterrupt
    finally:
        bar.close()
    for st in stores:
        st.compact()

    status = store.read(keys[KEY].unique(), columns=["_status", "_errors"])
    keys = keys.merge(status[[KEY, "_status"]], on=KEY, how="left")
    errors = _error_table(keys, status, read_errors)
    stats.n_failed = int((keys["_status"] == "failed").sum()) + len(read_errors)
    stats.n_error_rows = len(errors)
    stats.wall_s = time.perf_counter() - t0
    return keys, store, errors, stats


# --- features ----------------------------------------------------------------------------


@dataclass
class ExtractionResult:
    """Output of :func:`extract_features`: ``features`` (one row per analysed clip: ``path``, the
    labels, ``audio_duration_s``, the feature columns), ``errors`` (``path``, ``stage``: load
    (also the rows a loader dropped), read, clean, check or a family, ``error``), ``stats``,
    ``spec`` (families, parameters, cleaning, code version) and ``cache_path`` (the folder of
    this spec's shards).
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
        """The run's line, the table's size and the errors by stage."""
        lines = [self.stats.summary(), f"feature table: {len(self.features)} clips x {len(self.feature_columns())} features"]
        lines += [f"  errors at {stage}: {n}" for stage, n in self.errors.groupby("stage").size().items()]
        return "\n".join(lines)


@dataclass
class _FeatureJob(Job):
    """Compute feature families with :func:`helpers.features.compute_features`."""

    families: tuple[str, ...] = ("original", "spectral", "voice", "rhythm")
    params: FeatureParams = field(default_factory=FeatureParams)

    kind = "features"
    reads_recording = True  # the speaker embedding reads the recording before cleaning

    def compute(self, y, sr, recording=None):
        return compute_features(y, sr, self.families, self.params, recording=recording)


@dataclass
class _MelImageJob(Job):
    """Engine job: one mel image per file, stored as float32 bytes in the cache."""

    duration_s: float = 3.0
    n_mels: int = 128
    n_fft: int = 2048
    hop_length: int = 512
    floor_db: float = -100.0

    kind = "melimages"

    def compute(self, y, sr):
        img = mel_image(y, sr, duration_s=self.duration_s, n_mels=self.n_mels, n_fft=self.n_fft,
                        hop_length=self.hop_length, floor_db=self.floor_db)
        return {"mel": img.tobytes(), "n_mels": float(img.shape[0]), "n_frames": float(img.shape[1])}, []


def make_feature_job(families="full", cleaning=None, params: FeatureParams | None = None, **param_overrides) -> Job:
    """The engine job for these families, cleaning and parameters, checked now (a bad choice
    fails at once rather than on every file).

    Notebook: 03_features, 07_predict
    """
    fams = resolve_families(families)
    if params is None:
        params = FeatureParams(**param_overrides)
    elif param_overrides:
        params = FeatureParams(**{**params.as_dict(), **param_overrides})
    if "egemaps" in fams:
        check_egemaps()
    if "speaker_embedding" in fams:
        speaker_encoder()
    return _FeatureJob(sr=params.sr, cleaning=resolve_cleaning_params(cleaning), min_duration_s=params.min_duration_s,
                       silence_dbfs=params.silence_dbfs, families=fams, params=params)


def extract_features(data, *, families: str | Sequence[str] = "full", cleaning: str | Mapping | None = None,
                     params: FeatureParams | None = None, n_jobs: int = 2, backend: str = "joblib", scheduler=None,
                     cache_dir: str | Path | None = None,
                     manifest_columns: Sequence[str] | str | None = DEFAULT_MANIFEST_COLUMNS, progress: bool = True,
                     retry_failed: bool = False, shard_size: int = 64, on_shard: Callable[[Path, int], None] | None = None,
                     mel_images: bool = False, **param_overrides) -> ExtractionResult:
    """Features of every file in ``data`` (a manifest, a LoadedDataset or a list of paths),
    one row per clip: an :class:`ExtractionResult`.

    ``families``: a set name ("original", "full", "all"), a family or a list of them;
    ``cleaning``: None or "none" for the raw audio, else a preset name or parameter dict of
    :func:`helpers.cleaning.clean`; ``params``: a :class:`helpers.features.FeatureParams`,
    whose single fields keyword arguments override (``pitch_method="pyin"``, ``sr=16000``).
    ``n_jobs`` workers on ``backend`` "joblib" (this machine) or "dask" (``scheduler``: an
    address, a ``distributed.Client`` or cluster, which implies "dask"; None: a local cluster).
    ``cache_dir``: default ``<data folder>/cache/features``. ``manifest_columns``: the labels
    joined to the features ("all", or None for none). ``retry_failed``: recompute files whose
    cached attempt failed. ``shard_size``: files per cache shard (a killed run loses at most
    one shard or 30 s of work); ``on_shard(path, n_done)`` is called after each shard.
    ``mel_images``: also compute the mel images of :func:`workbook.mel_images.extract_mel_images`
    (its default size, this cleaning and rate) in the same pass, so each file is decoded and
    cleaned once; they go to the cache, where ``extract_mel_images`` then finds them.

    Notebook: 03_features
    """
    manifest = as_manifest(data)
    job = make_feature_job(families, cleaning, params, **param_overrides)
    also = ()
    if mel_images:
        also = (_MelImageJob(sr=job.sr, cleaning=job.cleaning, min_duration_s=job.min_duration_s,
                             silence_dbfs=job.silence_dbfs),)
    keys, store, errors, stats = run_job(
        manifest, job, n_jobs=n_jobs, backend=backend, scheduler=scheduler, cache_dir=cache_dir,
        shard_size=shard_size, progress=progress, retry_failed=retry_failed, on_shard=on_shard, also=also,
    )
    ok = keys[keys["_status"] == "ok"]
    rows = store.read(ok[KEY].unique())
    if "_loaded_s" not in rows:  # nothing could be analysed: an empty table with the right columns
        rows["_loaded_s"] = pd.Series(dtype=float)
    feature_cols = [c for prefix in FAMILY_PREFIX.values() for c in rows.columns if c.startswith(prefix)]
    table = ok[["path", KEY]].merge(rows[[KEY, "_loaded_s", *feature_cols]], on=KEY)
    table = table.rename(columns={"_loaded_s": "audio_duration_s"})

    if manifest_columns == "all":
        extra = [c for c in manifest.columns if c != "path"]
    else:
        extra = [c for c in (manifest_columns or []) if c in manifest.columns]
    features = manifest[["path", *extra]].merge(table, on="path").drop(columns=[KEY])
    features[feature_cols] = features[feature_cols].astype("float64")
    report = getattr(data, "report", None)  # a LoadedDataset: its dropped rows head the error table
    if report is not None and len(report.dropped):
        d = report.dropped
        where = d["source_file"].astype(str) + ":" + d["source_line"].astype(str)
        load = pd.DataFrame({"path": d["path"].where(d["path"].notna() & (d["path"].astype(str) != ""), where),
                             "stage": "load", "error": [t if t.startswith(r) else f"{r}: {t}" for r, t in
                                                        zip(d["reason"], d["problem"].astype(str))]})
        errors = pd.concat([load, errors], ignore_index=True)
    spec = {**_describe(job), "families": list(job.families), "params": job.params.as_dict()}
    return ExtractionResult(features=features.reset_index(drop=True), errors=errors, stats=stats, spec=spec, cache_path=store.folder)


# --- outputs for later notebooks -----------------------------------------------------------


def write_outputs(result: ExtractionResult, out_dir: str | Path) -> dict[str, Path]:
    """Save the feature table (Parquet), the error table (CSV) and the spec (JSON) in ``out_dir``.

    Returns the paths by name ("features", "errors", "spec").

    Notebook: 03_features
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"features": out / _FEATURES_FILE, "errors": out / _ERRORS_FILE, "spec": out / _SPEC_FILE}
    result.features.to_parquet(paths["features"], index=False)
    result.errors.to_csv(paths["errors"], index=False, lineterminator="\n")
    paths["spec"].write_text(json.dumps(result.spec, indent=2, sort_keys=True, default=str) + "\n")
    return paths


def read_features(out_dir: str | Path) -> pd.DataFrame:
    """The feature table notebook 03 wrote in ``out_dir`` (run it first if missing).

    Notebook: 04_eda, 05_modeling
    """
    path = Path(out_dir) / _FEATURES_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no feature table; run notebooks/03_features (or `python -m workbook features`) first")
    return pd.read_parquet(path)


def read_feature_spec(out_dir: str | Path) -> dict:
    """The ``features_spec.json`` notebook 03 wrote (families, parameters, cleaning, code version).

    Notebook: 05_modeling
    """
    path = Path(out_dir) / _SPEC_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no feature spec; run notebooks/03_features first")
    return json.loads(path.read_text())
