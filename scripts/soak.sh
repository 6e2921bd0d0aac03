#!/usr/bin/env bash
# The long runs `make test` keeps a short version of: every block configuration under SEEDS seeds,
# and the traffic scenario under SEEDS seeds of FRAMES frames each, with IOMMU faults in every
# other run; traffic on the reference model at MODEL_FRAMES (100,000); two-hosts on the RTL and
# mixed, and diff, under the same seeds; RX zero copy's leak check over ZCRX_FRAMES (1,300,000) frames,
# over 1,000,000 deliveries, on the model in each mode and ZCRX_RTL_FRAMES (5,000) on the RTL; zc-rw on the RTL.
# Prints a rerun command or log for each failure and ends with 'N passed, N failed'.
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
soak_run() {  # name, log, command...
  local name=$1 log=$2
  shift 2
  if "$@" >"$log" 2>&1; then passed=$((passed + 1)); echo "$name: PASS"
  else failed=$((failed + 1)); echo "$name: FAIL ($log)"; fi
}

echo "== the reference model: traffic, ${MODEL_FRAMES:-100000} frames =="
soak_run "model traffic ${MODEL_FRAMES:-100000} frames" "$out/model.log" \
  node_modules/.bin/tsx src/cli/sim.ts --backend model --scenario traffic --seed "$first" --frames "${MODEL_FRAMES:-100000}" --out "$out/model"

echo "== two hosts, $frames frames each way, seeds $first..$((first + seeds - 1)), wire faults in every other run =="
for ((s = first; s < first + seeds; s++)); do
  extra=()
  (( (s - first) % 2 == 1 )) && extra=(--wire-faults drop=0.01,corrupt=0.01,duplicate=0.01,reorder=0.02)
  for b in rtl mixed; do
    soak_run "two-hosts $b seed $s ${extra[*]}" "$out/two-hosts-$b-$s.log" \
      node_modules/.bin/tsx src/cli/sim.ts --scenario two-hosts --backend "$b" --seed "$s" --frames "$frames" "${extra[@]}" --out "$out/two-hosts"
  done
done

echo "== diff (RTL against the model), $frames frames, seeds $first..$((first + seeds - 1)) =="
for ((s = first; s < first + seeds; s++)); do
  soak_run "diff seed $s" "$out/diff-$s.log" node_modules/.bin/tsx src/cli/sim.ts --scenario diff --seed "$s" --frames "$frames" --out "$out/diff"
done
echo "== RX zero copy: the leak check over ${ZCRX_FRAMES:-1300000} frames on the model (each mode), ${ZCRX_RTL_FRAMES:-5000} on the RTL =="
for m in single shared exclusive; do
  soak_run "rx-zerocopy model $m ${ZCRX_FRAMES:-1300000} frames" "$out/rx-zerocopy-model-$m.log" \
    node_modules/.bin/tsx src/cli/sim.ts --scenario rx-zerocopy --backend model --mode "$m" --seed "$first" --frames "${ZCRX_FRAMES:-1300000}" --out "$out/rx-zerocopy"
done
soak_run "rx-zerocopy rtl single ${ZCRX_RTL_FRAMES:-5000} frames" "$out/rx-zerocopy-rtl.log" \
  node_modules/.bin/tsx src/cli/sim.ts --scenario rx-zerocopy --backend rtl --mode single --seed "$first" --frames "${ZCRX_RTL_FRAMES:-5000}" --out "$out/rx-zerocopy"
soak_run "zc-rw rtl ${ZCRX_RTL_FRAMES:-5000} frames" "$out/zc-rw-rtl.log" \
  node_modules/.bin/tsx src/cli/sim.ts --scenario zc-rw --backend rtl --seed "$first" --frames "${ZCRX_RTL_FRAMES:-5000}" --out "$out/zc-rw"
echo "${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
