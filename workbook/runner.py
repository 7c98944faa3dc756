"""Run every notebook headless with papermill, with checked parameters.

:func:`run_notebooks` (``python -m workbook run``, ``make run``) executes the numbered notebooks
into ``outputs/<dataset>/`` as executed ``.ipynb`` plus HTML, two at a time where one does not
read what the other writes (:data:`NEEDS`). Parameters go into each notebook's ``parameters`` cell; one that no notebook declares is refused with the list of
valid ones (papermill would inject it silently).

Notebook: all of them (this is how they run headless).
"""

from __future__ import annotations

import ast
import json
import shlex
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
import papermill as pm
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError
from nbconvert import HTMLExporter

from workbook.datasets import load_synthetic
from workbook.paths import notebooks_dir, run_output_dir

__all__ = ["NEEDS", "ParameterError", "parse_params", "refresh_notebooks", "run_notebooks"]

#: Parameters the runner itself sets from its own options.
_RUNNER_PARAMETERS = ("dataset", "data_dir", "output_dir", "n_jobs")
#: Kernel messages kept out of the terminal: a local kernel on loopback, and the interrupt that
#: jupyter_client sends every kernel when it shuts it down (logged or not, depending on timing).
_QUIET_LINES = (b"running over TCP without encryption", b"KeyboardInterrupt caught in kernel")
#: The notebooks whose outputs each notebook reads (run it after they finished). A notebook not
#: listed here waits for every notebook before it.
#: 03 reads cleaning.json; 04-06 the feature table and mel images; 06 and 07 model/ (06 may replace it).
NEEDS = {"01_signal_anatomy": (), "02_cleaning": (), "03_features": ("02_cleaning",), "04_eda": ("03_features",),
         "05_modeling": ("03_features",), "06_learned_representations": ("05_modeling",),
         "07_predict": ("06_learned_representations",)}
#: In the headless kernel, tqdm.auto's bars are plain text, so papermill forwards them to stderr.
_TEXT_TQDM = "--IPKernelApp.exec_lines=['import tqdm.auto, tqdm.std; tqdm.auto.tqdm = tqdm.std.tqdm']"


class _QuietKernelManager(AsyncKernelManager):
    """A kernel whose stderr reaches ours minus the transport warning (and nothing else)."""

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **{**kw, "stderr": subprocess.PIPE})
        threading.Thread(target=_forward_stderr, args=(self.provisioner.process.stderr,), daemon=True).start()


def _forward_stderr(pipe) -> None:
    try:
        for line in iter(pipe.readline, b""):
            if not any(quiet in line for quiet in _QUIET_LINES):
                sys.stderr.buffer.write(line)
                sys.stderr.flush()
    except (OSError, ValueError):  # the pipe was closed at kernel shutdown
        pass


class ParameterError(ValueError):
    """A parameter was given that no notebook declares, or could not be parsed."""


@dataclass
class NotebookRun:
    """One notebook's run: ``status`` "ok" or "failed", wall time (s), executed notebook and HTML."""

    notebook: str
    status: str
    seconds: float
    output: str
    html: str | None
    error: str | None = None


def discover_notebooks(folder: Path | None = None) -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``) in order."""
    return sorted(p for p in (folder or notebooks_dir()).glob("[0-9][0-9]_*.ipynb") if p.is_file())


def _declared_parameters(notebook: Path) -> dict[str, str]:
    """Parameters a notebook's ``parameters`` cell declares, name -> default (as source text)."""
    return {name: spec["default"] for name, spec in pm.inspect_notebook(str(notebook)).items()}


