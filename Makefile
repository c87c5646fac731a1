# Levelwise: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
UV_VERSION := 0.9.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
RUN := $(UV) run --locked --no-sync
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install demo test check lint types contracts pytest bench serve clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON)
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(RUN) levelwise demo

serve: install
	$(RUN) levelwise serve

lint: install
	$(RUN) ruff check src tests benchmarks
	$(RUN) ruff format --check src tests benchmarks

types: install
	$(RUN) mypy

contracts: install
	$(RUN) lint-imports

pytest: install
	$(RUN) pytest --cov --cov-report=term
	$(RUN) coverage report --fail-under=100 --include="src/levelwise/domain/*,src/levelwise/errors.py"

test: lint types contracts pytest

check: test

bench: install
	$(RUN) python benchmarks/ingest.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .coverage
