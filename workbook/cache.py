"""The feature cache: results in Parquet shards, keyed by file content and by the spec.

Layout under a cache folder::

    <kind>-<spec key>/spec.json        what the spec is (families, parameters, code version)
    <kind>-<spec key>/part-*.parquet   one row per computed file content

A row is found by the SHA-1 of the file's bytes inside the folder of a key that hashes the
parameters and the feature-code version. Shards are written whole to a temporary name and
renamed (atomic on POSIX), so a run killed at any moment leaves only complete shards.

Notebook: 03_features (through :mod:`workbook.engine`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import time
import uuid
import warnings
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd
import pyarrow as pa

__all__ = []  # internal to the package: nothing here is meant for notebooks

#: Column holding the content key in every shard.
KEY = "content_sha1"

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


class NotRegularFileError(OSError):
    """The path is a device, a pipe or a socket: it is never read (reading could block or never end)."""


def content_sha1(path: str | Path) -> str:
    """Content key of ``path``: the SHA-1 of its bytes (about 0.8 s of CPU per GB, measured), read
    every time: a size and modification time can be restored over other content.

    Opens without blocking and reads only a regular file; raises ``IsADirectoryError``,
    :class:`NotRegularFileError` or another ``OSError`` otherwise.

    Notebook: 03_features
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opened like this does not wait for a writer
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not an audio file", str(path))
        raise NotRegularFileError(errno.EINVAL, "not a regular file (a device, pipe or socket); not read", str(path))
    with os.fdopen(fd, "rb") as fh:
        return hashlib.file_digest(fh, "sha1").hexdigest()


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
            except (OSError, pa.ArrowException) as exc:  # cut short (disk full, a copy interrupted)
                shard.replace(shard.with_name(shard.name + ".damaged"))
                warnings.warn(f"{shard}: unreadable cache shard ({exc}); set aside as .damaged, its rows are recomputed",
                              stacklevel=2)

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
