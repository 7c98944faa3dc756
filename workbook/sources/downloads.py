"""Downloads of data sets that need no login: progress bar, pinned SHA-256, cache under ``data/``.

:data:`DOWNLOADS` is the registry. Each :class:`DownloadSpec` names its URL, the archive's
SHA-256 **and where that hash came from** (``sha256_source``). :func:`fetch` downloads an
archive once into ``data/downloads/`` (``$WORKBOOK_DATA/downloads``), checks it against the
hash, unpacks it beside the archive and returns the unpacked folder; later calls return
the folder straight away.

How a download is kept honest:

- the archive is streamed (with pooch) into a temporary file in the cache folder and only
  renamed to its final name once its SHA-256 matches; a mismatch raises
  :class:`ChecksumMismatchError` and leaves nothing behind;
- an interrupted transfer is resumed with an HTTP ``Range`` request (or restarted when the
  server does not support ranges) up to ``max_attempts`` times; if it still fails,
  :class:`DownloadError` says how far it got and no partial file is kept;
- unpacking goes to a temporary folder renamed when complete, refusing archive members
  that would land outside it.

Entries whose hash could not be computed when the registry was written (no network
here) have ``sha256=None`` and say so in ``sha256_source``. :func:`fetch` refuses them
with :class:`UnpinnedDownloadError` unless you pass the hash you trust
(``sha256="..."``) or opt in to trust-on-first-use (``allow_unpinned=True``): the first
download's hash is then printed and recorded in ``data/downloads/pins.json``, and every
later fetch is checked against it. Put a verified hash into :data:`DOWNLOADS` to pin it
for everyone.

Notebook: used by the ``original_bundle`` and ``audiomnist`` loaders (any notebook with
``dataset = "original_bundle"`` or ``"audiomnist"`` and ``data_dir = None``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import shutil
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from workbook.paths import data_root

logger = logging.getLogger(__name__)

_COMPLETE_MARKER = ".download-complete"


@dataclass(frozen=True)
class DownloadSpec:
    """One downloadable data set.

    ``sha256`` is a required argument: the archive's hex SHA-256, or None when it is not
    known yet (then ``sha256_source`` must say why, and :func:`fetch` will not download
    without an explicit hash or ``allow_unpinned=True``). ``sha256_source`` records how the
    hash was obtained. ``filename`` is the archive's name in the cache; ``loader`` the
    :data:`workbook.datasets.LOADERS` name that reads the unpacked folder.
    """

    name: str
    url: str
    filename: str
    sha256: str | None
    sha256_source: str
    licence: str
    loader: str
    description: str = ""

    def __post_init__(self):
        if self.sha256 is not None:
            h = self.sha256.lower()
            if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
                raise ValueError(f"{self.name}: sha256 must be 64 hex digits, got {self.sha256!r}")
        if not self.sha256_source.strip():
            raise ValueError(f"{self.name}: sha256_source must say how the hash was obtained")


#: Commit of github.com/soerenab/AudioMNIST whose tree is downloaded (its meta file lists
#: all 60 speakers). A commit archive's content cannot change; the zip bytes GitHub
#: generates for it have been stable in practice but are not guaranteed.
AUDIOMNIST_COMMIT = "ce04129aaa56d47d11a8d9cc1247bac2cafac9b7"

DOWNLOADS: dict[str, DownloadSpec] = {
    "original_bundle": DownloadSpec(
        name="original_bundle",
        url="https://www.dropbox.com/s/3ibn2br901vvtgz/c4_audio_dataset.zip?dl=1",
        filename="c4_audio_dataset.zip",
        sha256=None,
        sha256_source=(
            "not pinned: the registry was written without network access and no published "
            "checksum of this archive was found; the link is the one given in the original "
            "article. Pin it after a first download you trust (allow_unpinned=True prints it)."
        ),
        licence="Common Voice clips (CC0), as redistributed by the original analysis",
        loader="original_bundle",
        description="The original analysis's CSV (filename, age, gender, ...) and audio_dataset/.",
    ),
    "audiomnist": DownloadSpec(
        name="audiomnist",
        url=f"https://github.com/soerenab/AudioMNIST/archive/{AUDIOMNIST_COMMIT}.zip",
        filename=f"AudioMNIST-{AUDIOMNIST_COMMIT[:12]}.zip",
        sha256=None,
        sha256_source=(
            "not pinned: the registry was written without network access and the project "
            "publishes no archive checksum. Pin it after a first download you trust "
            "(allow_unpinned=True prints it)."
        ),
        licence="MIT (soerenab/AudioMNIST)",
        loader="audiomnist",
        description="AudioMNIST: 60 speakers x 10 digits x 50 repetitions, wav 48 kHz, ~1 GB.",
    ),
}


class DownloadError(RuntimeError):
    """A download failed; the message names the URL and what happened. Nothing was kept."""


class ChecksumMismatchError(DownloadError):
    """The downloaded file's SHA-256 differs from the pinned one. The file was deleted."""


