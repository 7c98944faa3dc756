"""Feature families, their parameters, and the per-clip computation that shares work among them.

A *family* is a group of features computed together (columns get the family's prefix):

==================  ========  ============================================================
family              prefix    features (module)
==================  ========  ============================================================
original            orig_     onsets, duration, tempo, f0 stats, 128 mel means (:mod:`helpers.original`)
spectral            spec_     MFCC + delta stats, spectral shape (:mod:`helpers.spectral_features`)
voice               voice_    jitter, shimmer, HNR, F1-F3, vocal-tract length, tremor (:mod:`helpers.voice`)
rhythm              rhythm_   voiced fraction, pauses, syllable nuclei, rates (:mod:`helpers.rhythm`)
egemaps             egemaps_  the 88 eGeMAPS v02 functionals (openSMILE), off by default
speaker_embedding   emb_      a 256-number GE2E speaker embedding (resemblyzer), off by default
==================  ========  ============================================================

Named sets: ``"original"``, ``"full"`` (the default: original + spectral + voice + rhythm)
and ``"all"`` (full + egemaps + speaker_embedding). The pitch track and the Praat Sound are
computed once per clip and shared by the families that need them. The speaker embedding reads
the recording as loaded, before any cleaning (:data:`RECORDING_FAMILIES`): its network was
trained on uncleaned speech and trims pauses itself. The engine (:func:`workbook.engine.extract_features`)
runs :func:`compute_features` over a whole data set.

Notebook: 03_features
"""

from __future__ import annotations

import traceback
import warnings
from dataclasses import asdict, dataclass
from functools import cache, cached_property
from typing import Callable, Iterable

import librosa
import numpy as np
import parselmouth

from helpers.original import original_features
from helpers.pitch import PITCH_METHODS, SPEECH_FMAX_HZ, SPEECH_FMIN_HZ, PitchTrack, track_pitch
from helpers.rhythm import intensity_db, rhythm_features
from helpers.spectral_features import spectral_features
from helpers.voice import voice_features

__all__ = ["FAMILY_PREFIX", "FAMILY_SETS", "RECORDING_FAMILIES", "FeatureDependencyError", "FeatureParams", "mel_image",
           "check_egemaps", "speaker_encoder", "compute_features", "resolve_families"]

#: Column prefix of each family.
FAMILY_PREFIX: dict[str, str] = {
    "original": "orig_",
    "spectral": "spec_",
    "voice": "voice_",
    "rhythm": "rhythm_",
    "egemaps": "egemaps_",
    "speaker_embedding": "emb_",
}

#: Named sets of families.
FAMILY_SETS: dict[str, tuple[str, ...]] = {
    "original": ("original",),
    "full": ("original", "spectral", "voice", "rhythm"),
    "all": ("original", "spectral", "voice", "rhythm", "egemaps", "speaker_embedding"),
}

#: Families that read the recording before cleaning (``recording`` of :func:`compute_features`): on
#: Common Voice, the embedding's speaker-grouped age UAR 0.322 from the recording, 0.282 after ``gentle``.
RECORDING_FAMILIES: tuple[str, ...] = ("speaker_embedding",)

#: The default feature set.
DEFAULT_FAMILIES = "full"


