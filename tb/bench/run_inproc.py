#!/usr/bin/env python3
"""Run tb/bench/test_copy_inproc.py: python tb/bench/run_inproc.py CASES_JSON OUT_JSON."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tb"))

from zcnic_tb.build import build, run  # noqa: E402


def main() -> int:
    cases, out = sys.argv[1], sys.argv[2]
    runner = build("nic_top")
    n, failed, _ = run(
        runner, "test_copy_inproc", test_dir=REPO / "sim" / "out" / "bench" / "inproc",
        extra_env={"ZCNIC_BENCH_CASES": cases, "ZCNIC_BENCH_OUT": os.path.abspath(out)},
        test_paths=[HERE], seed=1,
    )
    return 0 if n == 1 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
