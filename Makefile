# Podium — the two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo dev test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)   ## dev server + worker, run the sample offline, print the result
	$(BIN)/podium demo

dev: $(STAMP)    ## dev server + worker until Ctrl-C
	$(BIN)/podium dev

test: $(STAMP)   ## the whole suite against a real Temporal dev server
	$(BIN)/pytest -q

lint: $(STAMP)   ## ruff (lint + format) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)  ## overhead benchmark (see bench/README.md)
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) .podium .pytest_cache .mypy_cache .ruff_cache *.egg-info
