"""Run every notebook headless with papermill, with checked parameters.

``python -m workbook run --dataset synthetic --params "n_speakers=40 seed=3"`` (or
``make run``) executes the numbered notebooks in order into ``outputs/<dataset>/``, as
executed ``.ipynb`` plus HTML, and prints what ran, how long each took and where the
outputs are. Parameters are injected into each notebook's ``parameters``-tagged cell; a
parameter that no notebook declares is refused with the list of valid ones (papermill
itself would inject it silently).

Notebook: all of them (this is how they run headless).
"""

from __future__ import annotations

import ast
import json
import shlex
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from workbook.paths import notebooks_dir, run_output_dir

#: Parameters the runner itself sets from its own options.
RUNNER_PARAMETERS = ("dataset", "data_dir", "output_dir", "n_jobs")


class ParameterError(ValueError):
    """A parameter was given that no notebook declares, or could not be parsed."""


def discover_notebooks(folder: Path | None = None) -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``) in order."""
    folder = folder or notebooks_dir()
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def declared_parameters(notebook: Path) -> dict[str, str]:
    """Parameters a notebook's ``parameters`` cell declares, name -> default (as source text)."""
    import papermill as pm

    info = pm.inspect_notebook(str(notebook))
    return {name: spec["default"] for name, spec in info.items()}


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
    declared = {nb: declared_parameters(nb) for nb in notebooks}
    valid = sorted(set().union(*declared.values())) if declared else []
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)}: no notebook declares "
            f"{'it' if len(unknown) == 1 else 'them'}. Valid parameters: {', '.join(valid)}"
        )
    return {nb: {k: v for k, v in params.items() if k in declared[nb]} for nb in notebooks}


@dataclass
class NotebookRun:
    notebook: str
    status: str  # "ok" or "failed"
    seconds: float
    output: str
    html: str | None
    error: str | None = None


def export_html(executed: Path) -> Path:
    """Write an HTML copy of an executed notebook beside it."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    body, _ = HTMLExporter().from_notebook_node(nb)
    html = executed.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    return html


def prepare_dataset(dataset: str, data_dir: str | None, params: dict, n_jobs: int) -> None:
    """Generate the synthetic corpus if it is missing (other data sets are loaded by the notebooks)."""
    if dataset != "synthetic":
        return
    from workbook.datasets import load_synthetic

    sizes = {k: params[k] for k in ("n_speakers", "clips_per_speaker", "seed") if k in params}
    load_synthetic(data_dir, n_jobs=n_jobs, **sizes, **params.get("dataset_params", {}))


def run_notebooks(
    *,
    dataset: str = "synthetic",
    data_dir: str | None = None,
    params: dict | None = None,
    out_dir: str | Path | None = None,
    n_jobs: int = 2,
    notebooks: list[Path] | None = None,
    html: bool = True,
    cell_timeout_s: int = 1800,
    echo=print,
) -> list[NotebookRun]:
    """Execute the notebooks in order; return one :class:`NotebookRun` per notebook.

    A failing notebook is recorded and the rest still run; a cell that runs longer than
    ``cell_timeout_s`` fails its notebook instead of stalling the run.
    """
    import papermill as pm

    params = dict(params or {})
    clash = sorted(set(params) & set(RUNNER_PARAMETERS))
    if clash:
        raise ParameterError(f"set {', '.join(clash)} with the runner's own options, not in params")
    notebooks = notebooks if notebooks is not None else discover_notebooks()
    if not notebooks:
        raise FileNotFoundError(f"no numbered notebooks found in {notebooks_dir()}")
    data_dir = str(Path(data_dir).resolve()) if data_dir else None
    out = run_output_dir(dataset, out_dir)
    full = {"dataset": dataset, "data_dir": data_dir, "output_dir": str(out), "n_jobs": n_jobs, **params}
    per_notebook = check_parameters(params, notebooks)

    t0 = time.perf_counter()
    prepare_dataset(dataset, data_dir, params, n_jobs)
    echo(f"data set {dataset!r} ready in {time.perf_counter() - t0:.1f} s")

    runs: list[NotebookRun] = []
    for nb in notebooks:
        declared = declared_parameters(nb)
        injected = {k: v for k, v in full.items() if k in declared}
        injected.update(per_notebook[nb])
        target = out / nb.name
        echo(f"running {nb.name} ...")
        start = time.perf_counter()
        try:
            pm.execute_notebook(
                str(nb), str(target), parameters=injected, cwd=str(nb.parent),
                kernel_name="python3", progress_bar=False, log_output=False,
                execution_timeout=cell_timeout_s,
            )
            status, error = "ok", None
        except Exception as exc:  # papermill saves the failed notebook; record and go on
            status, error = "failed", f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
        seconds = time.perf_counter() - start
        html_path = None
        if html and target.exists():
            html_path = str(export_html(target))
        runs.append(NotebookRun(nb.name, status, seconds, str(target), html_path, error))

    summary = {
        "dataset": dataset,
        "data_dir": data_dir,
        "parameters": {k: v for k, v in full.items() if k != "output_dir"},
        "notebooks": [asdict(r) for r in runs],
    }
    (out / "run_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    echo(format_summary(runs, out))
    return runs


def format_summary(runs: list[NotebookRun], out: Path) -> str:
    width = max(len(r.notebook) for r in runs)
    lines = ["", f"{'notebook':{width}s}  status   seconds"]
    for r in runs:
        lines.append(f"{r.notebook:{width}s}  {r.status:7s} {r.seconds:8.1f}")
        if r.error:
            lines.append(f"{'':{width}s}  -> {r.error}")
    total = sum(r.seconds for r in runs)
    lines.append(f"{'total':{width}s}  {'':7s} {total:8.1f}")
    lines.append(f"outputs (executed .ipynb and .html): {out}")
    return "\n".join(lines)
