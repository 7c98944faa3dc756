"""Downloads of data sets that need no login, through pooch: pinned SHA-256, progress bar, cache.

:data:`DOWNLOADS` is the registry. Each :class:`DownloadSpec` names its URL, the archive's
SHA-256 **and where that hash came from** (``sha256_source``). :func:`fetch` downloads an
archive once into ``data/downloads/`` (``$WORKBOOK_DATA/downloads``) with
``pooch.create(...).fetch(...)`` - which streams into a temporary file, checks it against
``known_hash`` and only then gives it its name, and retries a failed transfer from the
start - and unpacks it with ``pooch.Unzip`` / ``pooch.Untar`` into a folder beside it.
Archive members that would land outside that folder (absolute paths, ``..``, links) are
refused before anything is unpacked.

Entries whose hash is not known (no published checksum) have ``sha256=None`` and say so
in ``sha256_source``. :func:`fetch` refuses them with :class:`UnpinnedDownloadError`
unless you pass the hash you trust (``sha256="..."``) or opt in to trust-on-first-use
(``allow_unpinned=True``): the first download's hash is then printed and recorded in
``data/downloads/pins.json``, and every later fetch is checked against it.

Notebook: used by the ``original_bundle`` and ``audiomnist`` loaders (any notebook with
``dataset = "original_bundle"`` or ``"audiomnist"`` and ``data_dir = None``).
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pooch
import requests

from workbook.paths import data_root

__all__ = ["DOWNLOADS", "ChecksumMismatchError", "DownloadError", "DownloadSpec", "UnpinnedDownloadError", "fetch"]

_COMPLETE_MARKER = ".download-complete"


@dataclass(frozen=True)
class DownloadSpec:
    """One downloadable data set.

    ``sha256``: the archive's hex SHA-256, or None when it is not known (then
    ``sha256_source`` says why). ``sha256_source``: how the hash was obtained.
    ``filename``: the archive's name in the cache (``.zip``, ``.tar``, ``.tar.gz``,
    ``.tgz``); ``loader``: the :data:`workbook.datasets.LOADERS` name that reads the
    unpacked folder.
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
        if self.sha256 is not None and (len(self.sha256) != 64 or set(self.sha256.lower()) - set("0123456789abcdef")):
            raise ValueError(f"{self.name}: sha256 must be 64 hex digits, got {self.sha256!r}")
        if not self.sha256_source.strip():
            raise ValueError(f"{self.name}: sha256_source must say how the hash was obtained")


#: Commit of github.com/soerenab/AudioMNIST whose tree is downloaded (its meta file lists
#: all 60 speakers). A commit archive's content cannot change; the zip bytes GitHub
#: generates for it have been stable in practice but are not guaranteed.
_AUDIOMNIST_COMMIT = "ce04129aaa56d47d11a8d9cc1247bac2cafac9b7"

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
        url=f"https://github.com/soerenab/AudioMNIST/archive/{_AUDIOMNIST_COMMIT}.zip",
        filename=f"AudioMNIST-{_AUDIOMNIST_COMMIT[:12]}.zip",
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
    """A download failed; the message names the URL and what happened. No partial file was kept."""


class ChecksumMismatchError(DownloadError):
    """The download's SHA-256 differs from the pinned one. The file was deleted."""


class UnpinnedDownloadError(DownloadError):
    """The registry has no hash for this download and none was given."""


def _read_pins(cache: Path) -> dict:
    path = cache / "pins.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except json.JSONDecodeError:
        raise DownloadError(f"{path}: unreadable pin file; delete it to start over") from None


