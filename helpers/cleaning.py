"""``clean()``: the cleaning steps notebook 02 shows one by one, in one call, with named presets.

The chain, in this order: downmix to mono; clipping check (optionally repaired); click
repair (:mod:`helpers.clicks`); spectral gating with ``noisereduce`` (stationary, with a
noise sample from the pauses, or non-stationary), optionally only when the blind SNR is
low; trimming with ``librosa.effects.trim``. A cleaning choice is a preset name from
:data:`CLEANING_PRESETS` or a parameter dict (optionally ``{"preset": name, ...}``).
Notebook 02 saves its choice to ``cleaning.json``; later notebooks read it back with
:func:`load_cleaning_choice` and apply it with :func:`clean`.

Notebook: 02_cleaning (shown and chosen there), 03_features, 07_predict (applied there).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import librosa
import numpy as np
from scipy import ndimage

from helpers.clicks import declip, detect_clicks, remove_clicks
from helpers.speech_activity import estimate_snr_db, noise_clip_from_silence, speech_activity

__all__ = ["CLEANING_PRESETS", "CLEANING_VERSION", "CleaningInputError", "CleaningResult", "DEFAULT_CLEANING",
           "clean", "load_cleaning_choice", "resolve_cleaning", "save_cleaning_choice"]

#: Every parameter of the chain and its default (no cleaning).
_PARAMS: dict[str, Any] = {
    "denoise": None,  # the gate: None, "stationary" or "nonstationary"
    "prop_decrease": 1.0,  # its strength, 0 (nothing) to 1 (gated cells removed)
    "n_fft": 512,  # its STFT size in samples (32 ms at 16 kHz)
    "time_constant_s": 2.0,  # smoothing of the non-stationary noise floor (s)
    "n_std_thresh": 1.5,  # stationary threshold: noise standard deviations above its mean
    "thresh_n_mult": 2.0,  # non-stationary threshold: multiples of the running mean
    "max_snr_db": None,  # skip the gate when the blind SNR is at or above this (dB)
    "clicks": False,  # repair clicks in the pauses
    "click_threshold": 20.0,  # click envelope / background ratio (20 = 26 dB)
    "declip": False,  # repair clipped runs by interpolation
    "top_db": None,  # trim below this many dB under the loudest frame (None: no trimming)
    "trim_pad_s": 0.0,  # margin kept around the trimmed sound (s)
    "trim_on": "output",  # find the boundaries on the "output" or on a fully "gated" copy
}

#: Named cleaning choices. "original" is the original analysis's recipe (noisereduce's
#: non-stationary gate with its defaults, ``top_db=20``). "gentle" (the measured choice of
#: notebook 02): click repair, a 70 % stationary gate only where the blind SNR is below
#: 20 dB, boundaries found on a fully gated copy. All but "original" trim at ``top_db=25``:
#: on clean synthetic clips 20 dB cut weak opening fricatives off 2-4 % of them.
CLEANING_PRESETS: dict[str, dict[str, Any]] = {
    "none": {},
    "trim": {"top_db": 25.0},
    "clicks_trim": {"clicks": True, "top_db": 25.0},
    "original": {"denoise": "nonstationary", "n_fft": 1024, "top_db": 20.0},
    "nonstationary": {"clicks": True, "denoise": "nonstationary", "top_db": 25.0},
    "stationary": {"clicks": True, "denoise": "stationary", "top_db": 25.0},
    "gentle": {"clicks": True, "denoise": "stationary", "prop_decrease": 0.7, "max_snr_db": 20.0, "top_db": 25.0,
               "trim_on": "gated"},
}

#: The preset the workbook uses unless notebook 02's ``cleaning`` parameter says otherwise.
DEFAULT_CLEANING = "gentle"

#: Bump when :func:`clean` gives different output for the same parameters (feature caches key on it).
CLEANING_VERSION = "1"

_CHOICE_FILE = "cleaning.json"
_METHODS = ("stationary", "nonstationary")
_MIN_DURATION_S = 0.1  # shorter inputs are returned as they are: too short to tell speech from noise
_TRIM_FRAME_S, _TRIM_HOP_S = 0.032, 0.008  # trimming frames: 512 and 128 samples at 16 kHz


class CleaningInputError(ValueError):
    """The input cannot be cleaned at all (wrong shape, NaN samples, bad sample rate)."""


def resolve_cleaning(spec: str | Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Turn a preset name or a parameter dict into ``(label, full parameter dict)``.

    ``None`` means :data:`DEFAULT_CLEANING`. A dict may name a base ``"preset"`` and
    override some parameters (the label becomes ``"<preset>+custom"`` if they differ); a
    dict without one starts from no cleaning. Unknown names raise ``ValueError``.

    Notebook: 02_cleaning
    """
    if spec is None:
        spec = DEFAULT_CLEANING
    if isinstance(spec, str):
        if spec not in CLEANING_PRESETS:
            raise ValueError(f"unknown cleaning preset {spec!r}; presets: {', '.join(CLEANING_PRESETS)}")
        return spec, {**_PARAMS, **CLEANING_PRESETS[spec]}
    if not isinstance(spec, Mapping):
        raise TypeError(f"cleaning must be a preset name or a dict of parameters, got {type(spec).__name__}")
    spec = dict(spec)
    base = spec.pop("preset", None)
    unknown = sorted(set(spec) - set(_PARAMS))
    if unknown:
        raise ValueError(f"unknown cleaning parameter(s) {unknown}; parameters: {', '.join(_PARAMS)}")
    if base is not None:
        label, params = resolve_cleaning(str(base))
        if any(params[k] != v for k, v in spec.items()):
            label = f"{label}+custom"
    else:
        label, params = "custom", dict(_PARAMS)
    params.update(spec)
    if params["trim_on"] not in ("output", "gated"):
        raise ValueError(f"trim_on must be 'output' or 'gated', got {params['trim_on']!r}")
    if params["denoise"] not in (None, *_METHODS):
        raise ValueError(f"denoise must be None or one of {_METHODS}, got {params['denoise']!r}")
    return label, params


