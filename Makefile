# zcnic: the two commands are `make sim` and `make test`; both set themselves up on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

SCENARIO ?= copy
SEED ?= 1
WAVES ?= 0

PYTHON_SYS ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
TSX := node_modules/.bin/tsx
VITEST := node_modules/.bin/vitest

.PHONY: help setup sim sim-dut test test-unit test-cosim test-rtl lint gen gen-check bench clean

help:
	@echo "make sim    run the default co-simulation scenario (SCENARIO=$(SCENARIO) SEED=$(SEED) WAVES=$(WAVES))"
	@echo "make test   run every test (vitest + cocotb) and print 'N passed, N failed'"
	@echo "make lint   verilator --lint-only -Wall on rtl/, tsc --noEmit"
	@echo "make bench  print bridge and simulation speed figures"

# --- set-up (idempotent; the stamps are rebuilt when the lock files change) -----------------

$(VENV_STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-fund --no-audit --loglevel=error
	@touch $@

setup: $(VENV_STAMP) $(NODE_STAMP)

# --- generated ABI -----------------------------------------------------------------------------

gen: $(NODE_STAMP)
	$(TSX) src/abi/gen.ts

gen-check: $(NODE_STAMP)
	$(TSX) src/abi/gen.ts --check

# --- the main job -------------------------------------------------------------------------------

sim: setup gen-check
	$(TSX) src/cli/sim.ts --scenario $(SCENARIO) --seed $(SEED) $(if $(filter 1,$(WAVES)),--waves)

# The simulator half on its own, for a host started elsewhere with --listen.
sim-dut: setup
	@test -n "$(URL)" || { echo "usage: make sim-dut URL=ws://HOST:PORT/zcnic [TOKEN=...] [SEED=...]"; exit 2; }
	$(PY) -m zcnic_tb.cosim --url '$(URL)' --seed $(SEED) $(if $(TOKEN),--token '$(TOKEN)') $(if $(filter 1,$(WAVES)),--waves)

# --- tests ------------------------------------------------------------------------------------

test: setup
	@bash scripts/test-all.sh

lint: setup
	bash scripts/lint-rtl.sh
	node_modules/.bin/tsc --noEmit -p tsconfig.json

bench: setup
	@bash scripts/bench.sh

clean:
	rm -rf sim/build sim/out
