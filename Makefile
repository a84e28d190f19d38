# The two commands: `make run` serves the app, `make test` runs every test. Both set everything up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint setup chromium bench clean

run: setup
	$(PY) -m config.devstack run

test: setup chromium
	$(PY) -m config.devstack test $(PYTEST_ARGS)

setup: $(VENV)/.installed

# The rules live in pyproject.toml; `ruff format .` and `ruff check --fix .` repair most of what this finds.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Browser tests drive Debian's chromium through Playwright (Playwright cannot download a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium" >&2; fi; }

bench: setup
	RETRIEVER_VAR_DIR=var/bench $(PY) -m config.devstack exec $(PY) bench/ingest.py

clean:
	rm -rf $(VENV) var staticfiles
