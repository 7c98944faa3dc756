"""The feature cache: results in Parquet shards, keyed by file content and by the spec.

Layout under a cache folder::

    files.parquet                      path, size, mtime_ns -> sha1 (unchanged files are not re-read)
    <kind>-<spec key>/spec.json        what the spec is (families, parameters, code version)
    <kind>-<spec key>/part-*.parquet   one row per computed file content

A row is found by the SHA-1 of the file's bytes inside the folder of a key that hashes the
parameters and the feature-code version. Shards are written whole to a temporary name and
renamed (atomic on POSIX), so a run killed at any moment leaves only complete shards.

Notebook: 03_features (through :mod:`workbook.engine`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

__all__ = []  # internal to the package: nothing here is meant for notebooks

#: Column holding the content key in every shard.
KEY = "content_sha1"

_FILE_INDEX = "files.parquet"


def spec_key(spec: dict) -> str:
    """A stable 16-hex-digit key of a JSON-able spec (sorted keys).

    Notebook: 03_features
    """
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _atomic_parquet(df: pd.DataFrame, path: Path) -> Path:
    tmp = path.parent / f".tmp-{uuid.uuid4().hex}.parquet"
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class FileHasher:
    """Content keys (SHA-1 of the bytes) of files, with a size + modification-time prefilter.

    A file whose size and ``mtime_ns`` match the index kept in ``cache_dir`` is not re-read.
    Call :meth:`save` to keep the index for the next run.

    Notebook: 03_features
    """

    def __init__(self, cache_dir: str | Path):
        self.path = Path(cache_dir) / _FILE_INDEX
        self._index: dict[str, tuple[int, int, str]] = {}
        self._dirty = False
        if self.path.is_file():
            try:
                df = pd.read_parquet(self.path)
                self._index = {p: (int(s), int(m), h) for p, s, m, h in zip(df["path"], df["size"], df["mtime_ns"], df["sha1"])}
            except Exception:  # a damaged index only costs re-hashing
                self._index = {}

    def sha1(self, path: str | Path) -> str:
        """Content key of ``path``; raises ``OSError`` if it cannot be read."""
        p = str(Path(path).resolve())
        st = os.stat(p)
        hit = self._index.get(p)
        if hit is not None and hit[:2] == (st.st_size, st.st_mtime_ns):
            return hit[2]
        with open(p, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha1").hexdigest()
        self._index[p] = (st.st_size, st.st_mtime_ns, digest)
        self._dirty = True
        return digest

    def save(self) -> None:
        """Write the index if it changed."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = [(p, s, m, h) for p, (s, m, h) in self._index.items()]
        _atomic_parquet(pd.DataFrame(rows, columns=["path", "size", "mtime_ns", "sha1"]), self.path)
        self._dirty = False


class ShardStore:
    """The shards of one spec in one folder: append rows atomically, read them back.

    Notebook: 03_features
    """

    def __init__(self, folder: str | Path, spec: dict | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = self.folder / "spec.json"
        if spec is not None and not meta.is_file():
            meta.write_text(json.dumps(spec, indent=2, sort_keys=True, default=str) + "\n")

    def shards(self) -> list[Path]:
        """Complete shard files, oldest first."""
        return sorted(self.folder.glob("part-*.parquet"))

    def write(self, rows: list[dict] | pd.DataFrame) -> Path | None:
        """Write ``rows`` (dicts with a ``content_sha1``, or a DataFrame) as one new shard."""
        df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        if df.empty:
            return None
        return _atomic_parquet(df, self.folder / f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet")

    def iter_shards(self, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """Each shard as a DataFrame (only ``columns`` if given), oldest first."""
        for shard in self.shards():
            try:
                yield pd.read_parquet(shard, columns=columns)
            except FileNotFoundError:  # removed by a concurrent compaction
                continue

    def read(self, keys: Iterable[str] | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """Rows (the newest per key) of the given content keys, or all rows."""
        wanted = None if keys is None else set(keys)
        cols = None if columns is None else list(dict.fromkeys([KEY, *columns]))
        parts = []
        for df in self.iter_shards(columns=cols):
            if wanted is not None:
                df = df[df[KEY].isin(wanted)]
            if len(df):
                parts.append(df)
        if not parts:
            return pd.DataFrame(columns=[KEY] if cols is None else cols)
        out = pd.concat(parts, ignore_index=True, sort=False)
        return out.drop_duplicates(subset=KEY, keep="last").reset_index(drop=True)

    def compact(self, *, min_shards: int = 16, max_bytes: int = 256 * 1024**2) -> bool:
        """Merge all shards into one when there are at least ``min_shards`` holding less than
        ``max_bytes`` together (merging reads them into memory); True if merged.

        The merged shard is written before the old ones are removed, so an interruption
        leaves duplicates (harmless: readers keep the newest row per key), never a gap.
        """
        shards = self.shards()
        if len(shards) < min_shards or sum(s.stat().st_size for s in shards) > max_bytes:
            return False
        self.write(self.read())
        for s in shards:
            s.unlink(missing_ok=True)
        return True
