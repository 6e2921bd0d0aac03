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

`--jobs J` runs J configurations at once, each in its own process with its output in
<out>/<config>/run.log, longest first; configurations that share a Verilator build run in one job,
one after the other. `--shard i/N` runs a deterministic 1/N share of the configurations (every
configuration is in exactly one shard), for splitting the suite across machines.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tb"))

from zcnic_tb.build import build, build_dir_for, run  # noqa: E402

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


def skipped_tests(results: Path | None) -> list[str]:
    """Names of the skipped test cases in a cocotb results.xml (cocotb counts them as run, not failed)."""
    try:
        return [c.get("name", "?") for c in ET.parse(results).iter("testcase") if c.find("skipped") is not None] if results else []
    except (OSError, ET.ParseError):
        return []


# Wall seconds of each configuration on a fresh clone (Verilator build included), 2 cores: the
# order jobs start in and how shards are balanced. Only time depends on them, never a result.
COST = {
    "nic/dw64_q4": 160, "dma/dw512": 110, "nic/dw512_q2": 70, "dma/dw64": 60, "nic_top/dw256": 45,
    "nic_tx/dw64_q4": 40, "nic_rx/dw64_q4": 35,
}
COST_DEFAULT = 25


def parse_shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"shard {text!r}: expected i/N") from None
    if not 1 <= i <= n:
        raise argparse.ArgumentTypeError(f"shard {text!r}: need 1 <= i <= N")
    return i, n


def shard_of(names: list[str], blocks: dict, i: int, n: int) -> list[str]:
    """Share i of n: units (configurations sharing a build) dealt greedily, costliest first, to the
    least loaded shard. A pure function of the names, so every shard computes the same split."""
    units: dict[Path, list[str]] = {}
    for name in names:
        module, toplevel, params = blocks[name]
        units.setdefault(build_dir_for(toplevel, params, False), []).append(name)
    load = [0.0] * n
    mine: list[str] = []
    for unit in sorted(units.values(), key=lambda u: (-sum(COST.get(x, COST_DEFAULT) for x in u), u[0])):
        k = min(range(n), key=lambda j: (load[j], j))
        load[k] += sum(COST.get(x, COST_DEFAULT) for x in unit)
        if k == i - 1:
            mine += unit
    return [x for x in names if x in mine]


def run_config(blocks: dict, name: str, seed: int, test_dir: Path, testcase: str | None, waves: bool) -> tuple[int, int, Path | None, str]:
    """Build and run one configuration here; (tests, failed, results.xml, error text)."""
    module, toplevel, params = blocks[name]
    try:
        runner = build(toplevel, parameters=params, waves=waves)
        env = {f"ZCNIC_{k}": str(v) for k, v in params.items()}
        n, failed, results = run(
            runner, module, toplevel=toplevel, test_dir=test_dir, testcase=testcase, seed=seed,
            waves=waves, extra_env=env, test_paths=[HERE],
        )
        return n, failed, results, ""
    except Exception as exc:  # a build error or a simulator that died without results
        return 0, 1, None, repr(exc)


