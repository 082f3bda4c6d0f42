# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench lint venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

demo: venv
	$(VENV)/bin/vindplaats up --demo

test: venv
	$(PY) -m pytest

bench: venv
	$(PY) benchmarks/ingest.py

lint: venv
	$(VENV)/bin/cfn-lint template.yaml

# The shared layer (template.yaml: SharedLayer, Metadata BuildMethod makefile).
build-SharedLayer:
	mkdir -p "$(ARTIFACTS_DIR)/python"
	cp -r chalicelib "$(ARTIFACTS_DIR)/python/"
	$(PYTHON) -m pip install --quiet -r layer-requirements.txt -t "$(ARTIFACTS_DIR)/python"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
