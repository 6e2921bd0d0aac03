"""The simulator half of the co-simulation: build the Verilated RTL, run tb/cosim/test_cosim.py
against a host listening at --url, exit with the protocol's exit code.

    python -m zcnic_tb.cosim --url ws://HOST:PORT/zcnic [--token T] [--seed N] [--sync-window W]
        [--link-latency L] [--clock-period-ps P] [--timeout S] [--max-cycles N] [--waves]
        [--run-dir DIR] [--param NAME=VALUE ...] [--build-only] [--quiet] [--backpressure F]

Exit: 0 after the host's FINISH, EXIT[code] for a bridge fault (E_PEER_ERROR when the host reported
one), EXIT[E_SIM_FAILED] when the simulation stopped for any other reason. One line per phase on
stderr; the last line of a failed run is `zcnic-bridge: CODE: message`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

from . import protocol as P
from .build import COSIM_DIR as TEST_DIR
from .build import REPO
from .link import add_link_args


@contextlib.contextmanager
def fds_to(path: Path | None):
    """Send this process's (and its children's) stdout and stderr to `path` (None: leave them)."""
    if path is None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "ab") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def say(msg: str) -> None:
    print(f"zcnic-cosim: {msg}", file=sys.stderr, flush=True)


def parse_param(s: str) -> tuple[str, object]:
    name, sep, value = s.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {s!r}")
    try:
        return name, int(value, 0)
    except ValueError:
        return name, value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m zcnic_tb.cosim", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="ws://HOST:PORT/zcnic (required unless --build-only)")
    add_link_args(ap)
    ap.add_argument("--max-cycles", type=int, default=0, help="stop (E_SIM_FAILED) at this cycle if no FINISH came")
    ap.add_argument("--backpressure", type=float, default=0.0, metavar="FRACTION",
                    help="seeded random stalls on the DMA channels, this fraction of cycles (default 0: none)")
    ap.add_argument("--waves", action="store_true", help="trace build; writes waves.fst into the run dir")
    ap.add_argument("--port", choices=("dpi", "python"), default="dpi",
                    help="dpi: the burst-level port in C++ (default); python: cocotbext-axi, per beat in Python")
    ap.add_argument("--run-dir", type=Path, help="default: sim/out/cosim-<time>-<pid>")
    ap.add_argument("--param", type=parse_param, action="append", default=[], metavar="NAME=VALUE",
                    help="Verilog parameter of the toplevel (repeatable)")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="show the Verilator build output")
    ap.add_argument("--quiet", action="store_true", help="simulator log to RUN_DIR/cocotb.log instead of stdout")
    args = ap.parse_args(argv)
    if not args.build_only and not args.url:
        ap.error("--url is required")
    if args.clock_period_ps <= 0 or args.clock_period_ps % 2:
        ap.error("--clock-period-ps must be a positive even number")
    if args.sync_window <= 0 or args.link_latency <= 0 or args.link_latency % args.sync_window:
        ap.error("--link-latency must be a positive multiple of --sync-window")
    return args


def tell_host(args: argparse.Namespace, code: str, message: str) -> None:
    """Best effort: report a fault that happened before the handshake (e.g. a failed build) to the
    waiting host as an ERROR frame, so that it does not wait for its timeout."""
    from .codec import BridgeError
    from .link import SimLink

    try:
        link = SimLink(args.url, token=args.token, timeout=min(args.timeout, 5.0), max_frame=args.max_frame,
                       sync_window=args.sync_window, link_latency=args.link_latency, data_bytes=0, irq_vectors=0)
        link.ws.connect()
        link.fail(BridgeError(code, message))
    except Exception:
        pass


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # On SIGTERM (the host giving up on us) unwind like Ctrl-C: subprocess.run, which the cocotb
    # runner uses, then kills the simulator child instead of leaving it blocked on the socket.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        say("interrupted")
        return 130


def _main(argv: list[str] | None) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as e:
        return P.EXIT["USAGE"] if e.code else 0
    from . import build as B

    dpi = args.port == "dpi"
    toplevel = B.PORT_TOPLEVEL if dpi else B.COSIM_TOPLEVEL
    params = dict(args.param)
    if dpi:
        params.setdefault("CLOCK_PERIOD_PS", args.clock_period_ps)  # the wrapper makes the clock
    run_dir = (args.run_dir or REPO / "sim" / "out" / f"cosim-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}").resolve()
    run_dir.mkdir(parents=True, exist_ok=True)

    say(f"building {toplevel}{' (waves)' if args.waves else ''}{' ' + str(params) if params else ''}")
    t0 = time.perf_counter()
    log = run_dir / "build.log"
    try:
        log.unlink(missing_ok=True)
        with fds_to(None if args.verbose else log):
            runner = B.build(toplevel, parameters=params, waves=args.waves, verbose=args.verbose,
                             sources=B.port_sources() if dpi else B.cosim_sources(), extra_args=B.port_build_args() if dpi else ())
    except BaseException as exc:  # the runner raises SystemExit/CalledProcessError on a failed build
        if isinstance(exc, KeyboardInterrupt):
            raise
        tail = "".join(log.read_text(errors="replace").splitlines(True)[-15:]) if log.exists() else ""
        sys.stderr.write(tail)
        msg = f"RTL build failed ({type(exc).__name__}: {exc}); see {log}"
        say(msg)
        if args.url:
            tell_host(args, P.ERR["SIM_FAILED"], msg)
        print(f"zcnic-bridge: {P.ERR['SIM_FAILED']}: {msg}", file=sys.stderr, flush=True)
        return P.EXIT["E_SIM_FAILED"]
    say(f"built in {time.perf_counter() - t0:.1f} s ({B.build_dir_for(toplevel, params, args.waves)})")
    if args.build_only:
        return 0

    result_json = run_dir / "result.json"
    result_json.unlink(missing_ok=True)
    env = {
        "ZCNIC_URL": args.url,
        "ZCNIC_TOKEN": args.token or "",
        "ZCNIC_SEED": str(args.seed),
        "ZCNIC_SYNC_WINDOW": str(args.sync_window),
        "ZCNIC_LINK_LATENCY": str(args.link_latency),
        "ZCNIC_CLOCK_PERIOD_PS": str(args.clock_period_ps),
        "ZCNIC_MAX_FRAME": str(args.max_frame),
        "ZCNIC_TIMEOUT_S": str(args.timeout),
        "ZCNIC_MAX_CYCLES": str(args.max_cycles),
        "ZCNIC_BACKPRESSURE": str(args.backpressure),
        "ZCNIC_RESULT_JSON": str(result_json),
        "ZCNIC_PORT": args.port,
    }
    from .wire import redact

    # The cocotb runner sets the simulator's PYTHONPATH from this process's sys.path (overriding
    # build.run's PYTHONPATH), so the test module's folder and the package must be on sys.path.
    for p in (str(TEST_DIR), str(REPO / "tb")):
        if p not in sys.path:
            sys.path.insert(0, p)
    say(f"simulating, host {redact(args.url)}, run dir {run_dir}")
    t1 = time.perf_counter()
    try:
        with fds_to(run_dir / "cocotb.log" if args.quiet else None):
            B.run(runner, "test_cosim", toplevel=toplevel, test_dir=run_dir, seed=args.seed, waves=args.waves,
                  extra_env=env, test_paths=[TEST_DIR])
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        say(f"simulator run raised {type(exc).__name__}: {exc}")
    wall = time.perf_counter() - t1
    try:
        result = json.loads(result_json.read_text())
    except (OSError, ValueError):
        msg = f"the simulator ended without a result (crashed before or during the run); see {run_dir}"
        say(msg)
        print(f"zcnic-bridge: {P.ERR['SIM_FAILED']}: {msg}", file=sys.stderr, flush=True)
        return P.EXIT["E_SIM_FAILED"]
    c = result.get("counters", {})
    say(
        f"{result.get('ended_by')} at cycle {result.get('cycles')}: {result.get('cycles_per_s')} cycles/s in the sim "
        f"({wall:.2f} s with start-up), {c.get('round_trips', 0)} round trips, waited {c.get('wait_s', 0)} s on the host"
    )
    if args.waves:
        say(f"waves: {run_dir / 'waves.fst'}")
    code = result.get("error")
    if code:
        print(f"zcnic-bridge: {code}: {result.get('message')}", file=sys.stderr, flush=True)
        return P.EXIT.get(code, P.EXIT["E_SIM_FAILED"])
    if result.get("ended_by") in ("finish", "host_bye"):
        return 0
    return P.EXIT["E_SIM_FAILED"]


if __name__ == "__main__":
    sys.exit(main())
