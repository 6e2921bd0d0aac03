"""The simulator end of the bridge with no simulator: real handshake and batch pipelining over
SimLink, synthetic time. For bridge benchmarks and for the host's fault tests.

    python -m zcnic_tb.nosim --url ws://HOST:PORT/zcnic [--batches N] [--msgs-per-batch K]
        [--payload B] [--inject FAULT] ...

Each of the first N windows emits K synthetic DMA_RD_REQ of B bytes (stamped at the window's first
cycle); the host must answer each with one DMA_RD_CPL of B bytes. MMIO_RD/MMIO_WR from the host are
answered from a small register file (REG_ID reads NIC_ID), so a host scenario can run against it.
The run ends at the host's FINISH (BYE "finish") or, with --batches N > 0, once every request is
answered (BYE "nosim-done"). One JSON line with the figures goes to stdout.

--inject FAULT sends one deliberately bad frame (at window --inject-at), then waits for the host's
reaction: the host should answer ERROR, which ends this process with E_PEER_ERROR's exit code and
"peer reported CODE: message" on stderr; the JSON line's "peer_error" names the code.
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys
import time

from . import abi, codec
from . import protocol as P
from .codec import BATCH, BridgeError
from .link import PeerBye, SimLink, add_link_args

E = P.ERR
C = codec.CODE

FAULTS = (
    "malformed", "not_array", "unknown_frame", "unknown_msg", "bad_field", "oversize", "time_backwards",
    "wrong_version", "abi_mismatch", "param_mismatch", "text_frame", "close", "hang",
    # extras, each aimed at one host check
    "sequence", "bad_sync", "out_of_window", "bye", "error",
)
HANDSHAKE_FAULTS = ("wrong_version", "abi_mismatch", "param_mismatch")


def eprint(*a: object) -> None:
    print(*a, file=sys.stderr, flush=True)


def bad_frame(kind: str, link: SimLink, seq: int, sync: int, tag: int) -> bytes | None:
    """The bytes of the injected frame (None for faults that are not a frame)."""
    W = link.W
    t = sync - W
    pk = codec.pack
    if kind == "malformed":
        return b"\xc1\xc1 not msgpack"  # 0xc1 is never used by msgpack
    if kind == "not_array":
        return pk({"kind": BATCH, "seq": seq})
    if kind == "unknown_frame":
        return pk([42, seq, sync, []])
    if kind == "unknown_msg":
        return pk([BATCH, seq, sync, [[63, t]]])
    if kind == "bad_field":
        return pk([BATCH, seq, sync, [[C["DMA_RD_REQ"], t, "tag", 0, 64]]])
    if kind == "time_backwards":
        return pk([BATCH, seq, sync, [[C["DMA_RD_REQ"], t + 1, tag, 0, 64], [C["DMA_RD_REQ"], t, tag + 1, 64, 64]]])
    if kind == "sequence":
        return pk([BATCH, seq + 1, sync, []])
    if kind == "bad_sync":
        return pk([BATCH, seq, sync + 1, []])
    if kind == "out_of_window":
        return pk([BATCH, seq, sync, [[C["DMA_RD_REQ"], sync, tag, 0, 64]]])
    if kind == "bye":
        return codec.bye(t, "injected unrequested BYE")
    if kind == "error":
        return codec.error(E["SCENARIO"], "injected ERROR from nosim")
    if kind == "oversize":
        # A well-formed BATCH of exactly max_frame + 1 bytes.
        want = link.params["max_frame"] + 1
        pad = want - 64
        while True:
            f = pk([BATCH, seq, sync, [[C["DMA_WR_REQ"], t, tag, 0, bytes(pad)]]])
            if len(f) == want:
                return f
            pad += want - len(f)
    raise ValueError(kind)


class Regs:
    """A register file for MMIO from the host: enough for a host to run its probe against."""

    def __init__(self) -> None:
        self.r = {abi.REG_ID: abi.NIC_ID, abi.REG_VERSION: abi.NIC_VERSION, abi.REG_ABI_HASH: abi.ABI_HASH32}

    def read(self, addr: int) -> int:
        return self.r.get(addr, 0)

    def write(self, addr: int, data: int) -> None:
        if addr not in (abi.REG_ID, abi.REG_VERSION, abi.REG_ABI_HASH):
            self.r[addr] = data


def run(args: argparse.Namespace) -> int:
    link = SimLink(
        args.url, token=args.token, seed=args.seed, sync_window=args.sync_window, link_latency=args.link_latency,
        clock_period_ps=args.clock_period_ps, max_frame=args.max_frame, timeout=args.timeout,
        data_bytes=args.data_bytes, irq_vectors=args.irq_vectors,
    )
    W = link.W
    K, B = args.msgs_per_batch, args.payload
    result: dict = {"batches": 0, "round_trips": 0, "msgs_sent": 0, "msgs_received": 0, "wall_s": 0.0,
                    "round_trips_per_s": 0.0, "msgs_per_s": 0.0, "cycles": 0, "end": None, "error": None}
    code = 0
    t0 = time.perf_counter()
    regs = Regs()
    heap: list = []  # (cycle, seq, index, msg): cycle order, then frame order
    outstanding: dict[int, int] = {}
    next_tag = 0
    addr = 0
    try:
        hello = None
        if args.inject in HANDSHAKE_FAULTS:
            hello = json.loads(json.dumps(link.params))
            if args.inject == "wrong_version":
                hello["proto"] = 99
            elif args.inject == "abi_mismatch":
                hello["abi_hash"] = "0" * 64
            else:
                hello["clock_period_ps"] += 2
        link.start(hello)
        if hello is not None:
            # The host accepted a bad HELLO: report it as our own handshake check would.
            raise BridgeError(E["SCENARIO"], f"host accepted a HELLO with an injected {args.inject}")
        n = 0
        while True:
            start, end = n * W, (n + 1) * W
            for seq, msgs in link.collect(link.replies_needed_before(start)):
                for i, m in enumerate(msgs):
                    heapq.heappush(heap, (m[1], seq, i, m))
            out: list = []
            if args.batches == 0 or n < args.batches:
                for _ in range(K):
                    out.append([C["DMA_RD_REQ"], start, next_tag, addr, B])
                    outstanding[next_tag] = B
                    next_tag = (next_tag + 1) & codec.U32_MAX
                    addr = (addr + B + 4095) // 4096 * 4096 % (1 << 32)
            finish = None
            while heap and heap[0][0] < end:
                cyc, seq, i, m = heapq.heappop(heap)
                c = m[0]
                if c == C["DMA_RD_CPL"]:
                    tag, resp, data = m[2], m[3], m[4]
                    want = outstanding.pop(tag, None)
                    if want is None:
                        raise BridgeError(E["SEQUENCE"], f"DMA_RD_CPL for tag {tag} at cycle {cyc}: never asked or answered twice")
                    if resp == 0 and len(data) != want:
                        raise BridgeError(E["BAD_FIELD"], f"DMA_RD_CPL tag {tag}: {len(data)} bytes, expected {want}")
                elif c == C["DMA_WR_CPL"]:
                    raise BridgeError(E["SEQUENCE"], f"DMA_WR_CPL for tag {m[2]} at cycle {cyc}: nosim sent no DMA write")
                elif c == C["MMIO_RD"]:
                    out.append([C["MMIO_RD_DONE"], cyc, m[2], 0, regs.read(m[3])])
                elif c == C["MMIO_WR"]:
                    regs.write(m[3], m[4])
                    out.append([C["MMIO_WR_DONE"], cyc, m[2], 0])
                elif c == C["FINISH"]:
                    finish = (cyc, m[2])
                    break
            if finish is not None:
                link.bye(finish[0], "finish")
                result["end"] = "finish"
                result["finish_status"] = finish[1]
                result["cycles"] = finish[0]
                break
            n += 1
            if args.inject and args.inject not in HANDSHAKE_FAULTS and n == args.inject_at:
                return inject(args, link, result, n, next_tag, t0)
            link.submit(n * W, out)
            result["batches"] = n
            if args.batches and n >= args.batches and not outstanding and not heap:
                link.bye(n * W, "nosim-done")
                result["end"] = "nosim-done"
                result["cycles"] = n * W
                break
            if args.max_cycles and n * W >= args.max_cycles:
                link.bye(n * W, "max_cycles")
                raise BridgeError(E["SIM_FAILED"], f"cycle limit {args.max_cycles} reached with no FINISH from the host")
    except PeerBye as bye:
        result["end"] = "host_bye"
        result["cycles"] = bye.cycle
        eprint(f"zcnic-nosim: {bye}")
    except BridgeError as err:
        link.fail(err)
        code = record_error(result, err)
    finally:
        link.abort()
    finish_stats(result, link, t0)
    print(json.dumps(result), flush=True)
    return code


def record_error(result: dict, err: BridgeError) -> int:
    """Note a fault in the JSON result, print it, and return its exit code."""
    result["error"] = err.code
    result["message"] = err.message
    if err.code == E["PEER_ERROR"]:
        result["peer_error"] = err.message.split(":", 1)[0].removeprefix("peer reported ")
    eprint(f"zcnic-bridge: {err.code}: {err.message}")
    return P.EXIT[err.code]


def finish_stats(result: dict, link: SimLink, t0: float) -> None:
    s = link.stats()
    wall = time.perf_counter() - t0
    result.update(
        round_trips=s["round_trips"], msgs_sent=s["msgs_sent"], msgs_received=s["msgs_received"], wall_s=round(wall, 6),
        round_trips_per_s=round(s["round_trips"] / wall, 1) if wall else 0.0,
        msgs_per_s=round((s["msgs_sent"] + s["msgs_received"]) / wall, 1) if wall else 0.0,
        bytes_sent=s["bytes_sent"], bytes_received=s["bytes_received"], wait_s=s["wait_s"],
    )


def inject(args: argparse.Namespace, link: SimLink, result: dict, n: int, tag: int, t0: float) -> int:
    """Send the bad frame as batch n, then wait for the host's ERROR (or its silence)."""
    kind = args.inject
    result["injected"] = kind
    ws = link.ws
    eprint(f"zcnic-nosim: injecting {kind} as batch {n}")
    if kind == "close":
        link.abort()
        finish_stats(result, link, t0)
        print(json.dumps(result), flush=True)
        return 0
    if kind == "text_frame":
        ws.send_text("a text frame where binary is required")
    elif kind != "hang":
        ws.send(bad_frame(kind, link, n, n * link.W, tag))
    code = 0
    if kind in ("bye", "error"):
        link.closed = True
        ws.close()
    else:
        # Ignore late replies; wait for ERROR, a close, or nothing at all (the host's own timeout
        # must fire first: ours is its timeout plus a margin).
        deadline = time.monotonic() + args.timeout + 5
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BridgeError(E["TIMEOUT"], f"host did not react to the injected {kind} within {args.timeout + 5:g} s")
                f = codec.decode_host_frame(ws.recv(f"the host's reaction to {kind}", timeout=left))
                if f[0] == codec.ERROR:
                    raise BridgeError(E["PEER_ERROR"], f"peer reported {f[1]}: {f[2]}")
                if f[0] == codec.BYE:
                    raise BridgeError(E["SEQUENCE"], f"host said BYE ({f[2]}) instead of reporting the injected {kind}")
        except BridgeError as err:
            code = record_error(result, err)
        link.closed = True
        ws.close(linger=0.2)
    finish_stats(result, link, t0)
    print(json.dumps(result), flush=True)
    return code


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m zcnic_tb.nosim", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="ws://HOST:PORT/zcnic")
    add_link_args(ap)
    ap.add_argument("--data-bytes", type=int, default=abi.DEFAULT_BUILD["DATA_BYTES"],
                    help="nic.data_bytes sent in HELLO (default: nic_top's default build)")
    ap.add_argument("--irq-vectors", type=int, default=abi.DEFAULT_IRQ_VECTORS,
                    help="nic.irq_vectors sent in HELLO (default: nic_top's default build)")
    ap.add_argument("--batches", type=int, default=0, help="windows that carry requests (0: run until FINISH)")
    ap.add_argument("--msgs-per-batch", type=int, default=0)
    ap.add_argument("--payload", type=int, default=64, help="bytes per DMA_RD_REQ")
    ap.add_argument("--max-cycles", type=int, default=0)
    ap.add_argument("--inject", choices=FAULTS)
    ap.add_argument("--inject-at", type=int, default=3, help="window at whose end the bad frame replaces the batch")
    args = ap.parse_args(argv)
    if args.inject_at < 1:
        ap.error("--inject-at must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as e:
        return P.EXIT["USAGE"] if e.code else 0
    try:
        return run(args)
    except BridgeError as err:  # raised before the link existed (e.g. L not a multiple of W)
        eprint(f"zcnic-bridge: {err.code}: {err.message}")
        return P.EXIT[err.code]


if __name__ == "__main__":
    sys.exit(main())
