"""Block-level cocotb tests of the generic DMA engines (dma_rd, dma_wr) through dma_top.

The AXI4 port is served by a sparse 4 GiB AxiRam that answers SLVERR or DECERR for chosen byte
ranges. Descriptor and status channels are driven/consumed by small valid/ready models here, the
write stream by cocotbext-axi's AxiStreamSource and the read stream by a beat-level sink; every
channel (AXI and streams included) has seeded random idle/backpressure. An independent AR/AW/W
monitor compares every burst with the exact expected split (address, length, strobes) and checks
the AXI rules (INCR, full width, one 4 KiB page, <= CHUNK_BYTES). rd_stop / wr_stop are exercised
mid-batch. Build parameters come from ZCNIC_* environment variables set by run_blocks.py.
"""

from __future__ import annotations

import logging
import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, RisingEdge, Timer, with_timeout
from cocotbext.axi import AxiBus, AxiResp, AxiStreamBus, AxiStreamSource
from cocotbext.axi.axi_channels import AxiARMonitor, AxiAWMonitor, AxiWMonitor

from zcnic_tb.axi_mem import FaultyAxiRam, overlaps
from zcnic_tb.layout import split_bursts
from zcnic_tb.tbutil import pause_generator, reset

TOPLEVEL = "dma_top"
# name -> dma_top parameters: the widest bursts a 64-bit bus allows (256 beats), and the smallest
# chunk (two beats) on the widest bus, so that many bursts are in flight
CONFIGS = {
    "dw64": {"DATA_WIDTH": 64, "ID_WIDTH": 4, "CHUNK_BYTES": 2048},
    "dw512": {"DATA_WIDTH": 512, "ID_WIDTH": 2, "CHUNK_BYTES": 128},
}

DATA_WIDTH = int(os.environ.get("ZCNIC_DATA_WIDTH", "64"))
CHUNK_BYTES = int(os.environ.get("ZCNIC_CHUNK_BYTES", "2048"))
BYTES = DATA_WIDTH // 8
LARGE_LOG2 = int(os.environ.get("ZCNIC_DMA_LARGE_LOG2", "24" if BYTES >= 64 else "20"))  # test_large
CLK_NS = 4
PAGE = 4096
ADDR_SPACE = 1 << 32
MAX_RANDOM_LEN = 3 * CHUNK_BYTES + 17


def bursts(addr: int, length: int) -> list[tuple[int, int]]:
    """The expected split of [addr, addr+length): (start, end) of each burst, in issue order."""
    return split_bursts(addr, length, CHUNK_BYTES)


def word_hull(lo: int, hi: int) -> tuple[int, int]:
    return lo & ~(BYTES - 1), (hi + BYTES - 1) & ~(BYTES - 1)


# ------------------------------------------------------------------------------------------------
# Models


class DescSource:
    """Drives a {addr, len, tag} valid/ready channel, idling at random between descriptors."""

    def __init__(self, dut, prefix: str, rng: random.Random, pause: float):
        self.clk = dut.clk
        self.addr = getattr(dut, f"{prefix}_addr")
        self.len = getattr(dut, f"{prefix}_len")
        self.tag = getattr(dut, f"{prefix}_tag")
        self.valid = getattr(dut, f"{prefix}_valid")
        self.ready = getattr(dut, f"{prefix}_ready")
        self.pause = pause_generator(rng, pause)
        self.queue: deque[tuple[int, int, int]] = deque()
        self.valid.value = 0
        cocotb.start_soon(self._run())

    def send(self, addr: int, length: int, tag: int):
        self.queue.append((addr, length, tag))

    def flush(self):
        """Drop everything not yet taken (for a stopped engine, which takes nothing)."""
        self.queue.clear()
        self.cur, self.shown = None, False
        self.valid.value = 0

    async def _run(self):
        self.cur = None
        self.shown = False
        while True:
            await RisingEdge(self.clk)
            if self.shown and int(self.valid.value) and int(self.ready.value):
                self.cur, self.shown = None, False
            if self.cur is None and self.queue:
                self.cur = self.queue.popleft()
            if self.cur is None:
                self.valid.value = 0
            elif not self.shown:
                if next(self.pause):
                    self.valid.value = 0
                    continue
                self.addr.value, self.len.value, self.tag.value = self.cur
                self.valid.value = 1
                self.shown = True


