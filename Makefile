# routerlab: `make demo` (set up + run the main job), `make test` (set up + every test), `make lab`.
# Set-up is idempotent: it re-installs only when pyproject.toml changes.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.routerlab-installed-$(shell sha1sum pyproject.toml Makefile | sha1sum | cut -c1-12)
OUT ?= out

.PHONY: setup demo test lab lint bench clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch is pinned to the CPU wheel before sentence-transformers asks for it (FEASIBILITY.md).
	$(PY) -m pip install -q torch==2.13.0
	CMAKE_ARGS="-DLLAVA_BUILD=OFF" $(PY) -m pip install -q -e '.[all]'
	@rm -f $(VENV)/.routerlab-installed-*
	@touch $@

demo: setup
	$(VENV)/bin/routerlab demo --out $(OUT)

test: setup
	$(PY) -m ruff check routerlab tests bench
	$(PY) -m pytest

lab: setup
	$(VENV)/bin/jupytext --sync notebooks/*.py >/dev/null
	$(VENV)/bin/jupyter lab notebooks

lint: setup
	$(PY) -m ruff check routerlab tests bench
	$(PY) -m ruff format --check routerlab tests bench

bench: setup
	for f in bench/*.py; do $(PY) $$f || exit 1; done

clean-venv:
	rm -rf $(VENV)
