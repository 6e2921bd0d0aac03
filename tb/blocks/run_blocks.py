#!/usr/bin/env python3
"""Build and run every block-level cocotb test module (tb/blocks/test_*.py) in every
configuration it declares.

    .venv/bin/python tb/blocks/run_blocks.py                                  # everything
    .venv/bin/python tb/blocks/run_blocks.py --config nic_top                 # one module
    .venv/bin/python tb/blocks/run_blocks.py --config nic_top/dw64 --testcase test_copy_random --waves

Results go to sim/out/blocks/<module>/<config>/results.xml (and waves.fst with --waves). Exits
non-zero when a test fails or a configuration produced no results, after printing the command that
reruns each failed test with its seed.

The random stimulus (pauses, frames, fragment splits) is seeded: --seed (default 1), so two runs
are the same run. `--seeds N` runs every configuration under N seeds from --seed on (`make soak`).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tb"))

from zcnic_tb.build import build, run  # noqa: E402

OUT = REPO / "sim" / "out" / "blocks"


def discover() -> dict[str, tuple[str, str, dict[str, int]]]:
    """'<module>/<config>' -> (test module, toplevel, parameters), from every tb/blocks/test_*.py.

    Each test module declares, as literals at its top, TOPLEVEL (the RTL module it tests) and
    CONFIGS (name -> parameters); the test reads its parameters back from ZCNIC_<NAME> variables.
    """
    found: dict[str, tuple[str, str, dict[str, int]]] = {}
    for path in sorted(HERE.glob("test_*.py")):
        consts = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id in ("TOPLEVEL", "CONFIGS"):
                    consts[node.targets[0].id] = ast.literal_eval(node.value)
        if "TOPLEVEL" not in consts or "CONFIGS" not in consts:
            raise SystemExit(f"{path.relative_to(REPO)} must declare TOPLEVEL and CONFIGS as literals")
        for name, params in consts["CONFIGS"].items():
            found[f"{path.stem.removeprefix('test_')}/{name}"] = (path.stem, consts["TOPLEVEL"], params)
    return found


def failed_tests(results: Path) -> list[str]:
    """Names of the failed test cases in a cocotb results.xml."""
    return [c.get("name", "?") for c in ET.parse(results).iter("testcase") if c.find("failure") is not None or c.find("error") is not None]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    blocks = discover()
    ap.add_argument("--config", action="append", metavar="MODULE[/CONFIG]",
                    help=f"what to run (default: all of {', '.join(blocks)})")
    ap.add_argument("--testcase", help="comma-separated test names (default: all)")
    ap.add_argument("--seed", type=int, default=1, help="cocotb random seed (default 1)")
    ap.add_argument("--seeds", type=int, default=1, metavar="N", help="run each configuration under N seeds from --seed on")
    ap.add_argument("--waves", action="store_true", help="build with FST tracing and write waves.fst")
    ap.add_argument("--out", type=Path, default=OUT, help=f"results folder (default {OUT.relative_to(REPO)})")
    args = ap.parse_args()
    args.out = args.out.resolve()  # the simulator runs in another directory

    started = time.monotonic()
    totals = []
    chosen = [n for n in blocks if not args.config or any(n == c or n.startswith(c + "/") for c in args.config)]
    if not chosen:
        ap.error(f"no block configuration matches {args.config}")
    reruns: list[str] = []
    for name in chosen:
        module, toplevel, params = blocks[name]
        for seed in range(args.seed, args.seed + args.seeds):
            label = name if args.seeds == 1 else f"{name}@{seed}"
            test_dir = args.out / name if args.seeds == 1 else args.out / name / f"seed{seed}"
            print(f"=== {label}: {params} seed {seed}", flush=True)
            t0 = time.monotonic()
            try:
                runner = build(toplevel, parameters=params, waves=args.waves)
                env = {f"ZCNIC_{k}": str(v) for k, v in params.items()}
                n, failed, results = run(
                    runner, module, toplevel=toplevel, test_dir=test_dir, testcase=args.testcase, seed=seed,
                    waves=args.waves, extra_env=env, test_paths=[HERE],
                )
            except Exception as exc:  # a build error or a simulator that died without results
                print(f"=== {label}: ERROR {exc!r}", flush=True)
                totals.append((label, 0, 1, time.monotonic() - t0))
                reruns.append(f"--config {name} --seed {seed}")
                continue
            totals.append((label, n, failed, time.monotonic() - t0))
            print(f"=== {label}: {n - failed}/{n} passed ({results})", flush=True)
            if failed:
                reruns.append(f"--config {name} --testcase {','.join(failed_tests(results))} --seed {seed}")
            if args.waves:
                print(f"=== {label}: waves in {test_dir / 'waves.fst'}", flush=True)

    bad = False
    for name, n, failed, secs in totals:
        print(f"{name:24s} tests={n:3d} passed={n - failed:3d} failed={failed:3d} wall={secs:6.1f}s")
        bad |= failed > 0 or n == 0
    print(f"total wall time {time.monotonic() - started:.1f}s: {'FAIL' if bad else 'PASS'}")
    for r in reruns:
        print(f"rerun: .venv/bin/python tb/blocks/run_blocks.py {r} --waves")
    # A configuration that did not build or produced no results counts as one failed test.
    passed = sum(max(n - failed, 0) for _, n, failed, _ in totals)
    failed = sum(failed if n else max(failed, 1) for _, n, failed, _ in totals)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps({"passed": passed, "failed": failed}) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
