# Rastro's task menu. `make run` and `make test` are the two set-up commands of the README.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STAMP := $(VENV)/.installed

.PHONY: run test install web web-test e2e-deps lint format typecheck migrate openapi bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

## Build the dashboard (Node >= 20).
web: web/node_modules/.package-lock.json
	cd web && npm run build

## Install, start the embedded PostgreSQL, migrate, create the demo login, run worker + server.
run: install web
	$(BIN)/rastro run

## Debian's Chromium for the browser tests (Playwright drives it; no browser download).
e2e-deps:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

web-test: web/node_modules/.package-lock.json
	cd web && npm test

## The whole suite: lint, types, dashboard unit tests, Python tests (API, jobs, CLI, browser).
test: install web e2e-deps
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/mypy
	cd web && npm test
	$(BIN)/pytest -n 2 --dist loadfile

lint:
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench

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

bench: install
	@echo "see bench/README.md"

clean:
	rm -rf $(VENV) web/node_modules web/dist .pytest_cache .mypy_cache .ruff_cache
