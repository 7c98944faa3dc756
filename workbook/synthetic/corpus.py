"""The synthetic voice corpus: the workbook's default, offline data set.

``ensure_corpus(root, CorpusConfig())`` writes, deterministically from the seed:

- ``clips/<speaker>/<clip_id>.<wav|flac|mp3>``: the recordings (mixed formats and rates);
- ``manifest.csv``: one row per clip with the labels and every latent parameter
  (true f0, jitter, SNR, speaking rate, speech boundaries, click times, ...) and the
  speaker's speech community as ``language``;
- ``speakers.csv``: one row per speaker (community, latent voice and channel);
- ``examples/``: four named example clips with clean references (``examples.csv``);
- ``corpus.json``: the configuration and generator version (a complete corpus has it).

Any clip's components (clean speech, noise, clicks) can be re-rendered exactly with
:func:`render_clip`, so cleaning and features can be measured against the truth.

The same seed gives byte-identical files, whatever the number of worker processes:
every clip draws from its own random stream, seeded by (seed, speaker, clip).

Speakers belong to ``n_communities`` speech communities (``comm_a``, ...; 0 or 1: none)
that differ in age mix and share a mild colouring: an accent (f0, speaking rate and
vocal-tract offsets, :func:`~workbook.synthetic.trends.sample_speakers`) and a microphone
habit (every member's two EQ resonances at the community's frequencies, with the
community's gain plus half the speaker's own). So, as on Common Voice, knowing the
language predicts age above chance, and speaker-grouped evaluation still lets a model
score by recognising the community.

This corpus is synthetic. Scores on it show that the pipeline works; they say nothing
about real voices.

Notebook: every notebook (default data), 02_cleaning (clean references).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import signal
from tqdm.auto import tqdm

from helpers.audio import save_audio
from workbook.manifest import AGE_GROUPS, age_group_from_years, write_manifest
from workbook.synthetic import recording as rec
from workbook.synthetic.trends import VOICE_PARAMETERS, community_names, sample_speakers
from workbook.synthetic.voice import Voice, synthesize_utterance

__all__ = ["EXAMPLE_NAMES", "GENERATOR_VERSION", "CorpusConfig", "corpus_is_complete", "ensure_corpus", "render_clip",
           "render_example"]

#: Bump when the generated audio or manifest changes, so old corpora are regenerated.
GENERATOR_VERSION = "4"

EXAMPLE_NAMES = ("clean_long_silences", "click_in_silence", "nonstationary_noise", "tonal_noise")


@dataclass(frozen=True)
class CorpusConfig:
    """Sizes and seed of a synthetic corpus (ages in years, probabilities in [0, 1])."""

    n_speakers: int = 300
    clips_per_speaker: int = 5
    seed: int = 0
    min_age: int = 13
    max_age: int = 79
    p_female: float = 0.5
    p_click: float = 0.3  # chance of a button click in each of the two silences
    p_clipping: float = 0.05
    n_communities: int = 6  # speech communities (the manifest's language); 0 or 1: none

    def __post_init__(self):
        if self.n_speakers < 1 or self.clips_per_speaker < 1:
            raise ValueError(f"need at least one speaker and one clip each, got {self}")
        community_names(self.n_communities)  # 0-26


@dataclass
class RenderedClip:
    """A clip and its parts, all at ``sr`` Hz and of equal length.

    ``mix = clean + noise + clicks`` before clipping; ``mix`` is what the file holds
    (clipped where the clip is clipped). ``f0_hz`` is the true f0 per sample (NaN where
    unvoiced) and ``info`` the clip's manifest row.
    """

    mix: np.ndarray
    clean: np.ndarray
    noise: np.ndarray
    clicks: np.ndarray
    f0_hz: np.ndarray
    sr: int
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ClipConditions:
    """How one clip is recorded (durations in s, SNR in dB, level in dBFS)."""

    n_syllables: int
    f0_scale: float
    lead_s: float
    trail_s: float
    noise_type: str
    snr_db: float
    click_lead: bool
    click_trail: bool
    level_dbfs: float
    overdrive: float  # > 1: the speech peak is driven this far past full scale (clipping)


def _draw_conditions(config: CorpusConfig, channel: rec.Channel, rng: np.random.Generator) -> ClipConditions:
    names = [n for n, _ in rec.NOISE_TYPES]
    probs = np.array([p for _, p in rec.NOISE_TYPES])
    noise_type = names[rng.choice(len(names), p=probs / probs.sum())]
    snr = rng.uniform(30.0, 45.0) if noise_type == "none" else rng.uniform(3.0, 25.0)
    return ClipConditions(
        n_syllables=int(rng.integers(8, 19)),
        f0_scale=float(np.exp(0.025 * rng.standard_normal())),
        lead_s=float(rng.uniform(0.5, 2.0)),
        trail_s=float(rng.uniform(0.5, 2.0)),
        noise_type=noise_type,
        snr_db=float(snr),
        click_lead=bool(rng.random() < config.p_click),
        click_trail=bool(rng.random() < config.p_click),
        level_dbfs=float(channel.level_dbfs + 1.5 * rng.standard_normal()),
        overdrive=float(rng.uniform(1.5, 3.0)) if rng.random() < config.p_clipping else 0.0,
    )


@lru_cache(maxsize=4)
def _speakers_table(config: CorpusConfig) -> pd.DataFrame:
    """Every speaker's labels, latent voice and channel (deterministic from the seed)."""
    spk = sample_speakers(config.n_speakers, config.seed, min_age=config.min_age, max_age=config.max_age,
                          p_female=config.p_female, n_communities=config.n_communities)
    chan = pd.DataFrame([_channel(config, i, spk["language"][i] if "language" in spk else None).as_columns()
                         for i in range(config.n_speakers)])
    return pd.concat([spk, chan], axis=1)


