#!/usr/bin/env bash
# The long runs `make test` keeps a short version of: every block configuration under SEEDS seeds,
# and the traffic scenario under SEEDS seeds of FRAMES frames each, with IOMMU faults in every
# other run. Prints a rerun command for each failure and ends with 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
seeds=${SEEDS:-8}
frames=${FRAMES:-5000}
first=${SEED:-1}
out=sim/out/soak
export ZCNIC_NIC_FRAMES=${ZCNIC_NIC_FRAMES:-4000}  # the whole-NIC cocotb test (make test: 300)
unset ZCNIC_DMA_LARGE_LOG2                         # test_dma's largest descriptor at full size
rm -rf "$out" && mkdir -p "$out"
passed=0 failed=0

echo "== cocotb block tests, seeds $first..$((first + seeds - 1)) =="
PYTHONPATH=tb .venv/bin/python tb/blocks/run_blocks.py --seed "$first" --seeds "$seeds" --jobs "${JOBS:-$(nproc)}" --out "$out/blocks"
read -r p f < <(.venv/bin/python -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["passed"], s["failed"])' "$out/blocks/summary.json" 2>/dev/null || echo "0 1")
passed=$((passed + p)) failed=$((failed + f))

echo "== traffic, $frames frames, seeds $first..$((first + seeds - 1)) =="
for ((s = first; s < first + seeds; s++)); do
  extra=()
  (( (s - first) % 2 == 1 )) && extra=(--faults)
  if node_modules/.bin/tsx src/cli/sim.ts --scenario traffic --seed "$s" --frames "$frames" "${extra[@]}" --out "$out/traffic" >"$out/traffic-$s.log" 2>&1; then
    passed=$((passed + 1)); echo "traffic seed $s ${extra[*]}: PASS"
  else
    failed=$((failed + 1)); echo "traffic seed $s ${extra[*]}: FAIL ($out/traffic-$s.log)"
    echo "rerun: make sim SCENARIO=traffic SEED=$s FRAMES=$frames${extra:+ FAULTS=1}"
  fi
done
echo "${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
