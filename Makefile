# Podium — the two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: install demo dev test system browser prometheus postgres lint bench histories docs clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)   ## dev server + worker, run the sample offline, print the result
	$(BIN)/podium demo

dev: $(STAMP)    ## dev server + worker until Ctrl-C
	$(BIN)/podium dev

test: $(STAMP) system   ## the whole suite against a real Temporal dev server
	$(BIN)/pytest -q

# Debian's packages the tests start for real: chromium (browser tests), prometheus
# (tests/test_dashboard.py), postgresql (tests/activities/test_memory_stores.py) — each
# installed only if missing, all in one apt-get run.
CHROMIUM_OK = command -v chromium >/dev/null
PROMETHEUS_OK = command -v prometheus >/dev/null
POSTGRES_OK = test -x "$$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | tail -n1)"

system:          ## Debian's chromium, prometheus and postgresql, those missing
	@missing=""; \
	$(CHROMIUM_OK) || missing="$$missing chromium"; \
	$(PROMETHEUS_OK) || missing="$$missing prometheus"; \
	$(POSTGRES_OK) || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian's$$missing for the tests (apt-get) …"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

browser prometheus postgres: system   ## (each: the same as make system)

lint: $(STAMP)   ## ruff (lint + format) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# mypy sees the package as installed: podium/ + the five folders as podium.<name>
	rm -rf .typing && mkdir -p .typing/podium
	ln -s ../../podium/__init__.py .typing/podium/__init__.py
	for d in activities compiler workflows workers starters; do ln -s ../../$$d .typing/podium/$$d; done
	$(BIN)/mypy

docs: $(STAMP)   ## regenerate what the docs derive from the code: JSON Schemas, the kinds table
	$(BIN)/podium schema --kinds-table docs/specs.md

histories: $(STAMP)   ## re-record the golden histories the replay test checks (docs/internals.md)
	$(BIN)/python -m tests.support.histories

bench: $(STAMP)  ## overhead benchmark (see bench/README.md)
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) .podium .pytest_cache .mypy_cache .ruff_cache *.egg-info