def _channel(config: CorpusConfig, speaker_index: int, community: str | None) -> rec.Channel:
    """The speaker's own channel; a community member's two EQ resonances sit at the community's
    frequencies, with the community's gain plus half the speaker's own (the shared habit)."""
    channel = rec.sample_channel(np.random.default_rng([config.seed, 3, speaker_index]))
    names = community_names(config.n_communities)
    if community not in names:
        return channel
    habit = rec.sample_channel(np.random.default_rng([config.seed, 7, names.index(community)]))
    gains = tuple(float(c + 0.5 * g) for c, g in zip(habit.eq_gain_db, channel.eq_gain_db))
    return replace(channel, eq_hz=habit.eq_hz, eq_gain_db=gains)


@lru_cache(maxsize=8)
def _babble_bank(sr: int, seed: int, duration_s: float = 8.0, n_talkers: int = 6) -> np.ndarray:
    """Several synthetic talkers summed, for babble noise (cached per process)."""
    rng = np.random.default_rng([seed, 2, sr])
    talkers = sample_speakers(n_talkers, seed + 1_000_003)
    n = int(duration_s * sr)
    bank = np.zeros(n)
    for _, row in talkers.iterrows():
        u = synthesize_utterance(Voice.from_row(row), sr, rng, n_syllables=int(duration_s * 5))
        x = np.resize(u.speech, n)
        bank += np.roll(x, int(rng.integers(0, n)))
    return bank / np.sqrt(np.mean(bank**2))


