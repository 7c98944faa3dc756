"""eGeMAPS: the standard paralinguistic feature set (openSMILE), as one switchable family.

The extended Geneva Minimalistic Acoustic Parameter Set (Eyben et al. 2016, IEEE Trans.
Affective Computing 7) is 88 functionals of pitch, loudness, jitter, shimmer, HNR,
formants, spectral slope and rhythm that the paralinguistics community agreed on as a
common baseline. The ``opensmile`` package runs the reference C++ implementation;
columns keep openSMILE's names (e.g. ``F0semitoneFrom27.5Hz_sma3nz_amean``).

Family ``egemaps`` is off by default (it roughly doubles the cost of the full set); switch
it on with ``families=("full", "egemaps")`` or ``families="all"``.

Notebook: 03_features
"""

from __future__ import annotations

import numpy as np


class FeatureDependencyError(RuntimeError):
    """A feature family needs a package that is missing or does not run here."""


_SMILE = None


def check_available() -> None:
    """Raise :class:`FeatureDependencyError` with the reason if openSMILE cannot run here.

    Notebook: 03_features
    """
    _smile()


def is_available() -> tuple[bool, str]:
    """``(True, "")`` if openSMILE runs here, else ``(False, reason)``.

    Notebook: 03_features
    """
    try:
        _smile()
    except FeatureDependencyError as exc:
        return False, str(exc)
    return True, ""


def _smile():
    global _SMILE
    if _SMILE is None:
        try:
            import opensmile
        except Exception as exc:  # ImportError, or a broken binary wheel (OSError)
            raise FeatureDependencyError(
                f"feature family 'egemaps' needs the opensmile package, which cannot be imported here "
                f"({type(exc).__name__}: {exc}). Install it with `pip install opensmile` (wheels exist for "
                "Linux x86-64/arm64, macOS and Windows), or leave 'egemaps' out of the families."
            ) from exc
        try:
            _SMILE = opensmile.Smile(
                feature_set=opensmile.FeatureSet.eGeMAPSv02,
                feature_level=opensmile.FeatureLevel.Functionals,
            )
        except Exception as exc:
            raise FeatureDependencyError(
                f"feature family 'egemaps': opensmile is installed but does not start ({type(exc).__name__}: {exc})"
            ) from exc
    return _SMILE


def egemaps_features(y: np.ndarray, sr: int) -> dict[str, float]:
    """The 88 eGeMAPS v02 functionals of one clip (``y`` samples at ``sr`` Hz), by openSMILE name.

    Notebook: 03_features
    """
    smile = _smile()
    df = smile.process_signal(np.asarray(y, dtype=np.float32), sr)
    return {str(k): float(v) for k, v in df.iloc[0].items()}