class StatusSink:
    """Takes {tag, error, resp, err_addr} records with random ready."""

    def __init__(self, dut, prefix: str, rng: random.Random, pause: float):
        self.dut = dut
        self.sig = {n: getattr(dut, f"{prefix}_{n}") for n in ("tag", "error", "resp", "err_addr", "valid", "ready")}
        self.pause = pause_generator(rng, pause)
        self.records: list[tuple[int, int, int, int]] = []
        self.sig["ready"].value = 0
        cocotb.start_soon(self._run())

    async def _run(self):
        s = self.sig
        while True:
            await RisingEdge(self.dut.clk)
            if int(s["valid"].value) and int(s["ready"].value):
                self.records.append(tuple(int(s[n].value) for n in ("tag", "error", "resp", "err_addr")))
            s["ready"].value = 0 if next(self.pause) else 1


class StreamSink:
    """Beat-level AXI-Stream sink (tdata/tkeep/tlast/tid/tuser) with random tready.

    Frames are (tid, bytes, error): the kept bytes, and tuser of the tlast beat. Beat-level rules
    (one tid per frame, tkeep all ones before tlast, a contiguous tkeep from lane 0 on tlast, tuser
    only on tlast, an error beat with tkeep = 0) are collected as violations.
    """

    def __init__(self, dut, prefix: str, rng: random.Random, pause: float):
        self.dut = dut
        self.sig = {n: getattr(dut, f"{prefix}_{n}") for n in ("tdata", "tkeep", "tlast", "tid", "tuser", "tvalid", "tready")}
        self.pause = pause_generator(rng, pause)
        self.frames: list[tuple[int, bytes, int]] = []
        self.violations: list[str] = []
        self.beats = 0
        self.sig["tready"].value = 0
        cocotb.start_soon(self._run())

    def drop_partial(self):
        """Forget a frame cut short by a stop."""
        self.data, self.tid = bytearray(), None

    async def _run(self):
        s = self.sig
        self.drop_partial()
        while True:
            await RisingEdge(self.dut.clk)
            if int(s["tvalid"].value) and int(s["tready"].value):
                self.beats += 1
                word = int(s["tdata"].value).to_bytes(BYTES, "little")
                keep, last, user, beat_tid = (int(s[n].value) for n in ("tkeep", "tlast", "tuser", "tid"))
                tid = self.tid
                if tid is None:
                    self.tid = tid = beat_tid
                elif beat_tid != tid:
                    self.violations.append(f"tid changed mid-frame {tid} -> {beat_tid}")
                full = (1 << BYTES) - 1
                if not last and keep != full:
                    self.violations.append(f"tid {tid}: tkeep 0x{keep:x} before tlast")
                if user and not (last and keep == 0):
                    self.violations.append(f"tid {tid}: tuser with tlast={last} tkeep=0x{keep:x}")
                if last and not user and (keep == 0 or keep & (keep + 1)):
                    self.violations.append(f"tid {tid}: last tkeep 0x{keep:x} not contiguous from lane 0")
                self.data += bytes(word[i] for i in range(BYTES) if keep >> i & 1)
                if last:
                    self.frames.append((tid, bytes(self.data), user))
                    self.drop_partial()
            s["tready"].value = 0 if next(self.pause) else 1


class BurstChecker:
    """Independent AR/AW/W monitor: every burst must be the next one of the expected split (exact
    address and length), INCR, full width, within one 4 KiB page and at most CHUNK_BYTES; every
    W beat must carry exactly the strobes of the bytes of its burst and WLAST on the last beat."""

    def __init__(self, dut, bus):
        self.ar_mon = AxiARMonitor(bus.read.ar, dut.clk, dut.rst)
        self.aw_mon = AxiAWMonitor(bus.write.aw, dut.clk, dut.rst)
        self.w_mon = AxiWMonitor(bus.write.w, dut.clk, dut.rst)
        self.ar_expect: deque[tuple[int, int]] = deque()
        self.aw_expect: deque[tuple[int, int]] = deque()
        self.violations: list[str] = []
        self.ar_bursts = 0
        self.aw_bursts = 0
        cocotb.start_soon(self._run_ar())
        cocotb.start_soon(self._run_aw())

    def _fail(self, msg):
        if len(self.violations) < 20:
            self.violations.append(msg)
            cocotb.log.error("burst checker: %s", msg)

    def _check_shape(self, kind, addr, arlen, size, burst, expect):
        beats = arlen + 1
        aligned = addr & ~(BYTES - 1)
        if burst != 1:
            self._fail(f"{kind} 0x{addr:08x}: burst type {burst} is not INCR")
        if (1 << size) != BYTES:
            self._fail(f"{kind} 0x{addr:08x}: size {size} is not the full data width")
        if beats * BYTES > CHUNK_BYTES:
            self._fail(f"{kind} 0x{addr:08x}: {beats} beats exceed CHUNK_BYTES={CHUNK_BYTES}")
        if aligned // PAGE != (aligned + beats * BYTES - 1) // PAGE:
            self._fail(f"{kind} 0x{addr:08x}: {beats} beats cross a 4 KiB boundary")
        if not expect:
            self._fail(f"{kind} 0x{addr:08x} len {arlen}: unexpected burst")
            return None
        lo, hi = expect.popleft()
        want = word_hull(lo, hi)
        if addr != lo or aligned + beats * BYTES != want[1]:
            self._fail(f"{kind} 0x{addr:08x} len {arlen}: expected burst [0x{lo:08x}, 0x{hi:08x})")
        return lo, hi

    async def _run_ar(self):
        while True:
            ar = await self.ar_mon.recv()
            self.ar_bursts += 1
            self._check_shape("AR", int(ar.araddr), int(ar.arlen), int(ar.arsize), int(ar.arburst), self.ar_expect)

    async def _run_aw(self):
        while True:
            aw = await self.aw_mon.recv()
            self.aw_bursts += 1
            addr, awlen = int(aw.awaddr), int(aw.awlen)
            window = self._check_shape("AW", addr, awlen, int(aw.awsize), int(aw.awburst), self.aw_expect)
            lo, hi = window or (addr, addr)
            aligned = addr & ~(BYTES - 1)
            for n in range(awlen + 1):
                w = await self.w_mon.recv()
                strb, last = int(w.wstrb), int(w.wlast)
                if last != (n == awlen):
                    self._fail(f"AW 0x{addr:08x}: WLAST={last} on beat {n} of {awlen + 1}")
                word = aligned + n * BYTES
                want = sum(1 << i for i in range(BYTES) if lo <= word + i < hi)
                if strb != want:
                    self._fail(f"AW 0x{addr:08x} beat {n}: WSTRB 0x{strb:x}, expected 0x{want:x}")


# ------------------------------------------------------------------------------------------------
# Testbench


