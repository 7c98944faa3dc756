"""Scoring cleaning against a clean reference: SI-SDR, trim boundaries, clicks; and their summaries.

- **SI-SDR** (scale-invariant signal-to-distortion ratio, Le Roux et al. 2019, "SDR -
  half-baked or well done?"): how much of the output is the clean speech, in dB, whatever
  its gain. It counts noise left in *and* speech damaged.
- **SNR against the reference**: ``10 log10(|s|^2 / |y - s|^2)``, without the gain allowance.
- **boundary error**: trimmed start/end minus the true ones (s; negative start = silence kept).
- **click scores**: detected clicks matched to the inserted ones within a tolerance.

SI-SDR is hand-written (ten lines of numpy) because the libraries that offer it
(torchmetrics, asteroid) need torch, and mir_eval has only the older BSS-eval SDR.
Scores are taken on the un-trimmed cleaned signal (same length as the reference). The
synthetic corpus's references are re-rendered by :mod:`workbook.synthetic.score_cleaning`.

Notebook: 02_cleaning.
"""

from __future__ import annotations

import time
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from helpers.audio import load_audio
from helpers.cleaning import clean

__all__ = ["boundary_summary", "gain_table", "parse_click_times", "score_clip", "score_files", "si_sdr_db", "snr_db"]

#: Noise types of the synthetic corpus, in display order.
_NOISE_ORDER = ("none", "hum", "fan", "babble", "bursts")


def _pair(estimate, reference) -> tuple[np.ndarray, np.ndarray]:
    s, y = np.asarray(reference, dtype=np.float64), np.asarray(estimate, dtype=np.float64)
    if s.shape != y.shape:
        raise ValueError(f"estimate and reference differ in shape: {y.shape} vs {s.shape}")
    return y, s


