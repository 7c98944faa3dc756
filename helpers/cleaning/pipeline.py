"""``clean()``: the cleaning chain with named presets, and the saved choice later notebooks use.

The chain, in this order (each step's reason is in the notebook):

1. **downmix** to mono (noisereduce would treat a ``(samples, channels)`` array as
   thousands of channels);
2. **clipping check** (reported; optionally repaired by interpolation, ``declip``);
3. **click removal** (before trimming: a click in the leading silence would otherwise be
   kept as "sound"; before noise reduction: a click is not noise the gate can learn);
4. **noise reduction** (stationary or non-stationary spectral gating);
5. **trimming** by ``top_db`` (after noise reduction, so the noise floor sits well below
   the speech).

A cleaning choice is either a preset name from :data:`CLEANING_PRESETS` or a dict of
parameters (optionally ``{"preset": name, ...overrides}``). Notebook 02 writes its choice to
``cleaning.json`` in the run's output folder; later notebooks read it back with
:func:`load_cleaning_choice`, so the whole run can be repeated with another choice.

Notebook: 02_cleaning (chosen there), 03_features, 06_predict (applied there).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from helpers.cleaning.activity import estimate_snr_db, speech_activity
from helpers.cleaning.clicks import declip, detect_clicks, remove_clicks
from helpers.cleaning.denoise import METHODS, reduce_noise
from helpers.cleaning.inputs import as_mono, check_sr, detect_clipping, is_silent, peak_dbfs
from helpers.cleaning.trim import trim_silence

#: Every parameter of the chain and its default:
#:
#: - ``denoise``: None, "stationary" or "nonstationary"; ``prop_decrease``: strength 0..1;
#: - ``n_fft``: STFT size in samples (512 = 32 ms at 16 kHz); ``time_constant_s``: smoothing
#:   of the non-stationary noise floor (s); ``n_std_thresh``: stationary threshold (noise
#:   standard deviations above its mean); ``thresh_n_mult``: non-stationary threshold;
#: - ``max_snr_db``: skip noise reduction when the blind SNR estimate is at or above this
#:   (dB; None: always reduce);
#: - ``clicks``: detect and repair clicks; ``click_threshold``: envelope/background ratio;
#: - ``declip``: repair clipped runs by interpolation;
#: - ``top_db``: trimming threshold in dB below the loudest frame (None: no trimming);
#:   ``trim_pad_s``: margin kept around the trimmed sound (s); ``trim_on``: "output" finds
#:   the boundaries on the cleaned signal, "gated" on a copy gated at full strength
#:   (stationary, prop_decrease 1) while the output keeps the gentler cleaning.
DEFAULT_PARAMS: dict[str, Any] = {
    "denoise": None,
    "prop_decrease": 1.0,
    "n_fft": 512,
    "time_constant_s": 2.0,
    "n_std_thresh": 1.5,
    "thresh_n_mult": 2.0,
    "max_snr_db": None,
    "clicks": False,
    "click_threshold": 20.0,
    "declip": False,
    "top_db": None,
    "trim_pad_s": 0.0,
    "trim_on": "output",
}

#: Named cleaning choices:
#:
#: - "none": nothing (mono only); "trim": trimming alone (``top_db=25``);
#: - "clicks_trim": click repair, then trimming;
#: - "original": what the original analysis chose by ear: noisereduce's non-stationary gate
#:   with its default settings (n_fft 1024), no click repair, ``top_db=20``;
#: - "nonstationary" / "stationary": click repair and full-strength gating (n_fft 512);
#: - "gentle": click repair and a 70 % stationary gate, applied only when the blind SNR
#:   estimate is below 20 dB; trimming boundaries are found on a copy gated at full
#:   strength (the output keeps the gentle cleaning).
#:
#: All but "original" trim at ``top_db=25``: on clean synthetic clips 25 dB kept every
#: boundary within 100 ms, while 20 dB cut weak opening fricatives off 2-4 % of them.
#: "gentle" is the choice measured in notebook 02 (see its summary).
CLEANING_PRESETS: dict[str, dict[str, Any]] = {
    "none": {},
    "trim": {"top_db": 25.0},
    "clicks_trim": {"clicks": True, "top_db": 25.0},
    "original": {"denoise": "nonstationary", "n_fft": 1024, "top_db": 20.0},
    "nonstationary": {"clicks": True, "denoise": "nonstationary", "top_db": 25.0},
    "stationary": {"clicks": True, "denoise": "stationary", "top_db": 25.0},
    "gentle": {
        "clicks": True,
        "denoise": "stationary",
        "prop_decrease": 0.7,
        "max_snr_db": 20.0,
        "top_db": 25.0,
        "trim_on": "gated",
    },
}

#: The preset the workbook uses unless notebook 02's ``cleaning`` parameter says otherwise.
DEFAULT_CLEANING = "gentle"

#: Bump when :func:`clean` produces different output for the same parameters (caches of
#: features computed on cleaned audio key on it).
CLEANING_VERSION = "1"

#: File (in the run's output folder) that carries the choice to later notebooks.
CHOICE_FILENAME = "cleaning.json"


def resolve_cleaning(spec: str | Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Turn a preset name or a parameter dict into ``(label, full parameter dict)``.

    ``None`` means :data:`DEFAULT_CLEANING`. A dict may name a base ``"preset"`` and
    override some of its parameters; a dict without one starts from :data:`DEFAULT_PARAMS`
    (no cleaning). Unknown presets or parameter names raise ``ValueError`` listing the
    valid ones.
    """
    if spec is None:
        spec = DEFAULT_CLEANING
    if isinstance(spec, str):
        if spec not in CLEANING_PRESETS:
            raise ValueError(f"unknown cleaning preset {spec!r}; presets: {', '.join(CLEANING_PRESETS)}")
        return spec, {**DEFAULT_PARAMS, **CLEANING_PRESETS[spec]}
    if not isinstance(spec, Mapping):
        raise TypeError(f"cleaning must be a preset name or a dict of parameters, got {type(spec).__name__}")
    spec = dict(spec)
    base = spec.pop("preset", None)
    unknown = sorted(set(spec) - set(DEFAULT_PARAMS))
    if unknown:
        raise ValueError(f"unknown cleaning parameter(s) {unknown}; parameters: {', '.join(DEFAULT_PARAMS)}")
    if base is not None:
        label, params = resolve_cleaning(str(base))
        if any(params[k] != v for k, v in spec.items()):
            label = f"{label}+custom"
    else:
        label, params = "custom", dict(DEFAULT_PARAMS)
    params.update(spec)
    if params["trim_on"] not in ("output", "gated"):
        raise ValueError(f"trim_on must be 'output' or 'gated', got {params['trim_on']!r}")
    if params["denoise"] not in (None, *METHODS):
        raise ValueError(f"denoise must be None or one of {METHODS}, got {params['denoise']!r}")
    return label, params


