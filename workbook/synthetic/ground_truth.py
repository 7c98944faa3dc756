"""What the synthetic corpus knows, used to check the features: true f0 tracks, tracker accuracy,
feature-versus-latent tables.

The generator records every quantity that shaped each clip (true f0 per sample, jitter, HNR,
speaking rate, vocal-tract length ...). These checks show which measures can work on the
synthetic voices, not how well they work on real recordings.

Notebook: 03_features
"""

from __future__ import annotations

import time
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import soxr
from scipy.stats import pearsonr, spearmanr

from helpers.pitch import PITCH_METHODS, gross_pitch_error, track_pitch
from workbook.synthetic.corpus import EXAMPLE_NAMES, render_clip, render_example

__all__ = ["TRUTH_PAIRS", "pooled_gpe", "tracker_accuracy", "true_f0_track", "truth_correlations", "truth_table"]

#: latent manifest column -> feature column that claims to measure it.
TRUTH_PAIRS: dict[str, str] = {
    "f0_hz": "orig_f0_median_hz",
    "jitter_pct": "voice_jitter_local_pct",
    "shimmer_pct": "voice_shimmer_local_pct",
    "hnr_db": "voice_hnr_db",
    "tremor_depth_pct": "voice_tremor_depth_pct",
    "speaking_rate_sps": "rhythm_articulation_rate_sps",
    "n_syllables": "rhythm_n_nuclei",
    "pause_ratio": "rhythm_pause_ratio",
    "voiced_fraction": "rhythm_voiced_fraction",
    "vtl_cm": "voice_vtl_cm",
}


def truth_table(features: pd.DataFrame, manifest: pd.DataFrame, pairs: dict[str, str] | None = None) -> pd.DataFrame:
    """Features joined on ``path`` with the manifest's latent columns (prefixed ``true_``),
    its ``snr_db`` and ``noise_type``.

    Notebook: 03_features
    """
    latent = [c for c in (pairs or TRUTH_PAIRS) if c in manifest.columns]
    extra = [c for c in ("snr_db", "noise_type") if c in manifest.columns]
    m = manifest[["path", *latent, *extra]].rename(columns={c: f"true_{c}" for c in latent})
    return features.merge(m, on="path", how="inner")


def truth_correlations(table: pd.DataFrame, pairs: dict[str, str] | None = None, *, min_snr_db: float | None = None) -> pd.DataFrame:
    """One row per (latent, feature) pair of :func:`truth_table`'s ``table``: ``n`` clips with both
    values, ``pearson_r``, ``spearman_rho``, ``bias`` (mean feature - truth) and ``median_abs_error``.
    ``min_snr_db`` keeps only clips at least that clean.

    Notebook: 03_features
    """
    if min_snr_db is not None and "snr_db" in table.columns:
        table = table[table["snr_db"] >= min_snr_db]
    rows = []
    for latent, feature in (pairs or TRUTH_PAIRS).items():
        if f"true_{latent}" not in table.columns or feature not in table.columns:
            continue
        x = table[f"true_{latent}"].to_numpy(dtype=float)
        y = table[feature].to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        n = int(ok.sum())
        if n >= 3 and np.std(x[ok]) > 0 and np.std(y[ok]) > 0:
            r, rho = float(pearsonr(x[ok], y[ok])[0]), float(spearmanr(x[ok], y[ok])[0])
        else:
            r = rho = float("nan")
        d = y[ok] - x[ok]
        rows.append({"latent": latent, "feature": feature, "n": n, "pearson_r": r, "spearman_rho": rho,
                     "bias": float(d.mean()) if n else float("nan"), "median_abs_error": float(np.median(np.abs(d))) if n else float("nan")})
    return pd.DataFrame(rows, columns=["latent", "feature", "n", "pearson_r", "spearman_rho", "bias", "median_abs_error"])


def clip_indices(speaker: str, clip_id: str) -> tuple[int, int]:
    """``(speaker_index, clip_index)`` of a synthetic clip from its ids (``spk0012``, ``spk0012_c3``).

    Notebook: 03_features
    """
    try:
        return int(str(speaker).removeprefix("spk")), int(str(clip_id).rsplit("_c", 1)[1])
    except (ValueError, IndexError) as exc:
        raise ValueError(f"not a synthetic clip id: speaker {speaker!r}, clip {clip_id!r}") from exc


