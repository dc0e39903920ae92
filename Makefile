# The two commands of README.md: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install install-dev clean
# A venv whose pip failed to install is not left behind looking built.
.DELETE_ON_ERROR:

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==26.3

install: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

demo: install
	$(BIN)/python -m demo

test: lint
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r accounts api repos linkapp demo -x '*/tests/*' --severity-level medium

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
