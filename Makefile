# The README's two commands: `make demo` and `make test`. Both set up what is missing first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint setup browser clean

setup: $(STAMP) browser

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python >= 3.11 is needed (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's metadata changed.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dev]'
	@touch $(STAMP)

browser: $(STAMP)
	@scripts/ensure-browser.sh $(PY)

demo: setup
	$(PY) -m demo

# Parallel workers by default (pyproject's addopts, tests/README.md); PYTEST_ARGS=-n0 runs
# serially, PYTEST_ARGS="-n 3" picks the number of workers.
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check rpa mock_portal tests bench demo
	$(VENV)/bin/ruff format --check rpa mock_portal tests bench demo
	$(VENV)/bin/mypy rpa mock_portal

clean:
	rm -rf $(VENV) rpa-data .pytest_cache .mypy_cache .ruff_cache