def parse_params(text: str | None) -> dict:
    """Parse ``"n_speakers=50 seed=1 dataset='x'"`` into a dict of Python values.

    Values are read as Python literals where possible (numbers, True/False/None, quoted
    strings, lists) and as plain strings otherwise.
    """
    params: dict = {}
    for token in shlex.split(text or ""):
        if "=" not in token:
            raise ParameterError(f"parameter {token!r} is not of the form name=value")
        name, value = token.split("=", 1)
        name = name.strip()
        if not name.isidentifier():
            raise ParameterError(f"parameter name {name!r} is not a valid Python name")
        try:
            params[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[name] = value
    return params


def check_parameters(params: dict, notebooks: list[Path]) -> dict[Path, dict]:
    """Refuse unknown parameters; return, per notebook, the parameters it declares."""
    declared = {nb: _declared_parameters(nb) for nb in notebooks}
    valid = sorted(set().union(*declared.values())) if declared else []
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)}: no notebook declares "
            f"{'it' if len(unknown) == 1 else 'them'}. Valid parameters: {', '.join(valid)}"
        )
    return {nb: {k: v for k, v in params.items() if k in declared[nb]} for nb in notebooks}


def _prerequisites(notebooks: list[Path]) -> dict[Path, list[Path]]:
    """Per notebook, the notebooks of this run it must wait for (:data:`NEEDS`; not listed: all before it)."""
    return {nb: [p for p in notebooks[:i] if nb.stem not in NEEDS or p.stem in NEEDS[nb.stem]]
            for i, nb in enumerate(notebooks)}


def _export_html(executed: Path) -> Path:
    """Write an HTML copy of an executed notebook beside it."""
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(executed), as_version=4))
    html = executed.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    return html


def _short_error(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}"


def _timeout_error(executed: Path, seconds: int) -> str:
    """Name the cell that ran out of time (the last one started): number, of how many, first line."""
    cells = nbformat.read(str(executed), as_version=4).cells if executed.exists() else []
    i = max((i for i, c in enumerate(cells) if c.metadata.get("papermill", {}).get("start_time")), default=None)
    first = cells[i].source.strip().split("\n")[0][:60] if i is not None else ""
    where = "a cell" if i is None else f"cell {i + 1} of {len(cells)} ({first!r})"
    return f"{where} ran longer than {seconds} s (the cell timeout; raise it with --cell-timeout)"


