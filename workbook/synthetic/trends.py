"""Age and gender trends of the voice, from the voice-science literature.

Each function gives the *population mean* of one voice parameter at an age in years for
one gender; :func:`sample_speakers` adds individual spread around those means, so that
age classes overlap (age is hard) while gender stays easy, as in real voices.

Sources (values are read off their figures and tables, rounded):

- Stathopoulos, Huber & Sussman (2011), "Changes in acoustic characteristics of the
  voice across the life span: measures from individuals 4-93 years of age", JSLHR 54.
  Male speaking f0 falls through puberty (about 220 -> 130 Hz between 13 and 18), stays
  near 110-125 Hz and rises again in old age; female f0 declines slowly across adulthood.
- Nishio & Niimi (2008), "Changes in speaking fundamental frequency characteristics with
  aging", Folia Phoniatr Logop 60. Female f0 drops around menopause (about 180-190 Hz
  from the fifties); male f0 rises after about 60.
- Eichhorn, Kent, Austin & Vorperian (2018), "Effects of aging on vocal fundamental
  frequency and vowel formants in men and women", J Voice 32. f0 trends with age;
  formants (vocal-tract length) by gender and age.
- Linville (1987), "Acoustic-perceptual studies of aging voice in women", J Voice 1; and
  Linville, *Vocal Aging* (2001). Jitter, shimmer and breathiness (lower harmonics-to-
  noise ratio) grow with age; vocal tremor at 4-7 Hz appears in older voices; speaking
  rate falls with age; older speakers have slightly lower formants.
- Fitch & Giedd (1999), "Morphology and development of the human vocal tract", JASA 106:
  vocal-tract length about 14-15 cm in adult women, 16.5-17.5 cm in men, with the male
  growth spurt at puberty.

Notebook: 01_signal_anatomy, 04_eda (the f0 trend is overlaid on the corpus).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbook.manifest import AGE_GROUP_START_YEARS, AGE_GROUPS, age_group_from_years

__all__ = ["VOICE_PARAMETERS", "community_names", "f0_trend_hz"]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def f0_trend_hz(age_years, gender: str):
    """Mean speaking f0 in Hz at an age (Stathopoulos et al. 2011; Nishio & Niimi 2008)."""
    a = np.asarray(age_years, dtype=float)
    if gender == "male":
        puberty = 125.0 + 100.0 * _sigmoid(-(a - 15.0) / 0.8)  # ~222 Hz at 13, ~127 Hz at 18
        midlife = -10.0 * np.clip((a - 25.0) / 30.0, 0.0, 1.0)  # drifts to ~115 Hz by 55
        old_age = 1.0 * np.clip(a - 60.0, 0.0, None)  # rises ~1 Hz a year after 60
        return puberty + midlife + old_age
    if gender == "female":
        teen_excess = 20.0 * np.exp(-(a - 13.0) / 3.0)  # ~235 Hz at 13, ~215 Hz at 20
        adult_drift = -0.3 * np.clip(a - 25.0, 0.0, None)
        menopause = -17.0 * _sigmoid((a - 50.0) / 2.5)  # ~188 Hz from the mid-fifties
        return 215.0 + teen_excess + adult_drift + menopause
    raise ValueError(f"gender must be 'female' or 'male', not {gender!r}")


def _jitter_trend_pct(age_years, gender: str):
    """Mean local jitter in % (cycle-to-cycle period variation; grows with age, Linville)."""
    a = np.asarray(age_years, dtype=float)
    adult = 0.35 * np.exp(0.018 * np.clip(a - 20.0, 0.0, None))  # 0.35 % at 20, ~1 % at 80
    # boys' voices are unstable while they break (mutation)
    mutation = 0.25 * np.exp(-0.5 * ((a - 14.5) / 1.2) ** 2) if gender == "male" else 0.0
    return adult + mutation


def _shimmer_trend_pct(age_years, gender: str):
    """Mean local shimmer in % (cycle-to-cycle amplitude variation; grows with age)."""
    a = np.asarray(age_years, dtype=float)
    return 2.5 * np.exp(0.012 * np.clip(a - 20.0, 0.0, None))  # 2.5 % at 20, ~5 % at 80


def _hnr_trend_db(age_years, gender: str):
    """Mean harmonics-to-noise ratio in dB (breathier, noisier voices with age)."""
    a = np.asarray(age_years, dtype=float)
    base = 20.0 if gender == "male" else 19.0  # women are slightly breathier
    return base - 0.12 * np.clip(a - 20.0, 0.0, None)


def _tremor_depth_trend_pct(age_years, gender: str):
    """Mean depth of 4-7 Hz f0 tremor in % of f0 (appears from the sixties)."""
    a = np.asarray(age_years, dtype=float)
    return 0.3 + 2.2 * _sigmoid((a - 62.0) / 6.0)


def _tremor_rate_trend_hz(age_years, gender: str):
    """Mean tremor rate in Hz (within 4-7 Hz, slightly slower with age)."""
    a = np.asarray(age_years, dtype=float)
    return 6.0 - 0.02 * np.clip(a - 20.0, 0.0, None)


def _speaking_rate_trend_sps(age_years, gender: str):
    """Mean articulation rate in syllables per second (falls with age)."""
    a = np.asarray(age_years, dtype=float)
    return 5.5 - 0.022 * np.clip(a - 30.0, 0.0, None)  # 5.5 at 30, ~4.4 at 80


def _vtl_trend_cm(age_years, gender: str):
    """Mean vocal-tract length in cm (Fitch & Giedd 1999; slight lengthening with age)."""
    a = np.asarray(age_years, dtype=float)
    ageing = 0.012 * np.clip(a - 30.0, 0.0, None)
    if gender == "male":
        return 15.3 + 1.9 * _sigmoid((a - 15.0) / 1.2) + ageing
    return 14.0 + 0.8 * _sigmoid((a - 13.5) / 1.5) + ageing


#: Latent voice parameters of a speaker, with the trend and the individual spread.
#: Spread is the standard deviation of a log-normal factor ("log") or of an added term.
VOICE_PARAMETERS = {
    #  name               trend function            spread kind, size
    "f0_hz": (f0_trend_hz, "log", 0.09),
    "jitter_pct": (_jitter_trend_pct, "log", 0.50),
    "shimmer_pct": (_shimmer_trend_pct, "log", 0.4),
    "hnr_db": (_hnr_trend_db, "add", 2.5),
    "tremor_depth_pct": (_tremor_depth_trend_pct, "log", 0.45),
    "tremor_rate_hz": (_tremor_rate_trend_hz, "add", 0.5),
    "speaking_rate_sps": (_speaking_rate_trend_sps, "add", 0.8),
    "vtl_cm": (_vtl_trend_cm, "add", 0.40),
}

#: Bounds that keep every sampled value physiologically plausible.
_PARAMETER_BOUNDS = {
    "f0_hz": (70.0, 330.0), "jitter_pct": (0.1, 4.0), "shimmer_pct": (0.8, 15.0), "hnr_db": (8.0, 30.0),
    "tremor_depth_pct": (0.05, 4.0), "tremor_rate_hz": (4.0, 7.0), "speaking_rate_sps": (2.8, 7.5),
    "vtl_cm": (12.5, 19.5),
}


def _sample_ages(n: int, rng: np.random.Generator, *, min_age: int = 13, max_age: int = 79,
                 community: np.ndarray | None = None, n_communities: int = 0) -> np.ndarray:
    """Ages in years over the age groups in ``[min_age, max_age]``.

    A group is drawn, then a year uniformly within its part of the range. Without
    ``community`` every group is equally likely; with it (each speaker's community index),
    community ``k`` of ``n_communities`` favours the groups around its own place on the age
    axis (a Gaussian bump of width 1.2 groups over a floor), so communities differ in age mix.
    """
    if not 13 <= min_age <= max_age <= 99:
        raise ValueError(f"need 13 <= min_age <= max_age <= 99, got {min_age}, {max_age}")
    groups = [g for g in AGE_GROUPS if AGE_GROUP_START_YEARS[g] <= max_age and AGE_GROUP_START_YEARS[g] + 9 >= min_age]
    lo = np.array([max(min_age, AGE_GROUP_START_YEARS[g] if g != "teens" else 13) for g in groups])
    hi = np.array([min(max_age, AGE_GROUP_START_YEARS[g] + (6 if g == "teens" else 9)) for g in groups])
    if community is None:
        which = rng.integers(0, len(groups), size=n)
    else:
        g = np.arange(len(groups))
        centres = np.linspace(0, len(groups) - 1, n_communities)
        w = 0.15 + np.exp(-0.5 * ((g[None, :] - centres[:, None]) / 1.2) ** 2)
        cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)[community]
        which = np.minimum((cdf < rng.random(n)[:, None]).sum(axis=1), len(groups) - 1)
    return rng.integers(lo[which], hi[which] + 1)


def community_names(n_communities: int) -> list[str]:
    """The synthetic speech communities' names (``comm_a``, ``comm_b``, ...); none for 0 or 1."""
    if not 0 <= n_communities <= 26:
        raise ValueError(f"n_communities must be 0-26, got {n_communities}")
    return [f"comm_{chr(97 + k)}" for k in range(n_communities)] if n_communities > 1 else []


#: A community's accent: each community shifts these parameters of all its speakers by one
#: draw of this spread (factor ``exp(size * z)`` for "log", ``size * z`` added for "add").
_COMMUNITY_ACCENT = {"f0_hz": ("log", 0.04), "speaking_rate_sps": ("add", 0.3), "vtl_cm": ("add", 0.25)}


def sample_speakers(
    n: int,
    seed: int = 0,
    *,
    min_age: int = 13,
    max_age: int = 79,
    p_female: float = 0.5,
    n_communities: int = 0,
) -> pd.DataFrame:
    """Draw ``n`` synthetic speakers: gender, age and latent voice parameters.

    Deterministic: the same ``seed`` gives the same speakers. Columns: ``speaker``,
    ``gender``, ``age_years``, ``age_group`` and one column per entry of
    :data:`VOICE_PARAMETERS`. With ``n_communities`` > 1 each speaker belongs to one
    community (column ``language``, drawn uniformly): communities differ in age mix and each
    has its own small f0, speaking-rate and vocal-tract offset (an accent), included in the
    voice columns.
    """
    rng = np.random.default_rng([seed, 0])
    gender = np.where(rng.random(n) < p_female, "female", "male")
    names = community_names(n_communities)
    community = np.random.default_rng([seed, 5]).integers(0, len(names), n) if names else None
    ages = _sample_ages(n, rng, min_age=min_age, max_age=max_age, community=community, n_communities=len(names))
    table = {
        "speaker": [f"spk{i:04d}" for i in range(n)],
        "gender": gender,
        "age_years": ages.astype(int),
    }
    for name, (trend, kind, size) in VOICE_PARAMETERS.items():
        noise = rng.standard_normal(n)
        mean = np.array([float(trend(a, g)) for a, g in zip(ages, gender)])
        value = mean * np.exp(size * noise) if kind == "log" else mean + size * noise
        if names and name in _COMMUNITY_ACCENT:
            accent_kind, accent = _COMMUNITY_ACCENT[name]
            z = accent * np.random.default_rng([seed, 6, list(_COMMUNITY_ACCENT).index(name)]).standard_normal(len(names))[community]
            value = value * np.exp(z) if accent_kind == "log" else value + z
        lo, hi = _PARAMETER_BOUNDS[name]
        table[name] = np.clip(value, lo, hi)
    out = pd.DataFrame(table)
    out.insert(3, "age_group", age_group_from_years(out["age_years"]))
    if names:
        out.insert(4, "language", np.asarray(names, dtype=object)[community])
    return out
