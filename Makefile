# centra-ip: the two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8001

.PHONY: run test lint format install install-test browser bench clean help

help:
	@echo "make run    start the app on its embedded default (sandbox APIs, SQLite, demo logins)"
	@echo "make test   install the test dependencies and run lint plus the whole suite"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make smoke  the production smoke test (PostgreSQL, Redis, gunicorn, two task nodes, Chromium)"
	@echo "make soak   faults, worker kills and a database restart over two task nodes; invariants checked"

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

run: export DEBUG ?= true
run: install
	@mkdir -p data
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py sync_schedules
	$(PY) manage.py demo
	@echo "centra-ip on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server, the task cluster and the sandbox)"
	$(PY) manage.py devstack --host $(HOST) --port $(PORT) --sandbox-port $(SANDBOX_PORT)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Lint and the suite both run, so one lint slip does not hide the test results.
test: install-test browser
	@status=0; \
	$(MAKE) --no-print-directory lint || status=1; \
	$(VENV)/bin/pytest || status=1; \
	exit $$status

bench: install-test
	$(PY) bench/run.py

# Production mode end to end (tests/production/smoke.py): needs PostgreSQL and Redis running.
.PHONY: smoke
smoke: install-test browser
	$(PY) -m tests.production.smoke

# The soak (docs/reliability.md): needs Redis and the PostgreSQL binaries (it runs its own
# instance). SOAK_RUNS, SOAK_KILLS, SOAK_FAULT_RATE, SOAK_NODES, ... or ARGS="--runs 100".
.PHONY: soak
soak: install-test
	$(PY) -m syncs.soak $(ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
