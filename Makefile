# Levelwise: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
UV_VERSION := 0.9.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
RUN := $(UV) run --locked --no-sync
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install browser demo test check lint types contracts pytest bench conformance screenshots serve clean

# Browser tests drive Debian's Chromium; a CJK font renders the zh-CN pages.
# The speaking partner's offline voice is Debian's espeak-ng.
BROWSER := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
ESPEAK := /usr/bin/espeak-ng
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# The pipecat extra too: tests/integration/test_pipecat.py runs Pipecat's own
# test utilities (in CI it fails rather than skips without them).
$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --extra pipecat --python $(PYTHON)
	touch $(STAMP)

install: $(STAMP)

$(BROWSER) $(CJK_FONT):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei

browser: $(BROWSER) $(CJK_FONT)

$(ESPEAK):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq espeak-ng

# ADL's LRS conformance suite is a Node.js program (make conformance).
NPM := /usr/bin/npm
$(NPM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm

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

pytest: install browser $(ESPEAK)
	$(RUN) pytest -n 2 --cov --cov-report=term
	$(RUN) coverage report --fail-under=100 --include="src/levelwise/domain/*,src/levelwise/errors.py"

test: lint types contracts pytest

check: test

bench: install
	$(RUN) python benchmarks/ingest.py
	$(RUN) python benchmarks/startup.py

# ADL's xAPI LRS Conformance Test Suite, both versions, on a fresh SQLite file
# (needs the pinned suite beside the project: SUITE=path to use another copy).
SUITE ?= ../shared/conformance/lrs-conformance-test-suite
conformance: install $(NPM)
	$(RUN) python benchmarks/conformance.py --suite $(SUITE)

screenshots: install browser
	LEVELWISE_SCREENSHOTS=docs/screenshots $(RUN) pytest tests/browser -q

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .coverage
