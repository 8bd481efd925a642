# Everything a fresh machine needs: `make run` serves on SQLite, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: setup run test lint format clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The independent robustness suite (npm ocpp-ws-cli, pinned by tools/ocpp-ws-cli/package-lock.json), run by
# tests/e2e/test_ocpp_ws_cli.py. Without npm the test skips (and fails under CI=true).
OWC_DIR := tools/ocpp-ws-cli
OWC_STAMP := $(OWC_DIR)/node_modules/.installed-$(shell cat $(OWC_DIR)/package-lock.json | cksum | cut -d' ' -f1)

$(OWC_STAMP): $(OWC_DIR)/package.json $(OWC_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(OWC_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
		&& touch node_modules/$(notdir $@); \
	else echo "npm not found: the ocpp-ws-cli robustness suite will be skipped"; fi

setup: $(STAMP)

run: setup
	$(BIN)/voltline serve

lint: setup
	$(BIN)/ruff check voltline tests bench
	$(BIN)/ruff format --check voltline tests bench
	$(BIN)/mypy voltline
	$(BIN)/lint-imports --no-cache

test: lint $(OWC_STAMP)
	$(BIN)/pytest

format: setup
	$(BIN)/ruff format voltline tests
	$(BIN)/ruff check --fix voltline tests

.PHONY: bench
# `make bench`: the benchmark suite (bench/runner.py): Voltline on SQLite and PostgreSQL beside the baseline.
# BENCH_ARGS=--quick for a scaled-down run; results also in bench/results/latest.json.
bench: setup
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python -m bench.runner $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(OWC_DIR)/node_modules