def _reference_at(times_s: np.ndarray, f0_ref_hz: np.ndarray, sr_ref: int) -> np.ndarray:
    """The per-sample reference f0 (Hz, at ``sr_ref`` Hz) at the nearest sample to each of
    ``times_s`` (s); NaN outside the reference."""
    idx = np.round(np.asarray(times_s, dtype=float) * sr_ref).astype(int)
    ok = (idx >= 0) & (idx < len(f0_ref_hz))
    out = np.full(idx.shape, np.nan)
    out[ok] = np.asarray(f0_ref_hz, dtype=float)[idx[ok]]
    return out


def tracker_accuracy(config, clips: Iterable[tuple[int, int]], *, methods: Sequence[str] = PITCH_METHODS, sr: int = 16000,
                     threshold: float = 0.2) -> pd.DataFrame:
    """Frame-level accuracy and speed of each pitch tracker on synthetic clips.

    Each clip ``(speaker_index, clip_index)`` of the corpus ``config`` is re-rendered (with the
    true f0 of every sample), resampled to ``sr`` Hz like the engine does and tracked by each
    method; the truth is read at each frame's centre. One row per clip and method: ``speaker``,
    ``clip_id``, ``method``, ``noise_type``, ``snr_db``, the :func:`helpers.pitch.gross_pitch_error`
    fields, ``cpu_s`` (tracking time, s) and ``audio_s``.

    Notebook: 03_features
    """
    rows = []
    for spk, clip in clips:
        c = render_clip(config, int(spk), int(clip))
        y = np.asarray(c.mix if c.sr == sr else soxr.resample(c.mix, c.sr, sr, quality="HQ"), dtype=np.float32)
        for method in methods:
            t0 = time.process_time()
            track = track_pitch(y, sr, method=method)
            cpu = time.process_time() - t0
            g = gross_pitch_error(track.f0_hz, _reference_at(track.times_s, c.f0_hz, c.sr), threshold=threshold)
            rows.append({"speaker": c.info["speaker"], "clip_id": c.info["clip_id"], "method": method,
                         "noise_type": c.info.get("noise_type"), "snr_db": c.info.get("snr_db"), **g, "cpu_s": cpu, "audio_s": len(y) / sr})
    return pd.DataFrame(rows)


def pooled_gpe(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Per tracker, from :func:`tracker_accuracy`: gross errors over all frames voiced in both
    (pooled GPE), clips over 5 %, mean voicing recall and false alarm, median error (cents)
    and CPU ms per second of audio.

    Notebook: 03_features
    """
    g = accuracy.groupby("method")
    return pd.DataFrame({
        "gpe": g["n_gross"].sum() / g["n_voiced_both"].sum(),
        "frames_voiced_both": g["n_voiced_both"].sum(),
        "clips_over_5pct": g["gpe"].apply(lambda s: int((s > 0.05).sum())),
        "voicing_recall": g["voicing_recall"].mean(),
        "voicing_false_alarm": g["voicing_false_alarm"].mean(),
        "median_error_cents": g["median_abs_error_cents"].median(),
        "cpu_ms_per_audio_s": 1000 * g["cpu_s"].sum() / g["audio_s"].sum(),
    }).reset_index()


def true_f0_track(row, config=None) -> tuple[np.ndarray, np.ndarray] | None:
    """``(times_s, f0_hz)`` of the true f0 (per sample, NaN where unvoiced) of a synthetic clip.

    ``row``: a manifest row; a named example (column ``name``) is re-rendered by name, a corpus
    clip with the corpus ``config``. None for clips without a known truth (real recordings).

    Notebook: 03_features
    """
    name = row.get("name") if hasattr(row, "get") else None
    if isinstance(name, str) and name in EXAMPLE_NAMES:
        clip = render_example(name)
    elif config is not None and "clip_id" in row and isinstance(row.get("clip_id"), str):
        try:
            clip = render_clip(config, *clip_indices(row["speaker"], row["clip_id"]))
        except (ValueError, IndexError):
            return None
    else:
        return None
    return np.arange(len(clip.f0_hz)) / clip.sr, clip.f0_hz
