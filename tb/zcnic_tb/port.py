"""cocotb glue for the burst-level port (tb/cosim/port/): the Verilated NIC's buses and streams
are served in C++ at every clock edge (zcport.cpp, called through DPI-C by zcnic_port_top.sv),
and Python runs once per sync window.

Each window: the host's messages for it are checked here exactly as the Python port checks them
(CosimBridge.apply: unknown tags are E_SEQUENCE, wrong lengths and responses E_BAD_FIELD, MMIO
outside the register window E_BAD_FIELD) and handed to the port stamped with their cycles; one
Timer runs the simulator to the middle of the window's last cycle; the port's events stamped in
the window (whole bursts, frames, MMIO completions, interrupts) become the batch sent to the host.
The bridge protocol, the transcript and the fault rules are the Python port's.

The C++ side is reached through ctypes in the simulator's own process (the executable exports
its symbols: -rdynamic). Timing: docs/cosim-port.md.
"""

from __future__ import annotations

import ctypes
import heapq
import struct
from typing import Any

from cocotb.simtime import get_sim_time
from cocotb.triggers import Timer

from .bridge import (
    DMA_RD_REQ, DMA_WR_REQ, ETH_TX, FINISH, IRQ, MMIO_RD, MMIO_RD_DONE, MMIO_WR, MMIO_WR_DONE, CosimBridge, SimStop, _Pending,
)
from . import protocol as P
from .codec import BridgeError

# zcport.cpp's event and message kinds and its event record, from the ABI (src/abi/link.ts PORT)
EV_RD_REQ, EV_WR_REQ, EV_IRQ, EV_MMIO_RD_DONE, EV_MMIO_WR_DONE, EV_ETH_TX = (
    P.PORT_EVENT[k] for k in ("RD_REQ", "WR_REQ", "IRQ", "MMIO_RD_DONE", "MMIO_WR_DONE", "ETH_TX"))
H_RD_CPL, H_WR_CPL, H_MMIO_RD, H_MMIO_WR, H_ETH_RX, H_MARK = (
    P.PORT_HOST[k] for k in ("RD_CPL", "WR_CPL", "MMIO_RD", "MMIO_WR", "ETH_RX", "MARK"))
REC = struct.Struct(P.PORT_RECORD)
assert REC.size == P.PORT_RECORD_BYTES, "the port record's format and size disagree (src/abi/link.ts PORT)"


def _lib() -> ctypes.CDLL:
    lib = ctypes.CDLL(None)
    try:
        lib.zcport_start.argtypes = [ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint32]
        lib.zcport_start.restype = ctypes.c_int
    except AttributeError:
        raise RuntimeError("the simulator has no zcport symbols: build the zcnic_port_top toplevel (PORT=dpi)") from None
    lib.zcport_info.argtypes = [ctypes.POINTER(ctypes.c_uint32)]
    lib.zcport_cycle.restype = ctypes.c_uint64
    lib.zcport_failure.restype = ctypes.c_char_p
    lib.zcport_drain_size.argtypes = [ctypes.c_uint64]
    lib.zcport_drain_size.restype = ctypes.c_size_t
    lib.zcport_drain.argtypes = [ctypes.c_uint64, ctypes.c_char_p]
    lib.zcport_drain.restype = ctypes.c_size_t
    lib.zcport_push.argtypes = [ctypes.c_uint32, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t]
    lib.zcport_left.argtypes = [ctypes.POINTER(ctypes.c_uint32)]
    return lib


def port_info() -> tuple[int, int, int]:
    """(data bytes, IRQ vectors, AXI-Lite address bits) of the built toplevel."""
    out = (ctypes.c_uint32 * 3)()
    _lib().zcport_info(out)
    return out[0], out[1], out[2]


