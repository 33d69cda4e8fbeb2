# ntm-portal developer tasks. A fresh machine needs only Python 3.12+ and GNU make;
# `make help` lists the targets.

# The interpreter: PYTHON= when given, else the first of python3.13, python3.12 on PATH, else
# one that pyenv installed (3.12 before 3.13), that actually runs as 3.12+ (a pyenv shim on PATH
# may name a version that is not selected). Left empty when none does: install says so.
PYTHON_CANDIDATES = python3.13 python3.12 \
	$(sort $(wildcard $(HOME)/.pyenv/versions/3.1[23]*/bin/python3 /root/.pyenv/versions/3.1[23]*/bin/python3))
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo "$$p"; break; }; \
	done)
VENV = .venv
PORT ?= 8000
HOST ?= 127.0.0.1
# Extra arguments for both pytest runs, e.g. make test PYTEST_ARGS="-k thresholds -x".
PYTEST_ARGS ?=
# Extra arguments for `make bench`, e.g. BENCH_ARGS="--runs 50 --import-rows 1000".
BENCH_ARGS ?=
# Extra arguments for `make loadtest`, e.g. LOADTEST_ARGS="--users 40 --seconds 60".
LOADTEST_ARGS ?=
# Debian's chromium; Playwright drives it directly, so `playwright install` is never needed.
CHROMIUM ?= /usr/bin/chromium

BIN = $(VENV)/bin
MANAGE = $(BIN)/python manage.py
# Rebuilt whenever pyproject.toml changes, so a re-run of any target skips pip.
STAMP = $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install venv demo serve migrate test lint format clean bench loadtest cluster cluster-stop

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: PYTHON=$(PYTHON) HOST=$(HOST) PORT=$(PORT) PYTEST_ARGS=..."

install: $(STAMP) ## Create .venv and install the dependencies with dev tools (alias: venv)
venv: install

# A .venv made by an older Python (the project needed only 3.11 before) is made again, even
# when its stamp is newer than pyproject.toml.
VENV_TOO_OLD := $(shell test -x $(BIN)/python && $(BIN)/python -c 'import sys; sys.exit(sys.version_info >= (3, 12))' && echo yes)
.PHONY: venv-too-old
$(STAMP): pyproject.toml $(if $(VENV_TOO_OLD),venv-too-old)
	@"$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
		|| { echo "ntm-portal needs Python 3.12+: install python3.12 (or pyenv install 3.12), or pass PYTHON=/path/to/python3.12" >&2; exit 1; }
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "$(VENV) was made with Python $$($(BIN)/python -c 'import platform; print(platform.python_version())'); making it again with $(PYTHON)"; \
		rm -rf $(VENV); \
	fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# The development server and the commands that prepare its database run with DEBUG on and,
# unless SECRET_KEY is already set, a key that is public by design. Never use these in production.
demo serve migrate: export DEBUG = 1
demo serve migrate: export SECRET_KEY ?= dev-only-insecure-key

# The .mo files are committed, so compilemessages (which needs gettext) is not run here.
# Every step is idempotent: re-running `make demo` neither fails nor duplicates anything.
demo: $(STAMP) ## Build the demo database (all of Vietnam + demo data) and serve it
	$(MANAGE) migrate --noinput
	$(MANAGE) load_admin_units
	$(MANAGE) load_criteria
	$(MANAGE) load_demo
	@echo "Open http://$(HOST):$(PORT)/ - demo accounts are listed in README.md"
	$(MANAGE) runserver $(HOST):$(PORT)

serve: $(STAMP) ## Run the development server on HOST:PORT
	$(MANAGE) runserver $(HOST):$(PORT)

migrate: $(STAMP) ## Apply database migrations
	$(MANAGE) migrate --noinput

# Tests run with DEBUG off, as in production, and a fixed key that guards nothing. With DEBUG
# off, {% static %} needs the manifest of hashed files and WhiteNoise serves STATIC_ROOT (the
# live_server of the browser tests warns, an error under pytest, when it is missing), so the
# test target runs collectstatic first.
test: export DEBUG = 0
test: export SECRET_KEY = test-only-insecure-key
test: export PLAYWRIGHT_CHROMIUM_EXECUTABLE = $(CHROMIUM)