def _check_members(archive: Path) -> None:
    """Refuse an archive with a member that would unpack outside its folder (before pooch unpacks it)."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            members = [(m.filename, False) for m in zf.infolist()]
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            members = [(m.name, m.issym() or m.islnk() or m.isdev()) for m in tf.getmembers()]
    else:
        raise DownloadError(f"{archive}: not a zip or tar archive")
    for name, special in members:
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if special or name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise DownloadError(f"{archive}: member {name!r} would unpack outside its folder (or is a link); refused")


def fetch(
    name: str | DownloadSpec,
    *,
    cache_dir: str | Path | None = None,
    sha256: str | None = None,
    allow_unpinned: bool = False,
    download: bool = True,
    progressbar: bool = True,
    retries: int = 2,
    timeout_s: float = 60.0,
) -> Path:
    """Download (once) and unpack a registered data set; return the unpacked folder.

    Parameters
    ----------
    name : a key of :data:`DOWNLOADS`, or a :class:`DownloadSpec`.
    cache_dir : where archives and folders go (default ``data/downloads/``).
    sha256 : the hash to check against, overriding the registry's.
    allow_unpinned : for an entry without a hash: download anyway, print its hash and
        record it in ``pins.json`` so later fetches are checked against it.
    download : False refuses to download (only an earlier complete fetch is returned).
    progressbar, retries, timeout_s : pooch's progress bar, how many times a failed
        transfer is started again (pooch waits 1 s, 2 s, ... in between) and the
        timeout in seconds of each connection and read.

    Raises :class:`UnpinnedDownloadError` (before any request), :class:`ChecksumMismatchError`
    or :class:`DownloadError` (nothing kept). The archive stays in the cache beside the
    folder; delete both to free the space.
    """
    if not isinstance(name, DownloadSpec) and name not in DOWNLOADS:
        raise KeyError(f"no download named {name!r}; known: {sorted(DOWNLOADS)}")
    spec = name if isinstance(name, DownloadSpec) else DOWNLOADS[name]
    cache = Path(cache_dir) if cache_dir else data_root() / "downloads"
    folder, marker = cache / spec.name, cache / spec.name / _COMPLETE_MARKER
    pinned = _read_pins(cache).get(spec.name) or {}
    expected = (sha256 or spec.sha256 or (pinned.get("sha256") if pinned.get("url") == spec.url else None) or "").lower()
    if marker.is_file() and (not expected or marker.read_text().strip() == expected):
        return folder  # unpacked by an earlier complete fetch
    if not download:
        raise DownloadError(f"{spec.name}: nothing downloaded yet in {cache}; pass data_dir=... or download=True")
    if not expected and not allow_unpinned:
        raise UnpinnedDownloadError(
            f"{spec.name}: no pinned SHA-256 for {spec.url} ({spec.sha256_source}). Pass the hash you trust "
            f"(download_sha256='...' for load_dataset, sha256='...' for fetch), or allow_unpinned=True to "
            f"download once, record the hash in {cache / 'pins.json'} and check every later download against it."
        )
    registry = pooch.create(path=cache, base_url="", registry={spec.filename: f"sha256:{expected}" if expected else None},
                            urls={spec.filename: spec.url}, retry_if_failed=retries)
    downloader = pooch.HTTPDownloader(progressbar=progressbar, timeout=timeout_s)
    try:
        archive = Path(registry.fetch(spec.filename, downloader=downloader))
    except ValueError as exc:  # pooch: the hash does not match (the download was deleted)
        raise ChecksumMismatchError(
            f"{spec.url}: the download's SHA-256 does not match the pinned {expected}; the file was deleted. "
            f"The server may serve a different version, or the transfer was corrupted. ({exc})"
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise DownloadError(f"{spec.url}: download failed after {retries + 1} attempt(s) ({exc}); "
                            "no partial file was kept, run again to retry") from exc
    actual = expected or pooch.file_hash(str(archive))
    if not expected:
        pins = _read_pins(cache) | {spec.name: {"url": spec.url, "sha256": actual,
                                                "recorded": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}}
        (cache / "pins.json").write_text(json.dumps(pins, indent=2, sort_keys=True) + "\n")
        print(f"{spec.name}: downloaded without a pinned hash; SHA-256 {actual} recorded in {cache / 'pins.json'}. "
              "Verify it and pin it in workbook/sources/downloads.py.")
    _check_members(archive)
    shutil.rmtree(folder, ignore_errors=True)  # a half-unpacked folder from an interrupted run
    unpack = pooch.Unzip(extract_dir=spec.name) if zipfile.is_zipfile(archive) else pooch.Untar(extract_dir=spec.name)
    unpack(str(archive), "download", registry)
    marker.write_text(actual + "\n")
    return folder
