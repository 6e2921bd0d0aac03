"""cocotb glue: runs the Verilated NIC in sync windows and carries its bus and MAC traffic over a
SimLink.

Python wakes up only when something happens: once per host message cycle (one Timer per distinct
cycle), once per window end, on the AXI and AXI-Stream models' active cycles (an idle stream
sleeps until tvalid rises or a frame is queued), and on IRQ changes. No per-cycle loops. While the host is being waited for, simulated time is frozen (blocking socket calls in
cocotb's own thread), which is what makes a run reproducible: the same seed and scenario give the
same frames byte for byte.

DMA is carried per burst (docs/bridge-protocol.md): cocotbext-axi's AxiSlaveRead/AxiSlaveWrite keep
their channel handling, but each whole burst becomes one DMA_RD_REQ / DMA_WR_REQ, and one completion
becomes all of a burst's beats or its B response.

The MAC side is carried per frame, never per beat: cocotbext-axi's AxiStreamSink turns the TX
stream into one ETH_TX per frame (stamped with the cycle its tlast beat was accepted), and an
AxiStreamSource presents each ETH_RX from its cycle on, behind the frames before it, as long as
the RTL holds tready low (in MAC loopback, all along). MARK messages set the co-simulation
toplevel's tb_evt_* inputs, which only the waveform looks at.
"""

from __future__ import annotations

import functools
import heapq
import logging
import random
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.queue import Queue
from cocotb.simtime import get_sim_time
from cocotb.triggers import Event, ReadOnly, Timer, ValueChange
from cocotb.utils import get_sim_steps
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource
from cocotbext.axi.axi_slave import AxiSlaveRead, AxiSlaveWrite
from cocotbext.axi.constants import AxiBurstType

from . import codec
from . import protocol as P
from .codec import BridgeError
from .link import SimLink
from .tbutil import pause_generator

E = P.ERR
C = codec.CODE
DMA_RD_REQ, DMA_WR_REQ, IRQ = C["DMA_RD_REQ"], C["DMA_WR_REQ"], C["IRQ"]
MMIO_RD_DONE, MMIO_WR_DONE = C["MMIO_RD_DONE"], C["MMIO_WR_DONE"]
DMA_RD_CPL, DMA_WR_CPL, MMIO_RD, MMIO_WR = C["DMA_RD_CPL"], C["DMA_WR_CPL"], C["MMIO_RD"], C["MMIO_WR"]
ETH_TX, ETH_RX, FINISH, MARK = C["ETH_TX"], C["ETH_RX"], C["FINISH"], C["MARK"]
ETH_BAD = P.ETH_FLAG["BAD"]
AXI_RESPS = frozenset((0, 1, 2, 3))
RESET_CYCLES = 8


def _noted(fn):
    """Record an unexpected exception of a testbench task (for the BYE reason and the result),
    then let it propagate: cocotb fails the test and cancels the window loop."""

    @functools.wraps(fn)
    async def wrapper(self, *args, **kwargs):
        try:
            return await fn(self, *args, **kwargs)
        except Exception as exc:  # CancelledError is a BaseException: not caught
            br = getattr(self, "bridge", self)
            if br.crash is None:
                first = (str(exc).splitlines() or [""])[0]
                br.crash = f"{type(exc).__name__}: {first} (in {fn.__qualname__} at cycle {br.cycle()})"
            raise

    return wrapper


class SimStop(Exception):
    """The simulator stops on its own (cycle limit, an RTL protocol violation): BYE + E_SIM_FAILED."""


class _Pending:
    __slots__ = ("tag", "addr", "len", "cycle", "event", "resp", "data", "parts")

    def __init__(self, tag: int, addr: int, length: int, cycle: int, parts: int = 1):
        self.tag, self.addr, self.len, self.cycle, self.parts = tag, addr, length, cycle, parts
        self.event = Event()
        self.resp = 0
        self.data = b""