# Every step runs even when an earlier one fails, so one run shows every problem; the target
# fails if any step failed. Browser tests get their own pytest run because live_server
# flushes the database that the other tests share. Pytest's exit code 5 ("no tests
# collected") is accepted only while no browser tests exist, or when PYTEST_ARGS narrowed
# the selection.
test: $(STAMP) ## Lint, check migrations, collectstatic, run the tests, then the browser tests
	@failed=""; narrowed="$(if $(strip $(PYTEST_ARGS)),yes)"; \
	fail() { failed="$$failed$$(printf '\n  %s' "$$*")"; }; \
	step() { echo "==> $$*"; "$$@" || fail "$$* (exit code $$?)"; }; \
	browser_tests_exist() { \
		ls tests/browser/test_*.py >/dev/null 2>&1 \
		|| grep -rqs --include='test_*.py' 'mark.browser' tests; \
	}; \
	pytest_part() { \
		echo "==> pytest -m \"$$1\" $(PYTEST_ARGS)"; \
		rc=0; $(BIN)/pytest -m "$$1" $(PYTEST_ARGS) || rc=$$?; \
		if [ $$rc -eq 5 ] && [ -n "$$narrowed" ]; then \
			echo "note: PYTEST_ARGS selected no tests in this part (pytest exit code 5)."; \
		elif [ $$rc -eq 5 ] && [ "$$1" = browser ] && ! browser_tests_exist; then \
			echo "note: no browser tests exist yet (pytest exit code 5); not a failure."; \
		elif [ $$rc -ne 0 ]; then \
			fail "pytest -m \"$$1\" (exit code $$rc)"; \
		fi; \
	}; \
	step $(BIN)/ruff check .; \
	step $(BIN)/ruff format --check .; \
	step $(MANAGE) makemigrations --check --dry-run; \
	step $(MANAGE) collectstatic --noinput --verbosity 0; \
	pytest_part "not browser"; \
	pytest_part browser; \
	if [ -n "$$failed" ]; then printf 'make test FAILED:%s\n' "$$failed" >&2; exit 1; fi; \
	echo "make test: all checks passed"

lint: $(STAMP) ## Check code style with ruff (no changes)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Fix what ruff can fix and reformat the code (make lint shows the rest)
	$(BIN)/ruff check --fix --exit-zero .
	$(BIN)/ruff format .

# Not part of `make test`. The first run on a database loads all of Vietnam and generates its
# history (a few minutes); later runs reuse it. BENCH_ARGS are passed on, e.g. "--runs 50".
bench: export DEBUG = 0
bench: export SECRET_KEY ?= bench-only-insecure-key
bench: $(STAMP) ## National-scale benchmark on DATABASE_URL (default bench.sqlite3), see README
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(BIN)/python -m bench $(BENCH_ARGS)

# Not part of `make test` (about a minute and a half with the set-up). Needs PostgreSQL: it
# drops and re-creates the database ntm_loadtest on the server of DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432) and touches no other database.
loadtest: export DEBUG = 0
loadtest: export SECRET_KEY ?= loadtest-only-insecure-key
loadtest: $(STAMP) ## Officials save and submit while offices read dashboards, then a recount
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

# Not part of `make test`. Two gunicorn servers behind HAProxy, a job worker, Redis, the local
# S3 server and PostgreSQL (database ntm_cluster), all on 127.0.0.1, in the background; the
# first start loads the demo data (a few minutes). Needs Debian's haproxy and redis-server:
# it says what to install when one is missing. CLUSTER_PORT (8180) and the next four ports.
CLUSTER_PORT ?= 8180
cluster: export CLUSTER_PORT := $(CLUSTER_PORT)
cluster: $(STAMP) ## Start the local cluster (balancer, 2 web servers, worker, Redis, S3, PostgreSQL)
	$(BIN)/python -m bench.cluster start $(CLUSTER_ARGS)

cluster-stop: ## Stop every process that `make cluster` started
	$(BIN)/python -m bench.cluster stop

clean: ## Remove .venv, the SQLite database and collected static files
	rm -rf $(VENV) staticfiles
	rm -f db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm
