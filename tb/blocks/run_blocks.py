#!/usr/bin/env python3
"""Build and run the block-level cocotb tests of nic_top for every configuration.

    .venv/bin/python tb/blocks/run_blocks.py                      # all configurations
    .venv/bin/python tb/blocks/run_blocks.py --config dw64 --testcase test_copy_random --waves

Results go to sim/out/blocks/<config>/results.xml (and waves.fst with --waves). Exits non-zero
when a test fails or a configuration produced no results.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tb"))

from zcnic_tb.build import build, run  # noqa: E402

TEST_MODULE = "test_nic_top"
OUT = REPO / "sim" / "out" / "blocks"

# name -> nic_top parameters; the test module reads them back from ZCNIC_* variables
CONFIGS: dict[str, dict[str, int]] = {
    "dw64": {"DATA_WIDTH": 64, "ID_WIDTH": 4, "CHUNK_BYTES": 512, "IRQ_VECTORS": 1},
    "dw128": {"DATA_WIDTH": 128, "ID_WIDTH": 4, "CHUNK_BYTES": 512, "IRQ_VECTORS": 1},
    # corners: the largest chunk (4 KiB, one page per burst), the smallest (two beats), 1-bit IDs,
    # more than one interrupt vector
    "dw256": {"DATA_WIDTH": 256, "ID_WIDTH": 1, "CHUNK_BYTES": 4096, "IRQ_VECTORS": 2},
    "dw512": {"DATA_WIDTH": 512, "ID_WIDTH": 8, "CHUNK_BYTES": 128, "IRQ_VECTORS": 1},
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", action="append", choices=sorted(CONFIGS), help="configuration(s) to run (default: all)")
    ap.add_argument("--testcase", help="comma-separated test names (default: all)")
    ap.add_argument("--seed", type=int, help="cocotb random seed (default: cocotb picks one and logs it)")
    ap.add_argument("--waves", action="store_true", help="build with FST tracing and write waves.fst")
    ap.add_argument("--out", type=Path, default=OUT, help=f"results folder (default {OUT.relative_to(REPO)})")
    args = ap.parse_args()
    args.out = args.out.resolve()  # the simulator runs in another directory

    started = time.monotonic()
    totals = []
    for name in args.config or list(CONFIGS):
        params = CONFIGS[name]
        test_dir = args.out / name
        print(f"=== {name}: {params}", flush=True)
        t0 = time.monotonic()
        try:
            runner = build("nic_top", parameters=params, waves=args.waves)
            env = {f"ZCNIC_{k}": str(v) for k, v in params.items()}
            n, failed, results = run(
                runner, TEST_MODULE, test_dir=test_dir, testcase=args.testcase, seed=args.seed,
                waves=args.waves, extra_env=env, test_paths=[HERE],
            )
        except Exception as exc:  # a build error or a simulator that died without results
            print(f"=== {name}: ERROR {exc!r}", flush=True)
            totals.append((name, 0, 1, time.monotonic() - t0))
            continue
        totals.append((name, n, failed, time.monotonic() - t0))
        print(f"=== {name}: {n - failed}/{n} passed ({results})", flush=True)
        if args.waves:
            print(f"=== {name}: waves in {test_dir / 'waves.fst'}", flush=True)

    bad = False
    for name, n, failed, secs in totals:
        print(f"{name:8s} tests={n:3d} passed={n - failed:3d} failed={failed:3d} wall={secs:6.1f}s")
        bad |= failed > 0 or n == 0
    print(f"total wall time {time.monotonic() - started:.1f}s: {'FAIL' if bad else 'PASS'}")
    # A configuration that did not build or produced no results counts as one failed test.
    passed = sum(max(n - failed, 0) for _, n, failed, _ in totals)
    failed = sum(failed if n else max(failed, 1) for _, n, failed, _ in totals)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps({"passed": passed, "failed": failed}) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