def _burst(bridge: "CosimBridge", kind: str, txn: Any, lanes: int, p: str) -> tuple[int, int, int, int, int, int] | None:
    """Decode an AR/AW beat: (id, addr, beats, size_bytes, aligned, end); None after an RTL fault."""
    tid = int(getattr(txn, p + "id", 0))
    addr = int(getattr(txn, p + "addr"))
    beats = int(getattr(txn, p + "len", 0)) + 1
    size = 1 << int(getattr(txn, p + "size", (lanes - 1).bit_length()))
    burst = int(getattr(txn, p + "burst", AxiBurstType.INCR))
    cyc = bridge.cycle()
    where = f"{kind} burst at cycle {cyc}: {p}addr 0x{addr:08x} {p}len {beats - 1} {p}size {size} B {p}id {tid}"
    if burst != AxiBurstType.INCR:
        name = {0: "FIXED", 2: "WRAP"}.get(burst, f"reserved ({burst})")
        bridge.rtl_fault(f"{where}: {name} burst; the bridge carries INCR bursts only")
        return None
    if size > lanes:
        bridge.rtl_fault(f"{where}: {p}size wider than the {lanes}-byte data bus")
        return None
    aligned = addr & ~(size - 1)
    end = aligned + size * beats
    if (aligned & 0xFFF) + size * beats > 0x1000:
        bridge.rtl_fault(f"{where}: crosses a 4 KiB boundary (0x{aligned:08x}..0x{end - 1:08x})")
        return None
    return tid, addr, beats, size, aligned, end


class DmaRead(AxiSlaveRead):
    """AR -> one DMA_RD_REQ per burst, emitted in the cycle the AR handshake happens; one
    DMA_RD_CPL -> all R beats. Requests go out as soon as they are accepted (several may be
    outstanding); R beats are returned in request order, one burst at a time, never interleaved
    or reordered by ID (cocotbext-axi's model; a real interconnect may reorder across IDs)."""

    def __init__(self, bridge: "CosimBridge", bus: Any, clock: Any):
        self.bridge = bridge
        self._order: Queue = Queue()
        super().__init__(bus, clock)
        cocotb.start_soon(self._respond())

    @_noted
    async def _process_read(self) -> None:
        br = self.bridge
        lanes = self.byte_lanes
        while True:
            ar = await self.ar_channel.recv()
            b = _burst(br, "read", ar, lanes, "ar")
            if b is None:
                return  # the window loop ends the run at its next wake-up
            tid, addr, beats, size, aligned, end = b
            pend = br.new_read(addr, end - addr)
            await self._order.put((pend, tid, beats, size, aligned))

    @_noted
    async def _respond(self) -> None:
        lanes = self.byte_lanes
        mask = ~(lanes - 1)
        while True:
            pend, tid, beats, size, aligned = await self._order.get()
            await pend.event.wait()
            resp, data, addr = pend.resp, pend.data, pend.addr
            for n in range(beats):
                r = self.r_channel._transaction_obj()
                r.rid = tid
                r.rlast = n == beats - 1
                r.rresp = resp
                if resp == 0:
                    lo = max(addr, aligned + n * size)
                    hi = aligned + (n + 1) * size
                    r.rdata = int.from_bytes(data[lo - addr : hi - addr], "little") << ((lo - (lo & mask)) * 8)
                else:
                    r.rdata = 0
                await self.r_channel.send(r)