class TB:
    def __init__(self, dut, *, backpressure: bool = True):
        self.dut = dut
        self.rng = random.Random(cocotb.RANDOM_SEED)
        Clock(dut.clk, CLK_NS, "ns").start()
        dut.rd_stop.value = 0
        dut.wr_stop.value = 0
        bus = AxiBus.from_prefix(dut, "m_axi")
        self.ram = FaultyAxiRam(bus, dut.clk, dut.rst, size=ADDR_SPACE)
        self.checker = BurstChecker(dut, bus)
        p = (lambda: self.rng.uniform(0.1, 0.5)) if backpressure else (lambda: 0.0)
        self.rd_desc = DescSource(dut, "s_rd_desc", random.Random(self.rng.random()), p())
        self.wr_desc = DescSource(dut, "s_wr_desc", random.Random(self.rng.random()), p())
        self.rd_sts = StatusSink(dut, "m_rd_sts", random.Random(self.rng.random()), p())
        self.wr_sts = StatusSink(dut, "m_wr_sts", random.Random(self.rng.random()), p())
        self.rd_stream = StreamSink(dut, "m_rd_axis", random.Random(self.rng.random()), p())
        self.wr_stream = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_wr_axis"), dut.clk, dut.rst)
        if backpressure:
            self.wr_stream.set_pause_generator(pause_generator(random.Random(self.rng.random()), p()))
            for ch in (self.ram.write_if.aw_channel, self.ram.write_if.w_channel, self.ram.write_if.b_channel,
                       self.ram.read_if.ar_channel, self.ram.read_if.r_channel):
                ch.set_pause_generator(pause_generator(random.Random(self.rng.random()), p()))
        # cocotbext-axi logs every burst and frame at INFO: slow and noisy
        for name in ("m_axi", "s_wr_axis"):
            logging.getLogger(f"cocotb.{dut._name}.{name}").setLevel(logging.WARNING)
        self.next_tag = self.rng.randrange(256)

    def tag(self) -> int:
        self.next_tag = (self.next_tag + 1) % 256
        return self.next_tag

    async def run(self, *, reads=(), writes=(), read_faults=(), write_faults=(), resp=AxiResp.SLVERR,
                  timeout_us: float = 4000):
        """Run read descriptors [(addr, len)] and write descriptors [(addr, len)] all at once, and
        check every byte, stream frame, status record and burst against the exact expectation."""
        batch = self.submit(reads=reads, writes=writes, read_faults=read_faults, write_faults=write_faults, resp=resp)
        await self.wait_status(batch, timeout_us)
        self.check(batch)

    async def wait_status(self, batch, timeout_us: float = 4000):
        async def settle():
            while (len(self.rd_sts.records) < batch["rd_base"] + len(batch["rd"])
                   or len(self.wr_sts.records) < batch["wr_base"] + len(batch["wr"])):
                await RisingEdge(self.dut.clk)
            for _ in range(20):
                await RisingEdge(self.dut.clk)

        await with_timeout(settle(), timeout_us, "us")

    def submit(self, *, reads=(), writes=(), read_faults=(), write_faults=(), resp=AxiResp.SLVERR):
        """Queue the descriptors and stream data; return the expectation."""
        reads, writes = list(reads), list(writes)
        ram = self.ram
        ram.read_faults[:] = read_faults
        ram.write_faults[:] = write_faults
        ram.fault_resp = resp
        rd_base, wr_base = len(self.rd_sts.records), len(self.wr_sts.records)
        frame_base = len(self.rd_stream.frames)

        rd_exp = []
        for addr, length in reads:
            data = self.rng.randbytes(length)
            ram.write(addr, data)
            tag = self.tag()
            fail = next((lo for lo, hi in bursts(addr, length) if overlaps(read_faults, *word_hull(lo, hi))), None)
            rd_exp.append((addr, length, tag, data, fail))
            self.checker.ar_expect.extend(bursts(addr, length))
        wr_exp = []
        for addr, length in writes:
            data = self.rng.randbytes(length)
            guard = 2 * BYTES + 5
            lo, hi = max(addr - guard, 0), min(addr + length + guard, ADDR_SPACE)
            fill = bytes((0x5C + 7 * i) & 0xFF for i in range(hi - lo))
            ram.write(lo, fill)
            tag = self.tag()
            fail = next((blo for blo, bhi in bursts(addr, length) if overlaps(write_faults, blo, bhi)), None)
            wr_exp.append((addr, length, tag, data, fail, lo, fill))
            self.checker.aw_expect.extend(bursts(addr, length))

        for addr, length, tag, *_ in rd_exp:
            self.rd_desc.send(addr, length, tag)
        for addr, length, tag, data, *_ in wr_exp:
            self.wr_desc.send(addr, length, tag)
            self.wr_stream.send_nowait(data)

        return {"rd": rd_exp, "wr": wr_exp, "rd_base": rd_base, "wr_base": wr_base, "frame_base": frame_base,
                "resp": resp}

    def check(self, batch, *, stopped: bool = False):
        """Check a batch. After a stop only the descriptors that completed are checked: a status record
        for each, in order, and a frame for each (the last frame or record may be cut by the stop)."""
        ram, resp = self.ram, batch["resp"]
        rd_base, wr_base, frame_base = batch["rd_base"], batch["wr_base"], batch["frame_base"]
        rd_recs = self.rd_sts.records[rd_base:]
        wr_recs = self.wr_sts.records[wr_base:]
        frames = self.rd_stream.frames[frame_base:]
        if stopped:
            assert abs(len(rd_recs) - len(frames)) <= 1, f"{len(rd_recs)} read status, {len(frames)} frames"
            n = min(len(rd_recs), len(frames))
            rd_exp, wr_exp = batch["rd"][:n], batch["wr"][: len(wr_recs)]
            assert len(rd_exp) == n and len(wr_exp) == len(wr_recs), "more completions than descriptors"
        else:
            rd_exp, wr_exp = batch["rd"], batch["wr"]
            assert len(rd_recs) == len(rd_exp), f"{len(rd_recs)} read status for {len(rd_exp)} descriptors"
            assert len(wr_recs) == len(wr_exp), f"{len(wr_recs)} write status for {len(wr_exp)} descriptors"
            assert len(frames) == len(rd_exp), f"{len(frames)} read frames for {len(rd_exp)} descriptors"
        for (addr, length, tag, data, fail), rec, (tid, got, err) in zip(rd_exp, rd_recs, frames):
            where = f"read 0x{addr:08x} len {length} tag {tag}"
            assert tid == tag, f"{where}: frame tid {tid}"
            if fail is None:
                assert rec == (tag, 0, 0, 0), f"{where}: status {rec}"
                assert not err, f"{where}: frame ended with tuser"
                if got != data:
                    bad = next((i for i in range(min(len(got), length)) if got[i] != data[i]), min(len(got), length))
                    raise AssertionError(f"{where}: {len(got)} bytes, first wrong at +{bad}")
            else:
                assert rec == (tag, 1, int(resp), fail), f"{where}: status {rec}, expected error at 0x{fail:08x}"
                assert err, f"{where}: error frame without tuser"
                assert len(got) < length and got == data[: len(got)], f"{where}: bad error prefix"
        for (addr, length, tag, data, fail, lo, fill), rec in zip(wr_exp, wr_recs):
            where = f"write 0x{addr:08x} len {length} tag {tag}"
            if fail is None:
                assert rec == (tag, 0, 0, 0), f"{where}: status {rec}"
                got = ram.read(addr, length)
                if got != data:
                    bad = next(i for i in range(length) if got[i] != data[i])
                    raise AssertionError(f"{where}: first wrong byte at +{bad} (0x{addr + bad:08x})")
            else:
                assert rec == (tag, 1, int(resp), fail), f"{where}: status {rec}, expected error at 0x{fail:08x}"
            assert ram.read(lo, addr - lo) == fill[: addr - lo], f"{where}: bytes below addr changed"
            top = addr + length
            if top < lo + len(fill):
                assert ram.read(top, lo + len(fill) - top) == fill[top - lo :], f"{where}: bytes above addr+len changed"
        if not stopped:
            assert not self.checker.ar_expect and not self.checker.aw_expect, "bursts missing"
        self.final_checks()

    def final_checks(self):
        assert not self.checker.violations, self.checker.violations
        assert not self.rd_stream.violations, self.rd_stream.violations[:10]

    def layout(self, lengths, base, *, max_gap=3 * BYTES):
        """Place transfers one after another from base with random alignment and gaps."""
        out = []
        addr = base
        for length in lengths:
            addr += self.rng.randrange(max_gap) + 2 * BYTES + 5
            out.append((addr, length))
            addr += length + 2 * BYTES + 5
        return out


