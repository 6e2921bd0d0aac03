#!/usr/bin/env bash
# Every test: vitest (unit, then co-simulation against the RTL) and the cocotb block tests.
# Ends with the line 'N passed, N failed' (vitest's and cocotb's counts added up).
set -uo pipefail
cd "$(dirname "$0")/.."
out=sim/out/test
rm -rf "$out" sim/out/tmp && mkdir -p "$out"
status=0

echo "== vitest (unit + cosim) =="
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$out/vitest.json" || status=1

echo "== cocotb block tests =="
PYTHONPATH=tb .venv/bin/python tb/blocks/run_blocks.py --out "$out/blocks" || status=1

counts=$(.venv/bin/python - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
passed = failed = 0
try:
    v = json.loads((out / "vitest.json").read_text())
    passed += v["numPassedTests"]
    failed += v["numFailedTests"]
    # A file that failed to load has no tests in the count: count it as a failure.
    failed += sum(1 for r in v["testResults"] if r.get("status") == "failed" and not r.get("assertionResults"))
except (OSError, ValueError, KeyError) as e:
    print(f"vitest produced no readable report ({e})", file=sys.stderr)
    failed += 1
try:
    b = json.loads((out / "blocks" / "summary.json").read_text())
    passed += b["passed"]
    failed += b["failed"]
except (OSError, ValueError, KeyError) as e:
    print(f"cocotb block tests produced no summary ({e})", file=sys.stderr)
    failed += 1
print(passed, failed)
PY
) || { status=1; counts="0 1"; }
read -r passed failed <<<"$counts"
[[ $failed -gt 0 ]] && status=1
echo "${passed} passed, ${failed} failed"
exit $status
