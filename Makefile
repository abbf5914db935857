# Two commands for a newcomer: `make run` (install, migrate, demo data, serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# pip-compile (pip-tools) writes the lock files, from its own virtual environment (it uses pip's internals).
LOCK_VENV ?= .venv-lock
PIP_TOOLS := pip-tools==7.6.2
LOCK_ARGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	$(if $(UPGRADE),--upgrade)

.PHONY: run test install install-test lock migrate seed serve lint format schema audit bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==26.3

# Exactly the versions of the lock files (hash-checked), then the project itself without its dependencies and
# with the locked build backend: nothing unpinned is installed. Reinstall only when one of them changes.
$(VENV)/.installed: pyproject.toml requirements/main.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements/main.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml requirements/test.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements/test.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@ $(VENV)/.installed

# Regenerates both lock files from pyproject.toml (and requirements/build.in), keeping every pin that still
# fits; `make lock UPGRADE=1` moves everything to the newest versions allowed. Commit both files.
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/python -m pip install --quiet $(PIP_TOOLS); }
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile $(LOCK_ARGS) \
		--output-file requirements/main.lock pyproject.toml requirements/build.in
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile $(LOCK_ARGS) --extra test \
		--output-file requirements/test.lock pyproject.toml requirements/build.in

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/parcourspro-gql migrate

seed: migrate
	$(BIN)/parcourspro-gql seed-demo

run: seed
	@echo "GraphiQL : http://$(HOST):$(PORT)/graphql"
	$(BIN)/parcourspro-gql serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: install
	$(BIN)/parcourspro-gql export-schema --output schema.graphql

# The graphql-http audit (npm, pinned in .ci/graphql-http/package-lock.json) against a real server.
audit: install
	VENV=$(abspath $(VENV)) .ci/graphql-http/run-audit

clean:
	rm -rf $(VENV) $(LOCK_VENV) var .pytest_cache .ruff_cache .ci/graphql-http/node_modules
