# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# checkov pins an old boto3, so it lives in a venv of its own; the tests call it there.
CHECKOV := .venv-checkov/bin/checkov
# SAM CLI pins its own boto3, click and Flask, so it too has a venv of its own; `make test` runs
# `sam build` (tests/functional/test_sam_build.py). --no-deps: pip refuses a hash-checked install
# when a dependency asks for extras (boto3-stubs[...]); the lock already holds every package.
SAM := .venv-sam/bin/sam
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

$(SAM): requirements-sam.lock
	$(PYTHON) -m venv .venv-sam
	.venv-sam/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements-sam.lock
	touch $@

# A file target: apt runs only on a machine without Chromium (CI: root, no stdin).
# As root (CI) directly, otherwise through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

demo: venv
	$(VENV)/bin/vindplaats up

# Lint, format and types first (pyproject.toml: [tool.ruff], [tool.mypy]), then every test,
# `sam build` of every function and layer among them.
test: venv $(CHECKOV) $(SAM) $(CHROMIUM)
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

# `sam build` (template.yaml: BuildMethod makefile, WorkingDirectory the repository) runs these
# with ARTIFACTS_DIR set: wheels from requirements.lock for the Lambda platform, never the host's.
LAMBDA_ARTIFACT := $(PYTHON) infra/lambda_artifact.py

build-SharedLayer:
	$(LAMBDA_ARTIFACT) --requirements layer-requirements.txt --source chalicelib --target "$(ARTIFACTS_DIR)/python"

build-IngestFunction:
	$(LAMBDA_ARTIFACT) --requirements functions/ingest/requirements.txt --without layer-requirements.txt \
		--source functions/ingest --target "$(ARTIFACTS_DIR)"

# The workflow's steps share functions/match; SAM builds it once, under whichever step comes first.
build-PrepareFunction build-PublishFunction build-RetentionFunction:
	$(LAMBDA_ARTIFACT) --requirements functions/match/requirements.txt --without layer-requirements.txt \
		--source functions/match --target "$(ARTIFACTS_DIR)"

# Notify has no requirements.txt: the SharedLayer holds all it imports (no pyarrow, no numpy).
build-NotifyFunction:
	$(LAMBDA_ARTIFACT) --source functions/notify --target "$(ARTIFACTS_DIR)"

build-ApiFunction:
	$(LAMBDA_ARTIFACT) --requirements functions/api/requirements.txt --without layer-requirements.txt \
		--source functions/api --target "$(ARTIFACTS_DIR)"

clean:
	rm -rf $(VENV) .venv-checkov .venv-sam .pytest_cache .hypothesis
