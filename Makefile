# Ovation: `make run` and `make test` do all set-up on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: run test test-unit test-slow test-browser bench lint format clean install

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $(STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $(STAMP) $(TEST_STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ovation migrate --noinput
	$(BIN)/ovation demo
	$(BIN)/ovation serve --host 127.0.0.1 --port 8000

test: $(TEST_STAMP)
	$(BIN)/pytest -q -m "not browser and not slow"
	$(MAKE) test-browser

# Fault injection, fuzzing and static checks (kill -9, schemathesis, hypothesis, bandit): minutes each.
test-slow: $(TEST_STAMP)
	$(BIN)/pytest -q -m "slow and not browser"

test-unit: $(TEST_STAMP)
	$(BIN)/pytest -q -m "not browser"

test-browser: $(TEST_STAMP)
	$(BIN)/pytest -q -m browser; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

bench: $(TEST_STAMP)
	$(BIN)/python bench/run_all.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/ovation makemigrations --check --dry-run

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
