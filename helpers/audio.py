"""Audio input: any common file format to mono float32 at a chosen sample rate.

``load_audio`` is the single entry point for reading recordings. It reads wav, flac,
ogg and mp3 through libsndfile (soundfile), downmixes to mono, resamples with soxr and
refuses bad files loudly: a missing, empty, truncated or undecodable file raises
:class:`AudioLoadError`, whose message names the file and the problem.

The completeness checks are hand-written because libsndfile silently returns the readable
part of a truncated WAV or Ogg file.

Notebook: 01_signal_anatomy (every later notebook reads audio through it).
"""

from __future__ import annotations

import io
import stat
import struct
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

__all__ = ["AudioLoadError", "audio_info", "load_audio", "save_audio"]

#: File extensions the workbook reads.
_SUPPORTED_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")


class AudioLoadError(Exception):
    """A recording could not be read. ``path`` and ``problem`` say which and why."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def _declared_wav_frames(path: Path) -> int | None:
    """Frames the WAV header promises (its ``data`` chunk size), or None if unreadable."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
            return None
        block_align = None
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return None
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt ":
                fmt = fh.read(size + (size & 1))
                block_align = struct.unpack("<H", fmt[12:14])[0]
                continue
            if cid == b"data":
                if block_align in (None, 0) or size == 0xFFFFFFFF:
                    return None  # RF64 or streaming header: size lives elsewhere
                return size // block_align
            fh.seek(size + (size & 1), io.SEEK_CUR)


def _ogg_has_end_of_stream(path: Path) -> bool:
    """True if the last Ogg page is complete and carries the end-of-stream flag."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    pos = tail.rfind(b"OggS")
    if pos < 0 or len(tail) - pos < 27:
        return False
    header_type = tail[pos + 5]
    n_segments = tail[pos + 26]
    if len(tail) - pos < 27 + n_segments:
        return False
    body = sum(tail[pos + 27 : pos + 27 + n_segments])
    complete = len(tail) - pos >= 27 + n_segments + body
    return bool(header_type & 0x04) and complete


def audio_info(path: str | Path) -> dict:
    """Header facts of a recording (format, sample rate in Hz, channels, duration in s).

    Raises :class:`AudioLoadError` for a missing, empty or undecodable file.

    Notebook: 01_signal_anatomy (the file table)
    """
    path = Path(path)
    if not path.exists():
        raise AudioLoadError(path, "file not found")
    if path.is_dir():
        raise AudioLoadError(path, "is a folder, not an audio file")
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):  # a device or pipe could block or never end
        raise AudioLoadError(path, "not a regular file (a device, pipe or socket); only audio files are read")
    if st.st_size == 0:
        raise AudioLoadError(path, "file is empty (0 bytes)")
    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile says little more than "cannot open"
        raise AudioLoadError(
            path,
            f"cannot decode as audio ({_short(exc)}); readable formats: "
            + ", ".join(_SUPPORTED_EXTENSIONS),
        ) from exc
    return {
        "format": info.format,
        "subtype": info.subtype,
        "sr_hz": int(info.samplerate),
        "channels": int(info.channels),
        "frames": int(info.frames),
        "duration_s": info.frames / info.samplerate if info.samplerate else 0.0,
    }


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.replace("System error.", "").strip() or type(exc).__name__


def load_audio(
    path: str | Path,
    *,
    sr: int | None = 16000,
    offset_s: float = 0.0,
    duration_s: float | None = None,
) -> tuple[np.ndarray, int]:
    """Read a recording (wav, flac, ogg or mp3) as ``(y, sr)``: mono float32 in [-1, 1] at ``sr`` Hz.

    ``sr=None`` keeps the file's own rate; ``offset_s``, ``duration_s`` read only that part (s).
    Raises :class:`AudioLoadError`, naming the file and the problem, if it is missing, empty,
    truncated, undecodable or holds no samples.

    Notebook: every notebook
    """
    path = Path(path)
    info = audio_info(path)
    native_sr = info["sr_hz"]
    start = int(round(offset_s * native_sr))
    stop = None if duration_s is None else start + int(round(duration_s * native_sr))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data, native_sr = sf.read(
                str(path), dtype="float32", always_2d=True, start=start, stop=stop
            )
    except Exception as exc:
        raise AudioLoadError(
            path, f"decoding failed part-way ({_short(exc)}); the file is truncated or corrupt"
        ) from exc

    if offset_s == 0 and duration_s is None:  # the whole file: it must hold what its header promises
        _check_complete(path, info, len(data))
    if data.shape[0] == 0:
        raise AudioLoadError(path, "holds no audio samples")
    if not np.all(np.isfinite(data)):
        raise AudioLoadError(path, "contains NaN or infinite samples")

    y = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if sr is not None and int(sr) != native_sr:
        y = soxr.resample(y, native_sr, int(sr), quality="HQ")
        native_sr = int(sr)
    return np.ascontiguousarray(y, dtype=np.float32), int(native_sr)


def _check_complete(path: Path, info: dict, n_read: int) -> None:
    """Raise if the file holds fewer samples than its header promises."""
    fmt = info["format"]
    if fmt in ("WAV", "WAVEX"):
        declared = _declared_wav_frames(path)
        if declared is not None and n_read < declared:
            raise AudioLoadError(
                path,
                f"truncated: header promises {declared} frames, file holds {n_read}",
            )
    elif fmt == "OGG":
        if not _ogg_has_end_of_stream(path):
            raise AudioLoadError(path, "truncated: the Ogg stream has no complete final page")
    elif fmt in ("MP3", "MPEG"):
        declared = info["frames"]
        # libsndfile reads the frame count from the Xing/LAME header when there is one;
        # without it the count is an estimate from the file size, which shrinks with the file.
        if declared and n_read < 0.95 * declared:
            raise AudioLoadError(
                path,
                f"truncated: header promises {declared} frames, decoded {n_read}",
            )


def save_audio(path: str | Path, y: np.ndarray, sr: int, *, fmt: str | None = None) -> Path:
    """Write mono float audio to ``path`` (format from the extension unless ``fmt`` is given).

    WAV and FLAC are written as 16-bit PCM, so the same samples give byte-identical files.

    Notebook: none directly (the synthetic corpus writes its clips with it)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = (fmt or path.suffix.lstrip(".")).upper()
    subtype = {"WAV": "PCM_16", "FLAC": "PCM_16"}.get(ext)
    y = np.clip(np.asarray(y, dtype=np.float32), -1.0, 1.0)
    sf.write(str(path), y, int(sr), format=ext, subtype=subtype)
    return path