def _trim_bounds(x: np.ndarray, sr: int, *, top_db: float, pad_s: float = 0.0) -> tuple[int, int]:
    """``librosa.effects.trim`` boundaries (samples) on 32 ms frames, widened by ``pad_s``."""
    if not np.any(x):
        return 0, 0
    hop = max(1, int(round(_TRIM_HOP_S * sr)))
    frame = max(hop, int(round(_TRIM_FRAME_S * sr)))
    if x.size < frame:
        return 0, int(x.size)
    _, (start, end) = librosa.effects.trim(y=x, top_db=top_db, frame_length=frame, hop_length=hop)
    pad = int(round(pad_s * sr))
    return max(0, int(start) - pad), min(x.size, int(end) + pad)


@dataclass
class CleaningResult:
    """What :func:`clean` produced and what it did.

    ``y``: cleaned and trimmed mono float32; ``sr`` in Hz; ``y_untrimmed``: cleaned, not
    trimmed (the input's length and time base); ``trim``: ``(start, end)`` samples of ``y``
    in the input; ``clicks``: ``(n, 2)`` repaired click intervals (samples);
    ``clipped_fraction``: share of clipped samples; ``snr_before_db`` / ``snr_after_db``:
    blind SNR estimates (NaN if undeterminable); ``silent``: nothing to clean; ``notes``:
    what happened, in words; ``label``, ``params``: the choice; ``trim_signal``: the signal
    the boundaries were found on when it is not ``y_untrimmed`` (``trim_on="gated"``).
    """

    y: np.ndarray
    sr: int
    y_untrimmed: np.ndarray
    trim: tuple[int, int]
    clicks: np.ndarray
    clipped_fraction: float
    snr_before_db: float
    snr_after_db: float
    silent: bool
    label: str
    params: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    trim_signal: np.ndarray | None = None

    @property
    def trim_s(self) -> tuple[float, float]:
        """Trim boundaries in seconds from the start of the input."""
        return self.trim[0] / self.sr, self.trim[1] / self.sr

    @property
    def click_times_s(self) -> np.ndarray:
        """Start time (s) of each repaired click."""
        return self.clicks[:, 0] / self.sr if len(self.clicks) else np.zeros(0)

    def trim_at(self, top_db: float) -> tuple[int, int]:
        """The boundaries (samples) this cleaning would trim to at another ``top_db`` (dB)."""
        on = self.y_untrimmed.astype(np.float64) if self.trim_signal is None else self.trim_signal
        return _trim_bounds(on, self.sr, top_db=float(top_db), pad_s=float(self.params["trim_pad_s"]))

    def summary(self) -> str:
        """One paragraph on what cleaning did (for notebook output)."""
        a, b = self.trim_s
        head = (f"cleaning {self.label!r}: kept {a:.2f}-{b:.2f} s of {len(self.y_untrimmed) / self.sr:.2f} s, "
                f"{len(self.clicks)} click(s) repaired, blind SNR {self.snr_before_db:.1f} -> {self.snr_after_db:.1f} dB")
        return "\n".join([head] + [f"  note: {n}" for n in self.notes])


