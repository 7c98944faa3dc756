"""Measuring cleaning against the truth of the synthetic corpus.

Every synthetic clip can be re-rendered with its clean speech, its noise, its clicks and
its true speech boundaries (:func:`workbook.synthetic.corpus.render_clip`), so cleaning can
be scored, not only judged by ear:

- **SI-SDR** (scale-invariant signal-to-distortion ratio, Le Roux et al. 2019, "SDR -
  half-baked or well done?"): how much of the output is the clean speech, in dB, whatever
  its gain. Improvement = SI-SDR(output) - SI-SDR(input). It counts noise left in *and*
  speech damaged, so it drops when a gate eats consonants.
- **SNR against the reference**: ``10 log10(|s|^2 / |y - s|^2)``, the same idea without the
  gain allowance.
- **boundary error**: trimmed start/end minus the true ``speech_start_s``/``speech_end_s``
  (s; negative start error = trimmed too early, i.e. kept silence).
- **click scores**: detected clicks matched to the inserted ones within a tolerance.

Scores are computed on the un-trimmed cleaned signal (same length as the reference), at the
workbook's sample rate (components resampled with soxr, as :func:`helpers.audio.load_audio`
does). The corpus files themselves may be mp3: scoring uses the rendered mix, so codec
loss is not counted against the cleaning.

Notebook: 02_cleaning.
"""

from __future__ import annotations

import time
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from helpers.cleaning.pipeline import clean, resolve_cleaning
from helpers.cleaning.trim import trim_silence