def render(
    voice: Voice,
    channel: rec.Channel,
    cond: ClipConditions,
    rng: np.random.Generator,
    *,
    seed: int = 0,
) -> RenderedClip:
    """Record one utterance of ``voice`` through ``channel`` under ``cond`` (``seed`` picks the babble talkers)."""
    sr = channel.sr_hz
    utt = synthesize_utterance(voice, sr, rng, n_syllables=cond.n_syllables, f0_scale=cond.f0_scale)
    lead = int(round(cond.lead_s * sr))
    n_speech = len(utt.speech)
    n = lead + n_speech + int(round(cond.trail_s * sr))
    region = slice(lead, lead + n_speech)
    x = np.zeros(n)
    x[region] = utt.speech
    mic = rec.microphone_sos(channel)
    clean = signal.sosfilt(mic, x)
    clean *= 10 ** (cond.level_dbfs / 20.0) / np.sqrt(np.mean(clean[region] ** 2))

    floor = signal.sosfilt(mic, rec.coloured_noise(n, channel.floor_beta, rng))  # room tone, via the mic
    if cond.noise_type == "none":
        noise = floor
    else:
        bank = _babble_bank(sr, seed) if cond.noise_type == "babble" else None
        env = signal.sosfilt(mic, rec.environment_noise(cond.noise_type, n, channel, rng, bank=bank))
        noise = env / np.sqrt(np.mean(env**2)) + 0.1 * floor
    p_speech = np.mean(clean[region] ** 2)
    noise *= np.sqrt(p_speech / (np.mean(noise**2) * 10 ** (cond.snr_db / 10.0)))

    clicks = np.zeros(n)
    click_times = []
    speech_peak = np.abs(clean).max()
    for present, lo, hi in (
        (cond.click_lead, 0.05, cond.lead_s - 0.25),
        (cond.click_trail, cond.lead_s + n_speech / sr + 0.25, n / sr - 0.05),
    ):
        if present and hi > lo:
            t = float(rng.uniform(lo, hi))
            c = rec.button_click(sr, rng) * speech_peak * rng.uniform(0.8, 2.0)
            i = int(round(t * sr))
            clicks[i : i + len(c)] += c[: n - i]
            click_times.append(round(i / sr, 4))

    mix = clean + noise + clicks
    gain = cond.overdrive / np.abs(clean).max() if cond.overdrive > 0 else min(1.0, 0.95 / np.abs(mix).max())
    clean, noise, clicks, mix = clean * gain, noise * gain, clicks * gain, mix * gain
    clipped_fraction = float(np.mean(np.abs(mix) >= 1.0))
    mix = np.clip(mix, -1.0, 1.0)

    f0_track = np.full(n, np.nan)
    f0_track[region] = utt.f0_hz
    info = {"duration_s": n / sr, "speech_start_s": lead / sr, "speech_end_s": (lead + n_speech) / sr,
            "f0_hz": utt.f0_median_hz, "speaking_rate_sps": utt.articulation_rate_sps, "n_syllables": utt.n_syllables,
            "pause_ratio": utt.pause_ratio, "voiced_fraction": utt.voiced_fraction, "snr_db": cond.snr_db,
            "noise_type": cond.noise_type, "n_clicks": len(click_times),
            "click_times_s": ";".join(f"{t:.4f}" for t in click_times), "clipped_fraction": clipped_fraction,
            "level_dbfs": cond.level_dbfs + 20 * np.log10(gain)}
    return RenderedClip(mix=mix, clean=clean, noise=noise, clicks=clicks, f0_hz=f0_track, sr=sr, info=info)


def _clip_rng(config: CorpusConfig, speaker_index: int, clip_index: int) -> np.random.Generator:
    return np.random.default_rng([config.seed, 1, speaker_index, clip_index])


def render_clip(config: CorpusConfig, speaker_index: int, clip_index: int) -> RenderedClip:
    """Render clip ``clip_index`` of speaker ``speaker_index`` exactly as the corpus holds it."""
    if not (0 <= speaker_index < config.n_speakers and 0 <= clip_index < config.clips_per_speaker):
        raise IndexError(f"no clip ({speaker_index}, {clip_index}) in a corpus of {config}")
    spk = _speakers_table(config).iloc[speaker_index]
    channel = _channel(config, speaker_index, spk.get("language"))
    rng = _clip_rng(config, speaker_index, clip_index)
    cond = _draw_conditions(config, channel, rng)
    clip = render(Voice.from_row(spk), channel, cond, rng, seed=config.seed)
    clip.info = _manifest_row(spk, channel, clip_index, clip.info)
    return clip


