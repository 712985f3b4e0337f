# Two commands on a fresh machine: `make lab` and `make test`. Everything else is for contributors.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
ARGS   ?=

# JupyterLab refuses to run as root without --allow-root (CI and containers run as root).
ROOT_FLAG := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)

.PHONY: lab test test-fast lint nbval bench soak conformance clean lite test-lite

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,course]'
	./postBuild $(VENV)
	$(BIN)/lambda-local setup-nodejs --if-possible  # Node.js functions: a no-op without Node.js/npm
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# ./start sets the offline defaults (fake credentials, region), as on Binder and JupyterHub.
lab: $(STAMP)
	./start $(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=. notebooks/00_start_here.ipynb $(ARGS)

# The suite runs offline (sockets to anything but loopback fail, in every Python process it starts) and with
# real-looking credentials in the environment: nothing may reach or read a real AWS account.
OFFLINE := LAMBDA_LOCAL_OFFLINE=1 PYTHONPATH=$(CURDIR)/tests/offline \
	AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

# ruff and mypy with the project's configuration (pyproject.toml); the doctests run in tests/test_doctests.py.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP) lint
	bash scripts/install_browser.sh
	# Three workers on two cores: a third of the suite's wall time is spent waiting (grading subprocesses, Node.js
	# processes, timeouts), which a third worker fills; measured 4m09 against 5m14 with two. worksteal: a worker that
	# runs out of tests takes queued ones from a busy worker, so a few long tests (tests/test_grading.py grades all 15
	# labs in one test, three times) are taken up by idle workers instead of waiting in one worker's chunk (--dist load).
	$(OFFLINE) $(BIN)/python -m pytest tests -n 3 --dist worksteal -q
	$(OFFLINE) $(BIN)/python -m pytest --nbval notebooks solutions --nbval-sanitize-with tests/sanitize.cfg -n 2 --dist loadfile -q -p no:cacheprovider
	$(OFFLINE) $(BIN)/python -m pytest --nbval-lax labs -n 2 --dist loadfile -q -p no:cacheprovider

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -q -x -m "not browser"

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval notebooks solutions --nbval-sanitize-with tests/sanitize.cfg -n 2 --dist loadfile -q

# 10,000 invocations from 8 threads with failures and timeouts; every count must agree (a minute or two; not in CI).
soak: $(STAMP)
	LAMBDA_LOCAL_SOAK=1 $(OFFLINE) $(BIN)/python -m pytest tests/test_soak.py -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The browser edition (docs/lite.md): a static JupyterLite site in build/lite, everything served from its own origin.
lite: $(STAMP)
	$(BIN)/python -m pip install --quiet $$($(BIN)/python scripts/build_lite.py --requirements)
	$(BIN)/python scripts/build_lite.py

# Lessons 00-11 and 15 in headless Chromium against that site, on loopback; fails on any request to another origin.
test-lite: lite
	bash scripts/install_browser.sh
	LAMBDA_LOCAL_LITE_SITE=$(CURDIR)/build/lite $(BIN)/python -m pytest tests/test_lite.py -q -p no:cacheprovider

# moto's own Lambda tests, run against moto and against lambda_local.mock_aws (downloads moto's sdist once).
conformance: $(STAMP)
	$(BIN)/python scripts/conformance.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
