"""Shared fixtures: small synthetic corpora built once per test session."""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def small_config():
    from workbook.synthetic.corpus import CorpusConfig

    return CorpusConfig(n_speakers=8, clips_per_speaker=2, seed=5)


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory, small_config):
    """A tiny synthetic corpus on disk (8 speakers x 2 clips)."""
    from workbook.synthetic.corpus import ensure_corpus

    root = tmp_path_factory.mktemp("corpus") / "small"
    ensure_corpus(root, small_config, n_jobs=2, progress=False)
    return root


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
