"""Shared fixtures: a small synthetic corpus built once per test session, and the notebooks
run once on a small corpus.

nbval executes every cell of every committed notebook, but not on the full default corpus
(300 speakers x 5 clips, most of the suite's time): the plugin below gives nbval a copy of
each notebook with papermill's ``injected-parameters`` cell after its ``parameters`` cell,
so the notebooks run on :data:`SMALL_PARAMS` and write their artefacts (``cleaning.json``,
the feature table, ``metrics.json``, the model) to ``outputs/pytest-small/out``. The
:func:`small_run` fixture hands that folder to the tests that check the headline numbers;
run alone (no notebooks collected), it makes the same run with papermill first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import nbformat
import papermill as pm
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from workbook.paths import notebooks_dir
from workbook.runner import discover_notebooks, run_notebooks
from workbook.synthetic.corpus import CorpusConfig, ensure_corpus

matplotlib.use("Agg")

#: The small run: 36 speakers x 3 clips over 7 age groups, so that with 2-fold grouped CV
#: every training fold still holds enough clips per class for the inner 3-fold calibration.
SMALL_PARAMS = {"n_speakers": 36, "clips_per_speaker": 3, "seed": 3, "n_splits": 2, "n_bootstrap": 50,
                "fast": True}
SMALL_ROOT = notebooks_dir().parent / "outputs" / "pytest-small"
SMALL_PARAMS["cache_dir"] = str(SMALL_ROOT / "cache")  # its own feature cache, not the user's
SMALL_OUT = SMALL_ROOT / "out"
#: Tests that read the small run (the :func:`small_run` fixture), by node-id prefix. ``make test``
#: runs the suite in two processes (pytest-xdist): the notebooks' cells and these tests run in
#: one of them, in order (:class:`SmallRunScheduling`); collection fails if the list is short.
SMALL_RUN_TESTS = ("tests/test_headlines.py::", "tests/test_browser.py::",
                   "tests/test_runner.py::test_small_run_of_every_notebook")


def small_run_scope(nodeid: str) -> str:
    """The xdist work unit of a test: one for the small run, one per test otherwise."""
    notebook = nodeid.split("::")[0].endswith(".ipynb")
    return "small run" if notebook or nodeid.startswith(SMALL_RUN_TESTS) else nodeid


def small_injected(notebook: Path) -> dict:
    """What the runner injects into ``notebook`` for the small run (only the names it declares)."""
    runner_params = {"dataset": "synthetic", "data_dir": str(SMALL_ROOT / "corpus"), "output_dir": str(SMALL_OUT),
                     "n_jobs": 2}
    declared = pm.inspect_notebook(str(notebook))
    return {k: v for k, v in {**runner_params, **SMALL_PARAMS}.items() if k in declared}


class SmallNotebook(IPyNbFile):
    """nbval's notebook collector, on a copy of the notebook with the small parameters injected
    (the committed outputs stay, so cells marked ``# NBVAL_CHECK_OUTPUT`` are compared)."""

    def collect(self):
        # papermill's own reader adds what it expects (cell tags, metadata.papermill), which a
        # notebook saved by jupytext rather than papermill lacks
        self.nb = load_notebook_node(str(self.fspath))
        self.nb = parameterize_notebook(self.nb, small_injected(Path(self.fspath)))
        nb = self.nb
        original_read = nbformat.read
        try:  # nbval's collect reads the file; hand it the parameterised copy instead
            nbformat.read = lambda *a, **k: nb
            yield from super().collect()
        finally:
            nbformat.read = original_read


class _SmallNotebooksPlugin:
    """Collect notebooks with :class:`SmallNotebook`; run them before the tests that read their
    artefacts; record which notebooks failed."""

    def __init__(self):
        self.collected: set[str] = set()
        self.failed: set[str] = set()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collect_file(self, file_path, parent):
        outcome = yield
        results = outcome.get_result()
        if any(isinstance(r, IPyNbFile) for r in results):
            self.collected.add(file_path.name)
            outcome.force_result([SmallNotebook.from_parent(parent, path=file_path)
                                  if isinstance(r, IPyNbFile) else r for r in results])

    def pytest_collection_modifyitems(self, items):
        stray = [item.nodeid for item in items if "small_run" in getattr(item, "fixturenames", ())
                 and small_run_scope(item.nodeid) != "small run"]
        if stray:
            raise pytest.UsageError(f"tests/conftest.py: add {stray} to SMALL_RUN_TESTS (they read the small run)")
        if self.collected:
            # under xdist every process collects (and clears) before any test runs
            if SMALL_OUT.exists():
                shutil.rmtree(SMALL_OUT)  # never read a previous session's artefacts
            items.sort(key=lambda item: not isinstance(item, IPyNbCell))  # stable: notebooks first, in order

    def pytest_runtest_logreport(self, report):
        if report.failed and "ipynb" in report.nodeid.split("::")[0]:
            self.failed.add(Path(report.nodeid.split("::")[0]).name)


def pytest_configure(config):
    config.pluginmanager.register(_SmallNotebooksPlugin(), "workbook-small-notebooks")


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's load scheduling, with the small run as one work unit (its ``xdist_group``
    mark no longer reaches the scheduler under pytest 9)."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None  # an explicit --dist loadfile / loadscope / worksteal is left alone
    from xdist.scheduler import LoadScopeScheduling

    class SmallRunScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return small_run_scope(nodeid)

    return SmallRunScheduling(config, log)


@pytest.fixture(scope="session")
def small_run(request) -> Path:
    """Output folder of the notebooks' small run (``metrics.json``, ``cleaning.json``, ...)."""
    plugin = request.config.pluginmanager.get_plugin("workbook-small-notebooks")
    every = {p.name for p in discover_notebooks()}
    if plugin.collected >= every:
        assert not plugin.failed, f"the small run of the notebooks failed in {sorted(plugin.failed)}"
        return SMALL_OUT
    runs = run_notebooks(dataset="synthetic", data_dir=str(SMALL_ROOT / "corpus"), params=SMALL_PARAMS,
                         out_dir=SMALL_OUT, html=False, echo=lambda line: None)
    failed = [(r.notebook, r.error) for r in runs if r.status != "ok"]
    assert not failed, failed
    return SMALL_OUT


@pytest.fixture(scope="session")
def small_config():
    return CorpusConfig(n_speakers=8, clips_per_speaker=2, seed=5)


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory, small_config):
    """A tiny synthetic corpus on disk (8 speakers x 2 clips)."""
    root = tmp_path_factory.mktemp("corpus") / "small"
    ensure_corpus(root, small_config, n_jobs=2, progress=False)
    return root