def si_sdr_db(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant SDR in dB of ``estimate`` against ``reference`` (equal lengths).

    Both are made zero-mean; the reference is scaled by the least-squares gain before the
    error is taken. Returns ``-inf`` for an all-zero estimate, NaN for an all-zero reference.
    """
    s = np.asarray(reference, dtype=np.float64)
    y = np.asarray(estimate, dtype=np.float64)
    if s.shape != y.shape:
        raise ValueError(f"estimate and reference differ in shape: {y.shape} vs {s.shape}")
    s = s - s.mean()
    y = y - y.mean()
    ss = float(np.dot(s, s))
    if ss == 0.0:
        return float("nan")
    target = (np.dot(y, s) / ss) * s
    err = y - target
    num, den = float(np.dot(target, target)), float(np.dot(err, err))
    if num == 0.0:
        return float("-inf")
    if den == 0.0:
        return float("inf")
    return float(10.0 * np.log10(num / den))


def snr_db(estimate: np.ndarray, reference: np.ndarray) -> float:
    """SNR in dB of ``estimate`` against ``reference``: ``10 log10(|s|^2 / |y - s|^2)``."""
    s = np.asarray(reference, dtype=np.float64)
    y = np.asarray(estimate, dtype=np.float64)
    if s.shape != y.shape:
        raise ValueError(f"estimate and reference differ in shape: {y.shape} vs {s.shape}")
    err = float(np.sum((y - s) ** 2))
    sig = float(np.sum(s**2))
    if sig == 0.0:
        return float("nan")
    return float("inf") if err == 0.0 else float(10.0 * np.log10(sig / err))


def parse_click_times(value: Any) -> np.ndarray:
    """Click times (s) from a manifest cell like ``"0.5839;5.0771"`` (empty or NaN: none)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.zeros(0)
    text = str(value).strip()
    if not text or text.lower() == "nan":
        return np.zeros(0)
    return np.array([float(t) for t in text.split(";") if t.strip()])


def match_clicks(detected_s: np.ndarray, true_s: np.ndarray, *, tol_s: float = 0.02) -> tuple[int, int, int]:
    """Match detected click times to true ones; returns ``(hits, misses, false_alarms)``.

    A true click is hit if a detection starts within ``tol_s`` seconds of it (each detection
    is used once).
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


def resample_clip(clip, sr: int):
    """The clip's mix, clean speech and click track at ``sr`` Hz (soxr, as load_audio does)."""
    import soxr

    parts = [clip.mix, clip.clean, clip.clicks]
    if int(clip.sr) == int(sr):
        return [np.asarray(p, dtype=np.float64) for p in parts]
    return [soxr.resample(np.asarray(p, dtype=np.float64), int(clip.sr), int(sr), quality="HQ") for p in parts]


def evaluate_clip(
    clip,
    variants: Mapping[str, Any],
    *,
    sr: int = 16000,
    top_db_sweep: Iterable[float] = (),
    click_tol_s: float = 0.02,
) -> list[dict]:
    """Score each cleaning variant on one rendered clip; one row per variant.

    ``clip`` is a :class:`workbook.synthetic.corpus.RenderedClip` (``mix``, ``clean``,
    ``info`` with the truth). ``variants`` maps a variant name to a cleaning spec (preset
    name or dict). For each variant with trimming, ``top_db_sweep`` adds boundary errors at
    other ``top_db`` values (columns ``start_err_s@<top_db>``, ``end_err_s@<top_db>``),
    re-trimming the signal the variant decided its boundaries on.

    Columns: clip_id, noise_type, snr_db (true), variant, top_db, si_sdr_in_db,
    si_sdr_out_db, si_sdr_gain_db, snr_in_db, snr_out_db, snr_gain_db (whole clip);
    speech_si_sdr_in_db, speech_si_sdr_out_db, speech_si_sdr_gain_db (true speech region
    only: what trimming keeps); pause_level_in_db, pause_level_out_db (power in the true
    silences, dB re clean speech power) and pause_reduction_db; start_err_s, end_err_s,
    n_clicks_true, click_hits, click_misses, click_false, blind_snr_in_db,
    blind_snr_out_db, clipped_fraction, seconds (run time of the cleaning).
    """
    mix, ref, _clicks = resample_clip(clip, sr)
    info = clip.info
    true_start, true_end = float(info["speech_start_s"]), float(info["speech_end_s"])
    true_clicks = parse_click_times(info.get("click_times_s"))
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
        res = clean(mix, sr, spec, name=str(info.get("clip_id", "clip")))
        seconds = time.perf_counter() - t0
        out = res.y_untrimmed.astype(np.float64)
        hits, misses, false = match_clicks(res.click_times_s, true_clicks, tol_s=click_tol_s)
        _, params = resolve_cleaning(spec)
        row = {
            "clip_id": info.get("clip_id"),
            "noise_type": info.get("noise_type"),
            "snr_db": float(info.get("snr_db", np.nan)),
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
            decide_on = out if res.trim_signal is None else res.trim_signal
            for top_db in top_db_sweep:
                _, (s, e) = trim_silence(decide_on, sr, top_db=float(top_db), pad_s=float(params["trim_pad_s"]))
                row[f"start_err_s@{top_db:g}"] = s / sr - true_start
                row[f"end_err_s@{top_db:g}"] = e / sr - true_end
        rows.append(row)
    return rows


def _evaluate_one(config, speaker_index, clip_index, variants, sr, top_db_sweep):
    from workbook.synthetic.corpus import render_clip

    try:
        clip = render_clip(config, speaker_index, clip_index)
        return evaluate_clip(clip, variants, sr=sr, top_db_sweep=top_db_sweep), None
    except Exception as exc:  # recorded, not fatal: batch work carries on
        return [], f"speaker {speaker_index} clip {clip_index}: {type(exc).__name__}: {exc}"


def evaluate_corpus(
    config,
    variants: Mapping[str, Any],
    *,
    n_clips: int | None = 150,
    sr: int = 16000,
    seed: int = 0,
    top_db_sweep: Iterable[float] = (),
    n_jobs: int = 1,
) -> tuple[pd.DataFrame, list[str]]:
    """Score cleaning variants on (a random subset of) a synthetic corpus.

    ``config`` is the :class:`workbook.synthetic.corpus.CorpusConfig`; ``n_clips`` clips are
    drawn without replacement with ``seed`` (``None``: all). Returns ``(scores, failures)``:
    the long table of :func:`evaluate_clip` rows (plus speaker_index, clip_index) and one
    message per clip that could not be scored.
    """
    pairs = [(i, j) for i in range(config.n_speakers) for j in range(config.clips_per_speaker)]
    if n_clips is not None and n_clips < len(pairs):
        pick = np.random.default_rng(seed).choice(len(pairs), size=int(n_clips), replace=False)
        pairs = [pairs[k] for k in sorted(pick)]
    sweep = tuple(top_db_sweep)
    if n_jobs == 1:
        results = [_evaluate_one(config, i, j, variants, sr, sweep) for i, j in pairs]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, batch_size=4)(
            delayed(_evaluate_one)(config, i, j, variants, sr, sweep) for i, j in pairs
        )
    rows, failures = [], []
    for (i, j), (clip_rows, failure) in zip(pairs, results):
        if failure:
            failures.append(failure)
        for r in clip_rows:
            rows.append({"speaker_index": i, "clip_index": j, **r})
    return pd.DataFrame(rows), failures


def summarise_scores(scores: pd.DataFrame, *, by: str = "noise_type") -> pd.DataFrame:
    """Median SI-SDR gain per ``by`` group and variant, with the share of clips it hurt.

    Returns a table indexed by (``by``, variant) with columns n_clips, si_sdr_in_db,
    si_sdr_gain_db (median), si_sdr_gain_p10_db (10th percentile: the bad cases),
    snr_gain_db (median), hurt_pct (share of clips whose SI-SDR fell by more than 0.5 dB).
    """
    g = scores.groupby([by, "variant"], observed=True, sort=False)
    out = pd.DataFrame(
        {
            "n_clips": g.size(),
            "si_sdr_in_db": g["si_sdr_in_db"].median(),
            "si_sdr_gain_db": g["si_sdr_gain_db"].median(),
            "si_sdr_gain_p10_db": g["si_sdr_gain_db"].quantile(0.1),
            "snr_gain_db": g["snr_gain_db"].median(),
            "hurt_pct": g["si_sdr_gain_db"].apply(lambda s: 100.0 * float(np.mean(s < -0.5))),
        }
    )
    return out


def boundary_summary(scores: pd.DataFrame, *, tolerance_s: float = 0.1) -> pd.DataFrame:
    """Trim boundary errors per variant: median and 90th-percentile absolute error (ms).

    Uses ``start_err_s``/``end_err_s`` and any ``start_err_s@<top_db>`` sweep columns; one
    row per (variant, top_db). ``within_<ms>ms_pct``: clips with both boundaries within
    ``tolerance_s``; ``cut_speech_pct``: clips where trimming cut more than the tolerance
    into the speech (the costly error: speech is lost); ``kept_silence_pct``: clips where it
    kept more than the tolerance of silence or noise (a cheaper error).
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
            rows.append(
                {
                    "variant": variant,
                    "top_db": float(tag) if tag else float(df["top_db"].iloc[0]),
                    "start_med_abs_ms": 1000 * float(np.nanmedian(np.abs(s))),
                    "end_med_abs_ms": 1000 * float(np.nanmedian(np.abs(e))),
                    "start_p90_abs_ms": 1000 * float(np.nanpercentile(np.abs(s), 90)),
                    "end_p90_abs_ms": 1000 * float(np.nanpercentile(np.abs(e), 90)),
                    f"within_{int(round(tolerance_s * 1000))}ms_pct": 100.0 * float(np.mean(ok)),
                    "cut_speech_pct": 100.0 * float(np.mean((s > tolerance_s) | (e < -tolerance_s))),
                    "kept_silence_pct": 100.0 * float(np.mean((s < -tolerance_s) | (e > tolerance_s))),
                }
            )
    return pd.DataFrame(rows)



#: Noise types in display order (the corpus's, plus "all").
NOISE_ORDER = ("none", "hum", "fan", "babble", "bursts")


def gain_table(scores: pd.DataFrame, metric: str = "si_sdr_gain_db", *, variants=None) -> pd.DataFrame:
    """Median ``metric`` per variant (rows) and noise type (columns), plus an "all" column."""
    t = scores.pivot_table(index="variant", columns="noise_type", values=metric, aggfunc="median", observed=True)
    t = t[[c for c in NOISE_ORDER if c in t.columns] + [c for c in t.columns if c not in NOISE_ORDER]]
    t["all"] = scores.groupby("variant")[metric].median()
    order = list(variants) if variants is not None else list(dict.fromkeys(scores["variant"]))
    return t.loc[[v for v in order if v in t.index]]


def evaluate_files(
    paths: Iterable,
    variants: Mapping[str, Any],
    *,
    sr: int = 16000,
    n_clips: int | None = 50,
    seed: int = 0,
) -> tuple[pd.DataFrame, list[str]]:
    """Blind scores of cleaning variants on recordings without a clean reference.

    For data sets with no truth (real recordings), only what can be measured blindly:
    the blind SNR estimate before and after, the seconds kept by trimming, the clicks
    repaired and the notes. ``n_clips`` files are drawn with ``seed`` (``None``: all).
    Returns ``(scores, failures)``; a file that cannot be read or cleaned is recorded in
    ``failures`` (message naming the file) and the batch carries on.
    """
    from helpers.audio import load_audio

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
                rows.append(
                    {
                        "path": path,
                        "variant": name,
                        "duration_s": len(y) / sr,
                        "kept_s": len(res.y) / sr,
                        "n_clicks": len(res.clicks),
                        "blind_snr_in_db": res.snr_before_db,
                        "blind_snr_out_db": res.snr_after_db,
                        "notes": " | ".join(res.notes),
                    }
                )
        except Exception as exc:  # recorded, not fatal
            failures.append(f"{path}: {type(exc).__name__}: {exc}")
    return pd.DataFrame(rows), failures