async def setup(dut, *, backpressure: bool = True) -> TB:
    tb = TB(dut, backpressure=backpressure)
    await reset(dut)
    return tb


# ------------------------------------------------------------------------------------------------
# Tests


@cocotb.test()
async def test_small_alignments(dut):
    """Every length 1..2*B+3 at every lane offset, reads and writes, one at a time."""
    tb = await setup(dut)
    base = 0x1000_0000
    for offset in range(BYTES):
        lengths = list(range(1, 2 * BYTES + 4))
        reads = [(base + i * 4 * BYTES + offset, n) for i, n in enumerate(lengths)]
        writes = [(base + 0x0100_0000 + i * 16 * BYTES + (offset * 5) % BYTES + BYTES, n) for i, n in enumerate(lengths)]
        await tb.run(reads=reads, writes=writes)


@cocotb.test()
async def test_random_in_flight(dut):
    """Random lengths 1..3*CHUNK+17 and alignments, both directions, all descriptors queued at once
    (many in flight back to back, distinct tags)."""
    tb = await setup(dut)
    for _ in range(3):
        n = 16
        lengths = [tb.rng.randint(1, MAX_RANDOM_LEN) for _ in range(n)]
        rd_base = tb.rng.randrange(0x1000_0000, 0x4000_0000)
        wr_base = tb.rng.randrange(0x8000_0000, 0xB000_0000)
        await tb.run(reads=tb.layout(lengths, rd_base), writes=tb.layout(tb.rng.sample(lengths, n), wr_base))


