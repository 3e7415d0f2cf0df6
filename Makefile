# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run serve test test-postgres faults backup restore lint format fixtures messages bench bench-admin bench-export clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

## Set up, migrate, load the 2024 demo data (first run only), create demo accounts, serve, with
## the task worker (reminders) beside the server: started in the background, stopped with it.
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo --address $(HOST):$(PORT)
	$(BIN)/python manage.py schedule_reminders
	$(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Production-style server: gunicorn, DEBUG off, static files by WhiteNoise. Needs
## DJANGO_SECRET_KEY (and DJANGO_ALLOWED_HOSTS, DATABASE_URL) in the environment.
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 + 1 )))
# Threaded workers: a sync worker is killed after --timeout even while it streams a large CSV
# export; a gthread worker's main thread keeps answering the master meanwhile.
THREADS ?= 4
serve: setup
	DJANGO_DEBUG=false DJANGO_STATIC_MANIFEST=true $(BIN)/python manage.py collectstatic --noinput -v0
	DJANGO_DEBUG=false DJANGO_STATIC_MANIFEST=true $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=false DJANGO_STATIC_MANIFEST=true $(BIN)/python manage.py schedule_reminders
	DJANGO_DEBUG=false DJANGO_STATIC_MANIFEST=true $(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=false DJANGO_STATIC_MANIFEST=true $(BIN)/gunicorn supervision.wsgi:application \
	  --bind $(HOST):$(PORT) --workers $(WORKERS) --worker-class gthread --threads $(THREADS) \
	  --access-logfile - --timeout 60

## Set up and run every test, on every core (pytest-xdist; PYTEST_ARGS="-n 0" runs in one process).
PYTEST_ARGS ?= -n auto
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The same suite on PostgreSQL (start one with `sudo bash .ci/postgres.sh`).
PG_URL ?= postgres://supervision:supervision@127.0.0.1:5432/supervision
test-postgres: setup
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

## The fault tests (tests/faults/, left out of `make test`): PostgreSQL restarted under load, a
## gunicorn worker killed with SIGKILL mid-write, a real streaming replica, SQLite under 10
## writers. Each starts its own servers (its own PostgreSQL clusters, as the postgres user: run
## as root, as CI does). FAULTS_SQLITE_SECONDS (default 300) is the SQLite load's length.
faults: setup
	$(BIN)/python -m pytest -m faults tests/faults -n 0 -p no:cacheprovider

## ruff, then the import contracts of pyproject.toml (layers, no cycles).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Rebuild fixtures/lhasa_2024.json from seeds/ (deterministic).
fixtures: setup
	$(BIN)/python seeds/build_fixture.py

## Refresh the English catalog (needs GNU gettext, a developer tool) and compile it with Babel,
## so installing never needs a system package: the compiled .mo is committed.
messages: setup
	$(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=bench --ignore=tests --ignore=seeds --ignore=var
	$(BIN)/pybabel compile -D django -d supervision/locale -l en

## The benchmark on PostgreSQL at 10,000 and 1,000,000 facilities (5 inspections and 2 tips
## each): generated data (a database generated before tips gets its tips added), the production
## server, p50/p95 server time and queries of every page, list and write, each staff list beside
## a stock Django admin on the same data with the ratio (bench/stock_admin.py, served by the
## bench only), then locust with 20 users, a bulk regrade of 10,000 facilities and a 1,000,000-row
## CSV export streamed (bench/run.py, which runs bench/export.py); then the
## annual credit evaluation of every facility, its final step and its pages (bench/credit.py);
## practitioners (bench/practitioners.py); random-check draws (bench/random_checks.py); the
## public pages, uncached, cached and their throughput from the cache (bench/public.py); the
## daily reminders and e-mails of 5,000 staff (bench/digest.py); importing 100,000 facilities from
## one XLSX file, dry run and write (bench/imports.py, a fresh SQLite database).
## Figures in bench/RESULTS.md. Needs PostgreSQL (BENCH_PG, default the role of
## `sudo bash .ci/postgres.sh`); BENCH_SIZES, BENCH_LOAD_SECONDS: see bench/run.py. The ratio
## table alone, quickly: `BENCH_ONLY=ratios BENCH_SIZES=1000000 BENCH_REPEAT=20 .venv/bin/python
## bench/run.py` (bench/out/ratios.md).
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/credit.py
	$(BIN)/python bench/practitioners.py
	$(BIN)/python bench/random_checks.py
	$(BIN)/python bench/public.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/imports.py

## Admin changelist timings on a generated database (figures in bench/RESULTS.md).
bench-admin: setup
	$(BIN)/python bench/admin_changelists.py

## A 1,000,000-row facility CSV streamed through gunicorn: time to first byte, total time, rows
## and the worker's peak memory (bench/export.py; the database as `make bench` makes it).
bench-export: setup $(BENCH_STAMP)
	$(BIN)/python bench/export.py

## Back up the database and the evidence files together while the server runs: one archive,
## var/backups/<UTC time>.tar (BACKUP=file or folder: elsewhere). README: Backup and restore.
backup: setup
	$(BIN)/python manage.py backup $(if $(BACKUP),--output "$(BACKUP)")

## Restore BACKUP=path/to/archive.tar into an empty database (DATABASE_URL) and an empty
## DJANGO_MEDIA_ROOT, every file checked against its SHA-256 first (nothing written if one differs).
restore: setup
	$(if $(BACKUP),,$(error Name the archive: make restore BACKUP=var/backups/<time>.tar))
	$(BIN)/python manage.py restore "$(BACKUP)"

clean:
	rm -rf $(VENV) var .pytest_cache
