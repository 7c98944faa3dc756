"""Shared fixtures: a small synthetic corpus built once per test session."""

from __future__ import annotations

import matplotlib
import pytest

from workbook.synthetic.corpus import CorpusConfig, ensure_corpus

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def small_config():
    return CorpusConfig(n_speakers=8, clips_per_speaker=2, seed=5)


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory, small_config):
    """A tiny synthetic corpus on disk (8 speakers x 2 clips)."""
    root = tmp_path_factory.mktemp("corpus") / "small"
    ensure_corpus(root, small_config, n_jobs=2, progress=False)
    return root
