"""Feature families, their parameters, and the per-clip computation that shares work among them.

A *family* is a group of features computed together (columns get the family's prefix):

============  ========  ==================================================================
family        prefix    features
============  ========  ==================================================================
original      orig_     the original analysis: onsets, duration, tempo, f0 stats, 128 mel means
spectral      spec_     MFCC + delta stats, centroid, bandwidth, roll-off, flatness, contrast
voice         voice_    jitter, shimmer, HNR, F1-F3, vocal-tract length (Praat), f0 tremor
rhythm        rhythm_   voiced fraction, pauses, syllable nuclei, speaking/articulation rate
egemaps       egemaps_  the 88 eGeMAPS functionals (openSMILE), off by default
============  ========  ==================================================================

Named sets: ``"original"``, ``"full"`` (the default: original + spectral + voice +
rhythm) and ``"all"`` (full + egemaps). :class:`ClipContext` computes what several
families need (the pitch track, the Praat Sound, spectrograms) once per clip.

Notebook: 03_features
"""

from __future__ import annotations

import traceback
import warnings
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Callable, Iterable

import numpy as np

from helpers.spectral import SPEECH_FMAX_HZ, SPEECH_FMIN_HZ
from helpers.features.pitch import PITCH_METHODS, track_pitch

#: Column prefix of each family.
FAMILY_PREFIX: dict[str, str] = {
    "original": "orig_",
    "spectral": "spec_",
    "voice": "voice_",
    "rhythm": "rhythm_",
    "egemaps": "egemaps_",
}

#: Named sets of families.
FAMILY_SETS: dict[str, tuple[str, ...]] = {
    "original": ("original",),
    "full": ("original", "spectral", "voice", "rhythm"),
    "all": ("original", "spectral", "voice", "rhythm", "egemaps"),
}

#: The default feature set.
DEFAULT_FAMILIES = "full"


@dataclass(frozen=True)
class FeatureParams:
    """Every knob of the feature computation (part of the cache key).

    sr : analysis sample rate in Hz (files are resampled to it on loading).
    pitch_method : "praat" (default: fast, accurate on the synthetic truth) or "pyin".
    fmin_hz, fmax_hz : pitch search range in Hz (speech: 60-500 Hz).
    pitch_hop_s : pitch frame hop in s (None: the tracker's default, Praat 0.75 / fmin_hz = 12.5 ms, pyin 32 ms).
    n_mfcc : number of MFCCs.
    max_formant_hz : ceiling of Praat's 5-formant search in Hz.
    min_duration_s : clips shorter than this (after cleaning) are recorded as errors.
    silence_dbfs : clips whose peak is below this level (dBFS) are recorded as silent.
    """

    sr: int = 16000
    pitch_method: str = "praat"
    fmin_hz: float = SPEECH_FMIN_HZ
    fmax_hz: float = SPEECH_FMAX_HZ
    pitch_hop_s: float | None = None
    n_mfcc: int = 13
    max_formant_hz: float = 5500.0
    min_duration_s: float = 0.25
    silence_dbfs: float = -60.0

    def __post_init__(self):
        if self.pitch_method not in PITCH_METHODS:
            raise ValueError(f"pitch_method must be one of {PITCH_METHODS}, got {self.pitch_method!r}")
        if not 0 < self.fmin_hz < self.fmax_hz < self.sr / 2:
            raise ValueError(f"need 0 < fmin_hz < fmax_hz < sr/2, got {self.fmin_hz}, {self.fmax_hz} at sr={self.sr}")
        if self.min_duration_s < 0.1:
            raise ValueError(f"min_duration_s must be at least 0.1 s (Praat needs a few pitch periods), got {self.min_duration_s}")

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_families(families: str | Iterable[str] | None) -> tuple[str, ...]:
    """Family names in canonical order from a set name, a family name or a list of either.

    Notebook: 03_features
    """
    if families is None:
        families = DEFAULT_FAMILIES
    items = [families] if isinstance(families, str) else list(families)
    chosen: set[str] = set()
    for item in items:
        if item in FAMILY_SETS:
            chosen.update(FAMILY_SETS[item])
        elif item in FAMILY_PREFIX:
            chosen.add(item)
        else:
            raise ValueError(
                f"unknown feature family {item!r}; families: {', '.join(FAMILY_PREFIX)}; sets: {', '.join(FAMILY_SETS)}"
            )
    if not chosen:
        raise ValueError("no feature family chosen")
    return tuple(f for f in FAMILY_PREFIX if f in chosen)


