#!/usr/bin/env bash
# make test: vitest (unit, then co-simulation against the RTL) and the cocotb block tests, side by
# side across the machine's cores. SHARD=i/N runs a deterministic 1/N share of both (vitest's
# --shard; run_blocks.py --shard). Results go to sim/out/test/shard-i-of-N/ (JUnit XML, vitest's
# JSON, the blocks' summary, each suite's log); `make test-report` adds up every shard found there.
# Ends with the line 'N passed, N failed, N skipped' (scripts/test_report.py). Fails when a test
# failed, and when one was skipped that scripts/skip-allowed.txt does not list with its reason.
set -uo pipefail
cd "$(dirname "$0")/.."
shard=${SHARD:-1/1}
if [[ ! $shard =~ ^([0-9]+)/([0-9]+)$ ]] || (( BASH_REMATCH[1] < 1 || BASH_REMATCH[1] > BASH_REMATCH[2] )); then
  echo "SHARD=$shard: expected i/N with 1 <= i <= N" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 2
fi
i=${BASH_REMATCH[1]} n=${BASH_REMATCH[2]}
out=sim/out/test/shard-$i-of-$n
rm -rf "$out" sim/out/tmp && mkdir -p "$out"
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
# The short version of the long runs (make soak has the long one): the whole-NIC cocotb test's
# random frames (the traffic co-simulation tests send 2,000 more through the same RTL).
export ZCNIC_NIC_FRAMES=${ZCNIC_NIC_FRAMES:-300}
# and the DMA engine's largest descriptor on the 512-bit build: 1 MiB, not 16 MiB
export ZCNIC_DMA_LARGE_LOG2=${ZCNIC_DMA_LARGE_LOG2:-20}
started=$SECONDS

# Each suite is mostly one process: vitest runs its co-simulation files one at a time, so the
# block configurations take the other cores.
vitest_shard=()
(( n > 1 )) && vitest_shard=(--shard="$i/$n")
node_modules/.bin/vitest run "${vitest_shard[@]}" --reporter=default --reporter=json --outputFile.json="$out/vitest.json" \
  --reporter=junit --outputFile.junit="$out/vitest.xml" >"$out/vitest.log" 2>&1 &
vitest_pid=$!
PYTHONPATH=tb .venv/bin/python tb/blocks/run_blocks.py --shard "$i/$n" --jobs "$jobs" --out "$out/blocks" >"$out/blocks.log" 2>&1 &
blocks_pid=$!

wait $vitest_pid; vitest_rc=$?
echo "== vitest (unit + cosim), shard $i/$n: exit $vitest_rc after $((SECONDS - started)) s =="
cat "$out/vitest.log"
wait $blocks_pid; blocks_rc=$?
echo "== cocotb block tests, shard $i/$n: exit $blocks_rc after $((SECONDS - started)) s (each configuration's log: $out/blocks/<module>/<config>/run.log) =="
cat "$out/blocks.log"
echo "== make test: $((SECONDS - started)) s on $jobs cores =="
# the per-suite lines are above; the skipped tests it names (and why they may skip) go to stderr
.venv/bin/python scripts/test_report.py "$out" | tail -1 > "$out/count.txt"
report_rc=${PIPESTATUS[0]}
line=$(cat "$out/count.txt")
echo "$line"
[[ $vitest_rc -eq 0 && $blocks_rc -eq 0 && $report_rc -eq 0 && $line == *" 0 failed, "* ]]
