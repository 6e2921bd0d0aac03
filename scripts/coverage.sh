#!/usr/bin/env bash
# make coverage: the block tests and vitest (unit + co-simulation) with code coverage on, then the
# merged report (scripts/coverage.py): sim/out/coverage/index.html, summary.json and a table.
#
#   COV_BLOCKS="nic_top/dw64 irq_moderation"  only these block configurations (run_blocks.py --config;
#                                             default: every one); COV_BLOCKS=none: no block tests
#   COV_TESTS="test/unit test/cosim/eth.test.ts"  only these vitest files or folders (default: all);
#                                             COV_TESTS=none: no vitest
#   JOBS=N                                    block configurations at once (default: the cores)
#
# COVERAGE=1 makes every Verilator build a coverage build in its own folder (sim/build/<top>-<hash>-cov)
# and every run write coverage.dat into its run folder (tb/zcnic_tb/build.py): the block tests'
# under sim/out/coverage/runs/blocks/, the co-simulation tests' under sim/out/tmp/ (not cleared:
# the report takes only the coverage.dat files written after this run started). docs/coverage.md.
set -uo pipefail
cd "$(dirname "$0")/.."
out=sim/out/coverage
rm -rf "$out" && mkdir -p "$out/runs" && touch "$out/started"
export COVERAGE=1
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
export ZCNIC_NIC_FRAMES=${ZCNIC_NIC_FRAMES:-300}        # as make test
export ZCNIC_DMA_LARGE_LOG2=${ZCNIC_DMA_LARGE_LOG2:-20}
started=$SECONDS
status=0

blocks=${COV_BLOCKS:-}
if [[ $blocks != none ]]; then
  cfg=()
  for c in $blocks; do cfg+=(--config "$c"); done
  t0=$SECONDS
  PYTHONPATH=tb .venv/bin/python tb/blocks/run_blocks.py "${cfg[@]}" --jobs "$jobs" --out "$out/runs/blocks" >"$out/blocks.log" 2>&1
  rc=$?
  echo "== coverage: block tests: exit $rc after $((SECONDS - t0)) s (log $out/blocks.log) =="
  grep -E "^(total wall|rerun:)" "$out/blocks.log"
  (( rc )) && status=1
fi

tests=${COV_TESTS:-}
if [[ $tests != none ]]; then
  t0=$SECONDS
  # shellcheck disable=SC2086 # COV_TESTS is a list of paths
  NO_COLOR=1 node_modules/.bin/vitest run $tests --coverage.enabled=true --coverage.provider=v8 --coverage.include='src/**' \
    --coverage.reporter=lcov --coverage.reporter=json-summary --coverage.reportsDirectory="$out/host" \
    --reporter=default >"$out/vitest.log" 2>&1
  rc=$?
  echo "== coverage: vitest: exit $rc after $((SECONDS - t0)) s (log $out/vitest.log) =="
  grep -E "^ +(Test Files|Tests) " "$out/vitest.log"
  (( rc )) && status=1
fi

t0=$SECONDS
.venv/bin/python scripts/coverage.py --out "$out" --since "$out/started" || status=1
echo "== make coverage: $((SECONDS - started)) s (merge and report $((SECONDS - t0)) s)$( ((status)) && echo '; a suite failed: its coverage is in the report all the same') =="
exit $status
