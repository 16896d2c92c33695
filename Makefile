# Switchboard: `make run` starts the product, `make test` runs the whole suite.
# Both create .venv and install everything on a fresh machine that has Python 3.11 and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test lint typecheck qa venv browser migrate clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@bash scripts/ensure-chromium.sh

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

# One environment for every step of `run`, its `migrate` prerequisite included (a target's
# variables apply to its prerequisites): with DEBUG on, the emulator apps are installed, so
# they must be migrated by the same settings that serve them.
run: export DEBUG ?= true
run: $(STAMP) migrate
	$(BIN)/python manage.py seed_demo --base-url http://127.0.0.1:$(PORT)
	$(BIN)/python manage.py runstack --port $(PORT)

# The suite mostly waits (worker processes, HTTP, Chromium), so it runs in TEST_WORKERS xdist
# processes, each with its own test database, Redis db and var dir (tests/settings.py);
# `make test TEST_WORKERS=0` runs it in one process. Tests go out one at a time
# (loadgroup, whose groups pytest 9.2 ignores: no test uses one); the slowest tests are listed at the end.
TEST_WORKERS ?= 2
test: $(STAMP) browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=25 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy with django-stubs over the product (agency, common, tenants, connectors, syncs: [tool.mypy]).
typecheck: $(STAMP)
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy

qa: lint typecheck test

# The README's screenshots (docs/screenshots/, 1366x900): the demo as `run` starts it, in a
# throwaway var/ on a free port, driven in Chromium; nothing leaves the machine.
screenshots: $(STAMP) browser
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf var/ .pytest_cache