class ClipContext:
    """One clip and the intermediate results its families share, each computed on first use.

    Notebook: 03_features
    """

    def __init__(self, y: np.ndarray, sr: int, params: FeatureParams):
        self.y = np.ascontiguousarray(y, dtype=np.float32)
        self.sr = int(sr)
        self.params = params

    @cached_property
    def sound(self):
        """The clip as a ``parselmouth.Sound``."""
        from helpers.features.voice import as_sound

        return as_sound(self.y, self.sr)

    @cached_property
    def track(self):
        """The pitch track with the chosen tracker."""
        p = self.params
        sound = self.sound if p.pitch_method == "praat" else None
        return track_pitch(self.y, self.sr, method=p.pitch_method, fmin_hz=p.fmin_hz, fmax_hz=p.fmax_hz, hop_s=p.pitch_hop_s, sound=sound)

    @cached_property
    def mel_power(self) -> np.ndarray:
        """The original's 128-band mel power spectrogram."""
        from helpers.features.original import mel_power_spectrogram

        return mel_power_spectrogram(self.y, self.sr)

    @cached_property
    def stft_mag(self) -> np.ndarray:
        """25 ms / 10 ms magnitude spectrogram for the spectral family."""
        from helpers.features.spectral_stats import magnitude_spectrogram

        return magnitude_spectrogram(self.y, self.sr)


def _original(ctx: ClipContext) -> dict:
    from helpers.features.original import original_features

    return original_features(ctx.y, ctx.sr, track=ctx.track, mel_power=ctx.mel_power)


def _spectral(ctx: ClipContext) -> dict:
    from helpers.features.spectral_stats import active_frames, mfcc_stats, spectral_shape_stats

    active = active_frames(ctx.stft_mag)
    out = mfcc_stats(ctx.stft_mag, ctx.sr, n_mfcc=ctx.params.n_mfcc, active=active)
    out.update(spectral_shape_stats(ctx.stft_mag, ctx.sr, active=active))
    return out


def _voice(ctx: ClipContext) -> dict:
    from helpers.features.voice import voice_features

    p = ctx.params
    return voice_features(
        ctx.y, ctx.sr, track=ctx.track, sound=ctx.sound, fmin_hz=p.fmin_hz, fmax_hz=p.fmax_hz, max_formant_hz=p.max_formant_hz
    )


def _rhythm(ctx: ClipContext) -> dict:
    from helpers.features.rhythm import intensity_db, rhythm_features

    times, level = intensity_db(ctx.y, ctx.sr, sound=ctx.sound)
    voiced = np.isfinite(ctx.track.at(times))
    return rhythm_features(times, level, voiced)


def _egemaps(ctx: ClipContext) -> dict:
    from helpers.features.egemaps import egemaps_features

    return egemaps_features(ctx.y, ctx.sr)


#: family name -> function(ClipContext) -> {feature name: value}
FAMILY_FUNCTIONS: dict[str, Callable[[ClipContext], dict]] = {
    "original": _original,
    "spectral": _spectral,
    "voice": _voice,
    "rhythm": _rhythm,
    "egemaps": _egemaps,
}


def _short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    head = text[0] if text else ""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {frame.name}, {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {head}{where}"


def compute_features(
    y: np.ndarray,
    sr: int,
    families: str | Iterable[str] | None = None,
    params: FeatureParams | None = None,
) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """All features of one clip: ``(values, errors)``.

    ``values`` maps prefixed column names to floats; ``errors`` lists ``(family, message)``
    for each family that failed (its columns are then absent, the others still computed).

    Notebook: 03_features
    """
    params = params or FeatureParams()
    ctx = ClipContext(y, sr, params)
    values: dict[str, float] = {}
    errors: list[tuple[str, str]] = []
    for fam in resolve_families(families):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = FAMILY_FUNCTIONS[fam](ctx)
        except Exception as exc:  # one family failing must not sink the clip
            errors.append((fam, _short_error(exc)))
            continue
        prefix = FAMILY_PREFIX[fam]
        values.update({prefix + k: float(v) for k, v in result.items()})
    return values, errors
