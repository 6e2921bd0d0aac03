"""The simulator end of the bridge, without the simulator: handshake, batches, pipelining, checks.

Used by the cocotb testbench (bridge.py) and by nosim.py. No cocotb import here.

Time (docs/bridge-protocol.md, "Time"): batch n carries sync = n*W and the device messages of
cycles [sync - W, sync). Every message in the reply to batch m is stamped >= m*W - W + L, so
before simulating window [n*W, (n+1)*W) the simulator needs the replies to batches
m <= n + 1 - L/W only: with L = 2W one batch is always in flight while the next window runs.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from typing import Any

from . import abi, codec
from . import protocol as P
from .codec import BATCH, BYE, ERROR, WELCOME, BridgeError
from .wire import WsClient

E = P.ERR
D = P.LINK_DEFAULTS
FINISH = codec.CODE["FINISH"]


def add_link_args(ap: argparse.ArgumentParser) -> None:
    """The link options both simulator-end CLIs take (cosim with the RTL, nosim without)."""
    ap.add_argument("--token", default=os.environ.get("ZCNIC_TOKEN"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sync-window", type=int, default=D["syncWindow"])
    ap.add_argument("--link-latency", type=int, default=D["linkLatency"])
    ap.add_argument("--clock-period-ps", type=int, default=D["clockPeriodPs"])
    ap.add_argument("--max-frame", type=int, default=D["maxFrameBytes"])
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("ZCNIC_BRIDGE_TIMEOUT") or D["timeoutS"]),
                    help="wall-clock seconds any wait on the host may take")


class PeerBye(Exception):
    """The host ended the run with BYE (not a fault)."""

    def __init__(self, cycle: int, reason: str):
        super().__init__(f"host said BYE at cycle {cycle}: {reason}")
        self.cycle = cycle
        self.reason = reason


def _reporting(fn):
    """On a local fault: send ERROR to the host (if the link is up), close, re-raise."""

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except BridgeError as err:
            self.fail(err)
            raise

    return wrapper


class SimLink:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        seed: int = 0,
        sync_window: int = D["syncWindow"],
        link_latency: int = D["linkLatency"],
        clock_period_ps: int = D["clockPeriodPs"],
        max_frame: int = D["maxFrameBytes"],
        timeout: float = D["timeoutS"],
        data_bytes: int,
        irq_vectors: int,
    ):
        self.W = int(sync_window)
        self.L = int(link_latency)
        if self.W <= 0 or self.L <= 0 or self.L % self.W:
            raise BridgeError(E["PARAM_MISMATCH"], f"link latency {self.L} must be a positive multiple of the sync window {self.W}")
        self.ahead = self.L // self.W
        self.params: dict[str, Any] = {
            "proto": P.PROTOCOL_VERSION,
            "abi_hash": abi.ABI_HASH,
            "clock_period_ps": int(clock_period_ps),
            "sync_window": self.W,
            "link_latency": self.L,
            "seed": int(seed),
            "max_frame": int(max_frame),
            "nic": {"data_bytes": int(data_bytes), "irq_vectors": int(irq_vectors)},
        }
        self.ws = WsClient(url, token=token, timeout=timeout, max_frame=max_frame)
        self.next_seq = 0  # seq of the next batch we send
        self.replied = -1  # highest seq whose reply has been read
        self.closed = False
        self.counters = {
            "batches_sent": 0,
            "batches_received": 0,
            "msgs_sent": 0,
            "msgs_received": 0,
            "round_trips": 0,
            "wait_s": 0.0,  # wall time blocked on replies (the simulator idle)
        }

    # -- handshake ------------------------------------------------------------------------------

    @_reporting
    def start(self, hello_params: dict | None = None) -> dict:
        """Connect, HELLO/WELCOME, and send batch 0. `hello_params` overrides what HELLO carries
        (fault injection only; WELCOME is still checked against our own parameters)."""
        self.ws.connect()
        self._send(codec.hello(hello_params if hello_params is not None else self.params))
        f = self._recv_frame("WELCOME")
        if f[0] != WELCOME:
            raise BridgeError(E["SEQUENCE"], f"expected WELCOME, got {codec.FRAME_NAME[f[0]]} frame")
        self.check_welcome(f[1])
        self.submit(0, [])
        return f[1]

    def check_welcome(self, got: dict) -> None:
        # a value of the expected kind reads plainly; anything else shows its type
        def show(v: Any) -> str:
            return str(v) if type(v) is int else codec.show(v, 70)

        mine = self.params
        if got.get("proto") != mine["proto"]:
            raise BridgeError(E["PROTOCOL_VERSION"], f"host speaks protocol {show(got.get('proto'))}, simulator speaks {mine['proto']}")
        if got.get("abi_hash") != mine["abi_hash"]:
            raise BridgeError(
                E["ABI_MISMATCH"],
                f"host abi_hash {show(got.get('abi_hash'))} != simulator {mine['abi_hash']} (stale generated files or another build)",
            )
        for k in ("clock_period_ps", "sync_window", "link_latency", "seed", "max_frame"):
            if got.get(k) != mine[k]:
                raise BridgeError(E["PARAM_MISMATCH"], f"WELCOME {k} = {show(got.get(k))}, simulator has {mine[k]}")
        nic = got.get("nic")
        if type(nic) is not dict:
            raise BridgeError(E["PARAM_MISMATCH"], f"WELCOME nic must be a map, got {show(nic)}")
        for k, v in mine["nic"].items():
            if nic.get(k) != v:
                raise BridgeError(E["PARAM_MISMATCH"], f"WELCOME nic.{k} = {show(nic.get(k))}, simulator has {v}")
        # Fields we do not know are not checked (a newer host may add informative ones).

    # -- batches --------------------------------------------------------------------------------

    @_reporting
    def submit(self, sync: int, msgs: list) -> None:
        seq = self.next_seq
        if sync != seq * self.W:
            raise BridgeError(E["TIME_BACKWARDS"], f"internal: batch {seq} must have sync {seq * self.W}, got {sync}")
        self._send(codec.batch(seq, sync, msgs))
        self.next_seq = seq + 1
        c = self.counters
        c["batches_sent"] += 1
        c["msgs_sent"] += len(msgs)

    def replies_needed_before(self, window_start: int) -> int:
        """Highest seq whose reply must have been read before simulating [window_start, +W)."""
        return window_start // self.W + 1 - self.ahead

    @_reporting
    def collect(self, until_seq: int) -> list[tuple[int, list]]:
        """Read replies up to batch `until_seq`; return [(seq, msgs), ...], each checked.
        Raises PeerBye on a host BYE and BridgeError on anything wrong."""
        out = []
        if until_seq <= self.replied:
            return out
        if until_seq >= self.next_seq:
            raise BridgeError(E["SEQUENCE"], f"internal: waiting for the reply to batch {until_seq}, only {self.next_seq} sent")
        t0 = time.perf_counter()
        c = self.counters
        W, L = self.W, self.L
        while self.replied < until_seq:
            want = self.replied + 1
            f = self._recv_frame(f"the reply to batch {want}")
            if f[0] != BATCH:
                raise BridgeError(E["SEQUENCE"], f"expected the BATCH reply to batch {want}, got a {codec.FRAME_NAME[f[0]]} frame")
            seq, msgs = f[1], f[2]
            if seq != want:
                raise BridgeError(E["SEQUENCE"], f"reply for batch {seq} received, expected the reply to batch {want}")
            floor = want * W - W + L  # lookahead: nothing the host sends in this reply may be earlier
            prev = floor
            for i, m in enumerate(msgs):
                cyc = m[1]
                if cyc < prev:
                    if cyc < floor:
                        raise BridgeError(
                            E["CAUSALITY"],
                            f"reply to batch {seq} msg #{i} {P.MSG_BY_CODE[m[0]][0]} stamped cycle {cyc} < {floor} "
                            f"(sync {want * W} - W {W} + L {L}): inside the lookahead",
                        )
                    raise BridgeError(E["TIME_BACKWARDS"], f"reply to batch {seq} msg #{i} {P.MSG_BY_CODE[m[0]][0]} cycle {cyc} < previous message's cycle {prev}")
                prev = cyc
            self.replied = want
            c["batches_received"] += 1
            c["round_trips"] += 1
            c["msgs_received"] += len(msgs)
            out.append((seq, msgs))
        c["wait_s"] += time.perf_counter() - t0
        return out

    def _send(self, data: bytes) -> None:
        try:
            self.ws.send(data)
        except BridgeError as err:
            if err.code == E["PEER_GONE"]:
                self._explain_gone(err)
            raise

    def _explain_gone(self, err: BridgeError) -> None:
        """The host may have sent ERROR (or BYE) and closed while we were busy simulating: report
        what it said rather than the closed connection."""
        try:
            while True:
                f = codec.decode_host_frame(self.ws.recv("the host's last frames", timeout=0.5))
                if f[0] in (ERROR, BYE):
                    self._recv_dispatch(f)
        except BridgeError as later:
            if later.code == E["PEER_ERROR"]:
                raise later from None
        raise err

    def _recv_frame(self, waiting_for: str) -> list:
        return self._recv_dispatch(codec.decode_host_frame(self.ws.recv(waiting_for)))

    def _recv_dispatch(self, f: list) -> list:
        k = f[0]
        if k == ERROR:
            # The host closes next; answering it with an ERROR of our own would be noise.
            self.closed = True
            self.ws.close(linger=0.2)
            raise BridgeError(E["PEER_ERROR"], f"peer reported {f[1]}: {f[2]}")
        if k == BYE:
            self.closed = True
            self.ws.close(linger=0.2)
            raise PeerBye(f[1], f[2])
        if k == WELCOME and self.next_seq > 0:
            raise BridgeError(E["SEQUENCE"], "a second WELCOME")
        return f

    # -- ending ---------------------------------------------------------------------------------

    def bye(self, cycle: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if self.ws.is_open:
                self.ws.send(codec.bye(cycle, reason))
        except BridgeError:
            pass
        self.ws.close()

    def fail(self, err: BridgeError) -> None:
        """Report a local fault to the host (if the link is still up) and close."""
        if self.closed:
            return
        self.closed = True
        if err.code not in (E["PEER_GONE"], E["PEER_ERROR"]) and self.ws.is_open:
            try:
                self.ws.send(codec.error(err.code, err.message))
            except BridgeError:
                pass
        self.ws.close()

    def abort(self) -> None:
        self.closed = True
        self.ws.abort()

    def stats(self) -> dict:
        s = dict(self.counters)
        s["wait_s"] = round(s["wait_s"], 6)
        s["bytes_sent"] = self.ws.bytes_sent
        s["bytes_received"] = self.ws.bytes_received
        return s
