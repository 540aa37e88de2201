# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# A development admin key, so the README's curl examples work; set your own in production.
export COSTGRAPH_BOOTSTRAP_ADMIN_KEY ?= dev-admin-key

.PHONY: run test lint bench venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)  ## set up, start the embedded Neo4j and the API on http://$(HOST):$(PORT)
	$(BIN)/costgraph serve --host $(HOST) --port $(PORT)

test: $(STAMP)  ## set up and run the whole suite against a real Neo4j
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check app evolution tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
