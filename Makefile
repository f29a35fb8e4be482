# envaudit — every target CI needs, runnable unchanged on a fresh machine with Python 3.11 and root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Venvs, wheels and images the tests build are cached here, outside the checkout, so reruns are fast.
export ENVAUDIT_TEST_CACHE ?= $(HOME)/.cache/envaudit-tests

.PHONY: install bytecode system-deps demo test unit lint bench clean lock

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "envaudit needs Python 3.11 or later; set PYTHON=")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt --config-settings editable_mode=compat -e '.[dev]'
	touch $@

# Regenerate the test-environment lock after changing dependencies in pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^envaudit' > constraints.txt
	rm -rf .lock-venv

# envaudit is installed editable, so its own modules are compiled here: with PYTHONDONTWRITEBYTECODE
# set (as on these machines) Python would otherwise recompile every changed module on every run,
# which a user's pip-installed copy never does.
bytecode: install
	@$(BIN)/python -m compileall -q envaudit

demo: bytecode
	bash fixtures/demo/run.sh

# System components the integration tests use, installed when missing (CI starts from a bare
# machine): sshd to stand for remote hosts, a Docker engine and debootstrap for the fixture images.
# Without root, the tests that need them skip (and fail under CI=true).
system-deps:
	@missing=""; \
	command -v /usr/sbin/sshd >/dev/null 2>&1 || missing="$$missing openssh-server openssh-client"; \
	command -v dockerd >/dev/null 2>&1 || missing="$$missing docker.io"; \
	command -v debootstrap >/dev/null 2>&1 || missing="$$missing debootstrap"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (for the SSH and Docker tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $$missing >/dev/null; \
	  else echo "note: missing$$missing and no root to install them: the tests that need them will skip"; fi; \
	fi
	@bash tests/support/dockerd.sh

test: bytecode system-deps
	$(BIN)/python -m pytest -q

# The pure tests alone: no Docker engine, sshd or test venvs, a few seconds.
unit: bytecode
	$(BIN)/python -m pytest -q tests/unit

lint: install
	$(BIN)/ruff check envaudit tests
	$(BIN)/ruff format --check envaudit tests
	$(BIN)/mypy

bench: bytecode system-deps
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
