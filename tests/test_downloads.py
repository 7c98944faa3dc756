"""Tests of workbook.sources.downloads (pooch) against a local HTTP server the tests start.

The server listens on 127.0.0.1 only, serves bytes the test gives it, can cut a transfer
short, and is shut down by the fixture. Every request has a short timeout and a bounded
number of attempts, so no test can hang; nothing touches the internet.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from workbook.datasets import load_dataset
from workbook.sources.downloads import (
    DOWNLOADS,
    ChecksumMismatchError,
    DownloadError,
    DownloadSpec,
    UnpinnedDownloadError,
    fetch,
)

FAST = {"progressbar": False, "timeout_s": 5.0}


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


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


PAYLOAD = zip_bytes({"top/data.bin": bytes(range(256)) * 4000})  # 1 MB, stored uncompressed


def spec_for(base: str, path: str, data: bytes | None, name: str = "thing") -> DownloadSpec:
    return DownloadSpec(name=name, url=f"{base}{path}", filename=path.strip("/"), sha256=data and sha(data),
                        sha256_source="computed by the test from the archive it built", licence="test",
                        loader="folder_csv")


def test_download_unpack_and_cache(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/a.zip"] = PAYLOAD
    folder = fetch(spec_for(base, "/a.zip", PAYLOAD), cache_dir=tmp_path, **FAST)
    assert folder == tmp_path / "thing"
    assert (folder / "top" / "data.bin").read_bytes() == bytes(range(256)) * 4000
    n = len(routes.log)
    assert fetch(spec_for(base, "/a.zip", PAYLOAD), cache_dir=tmp_path, **FAST) == folder
    assert len(routes.log) == n  # cached: no second request
    assert leftovers(tmp_path) == ["a.zip", "thing"]


def test_checksum_mismatch_leaves_nothing(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/a.zip"] = PAYLOAD
    spec = DownloadSpec(name="thing", url=f"{base}/a.zip", filename="a.zip", sha256="0" * 64,
                        sha256_source="a wrong hash", licence="test", loader="folder_csv")
    with pytest.raises(ChecksumMismatchError, match="does not match the pinned"):
        fetch(spec, cache_dir=tmp_path / "c", retries=0, **FAST)
    assert leftovers(tmp_path / "c") == []


def test_corrupt_cached_archive_is_replaced(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/a.zip"] = PAYLOAD
    (tmp_path / "a.zip").write_bytes(b"half a file")
    folder = fetch(spec_for(base, "/a.zip", PAYLOAD), cache_dir=tmp_path, **FAST)
    assert (tmp_path / "a.zip").read_bytes() == PAYLOAD and (folder / "top" / "data.bin").is_file()


def test_cut_transfer_is_started_again(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/a.zip"] = PAYLOAD
    routes.mode["/a.zip"] = "cut-once"
    folder = fetch(spec_for(base, "/a.zip", PAYLOAD), cache_dir=tmp_path, retries=1, **FAST)
    assert (tmp_path / "a.zip").read_bytes() == PAYLOAD and (folder / "top" / "data.bin").is_file()
    assert [r for p, r in routes.log if p == "/a.zip"] == [None, None]  # pooch restarts, no Range


def test_transfer_that_keeps_failing_gives_up_cleanly(server, tmp_path: Path):
    base, routes = server
    routes.bodies["/a.zip"] = PAYLOAD
    routes.mode["/a.zip"] = "cut-always"
    with pytest.raises(DownloadError, match="after 3 attempt") as info:
        fetch(spec_for(base, "/a.zip", PAYLOAD), cache_dir=tmp_path / "d", retries=2, **FAST)
    assert not isinstance(info.value, ChecksumMismatchError)
    assert len([p for p, _ in routes.log if p == "/a.zip"]) == 3
    assert leftovers(tmp_path / "d") == []  # no partial file accepted or left


def test_http_error_is_clear(server, tmp_path: Path):
    base, _ = server
    with pytest.raises(DownloadError, match="404"):
        fetch(spec_for(base, "/nothing.zip", b"x"), cache_dir=tmp_path, retries=0, **FAST)
    assert leftovers(tmp_path) == []


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
    routes.mode["/c4_audio_dataset.zip"] = "cut-once"  # the default retries recover
    monkeypatch.setenv("WORKBOOK_DATA", str(tmp_path / "data"))
    spec = DownloadSpec(
        name="original_bundle", url=f"{base}/c4_audio_dataset.zip", filename="c4_audio_dataset.zip",
        sha256=sha(data), sha256_source="computed by the test from the archive it built",
        licence="test", loader="original_bundle",
    )
    monkeypatch.setitem(DOWNLOADS, "original_bundle", spec)
    ds = load_dataset("original_bundle", None, n_jobs=1)
    cache = tmp_path / "data" / "downloads"
    assert ds.root == cache / "original_bundle"
    assert ds.report.n_input == 3 and ds.report.n_kept == 2
    assert ds.report.dropped["reason"].tolist() == ["missing file"]
    assert all(Path(p).is_relative_to(cache) for p in ds.manifest["path"])
    n = len(routes.log)
    load_dataset("original_bundle", None, n_jobs=1, download=False)  # second time: from the cache
    assert len(routes.log) == n


def test_unpinned_download_needs_consent_then_pins(server, tmp_path: Path):
    base, routes = server
    data = bundle_zip(tmp_path)
    routes.bodies["/a.zip"] = data
    spec = spec_for(base, "/a.zip", None)
    cache = tmp_path / "cache"
    with pytest.raises(UnpinnedDownloadError, match="allow_unpinned=True"):
        fetch(spec, cache_dir=cache, **FAST)
    with pytest.raises(DownloadError, match="download=True"):
        fetch(spec, cache_dir=cache, download=False, **FAST)
    assert routes.log == []  # refused before any request
    folder = fetch(spec, cache_dir=cache, allow_unpinned=True, **FAST)
    assert (folder / "c4_audio_dataset" / "data.csv").is_file()
    pins = json.loads((cache / "pins.json").read_text())
    assert pins["thing"]["sha256"] == sha(data) and pins["thing"]["url"] == spec.url
    assert fetch(spec, cache_dir=cache, **FAST) == folder  # pinned now: no consent needed
    # a later fetch of a changed archive is checked against the recorded pin
    (cache / "a.zip").unlink()
    shutil.rmtree(folder)
    routes.bodies["/a.zip"] = data[:-10] + b"0123456789"
    with pytest.raises(ChecksumMismatchError):
        fetch(spec, cache_dir=cache, retries=0, **FAST)
    assert leftovers(cache) == ["pins.json"]


def tar_bytes(add) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        add(tf)
    return buf.getvalue()


def add_file(tf: tarfile.TarFile, name: str, data: bytes = b"no") -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


def add_link(tf: tarfile.TarFile, name: str, target: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    tf.addfile(info)


@pytest.mark.parametrize("archive", [
    ("evil.zip", zip_bytes({"ok.txt": b"fine", "../outside.txt": b"no"})),
    ("evil.zip", zip_bytes({"/tmp/absolute.txt": b"no"})),
    ("evil.tar.gz", tar_bytes(lambda tf: add_file(tf, "../outside.txt"))),
    ("evil.tar.gz", tar_bytes(lambda tf: add_file(tf, "/abs/outside.txt"))),
    ("evil.tar.gz", tar_bytes(lambda tf: (add_link(tf, "link", "../.."), add_file(tf, "link/outside.txt")))),
], ids=["zip-dotdot", "zip-absolute", "tar-dotdot", "tar-absolute", "tar-symlink"])
def test_path_traversal_in_archives_is_refused(server, tmp_path: Path, archive):
    filename, data = archive
    base, routes = server
    routes.bodies[f"/{filename}"] = data
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match="outside its folder"):
        fetch(spec_for(base, f"/{filename}", data), cache_dir=cache, **FAST)
    assert leftovers(cache) == [filename]  # the archive is kept (its hash matched), nothing unpacked
    assert leftovers(tmp_path) == ["cache"]


def test_an_error_page_instead_of_an_archive_is_named(server, tmp_path: Path):
    base, routes = server
    page = b"<html>Please sign in</html>"
    routes.bodies["/a.zip"] = page
    with pytest.raises(DownloadError, match="not a zip or tar archive"):
        fetch(spec_for(base, "/a.zip", page), cache_dir=tmp_path, **FAST)
    assert not (tmp_path / "thing").exists()


def test_tar_archives_unpack_with_pooch_untar(server, tmp_path: Path):
    base, routes = server
    data = tar_bytes(lambda tf: add_file(tf, "top/data.txt", b"hello"))
    routes.bodies["/a.tar.gz"] = data
    folder = fetch(spec_for(base, "/a.tar.gz", data), cache_dir=tmp_path, **FAST)
    assert (folder / "top" / "data.txt").read_bytes() == b"hello"


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
