# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# checkov pins an old boto3, so it lives in a venv of its own; the tests call it there.
CHECKOV := .venv-checkov/bin/checkov
# The web page's tests drive Debian's Chromium (tests/e2e/test_page.py); `make demo` needs none.
CHROMIUM := /usr/bin/chromium

.PHONY: demo test bench lint venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(CHECKOV): requirements-checkov.lock
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --require-hashes -r requirements-checkov.lock
	touch $@

# A file target: apt runs only on a machine without Chromium (CI: root, no stdin).
# As root (CI) directly, otherwise through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

demo: venv
	$(VENV)/bin/vindplaats up

# Lint, format and types first (pyproject.toml: [tool.ruff], [tool.mypy]), then every test.
test: venv $(CHECKOV) $(CHROMIUM)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: venv
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/match.py

lint: venv $(CHECKOV)
	$(VENV)/bin/cfn-lint template.yaml
	$(CHECKOV) -f template.yaml --framework cloudformation --skip-download --compact --quiet

# The shared layer (template.yaml: SharedLayer, Metadata BuildMethod makefile).
build-SharedLayer:
	mkdir -p "$(ARTIFACTS_DIR)/python"
	cp -r chalicelib "$(ARTIFACTS_DIR)/python/"
	$(PYTHON) -m pip install --quiet -r layer-requirements.txt -t "$(ARTIFACTS_DIR)/python"

clean:
	rm -rf $(VENV) .venv-checkov .pytest_cache .hypothesis
