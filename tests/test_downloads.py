"""Tests of workbook.sources.downloads against a local HTTP server the tests start.

The server listens on 127.0.0.1 only, serves bytes the test gives it, can cut a transfer
short, and is shut down by the fixture. Every request has a short timeout and a bounded
number of attempts, so no test can hang.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from workbook.datasets import load_dataset
from workbook.sources import downloads as dl
from workbook.sources.downloads import (
    DOWNLOADS,
    ChecksumMismatchError,
    DownloadError,
    DownloadSpec,
    UnpinnedDownloadError,
    cached_download,
    download_file,
    extract_archive,
    fetch,
)

FAST = {"progressbar": False, "timeout_s": 5.0, "backoff_s": 0.0}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Routes:
    """What the server sends per path, and a log of requests (path, Range header)."""

    def __init__(self):
        self.bodies: dict[str, bytes] = {}
        self.mode: dict[str, str] = {}  # ok | cut-once | cut-always | cut-once-norange
        self.log: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()


def make_handler(routes: Routes):
    class Handler(BaseHTTPRequestHandler):
        timeout = 5

        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            rng = self.headers.get("Range")
            with routes.lock:
                routes.log.append((self.path, rng))
                n_before = sum(1 for p, _ in routes.log if p == self.path) - 1
            body = routes.bodies.get(self.path)
            if body is None:
                self.send_error(404, "not here")
                return
            mode = routes.mode.get(self.path, "ok")
            start = 0
            if rng and mode in ("ok", "cut-once", "cut-always"):
                start = int(rng.split("=")[1].split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            part = body[start:]
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            cut = mode == "cut-always" or (mode in ("cut-once", "cut-once-norange") and n_before == 0)
            if cut:
                self.wfile.write(part[: len(part) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(part)

    return Handler


@pytest.fixture
def server():
    routes = Routes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(routes))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield base, routes
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


PAYLOAD = bytes(range(256)) * 4000  # 1 MB


def test_download_success_and_cache(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/data.bin"] = PAYLOAD
    out = download_file(f"{base}/data.bin", tmp_path / "data.bin", sha256=sha(PAYLOAD), **FAST)
    assert out.read_bytes() == PAYLOAD
    n = len(routes.log)
    download_file(f"{base}/data.bin", tmp_path / "data.bin", sha256=sha(PAYLOAD), **FAST)
    assert len(routes.log) == n  # cached: no second request
    assert leftovers(tmp_path) == ["data.bin"]


def test_checksum_mismatch_leaves_nothing(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/data.bin"] = PAYLOAD
    with pytest.raises(ChecksumMismatchError, match="does not match the pinned"):
        download_file(f"{base}/data.bin", tmp_path / "c" / "data.bin", sha256="0" * 64, **FAST)
    assert leftovers(tmp_path / "c") == []


def test_corrupt_cached_file_is_replaced(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/data.bin"] = PAYLOAD
    (tmp_path / "data.bin").write_bytes(b"half a file")
    out = download_file(f"{base}/data.bin", tmp_path / "data.bin", sha256=sha(PAYLOAD), **FAST)
    assert out.read_bytes() == PAYLOAD


def test_interrupted_transfer_resumes_with_range(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/data.bin"] = PAYLOAD
    routes.mode["/data.bin"] = "cut-once"
    out = download_file(f"{base}/data.bin", tmp_path / "data.bin", sha256=sha(PAYLOAD), **FAST)
    assert out.read_bytes() == PAYLOAD
    ranges = [r for p, r in routes.log if p == "/data.bin"]
    assert ranges[0] is None and ranges[1] is not None and ranges[1].startswith("bytes=")
    assert int(ranges[1].split("=")[1].rstrip("-")) > 0  # resumed, not restarted


def test_interrupted_transfer_restarts_when_server_ignores_range(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/data.bin"] = PAYLOAD
    routes.mode["/data.bin"] = "cut-once-norange"
    out = download_file(f"{base}/data.bin", tmp_path / "data.bin", sha256=sha(PAYLOAD), **FAST)
    assert out.read_bytes() == PAYLOAD


def test_interrupted_transfer_gives_up_cleanly(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/data.bin"] = PAYLOAD
    routes.mode["/data.bin"] = "cut-always"
    with pytest.raises(DownloadError, match="transfer interrupted") as info:
        download_file(f"{base}/data.bin", tmp_path / "d" / "data.bin", sha256=sha(PAYLOAD), max_attempts=3, **FAST)
    assert not isinstance(info.value, ChecksumMismatchError)
    assert len([p for p, _ in routes.log if p == "/data.bin"]) == 3
    assert leftovers(tmp_path / "d") == []  # no partial file accepted or left


def test_http_error_is_clear(server, tmp_path: Path):
    base, _ = server
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_file(f"{base}/nothing.zip", tmp_path / "x.zip", sha256="0" * 64, **FAST)
    assert leftovers(tmp_path) == []


def test_file_url(tmp_path: Path):
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    out = download_file(src.as_uri(), tmp_path / "cache" / "copy.bin", sha256=sha(PAYLOAD), **FAST)
    assert out.read_bytes() == PAYLOAD


# ------------------------------------------------------------ archives and fetch
def bundle_zip(tmp_path: Path) -> bytes:
    """A zip laid out like the original analysis's bundle, with real mp3s."""
    src = tmp_path / "zipsrc"
    audio = src / "c4_audio_dataset" / "audio_dataset"
    audio.mkdir(parents=True)
    y = (0.2 * np.sin(2 * np.pi * 200 * np.arange(8000) / 16000)).astype(np.float32)
    for name in ("sample-000001.mp3", "sample-000002.mp3"):
        sf.write(str(audio / name), y, 16000, format="MP3")
    (audio.parent / "data.csv").write_text(
        "filename,age,gender\nsample-000001.mp3,twenties,male\nsample-000002.mp3,sixties,female\n"
        "sample-000003.mp3,thirties,male\n"
    )
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(src.rglob("*")):
            zf.write(f, f.relative_to(src).as_posix())
    return path.read_bytes()


