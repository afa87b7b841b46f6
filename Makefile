# GridCare — the two commands are `make demo` and `make test`. Everything is installed from the
# lock files (uv.lock, package-lock.json) into this folder: .tools/ (uv), .venv/, node_modules/.

SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
GRIDCARE := $(PY) -m gridcare
export DJANGO_SETTINGS_MODULE := gridcare.settings
export PYTHONPATH := src
export UV_PYTHON := $(PYTHON)
# Seed of the demo utility; the account count is kept small so `make demo` starts in seconds.
DEMO_ACCOUNTS ?= 2000
DEMO_SEED ?= 20261129
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup demo serve test lint typecheck contracts pytest pytest-sqlite pytest-postgres \
        messages assets clean security bandit dependency-audit

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --quiet
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: installing Debian's nodejs and npm"; \
	  apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --silent
	touch $@

var/vendor/.copied: node_modules/.package-lock.json
	mkdir -p var/vendor/htmx var/vendor/echarts
	cp node_modules/htmx.org/dist/htmx.min.js var/vendor/htmx/
	cp node_modules/echarts/dist/echarts.min.js var/vendor/echarts/
	touch $@

assets: var/vendor/.copied

# Compiled catalogs are build products: pybabel compiles the .po files without GNU gettext.
messages: $(VENV)/.synced
	$(VENV)/bin/pybabel compile --statistics -D django -d src/gridcare/locale

# Static files are collected into var/static so WhiteNoise serves them the same way in the
# demo, the tests and production.
var/static/.collected: var/vendor/.copied $(VENV)/.synced $(shell find src/gridcare -path '*/static/*' -type f)
	$(GRIDCARE) collectstatic --no-input --verbosity 0
	touch $@

setup: $(VENV)/.synced assets messages var/static/.collected

demo: setup
	$(GRIDCARE) migrate --no-input
	$(GRIDCARE) seed --accounts $(DEMO_ACCOUNTS) --seed $(DEMO_SEED) --if-empty
	$(GRIDCARE) demo_logins
	@# jobs and notifications (issue 4): beside the server run a job worker (with the periodic
	@# scheduler), the bundled SMSC simulator (MMS fails for a third of the numbers, so the
	@# MMS -> SMS fallback shows) and an SMTP server keeping e-mail in var/demo-mail (Maildir).
	@# All stop when the server stops (SIGTERM: the worker finishes its current job first).
	mkdir -p var/demo-mail/cur var/demo-mail/new var/demo-mail/tmp
	$(GRIDCARE) smsc_simulator --port 2775 --fail-mms-one-in 3 & smsc=$$!; \
	$(PY) -m aiosmtpd -n -l 127.0.0.1:1025 -c aiosmtpd.handlers.Mailbox var/demo-mail & smtp=$$!; \
	$(GRIDCARE) worker & worker=$$!; \
	trap 'kill -TERM $$worker $$smsc $$smtp 2>/dev/null; wait $$worker $$smsc $$smtp' EXIT; \
	$(GRIDCARE) serve --host $(HOST) --port $(PORT)

serve: setup
	$(GRIDCARE) serve --host $(HOST) --port $(PORT) $(SERVE_ARGS)

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy

contracts: $(VENV)/.synced
	$(VENV)/bin/lint-imports --no-cache

pytest-sqlite: setup
	env -u DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

pytest-postgres: setup
	@case "$$DATABASE_URL" in postgres*) $(VENV)/bin/pytest $(PYTEST_ARGS);; \
	  *) echo "DATABASE_URL is not PostgreSQL: skipping the PostgreSQL run";; esac

test: setup lint typecheck contracts security pytest-sqlite pytest-postgres

# --- Security checks (issue 3 hardening) ------------------------------------------------------
# bandit on src/ (medium and high findings fail; config in pyproject.toml [tool.bandit]), and
# pip-audit of exactly the locked packages, which fails on a vulnerability not accepted in
# security/dependency-audit-allowlist.toml and prints "skipped: offline" when the vulnerability
# service cannot be reached. Each takes 3–7 s.
security: bandit dependency-audit

bandit: $(VENV)/.synced
	$(VENV)/bin/bandit -c pyproject.toml -r src --quiet --severity-level medium

dependency-audit: $(VENV)/.synced
	@mkdir -p var/security
	$(UV) export --frozen --no-hashes --no-emit-project --quiet -o var/security/requirements.txt
	$(PY) scripts/dependency_audit.py --requirements var/security/requirements.txt \
	  --allowlist security/dependency-audit-allowlist.toml

clean:
	rm -rf .tools $(VENV) node_modules var

# --- Benchmarks (issue 5 §6): not a test; docs/benchmarks.md ----------------------------------
# `make bench` installs the `bench` dependency group (NREL PySAM, pinned in uv.lock; `make setup`
# leaves it out) and runs every benchmark on the reference data of ../shared/data (BENCH_DATA=DIR
# elsewhere), printing the figures and writing var/bench/summary.json. BENCH_ARGS passes options,
# e.g. BENCH_ARGS="--customers 10000 --pysam-customers 500" (python -m bench --help lists them).
BENCH_DATA ?= ../shared/data
BENCH_ARGS ?=
.PHONY: bench
bench: $(UV)
	$(UV) sync --frozen --quiet --group bench
	$(PY) -m bench --data $(BENCH_DATA) $(BENCH_ARGS)
