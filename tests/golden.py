"""Golden values: a rendered synthetic clip, one feature row, one prediction of a fixed model.

Each value is stored with the version constant it depends on (``GENERATOR_VERSION`` of the
synthetic generator, ``FEATURE_CODE_VERSION`` of the feature code). tests/test_golden.py
compares the stored version first: a version mismatch fails with the command to run, so a
deliberate change bumps the version and regenerates; a change without a bump fails on the
values themselves.

    python tests/golden.py --update     # recompute and write tests/golden/golden.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).with_name("golden") / "golden.json"
UPDATE = "python tests/golden.py --update"
SIGNIFICANT = 5  # feature values and probabilities are compared to 5 significant digits


def _round(value: float) -> float | None:
    return float(f"{value:.{SIGNIFICANT}g}") if np.isfinite(value) else None


def golden_clip():
    """Clip 1 of speaker 2 of a 4-speaker corpus, seed 11 (a noisy clip with a channel)."""
    from workbook.synthetic.corpus import CorpusConfig, render_clip

    return render_clip(CorpusConfig(n_speakers=4, clips_per_speaker=2, seed=11), 2, 1)


def clip_digest(clip) -> str:
    """SHA-1 of the clip's samples as 16-bit PCM (what the corpus file holds) and its rate."""
    pcm = np.round(np.clip(clip.mix, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return hashlib.sha1(pcm + str(clip.sr).encode()).hexdigest()


def feature_row(clip) -> dict:
    """The engine's row for the golden clip written as a corpus file (full families, no cleaning)."""
    import tempfile

    from helpers.audio import save_audio
    from workbook.engine import make_feature_job
    from workbook.workers import process_file

    with tempfile.TemporaryDirectory() as folder:
        path = save_audio(Path(folder) / "golden.wav", clip.mix, clip.sr)
        row = process_file(str(path), "", make_feature_job("full"))
    if row["_status"] != "ok" or row["_errors"]:
        raise RuntimeError(f"golden feature row failed: {row['_errors']}")
    return {k: _round(float(v)) for k, v in sorted(row.items()) if not k.startswith("_") and k != "content_sha1"}


def fixed_prediction() -> dict:
    """Probabilities of a fixed model (make_model('lr'), trained on a fixed table of latent
    voice parameters of 200 speakers, seed 0) for the first speaker of seed 1."""
    from helpers.models import make_model
    from workbook.synthetic.trends import VOICE_PARAMETERS, sample_speakers

    cols = list(VOICE_PARAMETERS)
    train, new = sample_speakers(200, seed=0), sample_speakers(1, seed=1)
    model = make_model("lr", seed=0).fit(train[cols].to_numpy(), train["age_group"].astype(str).to_numpy())
    p = model.predict_proba(new[cols].to_numpy())[0]
    return {str(c): _round(float(v)) for c, v in zip(model.classes_, p)}


def compute() -> dict:
    from workbook.engine import FEATURE_CODE_VERSION
    from workbook.synthetic.corpus import GENERATOR_VERSION

    clip = golden_clip()
    return {
        "clip": {"generator_version": GENERATOR_VERSION, "sha1": clip_digest(clip), "sr": clip.sr,
                 "n_samples": len(clip.mix)},
        "feature_row": {"generator_version": GENERATOR_VERSION, "feature_code_version": FEATURE_CODE_VERSION,
                        "values": feature_row(clip)},
        "prediction": {"values": fixed_prediction()},
    }


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: {UPDATE}")
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
