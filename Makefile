# `make run` and `make test` work on a fresh clone: they create .venv and install
# the project (and, for tests, its test extras) before doing anything else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 6667

.PHONY: run test lint client bench bench-full soak venv native pure clean

venv: $(STAMP)

# The per-message modules compiled with mypyc, in place (build_native.py lists them and
# says why); rebuilt when one of them changes. Without a C compiler the pure-Python
# modules run as before.
NATIVE_SOURCES := $(shell sed -n 's/^    "\(ircish\/.*\.py\)",$$/\1/p' build_native.py)
NATIVE := build/native/.built

native: $(NATIVE)

$(NATIVE): $(STAMP) build_native.py $(NATIVE_SOURCES)
	$(BIN)/python build_native.py || echo "ircish: could not compile $(NATIVE_SOURCES): the pure-Python modules run"
	@mkdir -p $(@D) && touch $@

pure:
	rm -f $(foreach s,$(NATIVE_SOURCES),$(s:.py=).cpython-*.so $(s:.py=)__mypyc.cpython-*.so) $(NATIVE)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP) $(NATIVE)
	$(BIN)/ircish-server --host $(HOST) --port $(PORT) --rooms rooms.yaml

client: $(STAMP) $(NATIVE)
	$(BIN)/ircish --host $(HOST) --port $(PORT) $(if $(NICK),--nick $(NICK))

# Lint and types first: they take seconds and make CI enforce them.
test: lint $(NATIVE)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# make bench AGAINST=<commit>: the same run also measures ircish as of that commit.
bench: $(STAMP) $(NATIVE)
	$(BIN)/python -m bench $(if $(AGAINST),--against $(AGAINST))

bench-full: $(STAMP) $(NATIVE)
	$(BIN)/python -m bench --full

soak: $(STAMP)
	$(BIN)/python -m bench.soak

clean: pure
	rm -rf $(VENV) build *.egg-info .pytest_cache
