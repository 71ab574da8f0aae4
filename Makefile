# Banderole developer commands. `make serve` and `make test` are all a newcomer needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
REALTIME_PORT ?= 8001
opts ?=

.PHONY: install serve migrate dashboard test lint format requirements bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	cd api && $(PY) manage.py migrate --noinput && $(PY) manage.py createcachetable

## The web dashboard (frontend/) built into api/static when Node.js is installed, and rebuilt only
## when its sources changed (a stamp of their hash); without Node the server still runs and its
## / page says how to build the dashboard.
dashboard:
	@if command -v npm >/dev/null; then \
	  cd frontend && { [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
	    || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error; } \
	  && node scripts/build-if-changed.mjs \
	  || echo "*** The dashboard did not build (see above); the API and /admin/ still work."; \
	else \
	  echo "*** Node.js is not installed, so the dashboard at / is not built. Install Node.js 20.19+"; \
	  echo "*** (https://nodejs.org) and run make serve again, or use the Docker image, which builds it."; \
	fi

## Serve on http://$(HOST):$(PORT) with the embedded SQLite database (or DATABASE_URL), and the
## realtime stream process beside it on $(REALTIME_PORT) (docs/realtime.md); Ctrl-C stops both.
## The API redirects /sse/ there, so SDKs can use http://$(HOST):$(PORT)/api/v1/ for both.
serve: migrate dashboard
	@cd api && $(PY) manage.py first_run_hint --url http://$(HOST):$(PORT)
	cd api && { $(PY) manage.py runrealtime --host $(HOST) --port $(REALTIME_PORT) & streams=$$!; \
	  trap 'kill $$streams 2>/dev/null' EXIT INT TERM; \
	  REALTIME_URL=http://$(HOST):$(REALTIME_PORT) $(PY) manage.py runserver $(HOST):$(PORT); }

## The whole test suite: SQLite, then PostgreSQL when a server is reachable.
test: install
	bin/test $(opts)

## The SDK benchmark (bench/README.md): PostgreSQL, memcached, gunicorn and wrk; appends to bench/results.md.
## Options through opts=, e.g. make bench opts="--duration 10 --connections 16".
bench: install
	$(PY) bench/run.py $(opts)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd api && $(CURDIR)/$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

requirements: install
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements-dev.in -o requirements-dev.txt
