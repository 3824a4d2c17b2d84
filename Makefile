# Two commands on a fresh machine: `make run` and `make test`.
# requirements.lock pins every transitive dependency (pip freeze of a working .venv).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck unit lwc-test js-test devorg clean

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund --silent
	mkdir -p node_modules
	touch $@

# The demo: SIVO with the emulated Salesforce org beside it, connected (one Ctrl-C stops both).
# SIVO_DEMO=0 runs the plain server.
run: $(BIN)/.installed node_modules/.installed
ifeq ($(SIVO_DEMO),0)
	$(BIN)/sivo serve
else
	$(BIN)/python -m demo
endif

devorg: $(BIN)/.installed
	$(BIN)/python -m devorg --demo

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check server devorg demo tests bench
	$(BIN)/ruff format --check server devorg demo tests bench

typecheck: $(BIN)/.dev-installed
	$(BIN)/mypy

# Two workers (pytest-xdist), each with its own PostgreSQL database: most tests wait on
# sockets, browsers and timers, so two share the machine's cores well.
TEST_JOBS ?= 2
unit: $(BIN)/.dev-installed node_modules/.installed
	$(BIN)/pytest -q -n $(TEST_JOBS)

# The Salesforce package's Jest tests (sfdx-lwc-jest looks for sfdx-project.json in the cwd).
lwc-test: node_modules/.installed
	cd lwc && ../node_modules/.bin/sfdx-lwc-jest

# DOM-free front-end modules of static/ (Node's own test runner: no packages).
js-test:
	node --test tests/js/

test: lint typecheck unit lwc-test js-test

clean:
	rm -rf $(VENV) node_modules var .mypy_cache .pytest_cache .ruff_cache
