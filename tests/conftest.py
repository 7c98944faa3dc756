"""Shared fixtures: a small synthetic corpus built once per test session, and the notebooks
run once on a small corpus.

nbval executes every cell of every committed notebook, but not on the full default corpus
(300 speakers x 5 clips, most of the suite's time): the plugin below gives nbval a copy of
each notebook with papermill's ``injected-parameters`` cell after its ``parameters`` cell,
so the notebooks run on :data:`SMALL_PARAMS` and write their artefacts (``cleaning.json``,
the feature table, ``metrics.json``, the model) to ``outputs/pytest-small/out``. The
:func:`small_run` fixture hands that folder to the tests that check the headline numbers;
run alone (no notebooks collected), it makes the same run with papermill first.

``make test`` runs the suite in two processes (pytest-xdist): the notebooks' cells go to one
of them as one work unit (:func:`work_unit`), the tests that read their run come last and
wait for :data:`SMALL_DONE`, so the other process works through the rest meanwhile.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

if os.environ.get("PYTEST_XDIST_WORKER"):
    # two test processes share the cores: one math thread each, here and in the kernels and
    # workers they start (torch's spinning OpenMP threads otherwise fight the other process:
    # the embedding exercise took 117 s instead of 13)
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

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
                "fast": True, "n_eval_clips": 60}
SMALL_ROOT = notebooks_dir().parent / "outputs" / "pytest-small"
SMALL_PARAMS["cache_dir"] = str(SMALL_ROOT / "cache")  # its own feature cache, not the user's
SMALL_OUT = SMALL_ROOT / "out"
#: Written by the process that ran the notebooks once their last cell is done: which failed.
SMALL_DONE = SMALL_ROOT / "notebooks-done.json"
#: How long a test reading the small run waits for the notebooks in another process.
SMALL_RUN_WAIT_S = 1500


def work_unit(nodeid: str) -> str:
    """The pytest-xdist work unit of a test (``make test`` runs two processes): the notebooks'
    cells form one, run in order in one process (each notebook reads what the one before
    wrote); the exercises' solutions share a corpus; any other test is a unit of its own."""
    if nodeid.split("::")[0].endswith(".ipynb"):
        return "small run"
    if nodeid.startswith("tests/test_exercises.py::test_solutions_run_headless"):
        return "exercises"
    return nodeid


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
    """Collect notebooks with :class:`SmallNotebook`; run them first and the tests that read
    their artefacts last; record which notebooks failed (in :data:`SMALL_DONE` for the tests
    in the other process)."""

    def __init__(self):
        self.collected: set[str] = set()  # notebooks whose cells are selected to run
        self.last_cell: str | None = None
        self.failed: set[str] = set()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collect_file(self, file_path, parent):
        outcome = yield
        results = outcome.get_result()
        if any(isinstance(r, IPyNbFile) for r in results):
            outcome.force_result([SmallNotebook.from_parent(parent, path=file_path)
                                  if isinstance(r, IPyNbFile) else r for r in results])

    def pytest_sessionstart(self, session):
        if session.config.getoption("numprocesses", None) and not hasattr(session.config, "workerinput"):
            _clear_small_run()  # the xdist controller, before its workers start

    def pytest_collection_modifyitems(self, config, items):
        if any(isinstance(item, IPyNbCell) for item in items):
            if not hasattr(config, "workerinput") and not config.getoption("numprocesses", None):
                _clear_small_run()  # one process: never read a previous session's artefacts
            # stable: the notebooks first, in order; the tests that read their run last, so that
            # under xdist the other process has other work while the notebooks run; of those, the
            # browser's (about a minute each) before the quick checks, which fill the gaps at the end
            items.sort(key=lambda item: (not isinstance(item, IPyNbCell), _reads_small_run(item)))

    def pytest_collection_finish(self, session):
        cells = [item for item in session.items if isinstance(item, IPyNbCell)]  # after -k / deselection
        self.collected = {Path(str(item.fspath)).name for item in cells}
        self.last_cell = cells[-1].nodeid if cells else None

    def pytest_runtest_logreport(self, report):
        if report.failed and "ipynb" in report.nodeid.split("::")[0]:
            self.failed.add(Path(report.nodeid.split("::")[0]).name)
        if report.nodeid == self.last_cell and report.when == "teardown":
            SMALL_DONE.parent.mkdir(parents=True, exist_ok=True)
            part = SMALL_DONE.with_suffix(".part")  # whole or absent for the reader in the other process
            part.write_text(json.dumps({"failed": sorted(self.failed)}))
            part.replace(SMALL_DONE)


def _reads_small_run(item) -> int:
    """0: does not read the small run; 1: a browser test reading it; 2: any other reader."""
    if "small_run" not in getattr(item, "fixturenames", ()):
        return 0
    return 1 if "browser" in getattr(item, "fixturenames", ()) else 2


def _clear_small_run() -> None:
    shutil.rmtree(SMALL_OUT, ignore_errors=True)
    SMALL_DONE.unlink(missing_ok=True)


def pytest_configure(config):
    config.pluginmanager.register(_SmallNotebooksPlugin(), "workbook-small-notebooks")


@pytest.hookimpl(optionalhook=True)  # the suite also runs without pytest-xdist (-p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's load scheduling over :func:`work_unit` (``xdist_group`` marks no longer
    reach its scheduler under pytest 9: it renames ``item._nodeid``, which pytest 9 ignores)."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None  # an explicit --dist loadfile / loadscope / worksteal is left alone
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

        def _reschedule(self, node) -> None:
            # a process holds two tests (the one it runs and the next, which a worker needs
            # before it runs one), not three: at the end of the run, when the browser's long
            # tests are left, the other process is not idle while a third waits in this one
            if not node.shutting_down and self.workqueue and self._pending_of(self.assigned_work[node]) > 1:
                return
            super()._reschedule(node)

    return WorkUnitScheduling(config, log)


@pytest.fixture(scope="session")
def small_run(request) -> Path:
    """Output folder of the notebooks' small run (``metrics.json``, ``cleaning.json``, ...)."""
    plugin = request.config.pluginmanager.get_plugin("workbook-small-notebooks")
    every = {p.name for p in discover_notebooks()}
    if plugin.collected >= every:  # nbval runs them (in this process, or the other one under xdist)
        deadline = time.monotonic() + SMALL_RUN_WAIT_S
        while not SMALL_DONE.exists():
            if time.monotonic() > deadline:
                pytest.fail(f"the notebooks' small run did not finish in {SMALL_RUN_WAIT_S} s ({SMALL_DONE} not written)")
            time.sleep(1)
        failed = json.loads(SMALL_DONE.read_text())["failed"]
        assert not failed, f"the small run of the notebooks failed in {failed}"
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