def run_child(name: str, seed: int, test_dir: Path, testcase: str | None, waves: bool) -> tuple[int, int, Path | None, str]:
    """The same in a process of its own (its output in <test_dir>/run.log): jobs run side by side."""
    test_dir.mkdir(parents=True, exist_ok=True)
    log = test_dir / "run.log"
    cmd = [sys.executable, __file__, "--one", name, str(seed), str(test_dir)]
    cmd += ["--testcase", testcase] if testcase else []
    cmd += ["--waves"] if waves else []
    with log.open("w") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=False)
    try:
        r = json.loads(log.read_text().rstrip().rsplit("\n", 1)[-1])
        return r["n"], r["failed"], Path(r["results"]) if r["results"] else None, r["error"]
    except (ValueError, KeyError, IndexError):
        return 0, 1, None, f"no result from the job; see {log}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    blocks = discover()
    ap.add_argument("--config", action="append", metavar="MODULE[/CONFIG]",
                    help=f"what to run (default: all of {', '.join(blocks)})")
    ap.add_argument("--testcase", help="comma-separated test names (default: all)")
    ap.add_argument("--seed", type=int, default=1, help="cocotb random seed (default 1)")
    ap.add_argument("--seeds", type=int, default=1, metavar="N", help="run each configuration under N seeds from --seed on")
    ap.add_argument("--jobs", type=int, default=1, metavar="J", help="configurations run at once (default 1)")
    ap.add_argument("--shard", type=parse_shard, default=(1, 1), metavar="i/N", help="run share i of N (default 1/1)")
    ap.add_argument("--waves", action="store_true", help="build with FST tracing and write waves.fst")
    ap.add_argument("--out", type=Path, default=OUT, help=f"results folder (default {OUT.relative_to(REPO)})")
    ap.add_argument("--one", nargs=3, metavar=("CONFIG", "SEED", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.one:  # a job of --jobs: run one configuration, end with its result as JSON
        name, seed, test_dir = args.one[0], int(args.one[1]), Path(args.one[2])
        n, failed, results, err = run_config(blocks, name, seed, test_dir, args.testcase, args.waves)
        print(json.dumps({"n": n, "failed": failed, "results": str(results) if results else "", "error": err}), flush=True)
        return 0

    args.out = args.out.resolve()  # the simulator runs in another directory
    started = time.monotonic()
    chosen = [n for n in blocks if not args.config or any(n == c or n.startswith(c + "/") for c in args.config)]
    if not chosen:
        ap.error(f"no block configuration matches {args.config}")
    chosen = shard_of(chosen, blocks, *args.shard)
    if args.shard != (1, 1):
        print(f"=== shard {args.shard[0]}/{args.shard[1]}: {', '.join(chosen) or 'nothing'}", flush=True)

    # jobs: (label, name, seed, test dir); a unit is the jobs that share a build, run in order
    units: dict[Path, list[tuple[str, str, int, Path]]] = {}
    for name in chosen:
        module, toplevel, params = blocks[name]
        for seed in range(args.seed, args.seed + args.seeds):
            label = name if args.seeds == 1 else f"{name}@{seed}"
            test_dir = args.out / name if args.seeds == 1 else args.out / name / f"seed{seed}"
            units.setdefault(build_dir_for(toplevel, params, args.waves), []).append((label, name, seed, test_dir))
    order = sorted(units.values(), key=lambda u: -sum(COST.get(j[1], COST_DEFAULT) for j in u))

    totals: dict[str, tuple[int, int, int, float]] = {}
    reruns: list[str] = []

    def do_unit(unit: list[tuple[str, str, int, Path]]) -> None:
        for label, name, seed, test_dir in unit:
            t0 = time.monotonic()
            if args.jobs == 1:
                print(f"=== {label}: {blocks[name][2]} seed {seed}", flush=True)
                n, failed, results, err = run_config(blocks, name, seed, test_dir, args.testcase, args.waves)
            else:
                n, failed, results, err = run_child(name, seed, test_dir, args.testcase, args.waves)
            skipped = skipped_tests(results) if n else []
            totals[label] = (n, failed, len(skipped), time.monotonic() - t0)
            if err:
                print(f"=== {label}: ERROR {err}" + (f" (log {test_dir / 'run.log'})" if args.jobs > 1 else ""), flush=True)
                reruns.append(f"--config {name} --seed {seed}")
                continue
            skips = f", {len(skipped)} skipped ({', '.join(skipped)})" if skipped else ""
            print(f"=== {label}: {n - failed - len(skipped)}/{n} passed{skips} ({results})", flush=True)
            if failed:
                reruns.append(f"--config {name} --testcase {','.join(failed_tests(results))} --seed {seed}")
                if args.jobs > 1:
                    print(f"=== {label}: log {test_dir / 'run.log'}", flush=True)
            if args.waves:
                print(f"=== {label}: waves in {test_dir / 'waves.fst'}", flush=True)

    if args.jobs == 1:
        for unit in order:
            do_unit(unit)
    else:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            list(pool.map(do_unit, order))

    bad = False
    rows = [(label, *totals[label]) for u in units.values() for label, *_ in u if label in totals]
    for label, n, failed, skipped, secs in rows:
        print(f"{label:24s} tests={n:3d} passed={n - failed - skipped:3d} failed={failed:3d} skipped={skipped:3d} wall={secs:6.1f}s")
        bad |= failed > 0 or n == 0
    print(f"total wall time {time.monotonic() - started:.1f}s: {'FAIL' if bad else 'PASS'}")
    for r in reruns:
        print(f"rerun: .venv/bin/python tb/blocks/run_blocks.py {r} --waves")
    # A configuration that did not build or produced no results counts as one failed test. A
    # skipped test is neither passed nor failed: scripts/test_report.py decides whether it may skip.
    passed = sum(max(n - failed - skipped, 0) for _, n, failed, skipped, _ in rows)
    failed = sum(failed if n else max(failed, 1) for _, n, failed, _, _ in rows)
    skipped = sum(skipped for _, _, _, skipped, _ in rows)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps({"passed": passed, "failed": failed, "skipped": skipped}) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