def _manifest_row(spk: pd.Series, channel: rec.Channel, clip_index: int, info: dict) -> dict:
    """A clip's manifest row: labels, file, what :func:`render` measured, the speaker's voice and channel."""
    speaker = spk["speaker"]
    clip_id = f"{speaker}_c{clip_index}"
    row = {"path": f"clips/{speaker}/{clip_id}.{channel.format}", "speaker": speaker, "age_group": spk["age_group"],
           "age_years": int(spk["age_years"]), "gender": spk["gender"],
           **({"language": spk["language"]} if "language" in spk else {}), "clip_id": clip_id, "format": channel.format,
           "sr_hz": channel.sr_hz, **info,
           "speaker_f0_hz": float(spk["f0_hz"]), "speaker_speaking_rate_sps": float(spk["speaking_rate_sps"])}
    row |= {name: float(spk[name]) for name in VOICE_PARAMETERS if name not in ("f0_hz", "speaking_rate_sps")}
    return row | {k: v for k, v in channel.as_columns().items() if k.startswith("channel_")}


def _render_speaker(config: CorpusConfig, root: str, speaker_index: int) -> list[dict]:
    rows = []
    for j in range(config.clips_per_speaker):
        clip = render_clip(config, speaker_index, j)
        save_audio(Path(root) / clip.info["path"], clip.mix, clip.sr)
        rows.append(clip.info)
    return rows


# --- the four named example clips -------------------------------------------------------

_EXAMPLE_CHANNEL = rec.Channel(
    format="wav", sr_hz=16000, hpf_hz=80.0, lpf_hz=7000.0, eq_hz=(800.0, 3000.0),
    eq_gain_db=(0.0, 0.0), eq_q=(1.0, 1.0), floor_beta=1.0, level_dbfs=-24.0, mains_hz=50.0,
)

#: name -> (gender, age in years, noise type, SNR in dB, lead s, trail s, clicks, seed)
_EXAMPLE_SPECS = {
    "clean_long_silences": ("female", 24, "none", 40.0, 2.0, 2.2, (False, False), 11),
    "click_in_silence": ("male", 35, "none", 35.0, 1.5, 1.6, (True, True), 12),
    "nonstationary_noise": ("female", 67, "bursts", 3.0, 1.0, 1.0, (False, False), 13),
    "tonal_noise": ("male", 72, "hum", 6.0, 1.0, 1.0, (False, False), 14),
}


def render_example(name: str) -> RenderedClip:
    """Render one of :data:`EXAMPLE_NAMES` (fixed voices and conditions, seed-independent).

    Each voice sits on the literature trend for its age and gender.
    """
    if name not in _EXAMPLE_SPECS:
        raise KeyError(f"unknown example {name!r}; examples: {EXAMPLE_NAMES}")
    gender, age, noise_type, snr, lead, trail, (c1, c2), seed = _EXAMPLE_SPECS[name]
    params = {p: float(trend(age, gender)) for p, (trend, _, _) in VOICE_PARAMETERS.items()}
    voice = Voice(**params)
    cond = ClipConditions(
        n_syllables=14, f0_scale=1.0, lead_s=lead, trail_s=trail, noise_type=noise_type, snr_db=snr,
        click_lead=c1, click_trail=c2, level_dbfs=-24.0, overdrive=0.0,
    )
    rng = np.random.default_rng([seed, 4])
    clip = render(voice, _EXAMPLE_CHANNEL, cond, rng, seed=seed)
    spk = pd.Series({"speaker": f"example_{name}", "gender": gender, "age_years": age,
                     "age_group": age_group_from_years(age), **params})
    info = _manifest_row(spk, _EXAMPLE_CHANNEL, 0, clip.info)
    clip.info = {"name": name, **info, "path": f"examples/{name}.wav", "clip_id": name,
                 "clean_path": f"examples/clean/{name}.wav"}
    return clip


