# The two commands a newcomer needs: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark
# the web app's front-end files, copied from node_modules (never committed)
ASSETS := src/localjustice/web/static/vendor/.built

.PHONY: demo test lint bench screenshots install spark assets system-packages java clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The Spark engine's Python side, the `spark` extra (pyspark: about 500 MB installed, a minute to
# install). The tests need it (every data test runs on both engines) and so does a deployment on
# Spark; the demo runs on DuckDB and does without it, so `make demo` stays as quick as it was.
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(SPARK_STAMP)

install: $(STAMP)

# Everything `LOCALJUSTICE_ENGINE=spark` needs on this machine: pyspark, and Java when missing.
spark: $(SPARK_STAMP) java

# Debian packages the tests need, each installed only when missing: npm for the web app's build,
# Chromium for Playwright (driven at /usr/bin/chromium; Playwright never downloads a browser of
# its own), and a Java runtime for Spark (below).
system-packages: java
	@if ! command -v npm >/dev/null 2>&1 || ! test -x /usr/bin/chromium; then \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	  apt-get install -y -qq $$(command -v npm >/dev/null 2>&1 || echo nodejs npm) \
	    $$(test -x /usr/bin/chromium || echo chromium) >/dev/null; fi
	@# WeasyPrint (the board pack's PDF) needs Pango
	@if ! ldconfig -p | grep -q 'libpango-1.0.so.0' || ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0'; then \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	  apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; fi

# Java 17 or later for Spark 4 (pyspark starts a JVM): Debian's openjdk-17-jre-headless when
# `java` is missing or older. Debian 13 has no OpenJDK 17; there its default runtime (21, which
# Spark 4 also supports) is installed instead.
java:
	@major=$$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1); \
	if [ "$${major:-0}" -lt 17 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	  jre=openjdk-17-jre-headless; apt-cache show $$jre >/dev/null 2>&1 || jre=default-jre-headless; \
	  echo "Installing Debian's $$jre for Spark"; apt-get install -y -qq $$jre >/dev/null; fi

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

test: lint $(ASSETS) system-packages $(SPARK_STAMP)
	$(BIN)/pytest -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# the README's screenshots, from a small demo (scripts/screenshots.py); commit the PNGs it writes
screenshots: $(STAMP) $(ASSETS) system-packages
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) localjustice-data node_modules src/localjustice/web/static/vendor
