# Homeward: `make run` sets up a fresh machine and serves; `make test` runs the suite on
# SQLite and then on a fresh PostgreSQL database on 127.0.0.1.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PG_TEST_DB ?= homeward_test_$(shell date +%s)_$$$$
# One pytest-xdist worker per CPU, at most four (each worker has its own SQLite file or its own
# PostgreSQL database: tests/conftest.py). `make test PYTEST_WORKERS=0` runs serially.
PYTEST_WORKERS ?= $(shell n=$$(nproc); [ $$n -gt 4 ] && n=4; echo $$n)
PYTEST_ARGS ?= -n $(PYTEST_WORKERS)
APT_PACKAGES := chromium fonts-noto-core fonts-noto-ui-core poppler-utils gettext \
	libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql-client zbar-tools \
	unicode-cldr-core libqrencode4

.PHONY: install system-deps venv run migrate seed test test-sqlite test-postgres lint bench clean

install: system-deps venv

# Debian packages for PDFs (fonts, Pango) and their QR codes (libqrencode4), the browser tests,
# pdftotext/pdftoppm and zbarimg (the sheet tests that scan the printed QR codes), and Unicode
# CLDR's region names in each language (unicode-cldr-core, read by app/directory/cldr_regions.py).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

migrate: venv
	$(VENV)/bin/homeward db upgrade

seed: migrate
	$(VENV)/bin/homeward seed --demo --if-empty

run: install seed
	$(VENV)/bin/homeward keys bootstrap
	@echo "Serving on http://$(HOST):$(PORT)/ (API docs at /docs) with the scheduler; Ctrl-C stops both."
	@echo "Run the command line as $(VENV)/bin/homeward, or first: source $(VENV)/bin/activate"
	$(VENV)/bin/homeward serve --with-scheduler --host $(HOST) --port $(PORT)

lint: venv
	$(VENV)/bin/ruff check app tests migrations bench
	$(VENV)/bin/ruff format --check app tests migrations bench
	$(VENV)/bin/mypy app

test: install lint test-sqlite test-postgres

test-sqlite: venv
	TEST_DATABASE_URL= $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: venv
	@db=$(PG_TEST_DB); \
	psql "$(PG_ADMIN_URL)" -qc "CREATE DATABASE $$db" && \
	TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/$$db $(VENV)/bin/pytest $(PYTEST_ARGS); \
	rc=$$?; psql "$(PG_ADMIN_URL)" -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)"; exit $$rc

# Each runs as `python -m bench.NAME`; bench/ also holds the synthetic directory they share.
BENCHES = query pages export review_queue sheets hsds verification

bench: venv
	for name in $(BENCHES); do $(PY) -m bench.$$name || exit 1; done

clean:
	rm -rf $(VENV) var test-artifacts
