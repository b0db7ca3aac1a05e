# The two commands of the set-up: `make demo` and `make test`. Both create .venv when it is
# missing and install the locked dependencies into it; nothing else is needed but Python 3.11+.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := portal/static/nhsuk/.fetched
PYTEST_ARGS ?=
# The suite runs on every core (pytest-xdist), the Prefect tests together on one of them
# (see tests/conftest.py); `make test PYTEST_WORKERS=` runs it in one process. Not in the
# pytest options of pyproject.toml, so that a single test run by hand stays in one process
# (no workers to start, and breakpoints and -s work).
PYTEST_WORKERS ?= -n auto --dist loadgroup

.PHONY: demo test bench scale-demo install assets system-packages postgres lint lock clean

demo: $(INSTALLED) assets
	APPRAISAL_ENV=development $(BIN)/appraisal demo

test: $(INSTALLED) assets system-packages postgres
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: $(INSTALLED) assets
	$(BIN)/python -m bench.run

# The scaled-out deployment on loopback (README, "A shared Prefect server with workers
# elsewhere"): Prefect server on PostgreSQL, two workers, a Dask cluster, two portals.
scale-demo: $(INSTALLED) assets postgres
	$(BIN)/python -m tests.flows.scale_stack

install: $(INSTALLED)

$(INSTALLED): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

# The NHS.UK design system's compiled CSS and JavaScript, from the npm registry (not committed).
assets: $(INSTALLED)
	@if [ -f portal/assets.py ]; then $(BIN)/python -m portal.assets; fi

# What the test suite drives: Debian's chromium for the portal, poppler-utils to render PDF pages.
system-packages:
	@bash scripts/system-packages.sh

# Start the machine's PostgreSQL if it is installed and stopped (the store tests use it).
postgres:
	@bash scripts/postgres.sh

lint: $(INSTALLED)
	$(BIN)/ruff check .

# Regenerate the lock file after changing the ranges in pyproject.toml.
lock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 --no-header -q

clean:
	rm -rf $(VENV) .appraisal .pytest_cache test-artifacts portal/static/nhsuk
