# Rastro's task menu. `make run` and `make test` are the two set-up commands of the README.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STAMP := $(VENV)/.installed
PKGCHECK := var/pkgcheck
PKGCHECK_STAMP := $(PKGCHECK)/venv/.installed

.PHONY: run test install pkgcheck web tracker web-test e2e-deps lint format typecheck migrate openapi wrk bench bench-leads bench-analytics clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# What a wheel is built from, copied so that the build leaves no build/ or egg-info in the tree.
PKGCHECK_TREE = rm -rf $(PKGCHECK)/tree && mkdir -p $(PKGCHECK)/tree && \
	cp -R pyproject.toml README.md src $(PKGCHECK)/tree/

# A clean venv holding only the runtime dependencies (no extras), made again when they change.
$(PKGCHECK_STAMP): pyproject.toml constraints.txt
	rm -rf $(PKGCHECK)/venv
	$(PYTHON) -m venv $(PKGCHECK)/venv
	$(PKGCHECK)/venv/bin/pip install --quiet --upgrade pip
	$(PKGCHECK_TREE)
	$(PKGCHECK)/venv/bin/pip install --quiet -c constraints.txt $(PKGCHECK)/tree
	@touch $@

## `pip install rastro` without extras: build the wheel from a copy of the current sources
## (no build/ left in the tree), install it (not editable) into the clean venv, import every
## module and build the app (tests/packaging/install_check.py), run `rastro --help` and
## `rastro openapi`, all with PYTHONPATH unset so that only the installed package is seen.
pkgcheck: $(PKGCHECK_STAMP)
	$(PKGCHECK_TREE)
	mkdir -p $(PKGCHECK)/data
	$(PKGCHECK)/venv/bin/pip install --quiet --no-deps --force-reinstall $(PKGCHECK)/tree
	cd $(PKGCHECK) && export RASTRO_DATA_DIR=$$PWD/data && unset PYTHONPATH && \
	  venv/bin/python -I $(CURDIR)/tests/packaging/install_check.py && \
	  venv/bin/rastro --help >/dev/null && \
	  venv/bin/rastro openapi >openapi.json && \
	  venv/bin/python -I -c 'import json; assert json.load(open("openapi.json"))["paths"]' && \
	  echo "pkgcheck: rastro --help and rastro openapi run from the installed package"

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

## Build the dashboard (Node >= 20).
web: web/node_modules/.package-lock.json
	cd web && npm run build

tracker/node_modules/.package-lock.json: tracker/package.json tracker/package-lock.json
	cd tracker && npm ci --no-audit --no-fund

## Build the tracker script served at /t.js (tracker/dist/t.js is committed, so `run` needs no rebuild).
tracker: tracker/node_modules/.package-lock.json
	cd tracker && npm run build

## Install, start the embedded PostgreSQL, migrate, create the demo login, run worker + server.
run: install web
	$(BIN)/rastro run

## Debian's Chromium for the browser tests (Playwright drives it; no browser download).
e2e-deps:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

web-test: web/node_modules/.package-lock.json
	cd web && npm test

## The whole suite: lint, types, the install without extras (pkgcheck), dashboard and tracker
## unit tests, Python tests (API, jobs, CLI, browser). The tracker's tests rebuild
## tracker/dist/t.js: it must match the committed one.
test: install web e2e-deps tracker/node_modules/.package-lock.json
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) pkgcheck
	cd web && npm test
	cd tracker && npm test
	git diff --exit-code --stat tracker/dist/t.js || { echo "tracker/dist/t.js is stale: run make tracker and commit it"; exit 1; }
	$(BIN)/pytest -n 2 --dist loadfile

lint:
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/lint-imports

format:
	$(BIN)/ruff check --fix src tests migrations bench
	$(BIN)/ruff format src tests migrations bench

typecheck:
	$(BIN)/mypy

migrate: install
	$(BIN)/rastro db upgrade

## Regenerate web/openapi.json and the dashboard's typed client from the running code.
openapi: install
	$(BIN)/rastro openapi > web/openapi.json
	cd web && npm run gen:api

wrk:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }

## Collector throughput and latency (see bench/README.md).
bench: install wrk
	$(BIN)/python -m bench.collector.run

## Lead capture throughput and latency (see bench/README.md).
bench-leads: install wrk
	$(BIN)/python -m bench.leads.capture

## Analytics report latency on 13 months of generated data (generated once, kept under
## bench/results/analytics-data; see bench/README.md).
bench-analytics: install
	$(BIN)/python -m bench.analytics.reports

clean:
	rm -rf $(VENV) web/node_modules web/dist tracker/node_modules .pytest_cache .mypy_cache .ruff_cache
