# powderkeg: `make run` runs the built-in scenario, `make test` runs every test and doctest,
# `make lint` checks the code with ruff, `make bench` prints the speed table (`ARGS=--quick`).
# Both create the virtual environment and install the package from pyproject.toml.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("powderkeg needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask,app]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/powderkeg run --report $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_goals.py $(ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info
