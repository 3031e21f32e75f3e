# The README's two commands: `make run` (the main job) and `make test` (the whole suite).
# Each creates .venv when missing and installs what it needs; nothing else is assumed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PLUGINS := $(wildcard plugins/*/pyproject.toml)

.PHONY: run test lint typecheck unit coverage package-check bench bench-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Development tools come from the `dev` dependency group (pip >= 25.1, as upgraded above).
$(STAMP): pyproject.toml $(PLUGINS) | $(BIN)/python
	$(BIN)/python -m pip install -q --group dev -e '.[dask]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gini-host run env-check

test: lint typecheck unit package-check

lint: $(STAMP)
	$(BIN)/ruff check gini_host tests plugins bench .ci
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy --strict gini_host

unit: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Line coverage of gini_host/, subprocesses and workers included (target: 90%).
coverage: $(STAMP)
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest -q -p no:cacheprovider
	$(BIN)/coverage combine -q
	$(BIN)/coverage report --fail-under=90

# Build the wheels and sdists of gini-host and the bundled plugins, install the wheels into a
# fresh venv outside the tree, run env-check there and a plugin's tests from its sdist.
package-check: $(STAMP)
	$(BIN)/python .ci/package_check.py

bench: $(STAMP)
	$(BIN)/python -m bench

bench-check: $(STAMP)
	$(BIN)/python -m bench --check

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage .coverage.*
