# Grapevine: two commands on a fresh machine (only Python 3.11 and make needed).
#   make demo   set everything up, run the pipeline on the bundled demo data (embedded Postgres)
#   make test   set everything up and run the whole test suite (installs the headless Chromium that
#               the report test drives when run as root with apt-get; otherwise it stops at once
#               and prints the command that installs it)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install
EXTRAS ?= dev,social,airflow,train
PYTEST_ARGS ?=

.PHONY: install browser demo test test-fast bench lint format clean

install: $(STAMP)

# Reinstall when the project's dependencies change. torch is installed first and pinned, so pip
# takes the CPU wheel instead of resolving a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]' torch==2.13.0
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/grapevine demo

# The report's end-to-end test drives a real headless Chromium: find or install it first, so that
# a missing browser stops `make test` before anything runs rather than one test at the end.
browser:
	@echo "browser for the report test: $$(tools/ensure-browser)"

test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not e2e" $(PYTEST_ARGS)

bench: $(STAMP)
	@set -e; for b in benchmarks/*_bench.py; do [ $$b = benchmarks/nightly_bench.py ] || { echo "== $$b"; $(BIN)/python $$b; }; done
	@echo "== benchmarks/nightly_bench.py $(NIGHTLY_ARGS)"; $(BIN)/python benchmarks/nightly_bench.py $(NIGHTLY_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy grapevine collectors nlp warehouse
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
