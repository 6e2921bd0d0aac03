#!/usr/bin/env python3
"""Add up test results: `make test` for its own shard, `make test-report` for every shard under
sim/out/test/ (shard-I-of-N folders, from this machine or copied from others).

Each shard folder holds vitest.json and vitest.xml (JUnit) from vitest, and blocks/summary.json
with blocks/<module>/<config>/results.xml (JUnit) from the cocotb block tests. The counts come
from vitest's JSON (it also records a file that failed to load) and the blocks' summary; the
JUnit files name each test, so a test run by two shards is reported, and so is each skipped test.
Ends with 'N passed, N failed, N skipped'.

No test may skip silently: the exit code is non-zero when a test failed, and also when one was
skipped that scripts/skip-allowed.txt does not list with a reason.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ALLOWED = Path(__file__).resolve().parent / "skip-allowed.txt"


def junit_cases(d: Path) -> list[tuple[str, str, bool]]:
    """(suite, id, skipped) of every test case a shard's JUnit files name: vitest's as
    <file>::<name>, the cocotb blocks' as <module>/<config>::<name>."""
    cases: list[tuple[str, str, bool]] = []
    files = [(d / "vitest.xml", "vitest", "")]
    files += [(x, "blocks", str(x.parent.relative_to(d / "blocks"))) for x in sorted((d / "blocks").glob("**/results.xml"))]
    for path, suite, config in files:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            continue
        cases += [(suite, f"{config or c.get('classname', '')}::{c.get('name', '')}", c.find("skipped") is not None) for c in root.iter("testcase")]
    return cases


def shard_counts(d: Path) -> tuple[int, int, int, list[str], list[str]]:
    """(passed, failed, skipped, skipped test ids, notes) of one shard folder; a missing or
    unreadable report is a failure. A skipped test the JUnit files do not name is listed as
    '<suite>::(unnamed)', so that it cannot be allowed by accident."""
    passed = failed = skipped = 0
    notes: list[str] = []
    cases = junit_cases(d)
    skipped_vitest = [t for suite, t, s in cases if s and suite == "vitest"]
    skipped_blocks = [t for suite, t, s in cases if s and suite == "blocks"]
    names: list[str] = []
    try:
        v = json.loads((d / "vitest.json").read_text())
        passed += v["numPassedTests"]
        failed += v["numFailedTests"]
        failed += sum(1 for r in v["testResults"] if r.get("status") == "failed" and not r.get("assertionResults"))
        n = v["numPendingTests"] + v.get("numTodoTests", 0)  # it.skip, runIf(false), ctx.skip(), todo
        skipped += n
        names += skipped_vitest[:n] + ["vitest::(unnamed)"] * max(n - len(skipped_vitest), 0)
    except (OSError, ValueError, KeyError) as e:
        notes.append(f"vitest produced no readable report ({e})")
        failed += 1
    try:
        b = json.loads((d / "blocks" / "summary.json").read_text())
        passed += b["passed"]
        failed += b["failed"]
        if "skipped" in b:
            n = b["skipped"]
        else:  # a summary from before skipped tests were counted: they are in "passed"
            n = len(skipped_blocks)
            passed -= n
        skipped += n
        names += skipped_blocks[:n] + ["blocks::(unnamed)"] * max(n - len(skipped_blocks), 0)
    except (OSError, ValueError, KeyError) as e:
        notes.append(f"cocotb block tests produced no summary ({e})")
        failed += 1
    return passed, failed, skipped, names, notes


def allowed_skips(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """The allow-list (scripts/skip-allowed.txt): each line '<test id> # <reason>' ('#' lines and
    blank lines are comments). Returns (id -> reason, problems); an entry without a reason is a
    problem, not an entry."""
    path = path or ALLOWED
    allowed: dict[str, str] = {}
    problems: list[str] = []
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return allowed, problems
    for k, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test, _, why = line.partition(" # ")
        if not why.strip():
            problems.append(f"{path.name}:{k}: '{line}' gives no reason (expected '<test id> # <why it may skip>')")
            continue
        allowed[test.strip()] = why.strip()
    return allowed, problems


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
        print("0 passed, 1 failed, 0 skipped")
        return 1
    passed, failed, skipped = 0, missing, 0  # a missing shard is a failure: its tests did not run
    skipped_ids: list[str] = []
    seen: Counter[str] = Counter()
    for d in dirs:
        p, f, s, names, notes = shard_counts(d)
        for n in notes:
            print(f"{d.name}: {n}", file=sys.stderr)
        print(f"{d.name}: {p} passed, {f} failed, {s} skipped")
        passed, failed, skipped = passed + p, failed + f, skipped + s
        skipped_ids += names
        seen.update(t for _, t, _ in junit_cases(d))
    twice = sorted(t for t, k in seen.items() if k > 1)
    if len(dirs) > 1 and twice:
        # the shards are meant to split the suite: say so, and say which, but the counts stand
        print(f"warning: {len(twice)} test names appear in more than one shard, e.g. {twice[0]}", file=sys.stderr)
    allowed, problems = allowed_skips()
    for p in problems:
        print(p, file=sys.stderr)
    for t in skipped_ids:
        if t in allowed:
            print(f"skipped (allowed: {allowed[t]}): {t}", file=sys.stderr)
    refused = [t for t in skipped_ids if t not in allowed]
    for t in refused:
        print(f"skipped, not allowed: {t}", file=sys.stderr)
    if refused:
        print(f"{len(refused)} skipped test(s) not listed in scripts/{ALLOWED.name}: no test may skip silently; make it run "
              "(make test's set-up installs what the tests need), or list it there with the reason", file=sys.stderr)
    if len(dirs) > 1:
        summary = {"shards": [d.name for d in dirs], "passed": passed, "failed": failed, "skipped": skipped,
                   "skipped_not_allowed": refused, "tests": sum(seen.values())}
        Path("sim/out/test/report.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or refused or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
