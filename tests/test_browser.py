"""The widgets in a real browser: JupyterLab from this environment, driven by Playwright in
Debian's Chromium. Every notebook whose executed copy holds a widget (one test each) is
opened, run whole, checked for errors, and every control of every widget is operated; its
output must change.

Needs /usr/bin/chromium (``make test`` installs it; without it this test fails and says so).
Which notebooks hold a widget is read from the committed (executed) notebooks; the browser
runs them on the small corpus of the notebooks' small run (tests/conftest.py). On failure,
screenshots are kept in build/browser-test/. Set WORKBOOK_SCREENSHOTS to a folder to also keep
one screenshot per notebook at 1280 and 800 px (the label-fit check).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import papermill as pm
import pytest
import soundfile as sf
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from conftest import small_injected
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook
from workbook.paths import notebooks_dir

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("WORKBOOK_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[1]
FAILURES = ROOT / "build" / "browser-test"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: The browser checks the widgets, not the numbers (nbval's run does): notebook 02 scores its
#: cleaning variants on fewer clips here.
LIGHTER = {"n_eval_clips": 24}
#: Controls, in the order they are operated (CSS selector, kind).
CONTROLS = [(".widget-dropdown select", "dropdown"), (".widget-toggle-buttons .widget-toggle-button", "toggles"),
            (".widget-checkbox input[type=checkbox]", "checkbox"), (".widget-slider .noUi-handle", "slider"),
            (".widget-upload input[type=file]", "upload")]
#: What a widget shows: images, players and HTML, per cell output (JS, returns a string). Not the
#: controls' own state (a slider's readout changes when it moves, whether or not anything redraws).
SIGNATURE_JS = """out => [...out.querySelectorAll('img, audio, .widget-html-content, pre')]
    .map(e => e.tagName === 'IMG' || e.tagName === 'AUDIO' ? e.src.length + ':' + e.src.slice(-200) : e.innerText)
    .join('|')"""
#: Labels cut by the layout (text wider than its box) anywhere in a widget.
CUT_LABELS_JS = """() => [...document.querySelectorAll(
    '.widget-label, .widget-toggle-button, .widget-button, .widget-upload, .widget-label-basic')].filter(e => e.offsetWidth > 0 && e.scrollWidth > e.clientWidth + 1)
    .map(e => (e.innerText || e.title).trim() + ' (' + e.scrollWidth + ' > ' + e.clientWidth + ' px)')
    .concat([...document.querySelectorAll('.jupyter-widgets .widget-inline-hbox, .jupyter-widgets .widget-checkbox')]
      .filter(e => e.offsetWidth > 0 && e.closest('.jp-OutputArea-output'))
      .map(e => [e, e.getBoundingClientRect().right - e.closest('.jp-OutputArea-output').getBoundingClientRect().right])
      .filter(([e, over]) => over > 1)
      .map(([e, over]) => e.innerText.replace(/\u200b/g, '').trim().split('\\n')[0] + ' (' + Math.round(over) + ' px past the right edge of its output)'))"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _widget_notebooks(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        if any(WIDGET_MIME in out.get("data", {}) for c in nb.cells for out in c.get("outputs", [])):
            found.append(path)
    return found


@pytest.fixture(scope="module")
def lab(tmp_path_factory, small_run):
    """JupyterLab on a loopback port over the widget notebooks, parameterised for the small run.

    The browser runs each notebook itself (Run All), so nothing is executed beforehand: the
    notebooks get the small run's ``injected-parameters`` cell and write into a copy of its
    output folder (notebook 07 predicts with the model notebook 05 saved there).
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it (apt-get install -y chromium; `make test` does) "
                    "or point WORKBOOK_CHROMIUM at a Chromium binary")
    tmp = tmp_path_factory.mktemp("browser")
    out = tmp / "out"
    shutil.copytree(small_run, out)  # the browser's runs write here, not into the tests' small run
    (tmp / "lab").mkdir()
    for source in _widget_notebooks(notebooks_dir()):
        lighter = {k: v for k, v in LIGHTER.items() if k in pm.inspect_notebook(str(source))}
        nb = parameterize_notebook(load_notebook_node(str(source)), {**small_injected(source), "output_dir": str(out),
                                                                      **lighter})
        nbformat.write(nb, str(tmp / "lab" / source.name))
    settings = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)  # every cell in the DOM, so every widget can be found
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = _free_port(), "workbook-browser-test"
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")}
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                               "--ip=127.0.0.1", "--allow-root", f"--IdentityProvider.token={token}", f"--notebook-dir={tmp / 'lab'}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=(tmp / "lab.log").open("w"))
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"JupyterLab did not start: {(tmp / 'lab.log').read_text()[-2000:]}")
    yield {"base": base, "token": token, "folder": tmp / "lab", "tmp": tmp}
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(lab):
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _wav(path: Path, seconds: float = 2.0, sr: int = 16_000) -> Path:
    """A voiced-sounding test recording: 140 Hz with harmonics, a little noise, fade in and out."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    y = y * np.minimum(1, np.minimum(t, t[-1] - t) * 10) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    sf.write(path, (0.3 * y / np.abs(y).max()).astype(np.float32), sr)
    return path