@cocotb.test()
async def test_no_backpressure_throughput(dut):
    """Without idle cycles, long aligned transfers run at close to one beat per clock."""
    tb = await setup(dut, backpressure=False)
    length = max(16 * CHUNK_BYTES, 1024 * BYTES)
    beats = length // BYTES
    for kind in ("read", "write"):
        start = get_sim_time("ns")
        if kind == "read":
            await tb.run(reads=[(0x2000_0000, length)])
        else:
            await tb.run(writes=[(0x3000_0000, length)])
        cycles = (get_sim_time("ns") - start) / CLK_NS
        rate = beats / cycles
        dut._log.info("%s of %d bytes: %d beats in %d cycles (%.2f beats/clock)", kind, length, beats, cycles, rate)
        assert rate > 0.8, f"{kind}: {rate:.2f} beats/clock"


@cocotb.test()
async def test_page_crossings(dut):
    """Transfers crossing 4 KiB boundaries at every kind of offset, including several pages."""
    tb = await setup(dut)
    reads, writes = [], []
    for i, (before, after) in enumerate([(1, 1), (BYTES, BYTES), (BYTES - 1, 3), (3, BYTES + 1),
                                         (CHUNK_BYTES + 7, 5), (17, PAGE + 33), (PAGE - 1, PAGE + 1)]):
        page = 0x0400_0000 + i * 4 * PAGE
        reads.append((page + PAGE - before, before + after))
        writes.append((page + 0x0100_0000 + 2 * PAGE - before, before + after))
    await tb.run(reads=reads, writes=writes)


@cocotb.test()
async def test_end_of_address_space(dut):
    """Transfers ending exactly at 0xFFFFFFFF (the last byte of the 32-bit space)."""
    tb = await setup(dut)
    for length in (1, BYTES - 1, BYTES + 3, CHUNK_BYTES + 1, 2 * PAGE + 5):
        await tb.run(reads=[(ADDR_SPACE - length, length)])
        # the guard above the write is empty here: the window ends at the top of the space
        await tb.run(writes=[(ADDR_SPACE - length, length)])
    # both at once, the read source distinct from the write destination
    await tb.run(reads=[(ADDR_SPACE - 3 * PAGE - 100, 2 * PAGE)], writes=[(ADDR_SPACE - 777, 777)])


