# One-command entry points. `make run` and `make test` work on a fresh clone:
# both create .venv and install the project first.
#
#   make run                       run every notebook headless on the default (synthetic) data
#   make run DATASET=commonvoice DATA_DIR=../shared/data/commonvoice-6.1-sample
#   make run PARAMS="n_speakers=40 seed=3"
#   make test                      the whole test suite (unit tests, notebook runs, nbval)
#   make lab                       open the notebooks in JupyterLab
#   make data                      generate the default synthetic corpus (run does it too)
#   make notebooks                 re-execute the committed notebooks in place (refresh outputs)
#   make bench                     benchmarks (see benchmarks/README.md)
#   make book                      static offline HTML book of the executed notebooks in build/book/

# Python: .python-version selects 3.12 through pyenv; otherwise python3.12, else python3.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
# Pinned versions CI runs (Python 3.12, librosa 1.0). Use constraints-py311.txt with
# PYTHON=python3.11 for the librosa 0.11 route, or CONSTRAINTS= to float.
CONSTRAINTS ?= constraints.txt
DATASET ?= synthetic
DATA_DIR ?=
PARAMS ?=
OUT ?=
JOBS ?= 2
# notebooks run at once where one does not read another's outputs (workbook.runner.NEEDS); 1: in order
PARALLEL ?= 2
# make test runs the suite in this many processes (pytest-xdist; 0 runs it in one). On 2 cores,
# 3 processes were slower than 2 (11 min 40 s against 11 min 0 s on a clean clone, 2026-12-07).
TEST_WORKERS ?= 2
# seconds one notebook cell may run before make run stops that notebook, naming the cell. A whole
# release needs more: extracting 24,000 synthetic clips is one cell of about 26 min on 2 cores.
CELL_TIMEOUT ?= 900

STAMP := $(VENV)/.installed
COMPILED := $(VENV)/.compiled
# uv installs (torch's wheels in about a minute); the one on PATH, else bootstrapped into the venv.
UV ?= $(or $(shell command -v uv 2>/dev/null),$(VENV)/bin/uv)
CFLAG = $(if $(wildcard $(CONSTRAINTS)),-c $(CONSTRAINTS))

.PHONY: setup run test lab data notebooks bench clean help book chromium

help:
	@sed -n '1,15p' Makefile

# resemblyzer (speaker embeddings) is installed without its metadata's dependencies: webrtcvad
# needs a compiler (webrtcvad-wheels, a core dependency, gives the same module), `typing` is a backport.
$(STAMP): pyproject.toml $(wildcard $(CONSTRAINTS))
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x "$(UV)" || $(PY) -m pip install --quiet $(CFLAG) uv
	$(UV) pip install --python $(PY) --quiet $(CFLAG) -e ".[dev]"
	$(UV) pip install --python $(PY) --quiet --no-deps $(CFLAG) resemblyzer
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (workbook)" >/dev/null
	@touch $(STAMP)

# Then the bytecode of the whole venv and the project, after every install (about 25 s on 2 cores;
# a venv installed before this rule gets it on its next make): uv writes no .pyc files, and where
# PYTHONDONTWRITEBYTECODE is set nothing writes them at import, so every kernel and worker compiled
# its libraries again (notebook 05's imports: 5.3 s, compiled 2.0 s; benchmarks/bench_startup.py).
# compileall writes them either way (uv's --compile-bytecode does not, with that variable set).
$(COMPILED): $(STAMP)
	$(PY) -W ignore -m compileall -q -j 0 "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" helpers workbook
	@touch $(COMPILED)

setup: $(COMPILED)

run: setup
	$(PY) -m workbook run --dataset "$(DATASET)" $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") \
		$(if $(OUT),--out "$(OUT)") --params "$(PARAMS)" --jobs $(JOBS) --parallel $(PARALLEL) \
		--cell-timeout $(CELL_TIMEOUT)

# The notebooks run under nbval on a small corpus they generate (tests/conftest.py); the
# unit tests build their own tiny corpora: no default corpus is needed.
test: setup
	$(PY) -m pytest -n $(TEST_WORKERS)

data: setup
	$(PY) -m workbook generate --jobs $(JOBS) $(if $(PARAMS),--params "$(PARAMS)")

notebooks: setup
	$(PY) -m workbook refresh-notebooks

lab: setup
	$(PY) -m jupyter lab notebooks/

bench: setup
	$(PY) benchmarks/bench_generate.py

clean:
	rm -rf $(VENV) outputs .pytest_cache

book: setup
	$(PY) -m workbook.book build/book

# tests/test_browser.py drives Debian's Chromium (Playwright cannot download a browser here):
# as root, install it when it is missing; otherwise say how (the test then fails and says so too).
test: chromium
chromium:
	@test -x /usr/bin/chromium || { test "$$(id -u)" = 0 && apt-get update -qq && apt-get install -y -qq chromium; } \
		|| echo "tests/test_browser.py needs /usr/bin/chromium: sudo apt-get install -y chromium"