@dataclass(frozen=True)
class FeatureParams:
    """Every knob of the feature computation (part of the engine's cache key).

    sr : analysis sample rate in Hz (files are resampled to it on loading).
    pitch_method : "praat" (default: fast, accurate on the synthetic truth) or "pyin".
    fmin_hz, fmax_hz : pitch search range in Hz (speech: 60-500 Hz).
    pitch_hop_s : pitch frame hop in s (None: the tracker's default, Praat 0.75 / fmin_hz = 12.5 ms, pyin 32 ms).
    n_mfcc : number of MFCCs.
    max_formant_hz : ceiling of Praat's 5-formant search in Hz.
    min_duration_s : clips shorter than this (after cleaning) are recorded as errors.
    silence_dbfs : clips whose peak is below this level (dBFS) are recorded as silent.

    Notebook: 03_features
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
            raise ValueError(f"unknown feature family {item!r}; families: {', '.join(FAMILY_PREFIX)}; sets: {', '.join(FAMILY_SETS)}")
    if not chosen:
        raise ValueError("no feature family chosen")
    return tuple(f for f in FAMILY_PREFIX if f in chosen)


class FeatureDependencyError(RuntimeError):
    """A feature family needs a package that is missing or does not run here."""


@cache
def check_egemaps():
    """The openSMILE eGeMAPS v02 functionals extractor (made once per process); raises
    :class:`FeatureDependencyError` with the reason and the fix if openSMILE cannot run here.

    Notebook: 03_features
    """
    try:
        import opensmile  # here: a binary wheel that may not run on every platform
    except Exception as exc:  # ImportError, or a broken binary wheel (OSError)
        raise FeatureDependencyError(
            f"feature family 'egemaps' needs the opensmile package, which cannot be imported here "
            f"({type(exc).__name__}: {exc}). Install it with `pip install opensmile` (wheels exist for "
            "Linux x86-64/arm64, macOS and Windows), or leave 'egemaps' out of the families."
        ) from exc
    try:
        return opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
    except Exception as exc:
        raise FeatureDependencyError(
            f"feature family 'egemaps': opensmile is installed but does not start ({type(exc).__name__}: {exc})"
        ) from exc


#: Shortest speech (s, after resemblyzer's voice-activity trim) that gets a speaker embedding.
MIN_EMBEDDING_SPEECH_S = 0.5


@cache
def speaker_encoder():
    """resemblyzer's GE2E ``VoiceEncoder`` on the CPU, with the weights its package ships
    (``pretrained.pt``: nothing is downloaded), made once per process with torch held to one
    thread (the engine already runs one process per core). Raises
    :class:`FeatureDependencyError` if resemblyzer or torch cannot be imported.

    Notebook: 06_learned_representations
    """
    try:
        import torch  # optional heavy dependencies, imported only when the family is asked for
        from resemblyzer import VoiceEncoder
    except Exception as exc:
        raise FeatureDependencyError(
            f"feature family 'speaker_embedding' needs resemblyzer and torch, which cannot be imported here "
            f"({type(exc).__name__}: {exc}). `make setup` installs them; or leave 'speaker_embedding' out."
        ) from exc
    torch.set_num_threads(1)
    return VoiceEncoder("cpu", verbose=False).eval()


def _speaker_embedding(c: "_Clip") -> dict:
    from resemblyzer import preprocess_wav, sampling_rate

    wav = preprocess_wav(c.recording, source_sr=c.sr)  # to 16 kHz, level normalised, long pauses cut (webrtcvad)
    if len(wav) < MIN_EMBEDDING_SPEECH_S * sampling_rate:
        raise ValueError(f"too short for a speaker embedding: {len(wav) / sampling_rate:.2f} s of speech after "
                         f"the voice-activity trim, needs at least {MIN_EMBEDDING_SPEECH_S:.2f} s")
    return {f"{i:03d}": v for i, v in enumerate(speaker_encoder().embed_utterance(wav))}


class _Clip:
    """One clip and what several families share (the Praat Sound, the pitch track), made on first use."""

    def __init__(self, y: np.ndarray, sr: int, params: FeatureParams, recording: np.ndarray | None = None):
        self.y = np.ascontiguousarray(y, dtype=np.float32)
        self.recording = self.y if recording is None else np.ascontiguousarray(recording, dtype=np.float32)
        self.sr = int(sr)
        self.params = params

    @cached_property
    def sound(self) -> parselmouth.Sound:
        return parselmouth.Sound(np.asarray(self.y, dtype=np.float64), sampling_frequency=float(self.sr))

    @cached_property
    def track(self) -> PitchTrack:
        p = self.params
        sound = self.sound if p.pitch_method == "praat" else None
        return track_pitch(self.y, self.sr, method=p.pitch_method, fmin_hz=p.fmin_hz, fmax_hz=p.fmax_hz, hop_s=p.pitch_hop_s, sound=sound)


def _rhythm(c: _Clip) -> dict:
    times, level = intensity_db(c.y, c.sr, sound=c.sound)
    return rhythm_features(times, level, np.isfinite(c.track.at(times)))


def _egemaps(c: _Clip) -> dict:
    df = check_egemaps().process_signal(c.y, c.sr)
    return {str(k): float(v) for k, v in df.iloc[0].items()}


#: family name -> function(_Clip) -> {feature name: value}
_FAMILIES: dict[str, Callable[[_Clip], dict]] = {
    "original": lambda c: original_features(c.y, c.sr, track=c.track),
    "spectral": lambda c: spectral_features(c.y, c.sr, n_mfcc=c.params.n_mfcc),
    "voice": lambda c: voice_features(c.y, c.sr, track=c.track, sound=c.sound, fmin_hz=c.params.fmin_hz,
                                      fmax_hz=c.params.fmax_hz, max_formant_hz=c.params.max_formant_hz),
    "rhythm": _rhythm,
    "egemaps": _egemaps,
    "speaker_embedding": _speaker_embedding,
}


def _short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {frame.name}, {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {text[0] if text else ''}{where}"


def compute_features(
    y: np.ndarray, sr: int, families: str | Iterable[str] | None = None, params: FeatureParams | None = None,
    recording: np.ndarray | None = None,
) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """All features of one clip (``y`` at ``sr`` Hz): ``(values, errors)``.

    ``values`` maps prefixed column names to floats; ``errors`` lists ``(family, message)``
    for each family that failed (its columns are then absent, the others still computed).
    ``recording``: the clip before cleaning, at ``sr``, for the :data:`RECORDING_FAMILIES`
    (None: ``y`` is the recording).

    Notebook: 03_features
    """
    params = params or FeatureParams()
    clip = _Clip(y, sr, params, recording)
    values: dict[str, float] = {}
    errors: list[tuple[str, str]] = []
    for fam in resolve_families(families):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = _FAMILIES[fam](clip)
        except Exception as exc:  # one family failing must not sink the clip
            errors.append((fam, _short_error(exc)))
            continue
        values.update({FAMILY_PREFIX[fam] + k: float(v) for k, v in result.items()})
    return values, errors


def mel_image(y: np.ndarray, sr: int, *, duration_s: float = 3.0, n_mels: int = 128, n_fft: int = 2048,
              hop_length: int = 512, floor_db: float = -100.0) -> np.ndarray:
    """Log-mel image of ``y`` (``sr`` in Hz): float32 ``(n_mels, 1 + samples // hop_length)`` in dB
    (ref 1.0, floored at ``floor_db``), the clip first cut or zero-padded to ``duration_s`` s.

    Notebook: 03_features
    """
    x = librosa.util.fix_length(np.asarray(y, dtype=np.float32), size=int(round(duration_s * sr)))
    power = librosa.feature.melspectrogram(y=x, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    return librosa.power_to_db(power, ref=1.0, amin=10 ** (floor_db / 10), top_db=None).astype(np.float32)
