# zcnic: the two commands are `make sim` and `make test`; both set themselves up on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

SCENARIO ?= traffic
SEED ?= 1
WAVES ?= 0

PYTHON_SYS ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
TSX := node_modules/.bin/tsx
VITEST := node_modules/.bin/vitest

.PHONY: help setup waves-deps build-deps sim sim-dut test test-report soak lint gen gen-check bench clean

help:
	@echo "make sim    run the default co-simulation scenario (SCENARIO=$(SCENARIO) SEED=$(SEED) WAVES=$(WAVES); traffic: FRAMES= IOMMU=strict|lazy|passthrough|off POOL=normal|dma32 FAULTS=1; PORT=dpi|python; BACKEND=rtl|model|mixed; two-hosts: WIRE_FAULTS=drop=P,corrupt=P,duplicate=P,reorder=P; msg-zerocopy: PROTO=udp|tcp ZEROCOPY=0|1 PAYLOAD=N LOOPBACK=1; rx-zerocopy: MODE=shared|single|exclusive FRAMES=N PAYLOAD=N)"
	@echo "make test   run every test (vitest + cocotb, side by side on the cores) and print 'N passed, N failed'; SHARD=i/N runs a 1/N share"
	@echo "make test-report  add up the shards' results under sim/out/test/"
	@echo "make soak   the long runs: every block configuration, traffic, two-hosts (rtl, mixed) and diff under SEEDS=8 seeds (FRAMES=5000 each), the model at MODEL_FRAMES=100000, rx-zerocopy's leak check at ZCRX_FRAMES=1300000 frames (over 1,000,000 deliveries, model) and ZCRX_RTL_FRAMES=5000"
	@echo "make lint   verilator --lint-only -Wall on rtl/, every module elaborated with its defaults, tsc --noEmit"
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

# FST waveforms: Verilator's FST writer needs the lz4 headers (Debian: liblz4-dev).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
waves-deps:
	@test -f /usr/include/lz4.h || { echo "installing liblz4-dev (needed for FST waveforms)"; \
	  $(SUDO) apt-get install -y -q liblz4-dev >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q liblz4-dev >/dev/null; }; }

# Verilator builds compile through ccache when it is there (tb/zcnic_tb/build.py): the runtime
# library is the same in every block configuration. Without it (no apt) builds just take longer.
build-deps:
	@command -v ccache >/dev/null || { echo "installing ccache (shared compiles across the Verilator builds)"; \
	  $(SUDO) apt-get install -y -q ccache >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null 2>&1 && $(SUDO) apt-get install -y -q ccache >/dev/null 2>&1; } || \
	  echo "ccache not installed: builds go on without it"; }

# --- generated ABI -----------------------------------------------------------------------------

gen: $(NODE_STAMP)
	$(TSX) src/abi/gen.ts

gen-check: $(NODE_STAMP)
	$(TSX) src/abi/gen.ts --check

# --- the main job -------------------------------------------------------------------------------

sim: setup gen-check build-deps $(if $(filter 1,$(WAVES)),waves-deps)
	$(TSX) src/cli/sim.ts --scenario $(SCENARIO) --seed $(SEED) $(if $(filter 1,$(WAVES)),--waves) \
	  $(if $(FRAMES),--frames $(FRAMES)) $(if $(IOMMU),--iommu $(IOMMU)) $(if $(POOL),--pool $(POOL)) \
	  $(if $(SWIOTLB),--swiotlb $(SWIOTLB)) $(if $(filter 1,$(FAULTS)),--faults) $(if $(PORT),--port $(PORT)) \
	  $(if $(BACKEND),--backend $(BACKEND)) $(if $(WIRE_FAULTS),--wire-faults $(WIRE_FAULTS)) \
	  $(if $(ZEROCOPY),--zerocopy $(ZEROCOPY)) $(if $(PAYLOAD),--payload $(PAYLOAD)) $(if $(LOOPBACK),--loopback $(LOOPBACK)) $(if $(PROTO),--proto $(PROTO)) \
	  $(if $(MODE),--mode $(MODE))

# The simulator half on its own, for a host started elsewhere with --listen.
sim-dut: setup $(if $(filter 1,$(WAVES)),waves-deps)
	@test -n "$(URL)" || { echo "usage: make sim-dut URL=ws://HOST:PORT/zcnic [TOKEN=...] [SEED=...]"; exit 2; }
	PYTHONPATH=tb $(PY) -m zcnic_tb.cosim --url '$(URL)' --seed $(SEED) $(if $(PORT),--port $(PORT)) $(if $(TOKEN),--token '$(TOKEN)') $(if $(filter 1,$(WAVES)),--waves)

# --- tests ------------------------------------------------------------------------------------

# The tests include waves runs, so they need the FST writer's headers too.
test: setup build-deps waves-deps
	@bash scripts/test-all.sh

# Adds up every shard's results under sim/out/test/ (make test SHARD=i/N, here or elsewhere).
test-report: setup
	@.venv/bin/python scripts/test_report.py

soak: setup build-deps
	@bash scripts/soak.sh

lint: setup
	bash scripts/lint-rtl.sh
	bash scripts/check-defaults.sh
	node_modules/.bin/tsc --noEmit -p tsconfig.json

bench: setup build-deps
	@bash scripts/bench.sh

clean:
	rm -rf sim/build sim/out
