#!/usr/bin/env python3
"""Add up test results: `make test` for its own shard, `make test-report` for every shard under
sim/out/test/ (shard-I-of-N folders, from this machine or copied from others).

Each shard folder holds vitest.json and vitest.xml (JUnit) from vitest, and blocks/summary.json
with blocks/<module>/<config>/results.xml (JUnit) from the cocotb block tests. The counts come
from vitest's JSON (it also records a file that failed to load) and the blocks' summary; the
JUnit files name each test, so a test run by two shards is reported. Ends with 'N passed, N failed'.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path


def shard_counts(d: Path) -> tuple[int, int, list[str]]:
    """(passed, failed, notes) of one shard folder; a missing or unreadable report is a failure."""
    passed = failed = 0
    notes: list[str] = []
    try:
        v = json.loads((d / "vitest.json").read_text())
        passed += v["numPassedTests"]
        failed += v["numFailedTests"]
        failed += sum(1 for r in v["testResults"] if r.get("status") == "failed" and not r.get("assertionResults"))
    except (OSError, ValueError, KeyError) as e:
        notes.append(f"vitest produced no readable report ({e})")
        failed += 1
    try:
        b = json.loads((d / "blocks" / "summary.json").read_text())
        passed += b["passed"]
        failed += b["failed"]
    except (OSError, ValueError, KeyError) as e:
        notes.append(f"cocotb block tests produced no summary ({e})")
        failed += 1
    return passed, failed, notes


def test_ids(d: Path) -> list[str]:
    """Every test case a shard's JUnit files name: vitest's by file and name, cocotb's by config."""
    ids: list[str] = []
    files = [(d / "vitest.xml", "")] + [(x, str(x.parent.relative_to(d / "blocks"))) for x in sorted((d / "blocks").glob("**/results.xml"))]
    for path, config in files:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            continue
        ids += [f"{config or c.get('classname', '')}::{c.get('name', '')}" for c in root.iter("testcase")]
    return ids


def latest_split(root: Path) -> tuple[list[Path], int]:
    """The shard folders of the newest split (a run of SHARD=i/N for one N) and how many of its
    N shards are missing; folders left by a split into another N are not counted."""
    groups: dict[int, dict[int, Path]] = {}
    for d in root.glob("shard-*-of-*"):
        try:
            i, n = (int(x) for x in d.name.removeprefix("shard-").split("-of-"))
        except ValueError:
            continue
        groups.setdefault(n, {})[i] = d
    if not groups:
        return [], 0
    n = max(groups, key=lambda k: max(d.stat().st_mtime for d in groups[k].values()))
    for other in sorted(set(groups) - {n}):
        print(f"not counted: an older split into {other} ({', '.join(sorted(d.name for d in groups[other].values()))})", file=sys.stderr)
    missing = [i for i in range(1, n + 1) if i not in groups[n]]
    for i in missing:
        print(f"shard-{i}-of-{n}: missing (make test SHARD={i}/{n}, or copy its folder here)", file=sys.stderr)
    return [groups[n][i] for i in sorted(groups[n])], len(missing)


def main(argv: list[str]) -> int:
    dirs, missing = ([Path(a) for a in argv], 0) if argv else latest_split(Path("sim/out/test"))
    if not dirs:
        print("no shard results under sim/out/test/ (run make test first)", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    passed, failed = 0, missing  # a missing shard is a failure: its tests did not run
    seen: Counter[str] = Counter()
    for d in dirs:
        p, f, notes = shard_counts(d)
        for n in notes:
            print(f"{d.name}: {n}", file=sys.stderr)
        print(f"{d.name}: {p} passed, {f} failed")
        passed, failed = passed + p, failed + f
        seen.update(test_ids(d))
    twice = sorted(t for t, k in seen.items() if k > 1)
    if len(dirs) > 1 and twice:
        # the shards are meant to split the suite: say so, and say which, but the counts stand
        print(f"warning: {len(twice)} test names appear in more than one shard, e.g. {twice[0]}", file=sys.stderr)
    if len(dirs) > 1:
        summary = {"shards": [d.name for d in dirs], "passed": passed, "failed": failed, "tests": sum(seen.values())}
        Path("sim/out/test/report.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