def _as_mono(y, name: str) -> tuple[np.ndarray, list[str]]:
    """``y`` as 1-D float64 (channels averaged, integer PCM scaled) and notes on what changed.

    noisereduce would read a ``(samples, 2)`` array as thousands of two-sample channels and
    run out of memory; the shorter axis is taken as channels.
    """
    notes: list[str] = []
    arr = np.asarray(y)
    if arr.dtype.kind in "iu":
        info = np.iinfo(arr.dtype)
        notes.append(f"integer samples ({arr.dtype}) scaled to [-1, 1]")
        arr = arr.astype(np.float64) / float(max(abs(info.min), info.max))
    elif arr.dtype.kind != "f":
        raise CleaningInputError(f"{name}: samples must be numbers, got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.size == 0:
        raise CleaningInputError(f"{name}: holds no samples")
    if arr.ndim > 2:
        raise CleaningInputError(f"{name}: expected a 1-D signal or a 2-D (samples, channels) array, got shape {arr.shape}")
    if arr.ndim == 2:
        ch_axis = 1 if arr.shape[1] <= arr.shape[0] else 0
        n_ch = arr.shape[ch_axis]
        if n_ch > 16:
            raise CleaningInputError(
                f"{name}: shape {arr.shape} does not look like audio channels "
                f"({n_ch} channels); pass a 1-D signal or (samples, channels)"
            )
        if n_ch > 1:
            layout = "(samples, channels)" if ch_axis == 1 else "(channels, samples)"
            notes.append(f"downmixed {n_ch} channels {layout} to mono by averaging")
        arr = arr.mean(axis=ch_axis)
    arr = np.asarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise CleaningInputError(f"{name}: {n_bad} samples are NaN or infinite")
    return np.ascontiguousarray(arr), notes


def _check_sr(sr, name: str) -> int:
    try:
        sr_int = int(sr)
    except (TypeError, ValueError):
        raise CleaningInputError(f"{name}: sample rate must be a number in Hz, got {sr!r}") from None
    if sr_int <= 0 or sr_int != sr:
        raise CleaningInputError(f"{name}: sample rate must be a positive whole number of Hz, got {sr!r}")
    return sr_int


def _clipping(y: np.ndarray, *, min_run: int = 3, rel_tol: float = 1e-3, min_level: float = 0.1):
    """``(mask, level)``: runs of >= ``min_run`` samples at the peak level (a converter held at
    its limit), and that level (0 if none or if the peak is below ``min_level``)."""
    level = float(np.max(np.abs(y)))
    if level < min_level:
        return np.zeros(y.shape, dtype=bool), 0.0
    labels, _ = ndimage.label(np.abs(y) >= level * (1.0 - rel_tol))
    run_lengths = np.bincount(labels)[1:]
    mask = np.isin(labels, 1 + np.flatnonzero(run_lengths >= min_run))
    return mask, (level if mask.any() else 0.0)


def _gate(x: np.ndarray, sr: int, p: Mapping[str, Any], method: str, prop_decrease: float, activity=None):
    """noisereduce's spectral gate on ``x`` with the parameters ``p``; returns ``(y, notes)``.

    Stationary: the noise sample is the detected pauses (``activity`` may pass a ready
    speech/silence split). ``padding`` equals noisereduce's default (30 000) at 16 kHz.
    """
    if not 0.0 <= prop_decrease <= 1.0:
        raise ValueError(f"prop_decrease must be between 0 and 1, got {prop_decrease}")
    n_fft, time_constant_s = int(p["n_fft"]), float(p["time_constant_s"])
    if x.size < n_fft:
        return x.copy(), [f"noise reduction skipped: {x.size / sr * 1000:.0f} ms is shorter than one "
                          f"analysis window ({n_fft / sr * 1000:.0f} ms)"]
    if not np.any(x):
        return x.copy(), ["noise reduction skipped: the signal is all zeros"]
    if prop_decrease == 0.0:
        return x.copy(), []
    notes: list[str] = []
    padding = min(30_000, max(n_fft * 4, int(time_constant_s * sr)))
    if method == "stationary":  # frame by frame: only the mask smoothing (50 ms) reaches past a frame, so
        hop = n_fft // 4  # a shorter pad on the same frame grid gives the same output (to rounding), faster
        reach = 2 * n_fft + (max(1, int(50.0 / (1000.0 * hop / sr))) + 1) * hop
        padding -= hop * max(0, (padding - reach) // hop)
    kwargs = dict(y=x, sr=sr, prop_decrease=prop_decrease, n_fft=n_fft, time_constant_s=time_constant_s,
                  chunk_size=600_000, padding=padding, n_jobs=1, use_tqdm=False)
    if method == "stationary":
        noise = noise_clip_from_silence(x, sr, activity=activity)
        if noise is None:
            notes.append("stationary noise reduction: no silence long enough, noise estimated from the whole signal")
        else:
            notes.append(f"stationary noise reduction: noise profile from {noise.size / sr:.2f} s of detected silence")
            if noise.size < n_fft:
                notes.append("noise clip shorter than one analysis window: noise estimated from the whole signal")
                noise = None
        kwargs.update(stationary=True, y_noise=noise, n_std_thresh_stationary=float(p["n_std_thresh"]))
    else:
        kwargs.update(stationary=False, thresh_n_mult_nonstationary=float(p["thresh_n_mult"]))
    import noisereduce as nr  # here, not at the top: it imports torch (3 s) in every process that loads this module

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = np.asarray(nr.reduce_noise(**kwargs), dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():  # the non-stationary gate divides by the running noise level: 0/0 in digital silence
        out[bad] = 0.0
        notes.append(f"{int(bad.sum())} samples in digital silence came out undefined and were set to 0")
    notes += [f"noisereduce warned: {w.message}" for w in caught if "divide" not in str(w.message)]
    return out, notes


def clean(y, sr: int, cleaning: str | Mapping[str, Any] | None = None, *, name: str = "input") -> CleaningResult:
    """Clean one recording (``sr`` Hz) with a preset or parameter dict; see :func:`resolve_cleaning`.

    ``y`` may be 1-D or 2-D ``(samples, channels)`` / ``(channels, samples)`` (downmixed);
    ``name`` labels the input in notes and errors. Silent inputs (peak below -100 dBFS) and
    inputs shorter than 0.1 s come back unchanged with a note; clipping is reported (and
    repaired if ``declip``). Impossible inputs raise :class:`CleaningInputError`.

    Notebook: 02_cleaning (each step shown there first), 03_features, 07_predict
    """
    label, p = resolve_cleaning(cleaning)
    sr = _check_sr(sr, name)
    x, notes = _as_mono(y, name)
    n = x.size

    def result(out_full, trim, clicks, clipped, snr_b, snr_a, silent, trim_signal=None):
        a, b = trim
        return CleaningResult(
            y=np.asarray(out_full[a:b], dtype=np.float32), sr=sr, y_untrimmed=np.asarray(out_full, dtype=np.float32),
            trim=(int(a), int(b)), clicks=np.asarray(clicks, dtype=np.int64).reshape(-1, 2),
            clipped_fraction=float(clipped), snr_before_db=float(snr_b), snr_after_db=float(snr_a), silent=silent,
            label=label, params=p, notes=notes,
            trim_signal=None if trim_signal is None else np.asarray(trim_signal, dtype=np.float32),
        )

    peak = float(np.max(np.abs(x)))
    level = 20.0 * np.log10(peak) if peak > 0 else float("-inf")
    if level < -100.0:
        notes.append(
            f"silent input (peak {level:.0f} dBFS, below -100 dBFS): nothing to clean, returned unchanged and untrimmed"
        )
        return result(x, (0, n), np.zeros((0, 2)), 0.0, np.nan, np.nan, True)
    if n / sr < _MIN_DURATION_S:
        notes.append(
            f"input is only {n / sr * 1000:.0f} ms (< {_MIN_DURATION_S * 1000:.0f} ms): too short to separate "
            "speech from noise, returned unchanged"
        )
        return result(x, (0, n), np.zeros((0, 2)), 0.0, np.nan, np.nan, False)

    clip_mask, clip_level = _clipping(x)
    clipped = float(clip_mask.mean())
    if clip_mask.any():
        msg = f"clipped: {clipped * 100:.2f}% of samples sit at the peak level {clip_level:.3f}"
        if p["declip"]:
            x = declip(x, clip_mask, clip_level)
            msg += "; repaired by interpolation"
        else:
            msg += "; left as is (declip=False), spectra above ~1 kHz carry distortion"
        notes.append(msg)
    activity = speech_activity(x, sr)  # one speech/pause split serves the SNR, the noise sample and the trim gate
    snr_before = estimate_snr_db(x, sr, activity=activity)

    intervals = np.zeros((0, 2), dtype=np.int64)
    if p["clicks"]:
        intervals = detect_clicks(x, sr, threshold=p["click_threshold"])
        if len(intervals):
            x = remove_clicks(x, sr, intervals)
            activity = speech_activity(x, sr)
            times = ", ".join(f"{s / sr:.2f}" for s in intervals[:8, 0])
            more = "" if len(intervals) <= 8 else f" and {len(intervals) - 8} more"
            notes.append(f"repaired {len(intervals)} click(s) at {times}{more} s")

    before_gate, denoise = x, p["denoise"]
    if denoise is not None and p["max_snr_db"] is not None:
        snr_now = estimate_snr_db(x, sr, activity=activity) if len(intervals) else snr_before
        if np.isfinite(snr_now) and snr_now >= float(p["max_snr_db"]):
            notes.append(f"noise reduction skipped: blind SNR {snr_now:.1f} dB is at or above max_snr_db={p['max_snr_db']}")
            denoise = None
    if denoise is not None:
        x, gate_notes = _gate(x, sr, p, denoise, float(p["prop_decrease"]), activity)
        notes.extend(gate_notes)
    snr_after = (estimate_snr_db(x, sr) if denoise is not None else
                 estimate_snr_db(x, sr, activity=activity) if len(intervals) else snr_before)

    trim, decide_on = (0, n), x
    if p["top_db"] is not None:
        if p["trim_on"] == "gated":
            decide_on, _ = _gate(before_gate, sr, p, "stationary", 1.0, activity)
        trim = _trim_bounds(decide_on, sr, top_db=float(p["top_db"]), pad_s=float(p["trim_pad_s"]))
        kept = (trim[1] - trim[0]) / sr
        if kept < _MIN_DURATION_S:
            notes.append(f"trimming at top_db={p['top_db']} kept only {kept * 1000:.0f} ms")
    if np.max(np.abs(x)) > 1.0:
        notes.append(f"output peak {np.max(np.abs(x)):.2f} exceeds full scale (not rescaled)")
    return result(x, trim, intervals, clipped, snr_before, snr_after, False, None if decide_on is x else decide_on)


def save_cleaning_choice(folder: str | Path, cleaning: str | Mapping[str, Any] | None, *, extra: Mapping | None = None) -> Path:
    """Write ``{"preset": label, "params": {...}, **extra}`` to ``folder/cleaning.json``; returns the path.

    Notebook: 02_cleaning
    """
    label, params = resolve_cleaning(cleaning)
    doc = {"preset": label, "params": params, **(dict(extra) if extra else {})}
    path = Path(folder) / _CHOICE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, default=_json_default) + "\n")
    return path


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot store {type(obj).__name__} in {_CHOICE_FILE}")


def load_cleaning_choice(folder: str | Path, *, default: str | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The cleaning choice notebook 02 saved in ``folder``, as a dict for :func:`clean`.

    Returns ``{"preset": <preset name>, **all parameters}``. A missing file gives ``default``
    (or :data:`DEFAULT_CLEANING`), so later notebooks also run on their own; an unreadable
    one raises ``ValueError`` naming it.

    Notebook: 03_features, 07_predict
    """
    path = Path(folder) / _CHOICE_FILE
    if not path.is_file():
        label, params = resolve_cleaning(default)
    else:
        try:
            doc = json.loads(path.read_text())
            base = str(doc["preset"]).split("+")[0]
            spec = {"preset": base, **doc["params"]} if base in CLEANING_PRESETS else doc["params"]
            label, params = resolve_cleaning(spec)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: not a valid cleaning choice ({exc}); re-run notebook 02 or delete the file") from exc
    base = label.split("+")[0]
    return {"preset": base, **params} if base in CLEANING_PRESETS else params
