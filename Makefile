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

setup: $(STAMP)

run: setup
	$(BIN)/voltline serve

lint: setup
	$(BIN)/ruff check voltline tests bench
	$(BIN)/ruff format --check voltline tests bench
	$(BIN)/mypy voltline

test: lint
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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
