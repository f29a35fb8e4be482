# envaudit — every target CI needs, runnable unchanged on a fresh machine with Python 3.11 and root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Venvs, wheels and images the tests build are cached here, outside the checkout, so reruns are fast.
export ENVAUDIT_TEST_CACHE ?= $(HOME)/.cache/envaudit-tests

.PHONY: install bytecode system-deps demo test unit lint docs bench clean lock test-pythons test-lowest

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "envaudit needs Python 3.11 or later; set PYTHON=")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade -c constraints.txt pip
	$(BIN)/python -m pip install --quiet -c constraints.txt --config-settings editable_mode=compat -e '.[dev]'
	touch $@

# Regenerate the test-environment lock after changing dependencies in pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -Ev '^(envaudit|setuptools|wheel)==' > constraints.txt
	rm -rf .lock-venv

# envaudit is installed editable, so its own modules are compiled here: with PYTHONDONTWRITEBYTECODE
# set (as on these machines) Python would otherwise recompile every changed module on every run,
# which a user's pip-installed copy never does.
bytecode: install
	@$(BIN)/python -m compileall -q envaudit

demo: bytecode
	bash fixtures/demo/run.sh

# System components the integration tests use, installed when missing (CI starts from a bare
# machine): sshd to stand for remote hosts, a Docker engine and debootstrap for the fixture images,
# Chromium and its WebDriver to open the HTML reports in a real browser.
# Without root, the tests that need them skip (and fail under CI=true).
system-deps:
	@missing=""; \
	command -v /usr/sbin/sshd >/dev/null 2>&1 || missing="$$missing openssh-server openssh-client"; \
	command -v dockerd >/dev/null 2>&1 || missing="$$missing docker.io"; \
	command -v debootstrap >/dev/null 2>&1 || missing="$$missing debootstrap"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (for the SSH, Docker and browser tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $$missing >/dev/null; \
	  else echo "note: missing$$missing and no root to install them: the tests that need them will skip"; fi; \
	fi
	@bash tests/support/dockerd.sh

# Coverage is measured in the CLI's own processes too (coverage's subprocess patch, see pyproject).
test: bytecode system-deps
	rm -f .coverage .coverage.*
	COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/python -m coverage run -m pytest -q
	@COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/python -m coverage combine -q
	@COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/python -m coverage report

# envaudit's own tests on the other Pythons it supports (pyenv's), each in a venv of its own: the
# pure tests and the integration tests that need neither Docker nor sshd.
PYENV_ROOT ?= $(HOME)/.pyenv
OTHER_PYTHONS ?= 3.12 3.13
PORTABLE_TESTS := tests/unit tests/integration/test_scan_cli.py tests/integration/test_scan_venvs.py \
	tests/integration/test_diff_gate.py tests/integration/test_pin.py tests/integration/test_interpreters.py
test-pythons: install
	@set -e; for v in $(OTHER_PYTHONS); do \
	  py=$$(ls $(PYENV_ROOT)/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -1); \
	  if [ -z "$$py" ]; then \
	    if [ "$$CI" = true ]; then echo "error: CI=true but no Python $$v under $(PYENV_ROOT)"; exit 1; fi; \
	    echo "note: no Python $$v under $(PYENV_ROOT): skipped"; continue; fi; \
	  echo "== envaudit on Python $$v ($$py)"; \
	  test -x .venv-$$v/bin/python || $$py -m venv .venv-$$v; \
	  .venv-$$v/bin/python -m pip install --quiet --upgrade -c constraints.txt pip; \
	  .venv-$$v/bin/python -m pip install --quiet -c constraints.txt --config-settings editable_mode=compat -e '.[dev]'; \
	  .venv-$$v/bin/python -m pytest -q -p no:cacheprovider $(PORTABLE_TESTS); \
	done

# The tests that exercise the dependencies' interfaces, against the lowest versions pyproject.toml
# allows (constraints-lowest.txt): the declared ranges must be true.
LOWEST_TESTS := tests/unit tests/integration/test_audit.py tests/integration/test_pin.py \
	tests/integration/test_diff_gate.py tests/integration/test_scan_cli.py
test-lowest: install
	test -x .venv-lowest/bin/python || $(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet --upgrade -c constraints-lowest.txt pip
	.venv-lowest/bin/python -m pip install --quiet -c constraints-lowest.txt --config-settings editable_mode=compat -e '.[dev]'
	.venv-lowest/bin/python -m pytest -q -p no:cacheprovider $(LOWEST_TESTS)

# The pure tests alone: no Docker engine, sshd or test venvs, a few seconds.
unit: bytecode
	$(BIN)/python -m pytest -q tests/unit

lint: install
	$(BIN)/ruff check envaudit tests docs/generate.py
	$(BIN)/ruff format --check envaudit tests docs/generate.py
	$(BIN)/mypy
	$(BIN)/python docs/generate.py --check
	$(BIN)/pre-commit validate-config .pre-commit-config.yaml

# Regenerate docs/rules.md, docs/snapshot.schema.json and the --help blocks from the code.
docs: install
	$(BIN)/python docs/generate.py

bench: bytecode system-deps
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) .venv-* .mypy_cache .ruff_cache .pytest_cache .coverage .coverage.*