def test_fetch_and_load_original_bundle_end_to_end(server, tmp_path: Path, monkeypatch):
    base, routes = server
    data = bundle_zip(tmp_path)
    routes.bodies["/c4_audio_dataset.zip"] = data
    routes.mode["/c4_audio_dataset.zip"] = "cut-once"
    monkeypatch.setenv("WORKBOOK_DATA", str(tmp_path / "data"))
    spec = DownloadSpec(
        name="original_bundle", url=f"{base}/c4_audio_dataset.zip", filename="c4_audio_dataset.zip",
        sha256=sha(data), sha256_source="computed by the test from the archive it built",
        licence="test", loader="original_bundle",
    )
    monkeypatch.setitem(DOWNLOADS, "original_bundle", spec)
    monkeypatch.setattr(dl, "ResumingDownloader", _fast_downloader(dl.ResumingDownloader))
    ds = load_dataset("original_bundle", None, n_jobs=1)
    cache = tmp_path / "data" / "downloads"
    assert cached_download("original_bundle") == cache / "original_bundle"
    assert ds.report.n_input == 3 and ds.report.n_kept == 2
    assert ds.report.dropped["reason"].tolist() == ["missing file"]
    assert all(Path(p).is_relative_to(cache) for p in ds.manifest["path"])
    n = len(routes.log)
    load_dataset("original_bundle", None, n_jobs=1)  # second time: from the cache
    assert len(routes.log) == n
    assert not any(p.name.startswith(".original_bundle.partial") for p in cache.iterdir())


def _fast_downloader(cls):
    class Fast(cls):
        def __init__(self, **kw):
            kw.update(progressbar=False, backoff_s=0.0, timeout_s=5.0)
            super().__init__(**kw)

    return Fast


def test_unpinned_download_needs_consent_then_pins(server, tmp_path: Path):
    base, routes = server
    data = bundle_zip(tmp_path)
    routes.bodies["/a.zip"] = data
    spec = DownloadSpec(name="thing", url=f"{base}/a.zip", filename="a.zip", sha256=None,
                        sha256_source="unknown in this test", licence="test", loader="original_bundle")
    cache = tmp_path / "cache"
    with pytest.raises(UnpinnedDownloadError, match="allow_unpinned=True"):
        fetch(spec, cache_dir=cache, **FAST)
    assert routes.log == []  # refused before any request
    folder = fetch(spec, cache_dir=cache, allow_unpinned=True, **FAST)
    assert (folder / "c4_audio_dataset" / "data.csv").is_file()
    pins = json.loads((cache / "pins.json").read_text())
    assert pins["thing"]["sha256"] == sha(data) and pins["thing"]["url"] == spec.url
    # a later fetch of a changed archive is checked against the recorded pin
    (cache / "a.zip").unlink()
    shutil.rmtree(folder)
    routes.bodies["/a.zip"] = data[:-10] + b"0123456789"
    with pytest.raises(ChecksumMismatchError):
        fetch(spec, cache_dir=cache, **FAST)
    assert leftovers(cache) == ["pins.json"]


def test_extract_archive_refuses_paths_outside(tmp_path: Path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside.txt", "no")
    with pytest.raises(DownloadError, match="outside"):
        extract_archive(evil, tmp_path / "out")
    assert not (tmp_path / "outside.txt").exists()
    assert not (tmp_path / "out").exists()
    assert not any(p.name.startswith(".out.partial") for p in tmp_path.iterdir())


def test_registry_entries_are_complete():
    assert {"original_bundle", "audiomnist"} <= set(DOWNLOADS)
    assert DOWNLOADS["original_bundle"].url == "https://www.dropbox.com/s/3ibn2br901vvtgz/c4_audio_dataset.zip?dl=1"
    assert "soerenab/AudioMNIST" in DOWNLOADS["audiomnist"].url
    for spec in DOWNLOADS.values():
        assert spec.sha256_source.strip()
        assert spec.sha256 is None or len(spec.sha256) == 64
    with pytest.raises(ValueError, match="64 hex"):
        DownloadSpec(name="x", url="http://127.0.0.1/x", filename="x", sha256="abc",
                     sha256_source="test", licence="", loader="folder_csv")
    with pytest.raises(ValueError, match="sha256_source"):
        DownloadSpec(name="x", url="http://127.0.0.1/x", filename="x", sha256=None,
                     sha256_source=" ", licence="", loader="folder_csv")


def test_loader_refuses_unpinned_registry_entry(server, tmp_path: Path, monkeypatch):
    base, routes = server
    monkeypatch.setenv("WORKBOOK_DATA", str(tmp_path))
    spec = DownloadSpec(name="audiomnist", url=f"{base}/AudioMNIST.zip", filename="AudioMNIST.zip", sha256=None,
                        sha256_source="unknown in this test", licence="MIT", loader="audiomnist")
    monkeypatch.setitem(DOWNLOADS, "audiomnist", spec)
    with pytest.raises(UnpinnedDownloadError, match="download_sha256"):
        load_dataset("audiomnist", None)
    assert routes.log == []  # refused before any request
