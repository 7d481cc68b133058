# Two commands a newcomer needs: `make dev` and `make test`. Everything else is their parts.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
PYTEST_ARGS ?=

.PHONY: dev test venv web web-deps services browser node-sdk test-py test-web bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt -e .
	touch $@

venv: $(STAMP)

web-deps:
	@if [ -f web/package.json ]; then cd web && npm ci --no-audit --no-fund; fi

web: web-deps
	@if [ -f web/package.json ]; then cd web && npm run build; fi

## make dev: install everything, build the dashboard, start every function on SQLite.
dev: venv web
	$(PY) -m shared.gateway --host $(HOST) --port $(PORT)

services:
	bash scripts/ensure-postgres.sh

## make browser: what the browser tests need: Debian's Chromium, and the npm packages of the
## page that reports with the real @sentry/browser (bundled by esbuild in tests/web_e2e).
browser:
	bash scripts/ensure-chromium.sh
	cd tests/web_e2e/browser_sdk && npm ci --no-audit --no-fund

## make node-sdk: the real @sentry/node that tests/functions/test_sentry_node_sdk.py runs (npm).
node-sdk:
	cd tests/functions/node_sdk && npm ci --no-audit --no-fund

test-py: venv services node-sdk
	$(PY) -m pytest $(PYTEST_ARGS)

test-web: web
	@if [ -f web/package.json ]; then cd web && npm test; fi

## make test: install what tests need (PostgreSQL, Chromium, packages) and run them all.
test: venv services browser test-web test-py

## make bench: every benchmark (PostgreSQL, wrk); figures go to stdout, docs/benchmarks.md holds them.
bench: venv services
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) web/node_modules web/dist data tests/functions/node_sdk/node_modules tests/web_e2e/browser_sdk/node_modules