class DmaWrite(AxiSlaveWrite):
    """AW + W beats -> DMA_WR_REQ(s) emitted in the cycle the last W beat is accepted (so a posted
    write precedes any interrupt raised after it); DMA_WR_CPL(s) -> B. Strobed-off bytes are
    dropped and a burst with holes becomes several DMA_WR_REQ with one tag (BRESP = worst answer).
    Several bursts may be outstanding; B responses go back in order (no reordering by ID)."""

    def __init__(self, bridge: "CosimBridge", bus: Any, clock: Any):
        self.bridge = bridge
        self._order: Queue = Queue()
        super().__init__(bus, clock)
        cocotb.start_soon(self._respond())

    @_noted
    async def _process_write(self) -> None:
        br = self.bridge
        lanes = self.byte_lanes
        wmask = ~(lanes - 1)
        has_strb = self.wstrb_present
        while True:
            aw = await self.aw_channel.recv()
            b = _burst(br, "write", aw, lanes, "aw")
            if b is None:
                return
            tid, addr, beats, size, aligned, end = b
            runs: list[list[Any]] = []  # [start address, bytearray], contiguous strobed bytes
            for n in range(beats):
                w = await self.w_channel.recv()
                data = int(w.wdata).to_bytes(lanes, "little")
                strb = int(w.wstrb) if has_strb else self.strb_mask
                last = int(w.wlast)
                if last != (n == beats - 1):
                    br.rtl_fault(
                        f"write burst awaddr 0x{addr:08x} awlen {beats - 1}: wlast={last} on beat {n} at cycle {br.cycle()}"
                    )
                    return
                lo = max(addr, aligned + n * size)
                hi = aligned + (n + 1) * size
                word = lo & wmask
                o_lo, o_hi = lo - word, hi - word
                want = ((1 << (o_hi - o_lo)) - 1) << o_lo
                if strb & want == want:  # the common case: every byte of the beat
                    if runs and runs[-1][0] + len(runs[-1][1]) == lo:
                        runs[-1][1] += data[o_lo:o_hi]
                    else:
                        runs.append([lo, bytearray(data[o_lo:o_hi])])
                else:
                    for o in range(o_lo, o_hi):
                        if strb >> o & 1:
                            a = word + o
                            if runs and runs[-1][0] + len(runs[-1][1]) == a:
                                runs[-1][1].append(data[o])
                            else:
                                runs.append([a, bytearray(data[o : o + 1])])
            pend = br.new_write(runs, addr, end - addr)
            await self._order.put((pend, tid))

    @_noted
    async def _respond(self) -> None:
        while True:
            pend, tid = await self._order.get()
            if pend is not None:
                await pend.event.wait()
            b = self.b_channel._transaction_obj()
            b.bid = tid
            b.bresp = pend.resp if pend is not None else 0
            await self.b_channel.send(b)