@cocotb.test()
async def test_read_errors(dut):
    """Injected SLVERR / DECERR on reads: the frame ends with a tuser beat, the status names the first
    failing burst, the other descriptors (before, after and in flight) are intact."""
    tb = await setup(dut)
    for resp in (AxiResp.SLVERR, AxiResp.DECERR):
        for _ in range(6):
            lengths = [tb.rng.randint(1, MAX_RANDOM_LEN) for _ in range(6)]
            reads = tb.layout(lengths, tb.rng.randrange(0x1000_0000, 0x4000_0000))
            faults = []
            for addr, length in tb.rng.sample(reads, 2):
                at = addr + tb.rng.randrange(length)
                faults.append((at, at + 1))
            await tb.run(reads=reads, read_faults=faults, resp=resp)
        # clean recovery: same engine, no faults
        await tb.run(reads=tb.layout([tb.rng.randint(1, MAX_RANDOM_LEN) for _ in range(4)], 0x5000_0000))


@cocotb.test()
async def test_write_errors(dut):
    """Injected SLVERR / DECERR on writes: the status names the first failing burst after the last B
    of the descriptor; nothing is strobed outside [addr, addr+len); later descriptors are intact."""
    tb = await setup(dut)
    for resp in (AxiResp.SLVERR, AxiResp.DECERR):
        for _ in range(6):
            lengths = [tb.rng.randint(1, MAX_RANDOM_LEN) for _ in range(6)]
            writes = tb.layout(lengths, tb.rng.randrange(0x8000_0000, 0xB000_0000))
            faults = []
            for addr, length in tb.rng.sample(writes, 2):
                at = addr + tb.rng.randrange(length)
                faults.append((at, at + 1 + tb.rng.randrange(3)))
            await tb.run(writes=writes, write_faults=faults, resp=resp)
        await tb.run(writes=tb.layout([tb.rng.randint(1, MAX_RANDOM_LEN) for _ in range(4)], 0xC000_0000))