def _run_all(page, name: str, timeout_s: float = 300) -> None:
    page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
    accept = page.locator(".jp-Dialog .jp-mod-accept")  # "Select Kernel" on a fresh server
    try:
        accept.wait_for(timeout=15_000)
        accept.click()
    except PlaywrightTimeout:
        pass
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=120_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Edit").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Clear Outputs of All Cells").first.click()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        prompts = page.eval_on_selector_all(".jp-CodeCell .jp-InputArea-prompt", "es => es.map(e => e.innerText)")
        if prompts and all(p.strip().startswith("[") and p.strip()[1:-2].isdigit() for p in prompts) \
                and page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count():
            return
        time.sleep(1)
    raise AssertionError(f"{name}: Run All did not finish in {timeout_s:.0f} s")


def _operate(page, output, selector: str, kind: str, index: int, wav: Path) -> str:
    """Operate one control; return what was done (for messages)."""
    control = output.locator(selector).nth(index)
    if kind == "dropdown":
        options = control.locator("option").evaluate_all("os => os.map(o => o.value)")
        current = control.input_value()
        choice = options[(options.index(current) + 1) % len(options)]
        control.select_option(choice)
        return f"chose {control.locator(f'option[value=\"{choice}\"]').inner_text()!r}"
    if kind == "toggles":
        control.click()
        return f"pressed {control.inner_text()!r}"
    if kind == "checkbox":
        control.click()
        return "ticked" if control.is_checked() else "unticked"
    if kind == "slider":
        control.focus()
        control.press("ArrowLeft" if control.get_attribute("aria-valuenow") == control.get_attribute("aria-valuemax")
                      else "ArrowRight")
        return f"moved to {control.get_attribute('aria-valuenow')}"
    control.set_input_files(str(wav))
    return f"uploaded {wav.name}"


def _widget_outputs(page):
    outputs = page.locator(".jp-Cell-outputArea .jp-OutputArea-child").filter(has=page.locator(".jupyter-widgets"))
    return [outputs.nth(i) for i in range(outputs.count())]


def _exercise_notebook(page, path: Path, wav: Path) -> list[str]:
    """Run the notebook, check it, operate every control; return a log of what was done."""
    name, log = path.name, []
    _run_all(page, name)
    page.keyboard.press("Control+s")
    time.sleep(2)
    errors = [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nbformat.read(str(path), as_version=4).cells)
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{name}: cells raised errors in the browser run: {errors}"
    broken = page.locator("text=Error displaying widget")
    assert broken.count() == 0, f"{name}: a widget failed to render ({broken.count()} x 'Error displaying widget')"
    outputs = _widget_outputs(page)
    assert outputs, f"{name}: no widget rendered in the browser"
    for w, output in enumerate(outputs):
        output.scroll_into_view_if_needed()
        for selector, kind in CONTROLS:
            for index in range(output.locator(selector).count()):
                control = output.locator(selector).nth(index)
                label = (control.evaluate("e => (e.closest('.widget-inline-hbox, .widget-toggle-buttons, "
                                          ".widget-upload, .widget-checkbox') || e).innerText") or "")
                label = label.replace("\u200b", "").strip()  # ipywidgets pads empty labels with a zero-width space
                what = f"{name}, widget {w + 1}, {kind} {label.splitlines()[0] if label else index}"
                if kind == "toggles" and "mod-active" in (control.get_attribute("class") or ""):
                    continue  # pressing the active button changes nothing; the others are pressed
                assert control.is_enabled() or kind == "upload", f"{what}: the control is disabled"
                before = output.evaluate(SIGNATURE_JS)
                done = _operate(page, output, selector, kind, index, wav)
                deadline = time.monotonic() + 60
                while output.evaluate(SIGNATURE_JS) == before and time.monotonic() < deadline:
                    time.sleep(0.3)
                after = output.evaluate(SIGNATURE_JS)
                assert after != before, f"{what}: {done}, but the widget's output did not change in 60 s"
                assert "cannot draw" not in after, f"{what}: {done}, and the widget reports: {after[:300]}"
                log.append(f"{what}: {done} -> output changed ({hashlib.sha1(after.encode()).hexdigest()[:8]})")
    return log


WIDGET_NOTEBOOKS = _widget_notebooks(notebooks_dir())


def test_the_explorers_and_the_upload_panel_hold_widgets():
    assert len(WIDGET_NOTEBOOKS) >= 3, f"expected the explorers and the upload panel, found widgets in {WIDGET_NOTEBOOKS}"


@pytest.mark.parametrize("source", WIDGET_NOTEBOOKS, ids=[p.stem for p in WIDGET_NOTEBOOKS])
def test_every_widget_works_in_a_real_browser(lab, browser, tmp_path, source):
    path = lab["folder"] / source.name
    wav = _wav(tmp_path / "browser_test_voice.wav")
    shots = os.environ.get("WORKBOOK_SCREENSHOTS")
    FAILURES.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{lab['base']}/lab/tree/{path.name}?reset&token={lab['token']}")
        log = _exercise_notebook(page, path, wav)
        print("\n".join(log))
        for width in (1280, 800):
            page.set_viewport_size({"width": width, "height": 900})
            time.sleep(1)
            cut = page.evaluate(CUT_LABELS_JS)
            if shots:
                out = _widget_outputs(page)[0]
                out.scroll_into_view_if_needed()
                out.screenshot(path=str(Path(shots) / f"{path.stem}_{width}px.png"))
            assert not cut, f"{path.name} at {width} px: widget labels cut: {cut}"
    except Exception:
        page.screenshot(path=str(FAILURES / f"{path.stem}.png"), full_page=True)
        raise
    finally:
        page.close()
