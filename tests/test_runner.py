"""The headless runner: parameters are checked, notebooks run in order, outputs land in
outputs/<dataset>/ as executed notebooks plus HTML."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import nbformat
import pytest

from workbook.cli import main
from workbook.runner import (ParameterError, _forward_stderr, check_parameters, discover_notebooks, parse_params,
                             refresh_notebooks, run_notebooks)


def make_notebook(path, params_source, body_source):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(params_source)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test"), cell, nbformat.v4.new_code_cell(body_source)]
    nbformat.write(nb, str(path))
    return path


def test_parse_params():
    assert parse_params("n_speakers=50 seed=1 name=abc flag=True x=None f=0.5 s='a b'") == {
        "n_speakers": 50, "seed": 1, "name": "abc", "flag": True, "x": None, "f": 0.5, "s": "a b"}
    assert parse_params("") == {}
    with pytest.raises(ParameterError, match="name=value"):
        parse_params("seed")
    with pytest.raises(ParameterError, match="valid Python name"):
        parse_params("1x=3")


def test_unknown_parameter_is_refused_with_the_valid_ones(tmp_path):
    a = make_notebook(tmp_path / "01_a.ipynb", "seed = 0\nn_speakers = 10", "print(seed)")
    b = make_notebook(tmp_path / "02_b.ipynb", "seed = 0\ntop_db = 20", "print(top_db)")
    per = check_parameters({"seed": 3, "top_db": 30}, [a, b])
    assert per[a] == {"seed": 3} and per[b] == {"seed": 3, "top_db": 30}
    with pytest.raises(ParameterError) as err:
        check_parameters({"n_speakrs": 3}, [a, b])
    message = str(err.value)
    assert "n_speakrs" in message and "n_speakers, seed, top_db" in message


def test_run_executes_in_order_and_records_failures(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_OUTPUTS", str(tmp_path / "outputs"))
    nbs = [
        make_notebook(tmp_path / "01_a.ipynb", "dataset = 'x'\noutput_dir = None\nvalue = 1",
                      "import pathlib\npathlib.Path(output_dir, 'a.txt').write_text(str(value * 2))"),
        make_notebook(tmp_path / "02_fail.ipynb", "value = 1", "raise RuntimeError('boom')"),
        make_notebook(tmp_path / "03_c.ipynb", "output_dir = None",
                      "import pathlib\nprint(pathlib.Path(output_dir, 'a.txt').read_text())"),
    ]
    lines = []
    runs = run_notebooks(dataset="custom", params={"value": 21}, notebooks=nbs, echo=lines.append)
    out = tmp_path / "outputs" / "custom"
    assert [r.status for r in runs] == ["ok", "failed", "ok"]
    assert "boom" in runs[1].error
    assert (out / "a.txt").read_text() == "42"
    assert all((out / nb.name).exists() and (out / nb.name).with_suffix(".html").exists() for nb in nbs)
    summary = json.loads((out / "run_summary.json").read_text())
    assert [n["status"] for n in summary["notebooks"]] == ["ok", "failed", "ok"]
    assert "outputs (executed .ipynb and .html)" in lines[-1]


def test_notebooks_that_do_not_read_each_other_run_side_by_side(tmp_path, monkeypatch):
    """NEEDS decides the order: 02 reads nothing and runs beside 01; 03 reads 01 and waits for it
    (not for 02); 04 is not listed, so it waits for everything before it."""
    import workbook.runner as runner

    monkeypatch.setenv("WORKBOOK_OUTPUTS", str(tmp_path / "outputs"))
    for name, needs in (("01_a", ()), ("02_b", ()), ("03_c", ("01_a",))):
        monkeypatch.setitem(runner.NEEDS, name, needs)
    body = ("import pathlib, time\nstart = time.time()\ntime.sleep({sleep})\n"
            "pathlib.Path(output_dir, '{name}.txt').write_text(f'{{start}} {{time.time()}}')")
    nbs = [make_notebook(tmp_path / f"{name}.ipynb", "output_dir = None", body.format(sleep=sleep, name=name))
           for name, sleep in (("01_a", 2), ("02_b", 6), ("03_c", 0), ("04_d", 0))]
    runs = run_notebooks(dataset="custom", notebooks=nbs, html=False, echo=lambda line: None, parallel=2)
    assert [r.status for r in runs] == ["ok"] * 4
    out = tmp_path / "outputs" / "custom"
    (a0, a1), (b0, b1), (c0, _), (d0, _) = (map(float, (out / f"{nb.stem}.txt").read_text().split()) for nb in nbs)
    assert b0 < a1  # 01 and 02 ran at the same time
    assert a1 <= c0 < b1  # 03 started after 01 finished, while 02 was still running
    assert d0 >= max(b1, a1)  # an unlisted notebook waits for every one before it
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["parallel"] == 2 and summary["wall_seconds"] < sum(r.seconds for r in runs)


def test_cli_refuses_unknown_parameter():
    proc = subprocess.run(
        [sys.executable, "-m", "workbook", "run", "--params", "n_speakers=40 colour=blue"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2
    assert "colour" in proc.stderr and "Valid parameters:" in proc.stderr and "n_speakers" in proc.stderr


def test_refresh_executes_a_notebook_in_place(tmp_path):
    nb = make_notebook(tmp_path / "01_a.ipynb", "value = 1", "print(value * 3)")
    runs = refresh_notebooks([nb], echo=lambda line: None)
    assert [r.status for r in runs] == ["ok"]
    outputs = nbformat.read(str(nb), as_version=4).cells[-1].outputs
    assert outputs[0]["text"].strip() == "3"


def test_cli_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("run", "generate", "features", "predict", "refresh-notebooks"))
    assert main(["colour"]) == 2 and "invalid choice" in capsys.readouterr().err


def test_import_workbook_is_cheap_and_reexports_the_entry_points():
    code = (
        "import sys, workbook\n"
        "heavy = [m for m in ('pandas', 'librosa', 'sklearn', 'papermill') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "from workbook import extract_features, load_dataset, Predictor, TRUSTED_TYPES\n"
        "import workbook.engine, workbook.predict\n"
        "assert extract_features is workbook.engine.extract_features and Predictor is workbook.predict.Predictor\n"
        "missing = [n for n in workbook.__all__ if not hasattr(workbook, n)]\n"
        "assert not missing, missing\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_small_run_of_every_notebook(small_run):
    """Every committed notebook ran on the small synthetic corpus (nbval executes them with the
    runner's parameters, see tests/conftest.py; alone, this test makes the run with papermill)
    and left the artefacts the next notebook needs."""
    for name in ("01_f0_check.csv", "cleaning.json", "features.parquet", "features_spec.json", "metrics.json",
                 "model/model_card.json", "model/age_model.skops", "model/gender_model.skops"):
        assert (small_run / name).is_file(), f"the small run wrote no {name}"
    metrics = json.loads((small_run / "metrics.json").read_text())
    assert {"eda", "modeling"} <= set(metrics)


def test_a_cell_timeout_fails_fast_naming_notebook_and_cell(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_OUTPUTS", str(tmp_path / "outputs"))
    nbs = [make_notebook(tmp_path / "01_slow.ipynb", "value = 1", "import time\ntime.sleep(120)"),
           make_notebook(tmp_path / "02_next.ipynb", "value = 1", "print(value)")]
    start = time.perf_counter()
    runs = run_notebooks(dataset="custom", notebooks=nbs, cell_timeout_s=3, html=False, echo=lambda line: None)
    assert time.perf_counter() - start < 60
    assert [r.status for r in runs] == ["failed", "ok"]
    assert "01_slow.ipynb: cell 3 of 3 ('import time') ran longer than 3 s" in runs[0].error


def test_run_shows_progress_and_tqdm_but_not_the_transport_warning(tmp_path):
    body = "from tqdm.auto import tqdm\nfor _ in tqdm(range(5), desc='extracting'):\n    pass"
    make_notebook(tmp_path / "01_a.ipynb", "value = 1", body)
    code = ("import pathlib, sys\nfrom workbook.runner import run_notebooks\n"
            f"run_notebooks(dataset='custom', out_dir={str(tmp_path / 'out')!r}, html=False,\n"
            f"              notebooks=[pathlib.Path({str(tmp_path / '01_a.ipynb')!r})])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "01_a.ipynb: 100%" in proc.stderr and "3/3 [" in proc.stderr, proc.stderr  # cells done of total, elapsed
    assert "extracting: 100%" in proc.stderr and "5/5" in proc.stderr, proc.stderr  # the kernel tqdm bar, as text
    assert "without encryption" not in proc.stderr + proc.stdout


def test_kernel_stderr_is_forwarded_except_the_transport_warning(capfdbinary):
    pipe = io.BytesIO(b"[IPKernelApp] WARNING | Kernel is running over TCP without encryption. Use IPC.\n"
                      b"[IPKernelApp] ERROR | something real\n")
    _forward_stderr(pipe)
    assert capfdbinary.readouterr().err == b"[IPKernelApp] ERROR | something real\n"
