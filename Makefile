# Two commands for a fresh Debian machine with python3 and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
VCSIM := .build/vcsim
PYTEST_ARGS ?=

.PHONY: run test lint format bench worker vcsim clean

# Root installs a missing python3-venv with apt-get; anyone else is told to (as for vcsim's packages).
$(INSTALLED): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" -ne 0 ]; then \
	    echo "python3-venv is missing; install it as root: apt-get install python3-venv" >&2; exit 1; fi; \
	  echo "python3-venv is missing; installing it with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

## run: set up, migrate, create the first administrator, then serve the app and a worker until Ctrl-C
run: $(INSTALLED)
	$(BIN)/python manage.py serve

## worker: one more worker (for a production setup with several machines)
worker: $(INSTALLED)
	$(BIN)/celery -A lifecycle.project worker --loglevel INFO

vcsim: $(VCSIM)
$(VCSIM): tools/vcsim/main.go tools/vcsim/build.sh
	bash tools/vcsim/build.sh $@

## test: install what the tests need (vcsim included) and run the whole suite
test: $(INSTALLED) $(VCSIM)
	VCSIM_BIN=$(abspath $(VCSIM)) $(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: what CI checks before the tests: ruff's rules, ruff's layout, and mypy's types (pyproject.toml)
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## format: fix what `make lint` finds that a machine can fix (import order, old syntax, layout)
format: $(INSTALLED)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

## bench: speed and memory figures (not pass/fail)
bench: $(INSTALLED) $(VCSIM)
	VCSIM_BIN=$(abspath $(VCSIM)) $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .build .mypy_cache .ruff_cache
