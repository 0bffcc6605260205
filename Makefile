# FaultDesk: `make run` to serve (add DEMO=1 for demo data, once; DEMO=force into a database with other data),
# `make test` for the whole suite, `make unit` for the fast tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint unit bench bench-pages fuzz clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/faultdesk init
	$(BIN)/faultdesk db upgrade
	$(if $(DEMO),$(BIN)/faultdesk demo$(if $(filter force,$(DEMO)), --force,),)
	$(BIN)/faultdesk serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q -n 2

# The fast tests only, no lint: domain and service rules, no database and no processes.
unit: install
	$(BIN)/pytest -q tests/unit -m "not slow"

bench: install
	$(BIN)/python bench/intake.py

# Each console page's server time beside its API call at 100,000 faults and 300,000 reports, on
# PostgreSQL (127.0.0.1:5432) and SQLite; seeding takes minutes, CACHE=1 keeps the seeded databases.
bench-pages: install
	$(BIN)/python bench/pages.py $(if $(CACHE),--cache,)

# schemathesis over /openapi.json on SQLite, and on PostgreSQL when FUZZ_POSTGRES_URL or
# FAULTDESK_TEST_POSTGRES_URL names a server; fails on any server error.
fuzz: install
	$(BIN)/python bench/fuzz.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
