# Two commands do everything on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-local
NPM_STAMP := node_modules/.installed
CERTS := .local/certs/ca-bundle.pem
# The browser tests drive Debian's Chromium through Playwright; Playwright never downloads a browser of its own.
CHROMIUM := /usr/bin/chromium
PORT ?= 7071

.PHONY: setup run-setup test faults demo serve ring host lint bench clean

CHECKOV_STAMP := $(VENV)/checkov/.installed

setup: run-setup $(PY_STAMP) $(CHECKOV_STAMP)
# What running the stack needs (the demo, serve, host): not checkov, which only the infrastructure tests run.
run-setup: $(RUN_STAMP) $(NPM_STAMP) $(CERTS)

# checkov pins packaging<24 (pytest needs >=24), so it lives in a venv of its own; tests/infra runs it as a command.
$(CHECKOV_STAMP): infra/requirements-checkov.txt
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/pip install --quiet -r infra/requirements-checkov.txt
	touch $@

# What the local stack runs on (the demo's and serve's only Python install), then the tests' and tools' on top.
$(RUN_STAMP): requirements.txt requirements-local.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-local.txt
	touch $@

$(PY_STAMP): $(RUN_STAMP) requirements-dev.txt requirements-infra.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -r requirements-infra.txt
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CERTS): $(RUN_STAMP)
	$(BIN)/python -m local.certs .local/certs

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# Installed (as root, from Debian's packages) only when missing.
$(CHROMIUM):
	apt-get update && apt-get install -y --no-install-recommends chromium

test: setup lint $(CHROMIUM)
	$(BIN)/python -m pytest

# Only the fault suite (part of `make test` too), printing each scenario's figures.
faults: setup
	mkdir -p artifacts
	$(BIN)/python -m pytest tests/faults -q -s -p no:cacheprovider > artifacts/faults.log 2>&1; status=$$?; \
	grep -E "FAULT FIGURES|seed|passed|failed" artifacts/faults.log; exit $$status

demo: run-setup
	$(BIN)/python -m local.demo

serve: run-setup
	$(BIN)/python -m local.serve

# A responder's callback to AGENT (default alice) on the stack `make serve` runs (after she dialed).
AGENT ?= alice
ring: run-setup
	$(BIN)/python -m local.ring $(AGENT)

# Only the Functions host, with settings taken from the environment as they are.
host: run-setup
	PORT=$(PORT) $(BIN)/python -m local.host --port $(PORT)

# Every figure with its ratio against the raw operation measured in the same run (bench/README.md); about 8 minutes.
bench: setup
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.dial_cpu
	$(BIN)/python -m bench.transaction_shapes
	$(BIN)/python -m bench.budget
	$(BIN)/python -m bench.outbound_call
	$(BIN)/python -m bench.dial_location
	$(BIN)/python -m bench.lease_burst
	$(BIN)/python -m bench.board
	$(BIN)/python -m bench.export
	$(BIN)/python -m bench.callback
	BENCH_LATENCY_MS=2 $(BIN)/python -m bench.outbound_call
	BENCH_LATENCY_MS=2 $(BIN)/python -m bench.callback

clean:
	rm -rf $(VENV) node_modules .local .pytest_cache .mypy_cache .ruff_cache artifacts
