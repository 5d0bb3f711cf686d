# The two commands a newcomer needs: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the web app's front-end files, copied from node_modules (never committed)
ASSETS := src/localjustice/web/static/vendor/.built

.PHONY: demo test lint bench install assets system-packages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the web app's build and browser tests need: npm, and Chromium for Playwright
# (driven at /usr/bin/chromium; Playwright never downloads a browser of its own).
system-packages:
	@if ! command -v npm >/dev/null 2>&1 || ! test -x /usr/bin/chromium; then \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	  apt-get install -y -qq $$(command -v npm >/dev/null 2>&1 || echo nodejs npm) \
	    $$(test -x /usr/bin/chromium || echo chromium) >/dev/null; fi

$(ASSETS): package.json package-lock.json $(STAMP)
	command -v npm >/dev/null 2>&1 || $(MAKE) system-packages
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m localjustice.web.assets
	touch $(ASSETS)

assets: $(ASSETS)

demo: $(STAMP) $(ASSETS)
	$(BIN)/localjustice demo
	$(BIN)/localjustice serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: lint $(ASSETS) system-packages
	$(BIN)/pytest -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) localjustice-data node_modules src/localjustice/web/static/vendor
