# Two entry points a newcomer needs: `make demo` and `make test`. Both build .venv from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# Prefect runs fully offline, with its state inside the project.
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/copydesk demo

# One worker per core, each test file whole in one worker (its module fixtures are built once), handed out in the
# order tests/conftest.py collects them.
test: $(BIN)/.installed lint
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy crawl extractors storage flows

bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .prefect .pytest_cache .ruff_cache .mypy_cache .hypothesis *.egg-info copydesk-demo.duckdb copydesk-demo.duckdb.lsh copydesk-demo-archive