class CosimBridge:
    def __init__(
        self,
        dut: Any,
        link: SimLink,
        *,
        max_cycles: int = 0,
        reset_cycles: int = RESET_CYCLES,
        backpressure: float = 0.0,
        log: logging.Logger | None = None,
    ):
        self.dut = dut
        self.link = link
        self.log = log or logging.getLogger("zcnic.bridge")
        self.max_cycles = int(max_cycles)
        self.reset_cycles = int(reset_cycles)
        self.backpressure = float(backpressure)
        self.period_ps = link.params["clock_period_ps"]
        self.period = get_sim_steps(self.period_ps, "ps")  # simulator steps per cycle
        self.out: list[list[Any]] = []  # device messages of the current window, in emission order
        self.rd_pending: dict[int, _Pending] = {}
        self.wr_pending: dict[int, _Pending] = {}
        self.rd_tag = 0
        self.wr_tag = 0
        self.failure: str | None = None  # an RTL protocol violation
        self.crash: str | None = None  # an unexpected exception in a testbench task
        self.ended_by: str | None = None
        self.finish_status: int | None = None
        self.final_cycle = 0
        self.eth = {"tx_frames": 0, "tx_bytes": 0, "rx_frames": 0, "rx_bytes": 0}
        self.marks = 0  # MARK messages applied: the value of tb_evt_seq
        self.in_reset = True
        self.deferred: list[list[Any]] = []  # MMIO that arrived while rst was held
        self.mmio_wr_issued = 0
        self.mmio_wr_done = 0
        self.mmio_wr_event = Event()

    # -- device side -----------------------------------------------------------------------------

    def cycle(self) -> int:
        return get_sim_time("step") // self.period

    def rtl_fault(self, reason: str) -> None:
        """An RTL bus protocol violation: recorded here, the window loop ends the run (located,
        instead of cocotbext-axi's bare assert, which would only kill its coroutine)."""
        if self.failure is None:
            self.failure = reason
            self.log.error("zcnic-bridge: RTL fault: %s", reason)

    def new_read(self, addr: int, length: int) -> _Pending:
        tag = self.rd_tag
        self.rd_tag = (tag + 1) & codec.U32_MAX
        cyc = self.cycle()
        pend = _Pending(tag, addr, length, cyc)
        self.rd_pending[tag] = pend
        self.out.append([DMA_RD_REQ, cyc, tag, addr, length])
        return pend

    def new_write(self, runs: list, addr: int, length: int) -> _Pending | None:
        if not runs:
            return None  # every strobe off: nothing to write, B OKAY without asking the host
        tag = self.wr_tag
        self.wr_tag = (tag + 1) & codec.U32_MAX
        cyc = self.cycle()
        pend = _Pending(tag, addr, length, cyc, parts=len(runs))
        self.wr_pending[tag] = pend
        out = self.out
        for start, data in runs:
            out.append([DMA_WR_REQ, cyc, tag, start, bytes(data)])
        return pend

    @_noted
    async def _watch_irq(self) -> None:
        """IRQ bits are one-cycle pulses. Wake on a change; while any bit is high, look once per
        cycle (a bit high in consecutive cycles is consecutive interrupts)."""
        irq = self.dut.irq
        try:
            width = len(irq)
        except TypeError:
            width = 1
        per = self.period
        while True:
            await ValueChange(irq)
            v = _int(irq.value)
            while v:
                cyc = self.cycle()
                for bit in range(width):
                    if v >> bit & 1:
                        self.out.append([IRQ, cyc, bit])
                await Timer(per, "step")
                await ReadOnly()  # the value after this cycle's edge
                v = _int(irq.value)

    @_noted
    async def _eth_tx(self) -> None:
        """Whole frames off the MAC TX stream -> ETH_TX, stamped with the cycle of the edge at which
        the sink took the tlast beat (the sink records that time; this task may run later in it)."""
        sink, per, eth = self.eth_tx, self.period, self.eth
        limit = P.ETH_MAX_FRAME_BYTES
        while True:
            f = await sink.recv()
            data = bytes(f.tdata)
            cyc = int(f.sim_time_end) // per
            if not 1 <= len(data) <= limit:
                self.rtl_fault(f"MAC TX frame of {len(data)} bytes ending at cycle {cyc}: the bridge carries 1..{limit}")
                return
            eth["tx_frames"] += 1
            eth["tx_bytes"] += len(data)
            self.out.append([ETH_TX, cyc, 0, 0, data])

    @_noted
    async def _mmio_rd(self, mid: int, addr: int, after_writes: int) -> None:
        # PCIe ordering: a read does not pass an earlier posted write. AXI-Lite's read and write
        # channels are independent, so hold the read until the writes issued before it are done.
        while self.mmio_wr_done < after_writes:
            self.mmio_wr_event.clear()
            await self.mmio_wr_event.wait()
        r = await self.axil.read(addr, 4)
        self.out.append([MMIO_RD_DONE, self.cycle(), mid, int(r.resp), int.from_bytes(r.data, "little")])

    @_noted
    async def _mmio_wr(self, mid: int, addr: int, data: int) -> None:
        r = await self.axil.write(addr, data.to_bytes(4, "little"))
        self.out.append([MMIO_WR_DONE, self.cycle(), mid, int(r.resp)])
        self.mmio_wr_done += 1  # AXI-Lite B responses come back in issue order
        self.mmio_wr_event.set()

    # -- host side -------------------------------------------------------------------------------

    def apply(self, cyc: int, m: list) -> None:
        """Carry out one host message at its cycle (FINISH is handled by the loop)."""
        code = m[0]
        if code == DMA_RD_CPL:
            tag, resp, data = m[2], m[3], m[4]
            pend = self.rd_pending.pop(tag, None)
            if pend is None:
                raise BridgeError(E["SEQUENCE"], f"DMA_RD_CPL at cycle {cyc} for tag {tag}: no read burst outstanding with that tag")
            if resp not in AXI_RESPS:
                raise BridgeError(E["BAD_FIELD"], f"DMA_RD_CPL tag {tag} at cycle {cyc}: resp {resp} is not an AXI response (0..3)")
            if resp == 0 and len(data) != pend.len:
                raise BridgeError(
                    E["BAD_FIELD"],
                    f"DMA_RD_CPL tag {tag} at cycle {cyc}: {len(data)} data bytes, the request (addr 0x{pend.addr:x}) asked for {pend.len}",
                )
            pend.resp, pend.data = resp, data
            self._rd_done(cyc, pend)
        elif code == DMA_WR_CPL:
            tag, resp = m[2], m[3]
            pend = self.wr_pending.get(tag)
            if pend is None:
                raise BridgeError(E["SEQUENCE"], f"DMA_WR_CPL at cycle {cyc} for tag {tag}: no write burst outstanding with that tag")
            if resp not in AXI_RESPS:
                raise BridgeError(E["BAD_FIELD"], f"DMA_WR_CPL tag {tag} at cycle {cyc}: resp {resp} is not an AXI response (0..3)")
            if resp > pend.resp:  # the worst answer: DECERR(3) > SLVERR(2) > EXOKAY(1) > OKAY(0)
                pend.resp = resp
            pend.parts -= 1
            if pend.parts == 0:
                del self.wr_pending[tag]
                self._wr_done(cyc, pend)
        elif code == MMIO_RD or code == MMIO_WR:
            self._check_mmio(cyc, m)
            if self.in_reset:
                # The RTL would drop it (its ready may be high in reset): issue it at reset release.
                self.deferred.append(m)
            else:
                self._issue_mmio(m)
        elif code == ETH_RX:
            # port, flags and length were range-checked by the codec; tuser marks the last beat only
            self._eth_rx(cyc, m[4], bool(m[3] & ETH_BAD))
            self.eth["rx_frames"] += 1
            self.eth["rx_bytes"] += len(m[4])
        elif code == MARK:
            self.marks += 1
            self._mark(cyc, m[2], m[3], m[4])

    # What a checked host message does; the burst-level port (port.py) does them in C++.

    def _rd_done(self, cyc: int, pend: _Pending) -> None:
        pend.event.set()

    def _wr_done(self, cyc: int, pend: _Pending) -> None:
        pend.event.set()

    def _eth_rx(self, cyc: int, frame: bytes, bad: bool) -> None:
        # tuser marks the last beat only
        tuser = [0] * (len(frame) - 1) + [1] if bad else 0
        self.eth_rx.send_nowait(AxiStreamFrame(frame, tuser=tuser))

    def _mark(self, cyc: int, kind_: int, queue_: int, index_: int) -> None:
        # several in one cycle: the last one's fields win, tb_evt_seq counts them all
        kind, queue, index, seq = self.evt
        kind.value, queue.value, index.value = kind_, queue_, index_
        seq.value = self.marks & codec.U32_MAX

    def _issue_mmio(self, m: list) -> None:
        # Tasks start in the order they are created, so AXI-Lite sees the host's order.
        if m[0] == MMIO_RD:
            cocotb.start_soon(self._mmio_rd(m[2], m[3], self.mmio_wr_issued))
        else:
            self.mmio_wr_issued += 1
            cocotb.start_soon(self._mmio_wr(m[2], m[3], m[4]))

    def _check_mmio(self, cyc: int, m: list) -> None:
        addr = m[3]
        if addr & 3 or addr >= self.axil_span:
            name = P.MSG_BY_CODE[m[0]][0]
            raise BridgeError(
                E["BAD_FIELD"],
                f"{name} id {m[2]} at cycle {cyc}: addr 0x{addr:x} is not a 4-byte aligned offset in the 0x{self.axil_span:x}-byte register window",
            )

    # -- the run ---------------------------------------------------------------------------------

    def _setup(self) -> None:
        dut = self.dut
        # cocotbext-axi logs every burst at INFO, from loggers named after the toplevel.
        logging.getLogger(f"cocotb.{dut._name}").setLevel(logging.WARNING)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk)
        self.axil_span = 1 << len(dut.s_axil_araddr)
        bus = AxiBus.from_prefix(dut, "m_axi")
        self.dma_rd = DmaRead(self, bus.read, dut.clk)
        self.dma_wr = DmaWrite(self, bus.write, dut.clk)
        self.eth_tx = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis_tx"), dut.clk, dut.rst)
        self.eth_rx = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_rx"), dut.clk, dut.rst)
        self.evt = (dut.tb_evt_kind, dut.tb_evt_queue, dut.tb_evt_index, dut.tb_evt_seq)
        for sig in self.evt:
            sig.value = 0
        if self.backpressure > 0:
            # Off by default: a pause generator is Python on every clock edge. Seeded, so a run
            # with backpressure is as reproducible as one without.
            seed = self.link.params["seed"]
            chans = (self.dma_rd.ar_channel, self.dma_rd.r_channel, self.dma_wr.aw_channel, self.dma_wr.w_channel, self.dma_wr.b_channel)
            for i, ch in enumerate(chans):
                ch.set_pause_generator(pause_generator(random.Random(seed * 8 + i), self.backpressure))

    @_noted
    async def _reset(self) -> None:
        # Deassert on a falling edge so the first edge out of reset is unambiguous.
        await Timer(self.reset_cycles * self.period + self.period // 2, "step")
        self.dut.rst.value = 0
        self.in_reset = False
        for m in self.deferred:
            self._issue_mmio(m)
        self.deferred.clear()

    async def run(self) -> dict:
        """Handshake, then simulate window by window until FINISH. Returns a summary; raises
        BridgeError (protocol fault, ERROR already sent), SimStop (BYE sent) or PeerBye."""
        link = self.link
        dut = self.dut
        try:
            dut.rst.value = 1
            self._setup()
            link.start()
            clock = Clock(dut.clk, self.period, "step", impl="gpi")
            clock.start(start_high=True)
            cocotb.start_soon(self._reset())
            cocotb.start_soon(self._watch_irq())
            cocotb.start_soon(self._eth_tx())
            return await self._loop()
        except BridgeError as err:
            link.fail(err)
            raise

    def _gather(self, heap: list, start: int) -> None:
        """The host's batches needed before window `start` into the heap: (cycle, batch, index,
        msg), so messages come out by cycle, then in the order the host sent them."""
        for seq, msgs in self.link.collect(self.link.replies_needed_before(start)):
            for i, m in enumerate(msgs):
                heapq.heappush(heap, (m[1], seq, i, m))

    async def _loop(self) -> dict:
        link = self.link
        W, per = link.W, self.period
        heap: list[tuple[int, int, int, list]] = []
        pop = heapq.heappop
        n = 0
        while True:
            start = n * W
            end = start + W
            self._gather(heap, start)
            while heap and heap[0][0] < end and self.failure is None:
                cyc = heap[0][0]
                wait = cyc * per - get_sim_time("step")
                if wait > 0:
                    await Timer(wait, "step")
                while heap and heap[0][0] == cyc:
                    m = pop(heap)[3]
                    if m[0] == FINISH:
                        return self._finish(cyc, m[2])
                    self.apply(cyc, m)
            if self.failure is None:
                wait = end * per - get_sim_time("step")
                if wait > 0:
                    await Timer(wait, "step")
            if self.failure is not None:
                cyc = self.cycle()
                self.final_cycle = cyc
                link.bye(cyc, f"RTL fault: {self.failure}")
                raise SimStop(self.failure)
            # Messages stamped `end` or later (same time step as this wake-up) go in the next batch.
            out = self.out
            k = len(out)
            while k and out[k - 1][1] >= end:
                k -= 1
            if k == len(out):
                self.out = []
            else:
                self.out = out[k:]
                del out[k:]
            link.submit(end, out)
            n += 1
            if self.max_cycles and end >= self.max_cycles:
                self.final_cycle = end
                link.bye(end, f"cycle limit {self.max_cycles} reached without FINISH")
                raise SimStop(f"cycle limit {self.max_cycles} reached without FINISH from the host")

    def _finish(self, cyc: int, status: int) -> dict:
        self.final_cycle = cyc
        self.ended_by = "finish"
        self.finish_status = status
        left = len(self.rd_pending) + len(self.wr_pending)
        if left:
            self.log.warning("FINISH at cycle %d with %d DMA bursts unanswered", cyc, left)
        rx_left = self.eth_rx.count() + (self.eth_rx.current_frame is not None)
        if rx_left:
            self.log.warning("FINISH at cycle %d with %d ETH_RX frames not (wholly) taken by the RTL", cyc, rx_left)
        self.link.bye(cyc, "finish")
        return {"ended_by": "finish", "cycles": cyc, "finish_status": status}


def _int(v: Any) -> int:
    try:
        return int(v)
    except ValueError:  # X/Z before reset: no interrupt
        return 0