def _write_examples(root: Path) -> None:
    rows = []
    for name in EXAMPLE_NAMES:
        clip = render_example(name)
        save_audio(root / clip.info["path"], clip.mix, clip.sr)
        save_audio(root / clip.info["clean_path"], clip.clean, clip.sr)
        rows.append(clip.info)
    pd.DataFrame(rows).to_csv(root / "examples" / "examples.csv", index=False, float_format="%.6g", lineterminator="\n")


# --- generation ---------------------------------------------------------------------------


def corpus_is_complete(root: str | Path, config: CorpusConfig) -> bool:
    """True if ``root`` holds a finished corpus of exactly this configuration and version."""
    marker = Path(root) / "corpus.json"
    if not marker.is_file() or not (Path(root) / "manifest.csv").is_file():
        return False
    try:
        meta = json.loads(marker.read_text())
    except json.JSONDecodeError:
        return False
    return meta.get("generator_version") == GENERATOR_VERSION and meta.get("config") == asdict(config)


def generate_corpus(
    root: str | Path, config: CorpusConfig = CorpusConfig(), *, n_jobs: int = 2, progress: bool = True
) -> Path:
    """Write a complete corpus into ``root`` (which must not exist) with ``n_jobs`` processes. Returns ``root``."""
    root = Path(root)
    if root.exists():
        raise FileExistsError(f"{root}: already exists; generate into a new folder")
    root.mkdir(parents=True)
    indices = range(config.n_speakers)
    if progress:
        indices = tqdm(indices, desc="synthetic corpus", unit="speaker", leave=False)
    if n_jobs == 1:
        per_speaker = [_render_speaker(config, str(root), i) for i in indices]
    else:
        jobs = (delayed(_render_speaker)(config, str(root), i) for i in indices)
        per_speaker = Parallel(n_jobs=n_jobs, batch_size=4)(jobs)
    manifest = pd.DataFrame([row for rows in per_speaker for row in rows])
    manifest["age_group"] = pd.Categorical(manifest["age_group"], categories=AGE_GROUPS, ordered=True)
    write_manifest(manifest, root / "manifest.csv")
    _speakers_table(config).to_csv(root / "speakers.csv", index=False, float_format="%.6g", lineterminator="\n")
    _write_examples(root)
    (root / "README.md").write_text(
        "# Synthetic voice corpus\n\n"
        "Generated by `workbook.synthetic` (see corpus.json for the configuration).\n"
        "These voices are synthetic: scores on them show that the pipeline works and say\n"
        "nothing about real voices.\n"
    )
    meta = {"generator_version": GENERATOR_VERSION, "config": asdict(config)}
    (root / "corpus.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return root


def ensure_corpus(
    root: str | Path, config: CorpusConfig = CorpusConfig(), *, n_jobs: int = 2, progress: bool = True
) -> Path:
    """Generate the corpus at ``root`` unless an identical one is already there.

    A corpus of another configuration or generator version in ``root`` is replaced. A
    folder that holds something else is never touched: that raises ``FileExistsError``.
    Generation goes to a temporary sibling folder first, so an interrupted run never
    leaves a folder that looks complete.
    """
    root = Path(root)
    if corpus_is_complete(root, config):
        return root
    if root.exists() and any(root.iterdir()) and not (root / "corpus.json").is_file():
        raise FileExistsError(
            f"{root}: exists and is not a synthetic corpus (no corpus.json); refusing to overwrite it. "
            "Choose another data_dir."
        )
    previous = ", replacing the older or different corpus there" if (root / "corpus.json").is_file() else ""
    print(f"generating the synthetic corpus ({config.n_speakers} speakers x {config.clips_per_speaker} clips, "
          f"seed {config.seed}) in {root}{previous}; about {max(1, round(config.n_speakers * config.clips_per_speaker * 0.035 / 60))} "
          "min on 2 cores (35 ms a clip)", flush=True)
    tmp = root.parent / f".{root.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    generate_corpus(tmp, config, n_jobs=n_jobs, progress=progress)
    if root.exists():
        shutil.rmtree(root)
    tmp.rename(root)
    return root
