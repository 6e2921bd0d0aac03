#!/usr/bin/env python3
"""The whole-NIC loopback test (tb/blocks/test_nic.py) as a benchmark, with in-process memory:
python tb/bench/run_nic_inproc.py DATA_WIDTH FRAMES OUT_JSON. nic_top is built with its default
parameters but DATA_WIDTH, the same RTL the C++ harness (sim/harness/nic_bench.cpp) runs."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tb"))

from zcnic_tb.build import build, run  # noqa: E402


def main() -> int:
    dw, frames, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    params = {"DATA_WIDTH": dw}
    runner = build("nic_top", parameters=params)
    env = {"ZCNIC_DATA_WIDTH": str(dw), "ZCNIC_NIC_FRAMES": str(frames), "ZCNIC_NIC_BENCH_OUT": os.path.abspath(out)}
    n, failed, _ = run(
        runner, "test_nic", toplevel="nic_top", test_dir=REPO / "sim" / "out" / "bench" / f"nic-inproc-dw{dw}",
        testcase="test_loopback_random", extra_env=env, test_paths=[REPO / "tb" / "blocks"], seed=1,
    )
    return 0 if n == 1 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