@dataclass
class CleaningResult:
    """What :func:`clean` produced and what it did.

    ``y``: cleaned and trimmed mono float32; ``sr`` in Hz; ``y_untrimmed``: the cleaned
    signal before trimming (same length and time base as the input); ``trim``:
    ``(start, end)`` sample indices of ``y`` within the input; ``clicks``: ``(n, 2)``
    repaired click intervals in samples; ``clipped_fraction``: share of clipped samples;
    ``snr_before_db`` / ``snr_after_db``: blind SNR estimates (dB, NaN if undeterminable);
    ``silent``: True if there was nothing to clean; ``notes``: what happened, in words;
    ``label`` and ``params``: the cleaning choice; ``trim_signal``: the signal the trim
    boundaries were found on when it is not ``y_untrimmed`` (``trim_on="gated"``), else None.
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

    def summary(self) -> str:
        """One paragraph on what cleaning did (for notebook output)."""
        a, b = self.trim_s
        lines = [
            f"cleaning {self.label!r}: kept {a:.2f}-{b:.2f} s of {len(self.y_untrimmed) / self.sr:.2f} s, "
            f"{len(self.clicks)} click(s) repaired, blind SNR {self.snr_before_db:.1f} -> {self.snr_after_db:.1f} dB"
        ]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


#: Inputs shorter than this (s) are returned unprocessed: too short to tell speech from noise.
MIN_DURATION_S = 0.1


def clean(
    y,
    sr: int,
    cleaning: str | Mapping[str, Any] | None = None,
    *,
    name: str = "input",
) -> CleaningResult:
    """Clean one recording with a preset or parameter dict (see :func:`resolve_cleaning`).

    Parameters
    ----------
    y : samples: 1-D, or 2-D ``(samples, channels)`` / ``(channels, samples)`` (downmixed).
    sr : sample rate in Hz.
    cleaning : preset name, parameter dict, or None for :data:`DEFAULT_CLEANING`.
    name : label of the input in notes and errors (a file name, say).

    Silent inputs (peak below -100 dBFS) and inputs shorter than :data:`MIN_DURATION_S`
    come back unchanged with a note saying so; clipped inputs are reported (and repaired if
    ``declip``). Impossible inputs (empty, NaN, more than 2-D) raise
    :class:`helpers.cleaning.inputs.CleaningInputError`.
    """
    label, p = resolve_cleaning(cleaning)
    sr = check_sr(sr, name=name)
    x, notes = as_mono(y, name=name)
    n = x.size
    duration = n / sr

    def result(out_full, trim, clicks, clipped, snr_b, snr_a, silent, trim_signal=None):
        a, b = trim
        return CleaningResult(
            y=np.asarray(out_full[a:b], dtype=np.float32),
            sr=sr,
            y_untrimmed=np.asarray(out_full, dtype=np.float32),
            trim=(int(a), int(b)),
            clicks=np.asarray(clicks, dtype=np.int64).reshape(-1, 2),
            clipped_fraction=float(clipped),
            snr_before_db=float(snr_b),
            snr_after_db=float(snr_a),
            silent=silent,
            label=label,
            params=p,
            notes=notes,
            trim_signal=None if trim_signal is None else np.asarray(trim_signal, dtype=np.float32),
        )

    if is_silent(x):
        level = peak_dbfs(x)
        notes.append(
            f"silent input (peak {level:.0f} dBFS, below -100 dBFS): nothing to clean, returned unchanged and untrimmed"
        )
        return result(x, (0, n), np.zeros((0, 2)), 0.0, np.nan, np.nan, True)
    if duration < MIN_DURATION_S:
        notes.append(
            f"input is only {duration * 1000:.0f} ms (< {MIN_DURATION_S * 1000:.0f} ms): too short to separate "
            "speech from noise, returned unchanged"
        )
        return result(x, (0, n), np.zeros((0, 2)), 0.0, np.nan, np.nan, False)

    # 2. clipping
    clip_mask, clip_level = detect_clipping(x)
    clipped = float(clip_mask.mean())
    if clip_mask.any():
        msg = f"clipped: {clipped * 100:.2f}% of samples sit at the peak level {clip_level:.3f}"
        if p["declip"]:
            x = declip(x, clip_mask, clip_level)
            msg += "; repaired by interpolation"
        else:
            msg += "; left as is (declip=False), spectra above ~1 kHz carry distortion"
        notes.append(msg)

    snr_before = estimate_snr_db(x, sr)

    # 3. clicks
    intervals = np.zeros((0, 2), dtype=np.int64)
    if p["clicks"]:
        intervals = detect_clicks(x, sr, threshold=p["click_threshold"])
        if len(intervals):
            x = remove_clicks(x, sr, intervals)
            times = ", ".join(f"{s / sr:.2f}" for s in intervals[:8, 0])
            more = "" if len(intervals) <= 8 else f" and {len(intervals) - 8} more"
            notes.append(f"repaired {len(intervals)} click(s) at {times}{more} s")

    # 4. noise reduction
    before_denoise = x
    denoise = p["denoise"]
    if denoise is not None and p["max_snr_db"] is not None:
        snr_now = estimate_snr_db(x, sr) if len(intervals) else snr_before
        if np.isfinite(snr_now) and snr_now >= float(p["max_snr_db"]):
            notes.append(
                f"noise reduction skipped: blind SNR {snr_now:.1f} dB is at or above max_snr_db={p['max_snr_db']}"
            )
            denoise = None
    if denoise is not None:
        activity = speech_activity(x, sr) if denoise == "stationary" else None
        x, nr_notes = reduce_noise(
            x,
            sr,
            method=denoise,
            prop_decrease=float(p["prop_decrease"]),
            activity=activity,
            n_fft=int(p["n_fft"]),
            time_constant_s=float(p["time_constant_s"]),
            n_std_thresh=float(p["n_std_thresh"]),
            thresh_n_mult=float(p["thresh_n_mult"]),
        )
        notes.extend(nr_notes)

    snr_after = estimate_snr_db(x, sr) if denoise is not None or len(intervals) else snr_before

    # 5. trimming
    trim = (0, n)
    decide_on = x
    if p["top_db"] is not None:
        if p["trim_on"] == "gated":
            decide_on, _ = reduce_noise(
                before_denoise, sr, method="stationary", prop_decrease=1.0, n_fft=int(p["n_fft"]),
                n_std_thresh=float(p["n_std_thresh"]),
            )
        _, trim = trim_silence(decide_on, sr, top_db=float(p["top_db"]), pad_s=float(p["trim_pad_s"]))
        kept = (trim[1] - trim[0]) / sr
        if kept < MIN_DURATION_S:
            notes.append(f"trimming at top_db={p['top_db']} kept only {kept * 1000:.0f} ms")
    if np.max(np.abs(x)) > 1.0:
        notes.append(f"output peak {np.max(np.abs(x)):.2f} exceeds full scale (not rescaled)")
    return result(x, trim, intervals, clipped, snr_before, snr_after, False, None if decide_on is x else decide_on)


def clean_file(path: str | Path, cleaning: str | Mapping[str, Any] | None = None, *, sr: int = 16000) -> CleaningResult:
    """Load ``path`` with :func:`helpers.audio.load_audio` (mono, ``sr`` Hz) and clean it.

    Errors name the file: unreadable audio raises :class:`helpers.audio.AudioLoadError`.
    """
    from helpers.audio import load_audio

    y, sr = load_audio(path, sr=sr)
    return clean(y, sr, cleaning, name=str(path))


def clean_clips(clips: Mapping[str, Any], sr: int, cleaning: str | Mapping[str, Any] | None = None) -> dict[str, CleaningResult]:
    """Clean each clip of ``{label: samples}`` (all at ``sr`` Hz); returns ``{label: result}``."""
    return {label: clean(y, sr, cleaning, name=str(label)) for label, y in clips.items()}


def save_cleaning_choice(folder: str | Path, cleaning: str | Mapping[str, Any] | None, *, extra: Mapping | None = None) -> Path:
    """Write the cleaning choice to ``folder/cleaning.json``; returns the file's path.

    The file holds ``{"preset": label, "params": {...}}`` plus ``extra`` (e.g. the
    measurements that justified the choice).
    """
    label, params = resolve_cleaning(cleaning)
    doc = {"preset": label, "params": params, **(dict(extra) if extra else {})}
    path = Path(folder) / CHOICE_FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, default=_json_default) + "\n")
    return path


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot store {type(obj).__name__} in {CHOICE_FILENAME}")


def load_cleaning_choice(folder: str | Path, *, default: str | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read the cleaning choice notebook 02 saved in ``folder`` as a dict for :func:`clean`.

    Returns ``{"preset": <preset name>, **all parameters}``, a dict :func:`resolve_cleaning`
    and :func:`clean` accept (the label stays the preset's name unless parameters differ). If the file is missing, ``default`` (or
    :data:`DEFAULT_CLEANING`) is used, so later notebooks also run on their own.
    Raises ``ValueError`` naming the file if it is unreadable.
    """
    path = Path(folder) / CHOICE_FILENAME
    if not path.is_file():
        label, params = resolve_cleaning(default)
    else:
        try:
            doc = json.loads(path.read_text())
            base = str(doc["preset"]).split("+")[0]
            spec = {"preset": base, **doc["params"]} if base in CLEANING_PRESETS else doc["params"]
            label, params = resolve_cleaning(spec)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{path}: not a valid cleaning choice ({exc}); re-run notebook 02 or delete the file"
            ) from exc
    return {"preset": label.split("+")[0], **params} if label.split("+")[0] in CLEANING_PRESETS else params