@cocotb.test()
async def test_mixed_errors_in_flight(dut):
    """Reads and writes at once, with faults on both sides, many descriptors queued."""
    tb = await setup(dut)
    for resp in (AxiResp.SLVERR, AxiResp.DECERR):
        lengths = [tb.rng.randint(1, MAX_RANDOM_LEN) for _ in range(16)]
        reads = tb.layout(lengths, 0x1000_0000)
        writes = tb.layout(lengths[::-1], 0x9000_0000)
        rf = [(a + l // 2, a + l // 2 + 1) for a, l in reads[::5]]
        wf = [(a + l // 3, a + l // 3 + 2) for a, l in writes[1::4]]
        await tb.run(reads=reads, writes=writes, read_faults=rf, write_faults=wf, resp=resp)
    await tb.run(reads=tb.layout([40, 1, 300], 0x2000_0000), writes=tb.layout([7, 1000, 2], 0xA000_0000))


@cocotb.test()
async def test_reset_idle(dut):
    """After reset nothing is valid and both descriptor channels are ready."""
    tb = TB(dut)
    await reset(dut)
    await Timer(10 * CLK_NS, "ns")
    for name in ("m_rd_sts_valid", "m_wr_sts_valid", "m_rd_axis_tvalid", "m_axi_arvalid", "m_axi_awvalid",
                 "m_axi_wvalid"):
        assert int(getattr(dut, name).value) == 0, name
    assert int(dut.s_rd_desc_ready.value) == 1 and int(dut.s_wr_desc_ready.value) == 1
    tb.final_checks()


@cocotb.test()
async def test_stop(dut):
    """stop on one or both engines with many descriptors in flight: the engine completes what is on
    the bus, drops the rest, produces no beat or status after busy falls, the other engine is not
    disturbed, and new descriptors then run cleanly."""
    tb = await setup(dut)
    for trial in range(9):
        stop_rd, stop_wr = [(True, False), (False, True), (True, True)][trial % 3]
        lengths = [tb.rng.randint(1, MAX_RANDOM_LEN) for _ in range(8)]
        batch = tb.submit(reads=tb.layout(lengths, 0x1000_0000 + trial * 0x10_0000),
                          writes=tb.layout(lengths, 0x9000_0000 + trial * 0x10_0000))
        await ClockCycles(dut.clk, tb.rng.randrange(1, sum(lengths) // BYTES + 2))
        if stop_rd:
            dut.rd_stop.value = 1
            tb.rd_desc.flush()
        if stop_wr:
            dut.wr_stop.value = 1
            tb.wr_desc.flush()
            tb.wr_stream.assert_reset(True)  # drops the current frame and drives tvalid low
            tb.wr_stream.clear()

        async def drained():
            await RisingEdge(dut.clk)
            while (stop_rd and int(dut.rd_busy.value)) or (stop_wr and int(dut.wr_busy.value)):
                await RisingEdge(dut.clk)

        await with_timeout(drained(), 2000, "us")
        counts = (len(tb.rd_sts.records), len(tb.rd_stream.frames), tb.rd_stream.beats, len(tb.wr_sts.records))
        await ClockCycles(dut.clk, 40)
        if stop_rd:
            assert (len(tb.rd_sts.records), len(tb.rd_stream.frames), tb.rd_stream.beats) == counts[:3], \
                "read output after busy fell"
            assert not int(dut.m_rd_axis_tvalid.value) and not int(dut.m_rd_sts_valid.value)
            tb.checker.ar_expect.clear()
            tb.rd_stream.drop_partial()
            dut.rd_stop.value = 0
        if stop_wr:
            assert len(tb.wr_sts.records) == counts[3], "write status after busy fell"
            assert not int(dut.m_wr_sts_valid.value) and not int(dut.m_axi_awvalid.value)
            tb.checker.aw_expect.clear()
            dut.wr_stop.value = 0
            tb.wr_stream.assert_reset(False)

        async def others():
            while ((not stop_rd and len(tb.rd_sts.records) < batch["rd_base"] + len(batch["rd"]))
                   or (not stop_wr and len(tb.wr_sts.records) < batch["wr_base"] + len(batch["wr"]))):
                await RisingEdge(dut.clk)

        await with_timeout(others(), 2000, "us")
        await ClockCycles(dut.clk, 20)
        tb.check(batch, stopped=True)
        if not stop_rd:
            assert len(tb.rd_sts.records) - batch["rd_base"] == len(batch["rd"]) and not tb.checker.ar_expect
        if not stop_wr:
            assert len(tb.wr_sts.records) - batch["wr_base"] == len(batch["wr"]) and not tb.checker.aw_expect
        dut._log.info("stop rd=%d wr=%d: %d of %d reads and %d of %d writes completed", stop_rd, stop_wr,
                      len(tb.rd_sts.records) - batch["rd_base"], len(batch["rd"]),
                      len(tb.wr_sts.records) - batch["wr_base"], len(batch["wr"]))
        await tb.run(reads=tb.layout(lengths[:3], 0x5000_0000 + trial * 0x10_0000),
                     writes=tb.layout(lengths[3:6], 0xD000_0000 + trial * 0x10_0000))


@cocotb.test()
async def test_large(dut):
    """The largest descriptor, len = 2^24 (1 MiB on the 64-bit build, to keep it quick), both ways,
    unaligned, without idle cycles: the length counters' top bits and long runs of bursts.
    ZCNIC_DMA_LARGE_LOG2 sets the length: `make test` runs the short version (2^20 everywhere,
    2 minutes less under cocotb), `make soak` the full one."""
    tb = await setup(dut, backpressure=False)
    length = 1 << LARGE_LOG2
    await tb.run(reads=[(0x1000_0000 + 3, length)], timeout_us=20000)
    await tb.run(writes=[(ADDR_SPACE - length, length)], timeout_us=20000)
