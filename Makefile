# `make run` and `make test` work on a fresh clone: they create .venv and install
# the project (and, for tests, its test extras) before doing anything else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 6667

.PHONY: run test lint client bench bench-full soak venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ircish-server --host $(HOST) --port $(PORT) --rooms rooms.yaml

client: $(STAMP)
	$(BIN)/ircish --host $(HOST) --port $(PORT) $(if $(NICK),--nick $(NICK))

# Lint and types first: they take seconds and make CI enforce them.
test: lint
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# make bench AGAINST=<commit>: the same run also measures ircish as of that commit.
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(AGAINST),--against $(AGAINST))

bench-full: $(STAMP)
	$(BIN)/python -m bench --full

soak: $(STAMP)
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
