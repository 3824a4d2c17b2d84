# Two commands on a fresh machine: `make run` and `make test`.
# requirements.lock pins every transitive dependency (pip freeze of a working .venv).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck unit devorg clean

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	mkdir -p node_modules
	touch $@

run: $(BIN)/.installed node_modules/.installed
	$(BIN)/sivo serve

devorg: $(BIN)/.installed
	$(BIN)/python -m devorg --demo

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check server devorg tests bench
	$(BIN)/ruff format --check server devorg tests bench

typecheck: $(BIN)/.dev-installed
	$(BIN)/mypy

unit: $(BIN)/.dev-installed node_modules/.installed
	$(BIN)/pytest -q

test: lint typecheck unit

clean:
	rm -rf $(VENV) node_modules var .mypy_cache .pytest_cache .ruff_cache