def si_sdr_db(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant SDR (dB) of ``estimate`` against ``reference`` (equal lengths).

    Both are made zero-mean and the reference is scaled by the least-squares gain before
    the error is taken. ``-inf`` for an all-zero estimate, NaN for an all-zero reference.

    Notebook: 02_cleaning
    """
    y, s = _pair(estimate, reference)
    s, y = s - s.mean(), y - y.mean()
    ss = float(np.dot(s, s))
    if ss == 0.0:
        return float("nan")
    target = (np.dot(y, s) / ss) * s
    err = y - target
    num, den = float(np.dot(target, target)), float(np.dot(err, err))
    if num == 0.0:
        return float("-inf")
    return float("inf") if den == 0.0 else float(10.0 * np.log10(num / den))


def snr_db(estimate: np.ndarray, reference: np.ndarray) -> float:
    """SNR (dB) of ``estimate`` against ``reference``: ``10 log10(|s|^2 / |y - s|^2)``.

    Notebook: 02_cleaning
    """
    y, s = _pair(estimate, reference)
    err, sig = float(np.sum((y - s) ** 2)), float(np.sum(s**2))
    if sig == 0.0:
        return float("nan")
    return float("inf") if err == 0.0 else float(10.0 * np.log10(sig / err))


def parse_click_times(value: Any) -> np.ndarray:
    """Click times (s) from a manifest cell like ``"0.5839;5.0771"`` (empty or NaN: none).

    Notebook: 02_cleaning
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.zeros(0)
    text = str(value).strip()
    if not text or text.lower() == "nan":
        return np.zeros(0)
    return np.array([float(t) for t in text.split(";") if t.strip()])


def match_clicks(detected_s, true_s, *, tol_s: float = 0.02) -> tuple[int, int, int]:
    """``(hits, misses, false_alarms)``: a true click is hit by the nearest unused detection
    starting within ``tol_s`` seconds of it.

    Notebook: 02_cleaning
    """
    det = sorted(float(t) for t in np.atleast_1d(detected_s))
    used = [False] * len(det)
    hits = 0
    for t in np.atleast_1d(true_s):
        best = None
        for i, d in enumerate(det):
            if not used[i] and abs(d - t) <= tol_s and (best is None or abs(d - t) < abs(det[best] - t)):
                best = i
        if best is not None:
            used[best] = True
            hits += 1
    return hits, len(np.atleast_1d(true_s)) - hits, used.count(False)


def score_clip(
    mix: np.ndarray,
    reference: np.ndarray,
    truth: Mapping[str, Any],
    variants: Mapping[str, Any],
    *,
    sr: int = 16000,
    top_db_sweep: Iterable[float] = (),
    click_tol_s: float = 0.02,
) -> list[dict]:
    """Clean ``mix`` with each variant and score it against ``reference``; one row per variant.

    ``mix`` and ``reference`` (the clean speech) are at ``sr`` Hz; ``truth`` is the clip's
    manifest row (clip_id, noise_type, snr_db, speech_start_s, speech_end_s,
    click_times_s); ``variants`` maps a name to a cleaning spec. ``top_db_sweep`` adds the
    boundary errors at other ``top_db`` values (``start_err_s@<top_db>``, ...).

    Columns: SI-SDR and SNR in/out/gain on the whole clip and on the true speech region
    (``speech_*``), the noise power in the true pauses (``pause_level_*_db``, dB re speech
    power) and its drop, start/end errors (s), click hits/misses/false alarms, blind SNR
    in/out, clipped fraction and the run time of the cleaning (``seconds``).

    Notebook: 02_cleaning
    """
    mix, ref = np.asarray(mix, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    true_start, true_end = float(truth["speech_start_s"]), float(truth["speech_end_s"])
    true_clicks = parse_click_times(truth.get("click_times_s"))
    si_in, snr_in = si_sdr_db(mix, ref), snr_db(mix, ref)
    a0, b0 = int(round(true_start * sr)), min(len(ref), int(round(true_end * sr)))
    speech = slice(a0, b0)
    pauses = np.ones(len(ref), dtype=bool)
    pauses[speech] = False
    p_speech = float(np.mean(ref[speech] ** 2)) if b0 > a0 else np.nan
    speech_si_in = si_sdr_db(mix[speech], ref[speech])

    def pause_level(sig):
        if not pauses.any() or not p_speech:
            return np.nan
        return float(10 * np.log10(max(float(np.mean(sig[pauses] ** 2)), 1e-20) / p_speech))

    pause_in = pause_level(mix)
    rows = []
    for name, spec in variants.items():
        t0 = time.perf_counter()
        res = clean(mix, sr, spec, name=str(truth.get("clip_id", "clip")))
        seconds = time.perf_counter() - t0
        out = res.y_untrimmed.astype(np.float64)
        hits, misses, false = match_clicks(res.click_times_s, true_clicks, tol_s=click_tol_s)
        params = res.params
        row = {
            "clip_id": truth.get("clip_id"),
            "noise_type": truth.get("noise_type"),
            "snr_db": float(truth.get("snr_db", np.nan)),
            "variant": name,
            "top_db": np.nan if params["top_db"] is None else float(params["top_db"]),
            "si_sdr_in_db": si_in,
            "si_sdr_out_db": si_sdr_db(out, ref),
            "snr_in_db": snr_in,
            "snr_out_db": snr_db(out, ref),
            "speech_si_sdr_in_db": speech_si_in,
            "speech_si_sdr_out_db": si_sdr_db(out[speech], ref[speech]),
            "pause_level_in_db": pause_in,
            "pause_level_out_db": pause_level(out),
            "start_err_s": np.nan,
            "end_err_s": np.nan,
            "n_clicks_true": len(true_clicks),
            "click_hits": hits if params["clicks"] else np.nan,
            "click_misses": misses if params["clicks"] else np.nan,
            "click_false": false if params["clicks"] else np.nan,
            "blind_snr_in_db": res.snr_before_db,
            "blind_snr_out_db": res.snr_after_db,
            "clipped_fraction": res.clipped_fraction,
            "seconds": seconds,
        }
        row["si_sdr_gain_db"] = row["si_sdr_out_db"] - si_in
        row["snr_gain_db"] = row["snr_out_db"] - snr_in
        row["speech_si_sdr_gain_db"] = row["speech_si_sdr_out_db"] - speech_si_in
        row["pause_reduction_db"] = pause_in - row["pause_level_out_db"]
        if params["top_db"] is not None:
            a, b = res.trim_s
            row["start_err_s"], row["end_err_s"] = a - true_start, b - true_end
            for top_db in top_db_sweep:
                s, e = res.trim_at(top_db)
                row[f"start_err_s@{top_db:g}"] = s / sr - true_start
                row[f"end_err_s@{top_db:g}"] = e / sr - true_end
        rows.append(row)
    return rows


def score_files(
    paths: Iterable, variants: Mapping[str, Any], *, sr: int = 16000, n_clips: int | None = 50, seed: int = 0
) -> tuple[pd.DataFrame, list[str]]:
    """Blind scores of cleaning variants on recordings without a clean reference.

    Per file and variant: duration and seconds kept by trimming, clicks repaired, blind SNR
    before and after, the notes. ``n_clips`` files are drawn with ``seed`` (None: all).
    Returns ``(scores, failures)``: a file that cannot be read or cleaned is recorded
    (message naming it) and the batch carries on.

    Notebook: 02_cleaning (real data sets)
    """
    paths = [str(p) for p in paths]
    if n_clips is not None and n_clips < len(paths):
        pick = np.random.default_rng(seed).choice(len(paths), size=int(n_clips), replace=False)
        paths = [paths[k] for k in sorted(pick)]
    rows, failures = [], []
    for path in paths:
        try:
            y, _ = load_audio(path, sr=sr)
            for name, spec in variants.items():
                res = clean(y, sr, spec, name=path)
                rows.append({"path": path, "variant": name, "duration_s": len(y) / sr, "kept_s": len(res.y) / sr,
                             "n_clicks": len(res.clicks), "blind_snr_in_db": res.snr_before_db,
                             "blind_snr_out_db": res.snr_after_db, "notes": " | ".join(res.notes)})
        except Exception as exc:  # recorded, not fatal
            failures.append(f"{path}: {type(exc).__name__}: {exc}")
    return pd.DataFrame(rows), failures


def boundary_summary(scores: pd.DataFrame, *, tolerance_s: float = 0.1) -> pd.DataFrame:
    """Trim boundary errors per variant and ``top_db`` (its own and every swept one).

    Columns: median and 90th-percentile absolute start/end errors (ms);
    ``within_<ms>ms_pct``: clips with both boundaries within ``tolerance_s``;
    ``cut_speech_pct``: clips trimmed more than the tolerance into the speech (the costly
    error); ``kept_silence_pct``: clips that kept more than the tolerance of silence.

    Notebook: 02_cleaning
    """
    rows = []
    for variant, df in scores.groupby("variant", sort=False):
        base_top_db = df["top_db"].iloc[0]
        cols = [("", "start_err_s", "end_err_s")] + [
            (c.split("@")[1], c, c.replace("start", "end"))
            for c in df.columns
            if c.startswith("start_err_s@") and float(c.split("@")[1]) != base_top_db
        ]
        for tag, cs, ce in cols:
            if df[cs].isna().all():
                continue
            s, e = df[cs].to_numpy(float), df[ce].to_numpy(float)
            ok = (np.abs(s) <= tolerance_s) & (np.abs(e) <= tolerance_s)
            rows.append({
                "variant": variant,
                "top_db": float(tag) if tag else float(base_top_db),
                "start_med_abs_ms": 1000 * float(np.nanmedian(np.abs(s))),
                "end_med_abs_ms": 1000 * float(np.nanmedian(np.abs(e))),
                "start_p90_abs_ms": 1000 * float(np.nanpercentile(np.abs(s), 90)),
                "end_p90_abs_ms": 1000 * float(np.nanpercentile(np.abs(e), 90)),
                f"within_{int(round(tolerance_s * 1000))}ms_pct": 100.0 * float(np.mean(ok)),
                "cut_speech_pct": 100.0 * float(np.mean((s > tolerance_s) | (e < -tolerance_s))),
                "kept_silence_pct": 100.0 * float(np.mean((s < -tolerance_s) | (e > tolerance_s))),
            })
    return pd.DataFrame(rows)


def gain_table(scores: pd.DataFrame, metric: str = "si_sdr_gain_db", *, variants=None) -> pd.DataFrame:
    """Median ``metric`` per variant (rows) and noise type (columns), plus an "all" column.

    Notebook: 02_cleaning
    """
    t = scores.pivot_table(index="variant", columns="noise_type", values=metric, aggfunc="median", observed=True)
    t = t[[c for c in _NOISE_ORDER if c in t.columns] + [c for c in t.columns if c not in _NOISE_ORDER]]
    t["all"] = scores.groupby("variant")[metric].median()
    order = list(variants) if variants is not None else list(dict.fromkeys(scores["variant"]))
    return t.loc[[v for v in order if v in t.index]]
