# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run test lint format fixtures bench-admin clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

## Set up, migrate, load the 2024 demo data (first run only), create demo accounts, serve.
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Set up and run every test.
test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Rebuild fixtures/lhasa_2024.json from seeds/ (deterministic).
fixtures: setup
	$(BIN)/python seeds/build_fixture.py

## Admin changelist timings on a generated database (see bench/README.md).
bench-admin: setup
	$(BIN)/python bench/admin_changelists.py

clean:
	rm -rf $(VENV) var .pytest_cache
