"""Downloads of data sets that need no login, through pooch: pinned SHA-256, progress bar, cache.

:data:`DOWNLOADS` is the registry: each :class:`DownloadSpec` names its URL, the archive's
SHA-256 and where that hash came from. :func:`fetch` downloads an archive once into
``data/downloads/`` with ``pooch.create(...).fetch(...)`` (a temporary file, checked
against ``known_hash`` before it gets its name; a failed transfer is started again) and
unpacks it beside itself with ``pooch.Unzip`` / ``pooch.Untar``. The one hand-written
step, :func:`_check_members`, refuses members that would land outside that folder before
anything is unpacked, because pooch 1.9 leaves that to ``zipfile`` (which silently rewrites
such names) and filters tar members only on Python >= 3.12.

An entry without a published checksum (``sha256=None``) is refused with
:class:`UnpinnedDownloadError` unless you pass the hash you trust (``sha256=...``) or opt in
to trust-on-first-use (``allow_unpinned=True``): the first download's hash is printed and
recorded in ``data/downloads/pins.json``, and every later fetch is checked against it.

Notebook: the ``original_bundle`` and ``audiomnist`` loaders with ``data_dir = None``.
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

__all__ = ["DownloadError", "fetch"]

_COMPLETE_MARKER = ".download-complete"


@dataclass(frozen=True)
class DownloadSpec:
    """One downloadable data set: ``sha256`` (hex, or None when not known) and how it was obtained,
    the archive's ``filename`` in the cache (zip or tar) and the ``loader`` that reads the unpacked folder."""

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
        sha256_source="not pinned: no published checksum of this archive exists; the link is the one given in "
        "the original article. Pin it after a first download you trust (allow_unpinned=True prints it).",
        licence="Common Voice clips (CC0), as redistributed by the original analysis",
        loader="original_bundle",
        description="The original analysis's CSV (filename, age, gender, ...) and audio_dataset/.",
    ),
    "audiomnist": DownloadSpec(
        name="audiomnist",
        url=f"https://github.com/soerenab/AudioMNIST/archive/{_AUDIOMNIST_COMMIT}.zip",
        filename=f"AudioMNIST-{_AUDIOMNIST_COMMIT[:12]}.zip",
        sha256=None,
        sha256_source="not pinned: the project publishes no archive checksum. Pin it after a first download you "
        "trust (allow_unpinned=True prints it).",
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
    """Refuse an archive with a member that would unpack outside its folder, a link, a device,
    a pipe or a setuid/setgid file, before pooch unpacks it (on every Python: ``tarfile.data_filter``
    only exists from 3.11.4 and 3.12)."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            members = [(m.filename, False) for m in zf.infolist()]
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            members = [(m.name, m.issym() or m.islnk() or m.isdev() or bool(m.mode & 0o6000)) for m in tf.getmembers()]
    else:
        raise DownloadError(f"{archive}: not a zip or tar archive (an error page instead of the data?)")
    for name, special in members:
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if special or name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise DownloadError(f"{archive}: member {name!r} would unpack outside its folder, or is a link, "
                                "a device, a pipe or setuid/setgid; refused")


def fetch(name: str | DownloadSpec, *, cache_dir: str | Path | None = None, sha256: str | None = None,
          allow_unpinned: bool = False, download: bool = True, progressbar: bool = True, retries: int = 2,
          timeout_s: float = 60.0) -> Path:
    """Download (once) and unpack a registered data set; return the unpacked folder.

    ``name`` is a key of :data:`DOWNLOADS` or a :class:`DownloadSpec`; ``cache_dir`` defaults
    to ``data/downloads/``; ``sha256`` overrides the registry's hash; ``allow_unpinned``
    downloads an entry without one and records its hash in ``pins.json``; ``download=False``
    only returns an earlier complete fetch. ``retries``: how often pooch starts a failed
    transfer again (waiting 1 s, 2 s, ...); ``timeout_s``: per connection and read.
    Raises :class:`UnpinnedDownloadError` (before any request), :class:`ChecksumMismatchError`
    or :class:`DownloadError` (nothing kept). Delete the archive and folder to free the space.
    """
    if not isinstance(name, DownloadSpec) and name not in DOWNLOADS:
        raise KeyError(f"no download named {name!r}; known: {sorted(DOWNLOADS)}")
    spec = name if isinstance(name, DownloadSpec) else DOWNLOADS[name]
    cache = Path(cache_dir) if cache_dir else data_root() / "downloads"
    folder, marker = cache / spec.name, cache / spec.name / _COMPLETE_MARKER
    pinned = _read_pins(cache).get(spec.name) or {}
    pin = pinned.get("sha256") if pinned.get("url") == spec.url else None
    expected = (sha256 or spec.sha256 or pin or "").lower()
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
    known_hash = f"sha256:{expected}" if expected else None
    registry = pooch.create(path=cache, base_url="", registry={spec.filename: known_hash},
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
        recorded = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        pins = _read_pins(cache) | {spec.name: {"url": spec.url, "sha256": actual, "recorded": recorded}}
        (cache / "pins.json").write_text(json.dumps(pins, indent=2, sort_keys=True) + "\n")
        print(f"{spec.name}: downloaded without a pinned hash; SHA-256 {actual} recorded in {cache / 'pins.json'}. "
              "Verify it and pin it in workbook/sources/downloads.py.")
    _check_members(archive)
    shutil.rmtree(folder, ignore_errors=True)  # a half-unpacked folder from an interrupted run
    unpack = pooch.Unzip(extract_dir=spec.name) if zipfile.is_zipfile(archive) else pooch.Untar(extract_dir=spec.name)
    unpack(str(archive), "download", registry)
    marker.write_text(actual + "\n")
    return folder