class UnpinnedDownloadError(DownloadError):
    """The registry has no hash for this download and none was given."""


def downloads_dir() -> Path:
    """The download cache: ``data/downloads/`` under :func:`workbook.paths.data_root`."""
    return data_root() / "downloads"


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_bytes), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- downloader
class _IncompleteTransfer(Exception):
    pass


class ResumingDownloader:
    """A pooch downloader for http(s) and file:// URLs with progress bar, resume and retries.

    Called by pooch as ``downloader(url, output_file, pooch)``. On a dropped connection or a
    body shorter than its ``Content-Length`` it asks for the rest with ``Range: bytes=N-``
    (starting over if the server answers 200), at most ``max_attempts`` times in all,
    waiting ``backoff_s * attempt`` seconds in between; ``timeout_s`` bounds each connect
    and each read.
    """

    def __init__(self, *, progressbar: bool = True, max_attempts: int = 3, timeout_s: float = 60.0,
                 backoff_s: float = 1.0, chunk_bytes: int = 1 << 16):
        self.progressbar = progressbar
        self.max_attempts = max(1, int(max_attempts))
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.chunk_bytes = chunk_bytes

    def _bar(self, total, desc):
        from tqdm.auto import tqdm

        return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
                    disable=not self.progressbar, leave=True)

    def __call__(self, url: str, output_file, pooch=None, check_only: bool = False):
        if check_only:
            return True
        if url.startswith("file://"):
            return self._copy_local(url, output_file)
        import requests

        desc = Path(urlparse(url).path).name or "download"
        received, total, attempt = 0, None, 0
        with open(output_file, "w+b") as fh, self._bar(None, desc) as bar:
            while True:
                headers = {"Range": f"bytes={received}-"} if received else {}
                try:
                    with requests.get(url, headers=headers, stream=True, timeout=self.timeout_s) as r:
                        if r.status_code == 206 and received:
                            pass  # resuming where we stopped
                        elif r.status_code == 200:
                            if received:  # server ignored the range: start over
                                fh.seek(0)
                                fh.truncate()
                                received = 0
                                bar.reset()
                        else:
                            raise DownloadError(
                                f"{url}: server answered HTTP {r.status_code} {r.reason}; nothing was kept"
                            )
                        if total is None:
                            total = _total_size(r, received)
                            if total:
                                bar.total = total
                                bar.refresh()
                        for chunk in r.iter_content(chunk_size=self.chunk_bytes):
                            fh.write(chunk)
                            received += len(chunk)
                            bar.update(len(chunk))
                    if total is not None and received < total:
                        raise _IncompleteTransfer(f"connection closed after {received} of {total} bytes")
                    break
                except (_IncompleteTransfer, requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                    attempt += 1
                    if attempt >= self.max_attempts:
                        raise DownloadError(
                            f"{url}: transfer interrupted after {received} of "
                            f"{total if total is not None else '?'} bytes, {attempt} attempt(s) "
                            f"({_short(exc)}); no partial file was kept, run again to retry"
                        ) from exc
                    logger.warning("%s: %s; resuming (attempt %d of %d)", desc, _short(exc),
                                   attempt + 1, self.max_attempts)
                    time.sleep(self.backoff_s * attempt)
        return None

    def _copy_local(self, url: str, output_file) -> None:
        src = Path(unquote(urlparse(url).path))
        if not src.is_file():
            raise DownloadError(f"{url}: file not found")
        with open(src, "rb") as fin, open(output_file, "wb") as fout, \
                self._bar(src.stat().st_size, src.name) as bar:
            for block in iter(lambda: fin.read(self.chunk_bytes), b""):
                fout.write(block)
                bar.update(len(block))


def _total_size(response, received: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and content_range.rsplit("/", 1)[1].strip().isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    if length and length.isdigit():
        return int(length) + (received if response.status_code == 206 else 0)
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def download_file(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None,
    progressbar: bool = True,
    max_attempts: int = 3,
    timeout_s: float = 60.0,
    backoff_s: float = 1.0,
) -> Path:
    """Download ``url`` to the file ``dest`` unless it is already there with hash ``sha256``.

    ``sha256`` (hex) is checked after the transfer; None skips the check (trust on first
    use: the caller records the hash). A cached file with another hash is deleted and
    downloaded again. Raises :class:`ChecksumMismatchError` (the download is deleted) or
    :class:`DownloadError` (nothing kept).
    """
    import pooch

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file() and sha256 is not None and file_sha256(dest) != sha256.lower():
        logger.warning("%s: cached file does not match the pinned hash; downloading again", dest)
        dest.unlink()
    downloader = ResumingDownloader(progressbar=progressbar, max_attempts=max_attempts,
                                    timeout_s=timeout_s, backoff_s=backoff_s)
    try:
        out = pooch.retrieve(
            url,
            known_hash=f"sha256:{sha256.lower()}" if sha256 else None,
            fname=dest.name,
            path=dest.parent,
            downloader=downloader,
        )
    except ValueError as exc:
        if "hash" in str(exc).lower():
            raise ChecksumMismatchError(
                f"{url}: the download's SHA-256 does not match the pinned {sha256}; the file was "
                f"deleted. The server may serve a different version, or the transfer was corrupted. "
                f"({_short(exc)})"
            ) from exc
        raise
    return Path(out)


# ------------------------------------------------------------------ unpacking
def extract_archive(archive: str | Path, dest: str | Path) -> Path:
    """Unpack a .zip / .tar / .tar.gz / .tgz archive into ``dest`` (replaced if present).

    Unpacks into a temporary sibling folder first and renames it when complete, so an
    interrupted unpack never looks finished. Members that would land outside ``dest``
    (absolute paths, ``..``, links out) raise :class:`DownloadError`.
    """
    archive, dest = Path(archive), Path(dest)
    tmp = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        name = archive.name.lower()
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                root = tmp.resolve()
                for member in zf.infolist():
                    target = (tmp / member.filename).resolve()
                    if root not in target.parents and target != root:
                        raise DownloadError(f"{archive}: member {member.filename!r} would unpack outside {dest}")
                zf.extractall(tmp)
        elif tarfile.is_tarfile(archive) or name.endswith((".tar", ".tar.gz", ".tgz")):
            with tarfile.open(archive) as tf:
                if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
                    try:
                        tf.extractall(tmp, filter="data")
                    except tarfile.FilterError as exc:
                        raise DownloadError(f"{archive}: unsafe member refused ({exc})") from exc
                else:
                    root = tmp.resolve()
                    for member in tf.getmembers():
                        target = (tmp / member.name).resolve()
                        if member.issym() or member.islnk() or root not in target.parents:
                            raise DownloadError(f"{archive}: unsafe member {member.name!r} refused")
                    tf.extractall(tmp)
        else:
            raise DownloadError(f"{archive}: not a zip or tar archive")
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


# ------------------------------------------------------------------- pins
def _pins_path(cache: Path) -> Path:
    return cache / "pins.json"


def read_pin(name: str, url: str, cache_dir: str | Path | None = None) -> str | None:
    """The hash recorded by an earlier trust-on-first-use download of ``name`` from ``url``."""
    path = _pins_path(Path(cache_dir) if cache_dir else downloads_dir())
    if not path.is_file():
        return None
    try:
        pins = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise DownloadError(f"{path}: unreadable pin file; delete it to start over") from None
    entry = pins.get(name) or {}
    return entry.get("sha256") if entry.get("url") == url else None


def _write_pin(cache: Path, name: str, url: str, sha256: str) -> None:
    path = _pins_path(cache)
    pins = json.loads(path.read_text()) if path.is_file() else {}
    pins[name] = {"url": url, "sha256": sha256,
                  "recorded": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    path.write_text(json.dumps(pins, indent=2, sort_keys=True) + "\n")


# ------------------------------------------------------------------- fetch
def cached_download(name: str, cache_dir: str | Path | None = None) -> Path | None:
    """The unpacked folder of an earlier complete :func:`fetch`, or None."""
    folder = (Path(cache_dir) if cache_dir else downloads_dir()) / name
    return folder if (folder / _COMPLETE_MARKER).is_file() else None


def fetch(
    name: str | DownloadSpec,
    *,
    cache_dir: str | Path | None = None,
    sha256: str | None = None,
    allow_unpinned: bool = False,
    progressbar: bool = True,
    max_attempts: int = 3,
    timeout_s: float = 60.0,
    backoff_s: float = 1.0,
) -> Path:
    """Download (once) and unpack a registered data set; return the unpacked folder.

    Parameters
    ----------
    name : a key of :data:`DOWNLOADS`, or a :class:`DownloadSpec`.
    cache_dir : where archives and folders go (default ``data/downloads/``).
    sha256 : the hash to check against, overriding the registry's.
    allow_unpinned : for an entry without a hash: download anyway, print its hash and
        record it in ``pins.json`` so later fetches are checked against it.
    progressbar, max_attempts, timeout_s, backoff_s : see :class:`ResumingDownloader`.

    The archive stays in the cache beside the folder; delete both to free the space.
    """
    spec = name if isinstance(name, DownloadSpec) else _spec(name)
    cache = Path(cache_dir) if cache_dir else downloads_dir()
    folder = cache / spec.name
    expected = (sha256 or spec.sha256 or read_pin(spec.name, spec.url, cache) or "").lower() or None
    marker = folder / _COMPLETE_MARKER
    if marker.is_file() and expected and marker.read_text().strip() == expected:
        return folder
    if expected is None and not allow_unpinned:
        raise UnpinnedDownloadError(
            f"{spec.name}: no pinned SHA-256 for {spec.url} ({spec.sha256_source}). Pass the hash "
            f"you trust (download_sha256='...' for load_dataset, sha256='...' for fetch), or "
            f"allow_unpinned=True to download once, record the hash in {_pins_path(cache)} and "
            f"check every later download against it."
        )
    archive = download_file(spec.url, cache / spec.filename, sha256=expected, progressbar=progressbar,
                            max_attempts=max_attempts, timeout_s=timeout_s, backoff_s=backoff_s)
    actual = expected or file_sha256(archive)
    if expected is None:
        _write_pin(cache, spec.name, spec.url, actual)
        message = (f"{spec.name}: downloaded without a pinned hash; SHA-256 {actual} recorded in "
                   f"{_pins_path(cache)}. Verify it and pin it in helpers/sources/downloads.py.")
        logger.warning(message)
        print(message)
    extract_archive(archive, folder)
    marker.write_text(actual + "\n")
    return folder


def _spec(name: str) -> DownloadSpec:
    if name not in DOWNLOADS:
        raise KeyError(f"no download named {name!r}; known: {sorted(DOWNLOADS)}")
    return DOWNLOADS[name]
