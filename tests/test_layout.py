"""The shape of the code a learner meets: notebooks that show the library calls they teach,
a thin teaching package apart from the machinery, and a surface a newcomer can take in.

Budgets (issue 9): the project's packages (helpers + workbook) at most 10,000 lines, the
teaching-facing ``helpers`` at most 5,000, at most 200 public names, no module over 450
lines; every module declares ``__all__``; imports between project modules at the top of
the file, no cycles, and ``helpers`` never imports ``workbook``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("helpers", "workbook")
NOTEBOOKS = {p.name[:2]: p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}

#: Library calls each notebook must show in its own code cells (the first time it teaches them).
REQUIRED_CALLS = {
    "01": ["np.fft.rfft", "librosa.stft", "librosa.amplitude_to_db", "librosa.feature.melspectrogram",
           "librosa.power_to_db", "librosa.feature.mfcc", "librosa.pyin", "librosa.display.specshow"],
    "02": ["nr.reduce_noise", "librosa.effects.trim"],
    "03": ["librosa.onset.onset_detect", "librosa.feature.tempo", ".to_pitch", "praat.call",
           "opensmile.Smile(", "librosa.feature.delta"],
    "04": ["np.log1p", "zscore(", ".corr(", "sns.histplot", "sns.heatmap"],
    "05": ["train_test_split", "StratifiedGroupKFold", "cross_val_predict", "balanced_accuracy_score",
           "Pipeline("],
    "06": ["preprocess_wav(", "VoiceEncoder(", "embed_utterance(", "return_partials=True", "StratifiedGroupKFold", "PCA("],
}

# Issue 9's budget. The restructure landed at 9,291 lines; the robustness, evaluation-level,
# embedding, book and scale work grew the packages to 10,037, simplified back to 9,933.
MAX_TOTAL_LINES = 10_000
MAX_TEACHING_LINES = 5_000
MAX_PUBLIC_NAMES = 200
MAX_MODULE_LINES = 450


def modules(package: str | None = None) -> list[Path]:
    pkgs = (package,) if package else PACKAGES
    return sorted(p for pkg in pkgs for p in (ROOT / pkg).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def declared_all(path: Path) -> list[str] | None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [ast.literal_eval(e) for e in node.value.elts]
    return None


def code_of(notebook: Path) -> str:
    nb = nbformat.read(str(notebook), as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def project_imports(path: Path) -> list[tuple[str, bool]]:
    """(imported project module, at top level?) for every import of a project module."""
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name.split(".")[0] in PACKAGES:
                found.append((name, id(node) in top))
    return found


@pytest.mark.parametrize("number", sorted(REQUIRED_CALLS))
def test_notebook_shows_the_library_calls_it_teaches(number):
    assert number in NOTEBOOKS, f"notebook {number} is missing"
    code = code_of(NOTEBOOKS[number])
    missing = [call for call in REQUIRED_CALLS[number] if call not in code]
    assert not missing, f"{NOTEBOOKS[number].name} teaches without showing: {', '.join(missing)}"


def test_package_budgets():
    lines = {pkg: sum(len(p.read_text().splitlines()) for p in modules(pkg)) for pkg in PACKAGES}
    assert lines["helpers"] <= MAX_TEACHING_LINES, f"helpers/ has {lines['helpers']} lines (budget {MAX_TEACHING_LINES})"
    assert sum(lines.values()) <= MAX_TOTAL_LINES, f"the packages have {sum(lines.values())} lines (budget {MAX_TOTAL_LINES})"
    too_long = {module_name(p): n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


def test_every_module_declares_its_public_names():
    missing = [module_name(p) for p in modules() if p.name != "__main__.py" and declared_all(p) is None]
    assert not missing, f"modules without __all__: {missing}"
    # a name re-exported by a package's __init__ (workbook.load_dataset) is the same name
    names = {name for p in modules() for name in declared_all(p) or []}
    assert len(names) <= MAX_PUBLIC_NAMES, f"{len(names)} public names (budget {MAX_PUBLIC_NAMES})"


def test_helpers_never_import_workbook():
    offenders = sorted({module_name(p) for p in modules("helpers")
                        for name, _ in project_imports(p) if name.split(".")[0] == "workbook"})
    assert not offenders, f"helpers modules importing workbook: {offenders}"


def test_project_imports_at_the_top_and_no_cycles():
    known = {module_name(p) for p in modules()}
    local = sorted({f"{module_name(p)} -> {name}" for p in modules() for name, at_top in project_imports(p)
                    if not at_top and name in known})
    assert not local, f"function-local imports between project modules: {local}"
    graph = {module_name(p): {n for n, _ in project_imports(p) if n in known and n != module_name(p)} for p in modules()}
    # a package's __init__ importing its own submodules is not a cycle of its submodules
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1 and not node.startswith(nxt + "."):
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_capturing_output_widgets():
    """ipywidgets.Output (which interact uses) can stall headless executors: draw into an Image."""
    pattern = re.compile(r"\b(interact|interactive|interact_manual)\s*\(|\bOutput\s*\(")
    hits = [p.name for p in NOTEBOOKS.values() if pattern.search(code_of(p))]
    hits += [module_name(p) for p in modules() if pattern.search(p.read_text())]
    assert not hits, f"capturing Output widgets in: {hits}"