def run_notebooks(*, dataset: str = "synthetic", data_dir: str | None = None, params: dict | None = None,
                  out_dir: str | Path | None = None, n_jobs: int = 2, notebooks: list[Path] | None = None, html: bool = True,
                  cell_timeout_s: int = 900, parallel: int = 2, echo=print) -> list[NotebookRun]:
    """Execute the notebooks; return one :class:`NotebookRun` per notebook, in notebook order.

    Up to ``parallel`` notebooks run at once, each as soon as the ones it reads from
    (:data:`NEEDS`) have finished (``parallel=1``: one after another, in order). The synthetic
    corpus is generated first if it is missing (other data sets are loaded by the notebooks).
    A failing notebook is recorded and the rest still run; a cell that runs longer than
    ``cell_timeout_s`` fails its notebook, naming the cell. A bar per notebook shows cells done
    of total and elapsed time; the kernel's stderr (tqdm bars) comes through.
    """
    params = dict(params or {})
    clash = sorted(set(params) & set(_RUNNER_PARAMETERS))
    if clash:
        raise ParameterError(f"set {', '.join(clash)} with the runner's own options, not in params")
    notebooks = notebooks if notebooks is not None else discover_notebooks()
    if not notebooks:
        raise FileNotFoundError(f"no numbered notebooks found in {notebooks_dir()}")
    data_dir = str(Path(data_dir).resolve()) if data_dir else None
    out = run_output_dir(dataset, out_dir)
    full = {"dataset": dataset, "data_dir": data_dir, "output_dir": str(out), "n_jobs": n_jobs, **params}
    check_parameters(params, notebooks)

    t0 = time.perf_counter()
    if dataset == "synthetic":
        sizes = {k: params[k] for k in ("n_speakers", "clips_per_speaker", "seed") if k in params}
        load_synthetic(data_dir, n_jobs=n_jobs, **sizes, **params.get("dataset_params", {}))
    echo(f"data set {dataset!r} ready in {time.perf_counter() - t0:.1f} s")

    def run_one(nb: Path) -> NotebookRun:
        declared = _declared_parameters(nb)
        injected = {k: v for k, v in full.items() if k in declared}
        target = out / nb.name
        start = time.perf_counter()
        try:
            pm.execute_notebook(str(nb), str(target), parameters=injected, cwd=str(nb.parent), kernel_name="python3",
                                progress_bar={"desc": nb.name, "file": sys.stderr, "leave": True},
                                stderr_file=sys.stderr, execution_timeout=cell_timeout_s, coalesce_streams=True,
                                kernel_manager_class=_QuietKernelManager, extra_arguments=[_TEXT_TQDM])
            status, error = "ok", None
        except CellTimeoutError:
            status, error = "failed", f"{nb.name}: {_timeout_error(target, cell_timeout_s)}"
        except Exception as exc:  # papermill saves the failed notebook; record and go on
            status, error = "failed", _short_error(exc)
        if error:
            echo(f"{nb.name} FAILED: {error}")
        html_path = str(_export_html(target)) if html and target.exists() else None
        return NotebookRun(nb.name, status, time.perf_counter() - start, str(target), html_path, error)

    needs, started, slots = _prerequisites(notebooks), time.perf_counter(), max(1, parallel)
    done: dict[Path, NotebookRun] = {}
    running: dict = {}  # future -> notebook
    with ThreadPoolExecutor(max_workers=slots) as pool:
        while len(done) < len(notebooks):  # start what is ready, in notebook order, while a slot is free
            for nb in [nb for nb in notebooks if nb not in done and nb not in running.values()
                       and all(n in done for n in needs[nb])][:slots - len(running)]:
                running[pool.submit(run_one, nb)] = nb
            for future in wait(running, return_when=FIRST_COMPLETED)[0]:
                done[running.pop(future)] = future.result()
    runs, wall = [done[nb] for nb in notebooks], time.perf_counter() - started

    summary = {"dataset": dataset, "data_dir": data_dir, "parameters": {k: v for k, v in full.items() if k != "output_dir"},
               "parallel": parallel, "wall_seconds": round(wall, 1), "notebooks": [asdict(r) for r in runs]}
    (out / "run_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    echo(_format_summary(runs, out, wall))
    return runs


def _format_summary(runs: list[NotebookRun], out: Path, wall: float) -> str:
    width = max(len(r.notebook) for r in runs)
    lines = ["", f"{'notebook':{width}s}  status   seconds"]
    for r in runs:
        lines.append(f"{r.notebook:{width}s}  {r.status:7s} {r.seconds:8.1f}")
        if r.error:
            lines.append(f"{'':{width}s}  -> {r.error}")
    lines.append(f"{'sum':{width}s}  {'':7s} {sum(r.seconds for r in runs):8.1f}")
    lines.append(f"{'wall':{width}s}  {'':7s} {wall:8.1f}")
    lines.append(f"outputs (executed .ipynb and .html): {out}")
    return "\n".join(lines)


def refresh_notebooks(notebooks: list[Path] | None = None, *, echo=print) -> list[NotebookRun]:
    """Rebuild each committed notebook from its py:percent twin (jupytext) and re-execute it in
    place on the default data, so the committed outputs are fresh; one :class:`NotebookRun` each.
    Progress bars are text (as in ``make run``), not widgets that only a live kernel can show.
    """
    runs = []
    for nb in notebooks if notebooks is not None else discover_notebooks():
        script = nb.with_suffix(".py")
        if script.exists():
            subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "--update", str(script)], check=True)
        echo(f"executing {nb.name} in place ...")
        start = time.perf_counter()
        try:
            pm.execute_notebook(str(nb), str(nb), cwd=str(nb.parent), kernel_name="python3", progress_bar=False,
                                kernel_manager_class=_QuietKernelManager, extra_arguments=[_TEXT_TQDM])
            status, error = "ok", None
        except Exception as exc:
            status, error = "failed", _short_error(exc)
            echo(f"  FAILED: {exc}")
        runs.append(NotebookRun(nb.name, status, time.perf_counter() - start, str(nb), None, error))
        echo(f"  {runs[-1].seconds:.1f} s, {nb.stat().st_size / 1e6:.2f} MB")
    return runs