class PortBridge(CosimBridge):
    """CosimBridge's protocol over the burst-level port."""

    def __init__(self, dut: Any, link: Any, **kw: Any):
        super().__init__(dut, link, **kw)
        self.lib = _lib()
        self.in_reset = False  # the port holds MMIO back until reset is released

    def cycle(self) -> int:
        return get_sim_time("step") // self.period

    # the checked host messages go to the port, stamped
    def _push(self, kind: int, cyc: int, a: int = 0, b: int = 0, c: int = 0, data: bytes = b"") -> None:
        self.lib.zcport_push(kind, cyc, a, b, c, data, len(data))

    def _rd_done(self, cyc: int, pend: _Pending) -> None:
        self._push(H_RD_CPL, cyc, pend.tag, pend.resp, 0, pend.data if pend.resp == 0 else b"")

    def _wr_done(self, cyc: int, pend: _Pending) -> None:
        self._push(H_WR_CPL, cyc, pend.tag, pend.resp)

    def _issue_mmio(self, m: list) -> None:
        if m[0] == MMIO_RD:
            self._push(H_MMIO_RD, m[1], m[2], m[3])
        else:
            self._push(H_MMIO_WR, m[1], m[2], m[3], m[4])

    def _eth_rx(self, cyc: int, frame: bytes, bad: bool) -> None:
        self._push(H_ETH_RX, cyc, int(bad), 0, 0, frame)

    def _mark(self, cyc: int, kind: int, queue: int, index: int) -> None:
        self._push(H_MARK, cyc, kind, queue, index)

    def _setup(self) -> None:
        self.axil_span = 1 << port_info()[2]
        bp = round(self.backpressure * 1000)
        if self.lib.zcport_start(self.link.params["clock_period_ps"], self.link.params["seed"], bp) != 0:
            raise RuntimeError("zcport_start refused the clock period")

    def _drain(self, before: int) -> list[list[Any]]:
        """The port's events stamped before `before`, as bridge messages."""
        n = self.lib.zcport_drain_size(before)
        if not n:
            return []
        buf = ctypes.create_string_buffer(n)
        self.lib.zcport_drain(before, buf)
        raw = buf.raw
        out: list[list[Any]] = []
        off = 0
        eth = self.eth
        while off < n:
            kind, a, b, c, cyc, ln = REC.unpack_from(raw, off)
            off += REC.size
            data = raw[off : off + ln]
            off += ln
            if kind == EV_RD_REQ:
                self.rd_pending[a] = _Pending(a, b, c, cyc)
                out.append([DMA_RD_REQ, cyc, a, b, c])
            elif kind == EV_WR_REQ:
                pend = self.wr_pending.get(a)
                if pend is None:
                    self.wr_pending[a] = _Pending(a, b, 0, cyc)
                else:
                    pend.parts += 1
                out.append([DMA_WR_REQ, cyc, a, b, data])
            elif kind == EV_IRQ:
                out.append([IRQ, cyc, a])
            elif kind == EV_MMIO_RD_DONE:
                out.append([MMIO_RD_DONE, cyc, a, b, c])
            elif kind == EV_MMIO_WR_DONE:
                out.append([MMIO_WR_DONE, cyc, a, b])
            elif kind == EV_ETH_TX:
                eth["tx_frames"] += 1
                eth["tx_bytes"] += len(data)
                out.append([ETH_TX, cyc, 0, 0, data])
        return out

    async def run(self) -> dict:
        link, dut = self.link, self.dut
        try:
            self._setup()
            link.start()
            # the clock and reset are the wrapper's own (CLOCK_PERIOD_PS, RESET_CYCLES edges)
            return await self._loop()
        except BridgeError as err:
            link.fail(err)
            raise

    async def _until(self, cyc: int) -> None:
        """Run to the middle of cycle cyc - 1: every edge up to cyc - 1 is simulated, cyc is not."""
        wait = cyc * self.period - self.period // 2 - get_sim_time("step")
        if wait > 0:
            await Timer(wait, "step")

    def _check_failure(self) -> None:
        why = self.lib.zcport_failure().decode(errors="replace")
        if why:
            self.rtl_fault(why)
        if self.failure is not None:
            cyc = self.cycle()
            self.final_cycle = cyc
            self.link.bye(cyc, f"RTL fault: {self.failure}")
            raise SimStop(self.failure)

    async def _loop(self) -> dict:
        link = self.link
        W = link.W
        heap: list[tuple[int, int, int, list]] = []
        pop = heapq.heappop
        n = 0
        while True:
            start = n * W
            end = start + W
            self._gather(heap, start)
            finish: tuple[int, int] | None = None
            while heap and heap[0][0] < end:
                cyc, _, _, m = pop(heap)
                if m[0] == FINISH:
                    finish = (cyc, m[2])
                    break
                self.apply(cyc, m)
            if finish is not None:
                await self._until(finish[0])
                self._check_failure()
                return self._finish(*finish)
            await self._until(end)
            self._check_failure()
            link.submit(end, self._drain(end))
            n += 1
            if self.max_cycles and end >= self.max_cycles:
                self.final_cycle = end
                link.bye(end, f"cycle limit {self.max_cycles} reached without FINISH")
                raise SimStop(f"cycle limit {self.max_cycles} reached without FINISH from the host")

    def _finish(self, cyc: int, status: int) -> dict:
        left = (ctypes.c_uint32 * 2)()
        self.lib.zcport_left(left)
        self.final_cycle = cyc
        self.ended_by = "finish"
        self.finish_status = status
        if left[0]:
            self.log.warning("FINISH at cycle %d with %d DMA bursts unanswered", cyc, left[0])
        if left[1]:
            self.log.warning("FINISH at cycle %d with %d ETH_RX frames not (wholly) taken by the RTL", cyc, left[1])
        self.link.bye(cyc, "finish")
        return {"ended_by": "finish", "cycles": cyc, "finish_status": status}
