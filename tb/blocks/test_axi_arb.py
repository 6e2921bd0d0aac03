"""Block-level cocotb tests of the AXI4 N-to-1 arbiters (axi_rd_arb, axi_wr_arb) through axi_arb_top.

Each of the three slave ports s00_axi / s01_axi / s02_axi is driven by a cocotbext-axi AxiMaster,
the master port m_axi is served by a sparse 4 GiB AxiRam that answers SLVERR or DECERR for chosen
byte ranges; every channel on both sides has seeded random idle/backpressure. Slave n only touches
addresses in its own 256 MiB region, so that independent monitors can check:

* on the master port, that every ARID/AWID carries the index of the slave whose region the address
  is in, and that the W beats follow the AWs in order (AWLEN+1 beats each, WLAST on the last);
* on the slave ports, that every AR/AW handshake goes to the slave the round-robin policy picks:
  the first requesting slave after the one granted last (an exact, cycle-by-cycle check);
* at the end of each test, that the master port carried exactly the ARs and AWs the slaves issued,
  once each, in grant order, unchanged but for the ID ({index, slave ID}).

Build parameters come from ZCNIC_* environment variables set by run_blocks.py.
"""

from __future__ import annotations

import logging
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Event, RisingEdge, with_timeout
from cocotbext.axi import AxiBus, AxiMaster, AxiResp
from cocotbext.axi.axi_channels import AxiARMonitor, AxiAWMonitor, AxiWMonitor

from zcnic_tb.axi_mem import FaultyAxiRam, overlaps
from zcnic_tb.tbutil import pause_generator, reset

TOPLEVEL = "axi_arb_top"
# name -> axi_arb_top parameters: a 64-bit bus with wide slave IDs and a deep W FIFO, and a
# 512-bit bus with 1-bit slave IDs, spare master ID bits and a small W FIFO (often full)
CONFIGS = {
    "s3_dw64": {"S_COUNT": 3, "DATA_WIDTH": 64, "S_ID_WIDTH": 4, "M_ID_WIDTH": 6, "W_FIFO_DEPTH": 16},
    "s3_dw512": {"S_COUNT": 3, "DATA_WIDTH": 512, "S_ID_WIDTH": 1, "M_ID_WIDTH": 5, "W_FIFO_DEPTH": 2},
}

S_COUNT = int(os.environ.get("ZCNIC_S_COUNT", "3"))
DATA_WIDTH = int(os.environ.get("ZCNIC_DATA_WIDTH", "64"))
S_ID_WIDTH = int(os.environ.get("ZCNIC_S_ID_WIDTH", "4"))
M_ID_WIDTH = int(os.environ.get("ZCNIC_M_ID_WIDTH", "6"))
W_FIFO_DEPTH = int(os.environ.get("ZCNIC_W_FIFO_DEPTH", "16"))
IDX_WIDTH = max(1, (S_COUNT - 1).bit_length())
BYTES = DATA_WIDTH // 8
CLK_NS = 4
PAGE = 4096
ADDR_SPACE = 1 << 32
REGION = 0x1000_0000  # slave n uses [(n+1)*REGION, (n+2)*REGION)
# the AR/AW fields compared between the slave ports and the master port
FIELDS = ("id", "addr", "len", "size", "burst", "lock", "cache", "prot")


def region_base(n: int) -> int:
    return (n + 1) * REGION


def region_of(addr: int) -> int:
    return addr // REGION - 1


class MasterPortChecker:
    """Independent AR/AW/W monitor on the master port: the ID index bits name the slave whose region
    the address is in, the bits above the index are zero, and the W beats follow the AWs in order
    (AWLEN+1 beats each, WLAST exactly on the last one)."""

    def __init__(self, dut, bus):
        self.ar_mon = AxiARMonitor(bus.read.ar, dut.clk, dut.rst)
        self.aw_mon = AxiAWMonitor(bus.write.aw, dut.clk, dut.rst)
        self.w_mon = AxiWMonitor(bus.write.w, dut.clk, dut.rst)
        self.violations: list[str] = []
        self.ar_idx: list[int] = []
        self.aw_idx: list[int] = []
        self.w_beats = 0
        # every AR / AW as it left, for the comparison with what the slaves issued
        self.forwarded = {"ar": [], "aw": []}
        cocotb.start_soon(self._run_ar())
        cocotb.start_soon(self._run_aw())

    def _fail(self, msg):
        if len(self.violations) < 20:
            self.violations.append(msg)
            cocotb.log.error("master port checker: %s", msg)

    def _check_id(self, kind, axid, addr):
        idx = axid >> S_ID_WIDTH
        if idx >> IDX_WIDTH:
            self._fail(f"{kind} 0x{addr:08x}: ID 0x{axid:x} has bits set above the index")
        if idx != region_of(addr):
            self._fail(f"{kind} 0x{addr:08x}: ID 0x{axid:x} names slave {idx}, address is slave {region_of(addr)}'s")
        return idx

    async def _run_ar(self):
        while True:
            ar = await self.ar_mon.recv()
            self.ar_idx.append(self._check_id("AR", int(ar.arid), int(ar.araddr)))
            self.forwarded["ar"].append(tuple(int(getattr(ar, f"ar{f}")) for f in FIELDS))

    async def _run_aw(self):
        while True:
            aw = await self.aw_mon.recv()
            addr, awlen = int(aw.awaddr), int(aw.awlen)
            self.aw_idx.append(self._check_id("AW", int(aw.awid), addr))
            self.forwarded["aw"].append(tuple(int(getattr(aw, f"aw{f}")) for f in FIELDS))
            for n in range(awlen + 1):
                w = await self.w_mon.recv()
                self.w_beats += 1
                if int(w.wlast) != (n == awlen):
                    self._fail(f"AW 0x{addr:08x} len {awlen}: WLAST={int(w.wlast)} on beat {n}")


class RoundRobinChecker:
    """Samples the slave ports' AxVALID/AxREADY every cycle: each AR (AW) handshake must go to the
    first slave presenting AxVALID after the one granted last (slave 0 first after reset), one
    handshake per cycle at most, and AxREADY only with AxVALID."""

    def __init__(self, dut, ch: str):
        self.dut = dut
        self.ch = ch
        self.valid = [getattr(dut, f"s{n:02d}_axi_{ch}valid") for n in range(S_COUNT)]
        self.ready = [getattr(dut, f"s{n:02d}_axi_{ch}ready") for n in range(S_COUNT)]
        self.fields = [[getattr(dut, f"s{n:02d}_axi_{ch}{f}") for f in FIELDS] for n in range(S_COUNT)]
        # every request taken, as the master port must show it: ID = {index, slave ID}
        self.expected: list[tuple[int, ...]] = []
        self.violations: list[str] = []
        self.grants: list[int] = []
        self.contended = 0  # grants made while every slave was requesting
        self.last = 0
        cocotb.start_soon(self._run())

    async def _run(self):
        while True:
            await RisingEdge(self.dut.clk)
            if int(self.dut.rst.value):
                self.last = 0
                continue
            valid = [int(v.value) for v in self.valid]
            ready = [int(r.value) for r in self.ready]
            taken = [n for n in range(S_COUNT) if valid[n] and ready[n]]
            if any(r and not v for r, v in zip(ready, valid)) and len(self.violations) < 20:
                self.violations.append(f"{self.ch}: ready {ready} without valid {valid}")
            if not taken:
                continue
            want = next(n for k in range(1, S_COUNT + 1) if valid[n := (self.last + k) % S_COUNT])
            if (len(taken) != 1 or taken[0] != want) and len(self.violations) < 20:
                self.violations.append(f"{self.ch}: valid {valid}, last {self.last}: granted {taken}, expected {want}")
            self.grants.append(taken[0])
            req = [int(f.value) for f in self.fields[taken[0]]]
            self.expected.append((taken[0] << S_ID_WIDTH | req[0], *req[1:]))
            self.contended += all(valid)
            self.last = taken[0]


# ------------------------------------------------------------------------------------------------
# Testbench


class TB:
    def __init__(self, dut, *, backpressure: bool = True, masters: bool = True):
        self.dut = dut
        self.rng = random.Random(cocotb.RANDOM_SEED)
        Clock(dut.clk, CLK_NS, "ns").start()
        bus = AxiBus.from_prefix(dut, "m_axi")
        self.ram = FaultyAxiRam(bus, dut.clk, dut.rst, size=ADDR_SPACE)
        self.checker = MasterPortChecker(dut, bus)
        self.rr = [RoundRobinChecker(dut, ch) for ch in ("ar", "aw")]
        p = (lambda: self.rng.uniform(0.1, 0.5)) if backpressure else (lambda: 0.0)
        chans = [self.ram.write_if.aw_channel, self.ram.write_if.w_channel, self.ram.write_if.b_channel,
                 self.ram.read_if.ar_channel, self.ram.read_if.r_channel]
        self.masters = []
        if masters:
            for n in range(S_COUNT):
                m = AxiMaster(AxiBus.from_prefix(dut, f"s{n:02d}_axi"), dut.clk, dut.rst)
                self.masters.append(m)
                chans += [m.write_if.aw_channel, m.write_if.w_channel, m.write_if.b_channel,
                          m.read_if.ar_channel, m.read_if.r_channel]
        if backpressure:
            for ch in chans:
                ch.set_pause_generator(pause_generator(random.Random(self.rng.random()), p()))
        # cocotbext-axi logs every burst at INFO: slow and noisy
        for name in [f"s{n:02d}_axi" for n in range(S_COUNT)]:
            logging.getLogger(f"cocotb.{dut._name}.{name}").setLevel(logging.WARNING)
        # and warns of every injected fault
        logging.getLogger(f"cocotb.{dut._name}.m_axi").setLevel(logging.ERROR)

    def final_checks(self, *, forwarded: bool = True):
        """The monitors saw no violation and (unless a reset dropped requests) the master port carried
        exactly the ARs and AWs the slaves issued, once each, unchanged but for the ID, in grant order."""
        assert not self.checker.violations, self.checker.violations
        for rr in self.rr:
            assert not rr.violations, rr.violations[:10]
            if forwarded:
                got, want = self.checker.forwarded[rr.ch], rr.expected
                first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
                assert got == want, f"{rr.ch}: {len(want)} requests taken, {len(got)} forwarded, first difference at {first}"

    def random_span(self, lo: int, hi: int, max_len: int = 3000) -> tuple[int, int]:
        """A random (addr, length) inside [lo, hi): often right at a 4 KiB boundary (ending on it,
        starting on it or crossing it), unaligned, lengths 1..max_len."""
        length = self.rng.randint(1, max_len)
        kind = self.rng.randrange(4)
        page = self.rng.randrange(lo // PAGE + 1, (hi - max_len) // PAGE - 1) * PAGE
        if kind == 0:
            addr = page - length  # ends exactly on the boundary
        elif kind == 1:
            addr = page + self.rng.randrange(BYTES)  # starts at (or just after) the boundary
        elif kind == 2:
            addr = page - self.rng.randrange(1, min(length, 2 * BYTES) + 1)  # crosses it
        else:
            addr = self.rng.randrange(lo, hi - length)
        return addr, length


async def setup(dut, **kw) -> TB:
    tb = TB(dut, **kw)
    await reset(dut)
    return tb


async def worker(tb: TB, n: int, lo: int, hi: int, ops: int, *, max_len: int = 3000):
    """Random reads and writes by slave n inside [lo, hi), checked byte-exact against a shadow copy
    (the window is this worker's alone)."""
    m = tb.masters[n]
    rng = random.Random(tb.rng.random())
    fill = rng.randbytes(hi - lo)
    tb.ram.write(lo, fill)
    shadow = bytearray(fill)
    for _ in range(ops):
        addr, length = tb.random_span(lo, hi, max_len)
        if rng.random() < 0.5:
            data = rng.randbytes(length)
            resp = (await m.write(addr, data)).resp
            assert resp == AxiResp.OKAY, f"slave {n} write 0x{addr:08x} len {length}: BRESP {resp!r}"
            shadow[addr - lo: addr - lo + length] = data
        else:
            got = await m.read(addr, length)
            assert got.resp == AxiResp.OKAY, f"slave {n} read 0x{addr:08x} len {length}: RRESP {got.resp!r}"
            want = bytes(shadow[addr - lo: addr - lo + length])
            if got.data != want:
                first = next(i for i in range(length) if got.data[i] != want[i])
                raise AssertionError(f"slave {n} read 0x{addr:08x} len {length}: first wrong byte at +{first}")
    # everything written landed where it should, and nothing else changed
    assert tb.ram.read(lo, hi - lo) == bytes(shadow), f"slave {n}: memory differs from the shadow"


async def run_workers(tb: TB, ops: int, *, per_slave: int = 2, timeout_us: float = 20000):
    """per_slave concurrent workers on every slave (so several bursts per slave are in flight)."""
    tasks = []
    for n in range(S_COUNT):
        for w in range(per_slave):
            lo = region_base(n) + w * 0x10_0000
            tasks.append(cocotb.start_soon(worker(tb, n, lo, lo + 0x2_0000, ops)))
    for t in tasks:
        await with_timeout(t, timeout_us, "us")
    tb.final_checks()


# ------------------------------------------------------------------------------------------------
# Tests


@cocotb.test()
async def test_reset_idle(dut):
    """After reset nothing is valid on either side and no AR/AW is taken without a request."""
    tb = await setup(dut)
    await ClockCycles(dut.clk, 10)
    for name in ["m_axi_arvalid", "m_axi_awvalid", "m_axi_wvalid"] + \
            [f"s{n:02d}_axi_{s}" for n in range(S_COUNT) for s in ("rvalid", "bvalid", "arready", "awready",
                                                                     "wready")]:
        assert int(getattr(dut, name).value) == 0, name
    # a reset in the middle of traffic leaves the arbiter idle again (the models are reset too)
    for n, m in enumerate(tb.masters):
        m.init_write(region_base(n), bytes(64 * BYTES))
        m.init_read(region_base(n), 64 * BYTES)
    await ClockCycles(dut.clk, 30)
    await reset(dut)
    for name in ("m_axi_arvalid", "m_axi_awvalid", "m_axi_wvalid"):
        assert int(getattr(dut, name).value) == 0, f"{name} after reset"
    tb.final_checks(forwarded=False)


@cocotb.test()
async def test_w_before_aw(dut):
    """W presented before its AW is held back (not forwarded, not accepted) until the AW is
    granted; then the W bursts go out in AW grant order, not in the order W was presented."""
    tb = await setup(dut, backpressure=False, masters=False)
    sig = {(n, s): getattr(dut, f"s{n:02d}_axi_{s}") for n in range(S_COUNT) for s in (
        "awid", "awaddr", "awlen", "awsize", "awburst", "awlock", "awcache", "awprot", "awvalid",
        "wdata", "wstrb", "wlast", "wvalid", "bready", "arvalid", "rready")}
    for (n, s), h in sig.items():
        h.value = 0
    words = {n: tb.rng.getrandbits(DATA_WIDTH) for n in range(S_COUNT)}
    # every slave presents a one-beat W burst, no AW yet
    for n in range(S_COUNT):
        sig[n, "wdata"].value = words[n]
        sig[n, "wstrb"].value = (1 << BYTES) - 1
        sig[n, "wlast"].value = 1
        sig[n, "wvalid"].value = 1
        sig[n, "bready"].value = 1
    for _ in range(20):
        await RisingEdge(dut.clk)
        assert int(dut.m_axi_wvalid.value) == 0, "W forwarded before its AW"
        assert all(int(getattr(dut, f"s{n:02d}_axi_wready").value) == 0 for n in range(S_COUNT))
    done = set()

    async def drop_w():
        while len(done) < S_COUNT:
            await RisingEdge(dut.clk)
            for n in range(S_COUNT):
                if int(getattr(dut, f"s{n:02d}_axi_wready").value) and int(sig[n, "wvalid"].value):
                    sig[n, "wvalid"].value = 0
                    done.add(n)

    dropper = cocotb.start_soon(drop_w())
    # AWs one at a time, last slave first: W must follow in that order
    order = list(range(S_COUNT))[::-1]
    for n in order:
        sig[n, "awid"].value = n % (1 << S_ID_WIDTH)
        sig[n, "awaddr"].value = region_base(n) + 0x40 * BYTES
        sig[n, "awsize"].value = (BYTES - 1).bit_length()
        sig[n, "awburst"].value = 1
        sig[n, "awvalid"].value = 1
        while True:
            await RisingEdge(dut.clk)
            if int(getattr(dut, f"s{n:02d}_axi_awready").value):
                break
        sig[n, "awvalid"].value = 0
    await with_timeout(dropper, 10, "us")
    await ClockCycles(dut.clk, 20)
    assert tb.checker.aw_idx == order, tb.checker.aw_idx
    for n in range(S_COUNT):
        got = tb.ram.read(region_base(n) + 0x40 * BYTES, BYTES)
        assert got == words[n].to_bytes(BYTES, "little"), f"slave {n}: wrong data"
    tb.final_checks()


@cocotb.test()
async def test_random_concurrent(dut):
    """All slaves at once, two workers each: random reads and writes (lengths 1..3000, unaligned,
    at and across 4 KiB boundaries), data checked byte-exact, IDs and W order checked on the bus."""
    tb = await setup(dut)
    await run_workers(tb, ops=40)
    dut._log.info("AR grants %s, AW grants %s", [tb.rr[0].grants.count(n) for n in range(S_COUNT)],
                  [tb.rr[1].grants.count(n) for n in range(S_COUNT)])
    assert tb.checker.ar_idx and tb.checker.aw_idx


@cocotb.test()
async def test_fairness(dut):
    """Every slave saturates AR and AW with short bursts: the grants rotate strictly (the round-robin
    checker sees every handshake) and every slave gets its share while all are requesting."""
    tb = await setup(dut)
    # the RAM is slow to take AR/AW, so the requests pile up at the arbiter
    for ch in (tb.ram.read_if.ar_channel, tb.ram.write_if.aw_channel):
        ch.set_pause_generator(pause_generator(random.Random(tb.rng.random()), 0.7))
    for m in tb.masters:
        for ch in (m.read_if.ar_channel, m.write_if.aw_channel, m.write_if.w_channel):
            # (clearing a pause generator would leave the channel paused if it was at that moment)
            ch.set_pause_generator(pause_generator(tb.rng, 0.0))
    per = 40
    events = []
    for n, m in enumerate(tb.masters):
        for k in range(per):
            addr = region_base(n) + k * 2 * BYTES
            events.append(m.init_read(addr, BYTES))
            events.append(m.init_write(addr + 0x10_0000, bytes([n]) * BYTES))

    async def all_done():
        for e in events:
            await e.wait()

    await with_timeout(all_done(), 2000, "us")
    for e in events:
        assert e.data.resp == AxiResp.OKAY
    for rr in tb.rr:
        counts = [rr.grants.count(n) for n in range(S_COUNT)]
        dut._log.info("%s: grants %s, %d while all slaves requested", rr.ch, counts, rr.contended)
        assert counts == [per] * S_COUNT, counts
        assert rr.contended >= per, f"{rr.ch}: the slaves were not saturating ({rr.contended} contended grants)"
    tb.final_checks()


@cocotb.test()
async def test_errors(dut):
    """SLVERR then DECERR injected on an address range of slave 1 (reads) and slave 2 (writes):
    only the bursts touching it answer the error, to the issuing slave; the other slaves' concurrent
    traffic sees OKAY only."""
    tb = await setup(dut)
    for resp in (AxiResp.SLVERR, AxiResp.DECERR):
        tb.ram.fault_resp = resp
        rd_bad = [(region_base(1) + PAGE * k + 100, region_base(1) + PAGE * k + 700) for k in range(2, 30, 3)]
        wr_bad = [(region_base(2) + PAGE * k + 300, region_base(2) + PAGE * k + 301) for k in range(2, 30, 3)]
        tb.ram.read_faults[:] = rd_bad
        tb.ram.write_faults[:] = wr_bad
        # faults on slave 1's reads only: its writes to those ranges are OKAY, and vice versa
        errors = {1: (rd_bad, resp), 2: (wr_bad, resp)}
        tasks = []
        for n in range(S_COUNT):
            lo = region_base(n)
            tasks.append(cocotb.start_soon(fault_worker(tb, n, lo, lo + 32 * PAGE, 16, errors.get(n),
                                                        reads=(n == 1), writes=(n == 2))))
        for t in tasks:
            await with_timeout(t, 20000, "us")
    tb.ram.read_faults.clear()
    tb.ram.write_faults.clear()
    await run_workers(tb, ops=3, per_slave=1)


async def fault_worker(tb: TB, n: int, lo: int, hi: int, ops: int, errors, *, reads: bool, writes: bool):
    """Reads and writes by slave n; only those that touch errors' ranges in the faulty direction (if any)
    must answer the error response."""
    m = tb.masters[n]
    rng = random.Random(tb.rng.random())
    faults, resp = errors or ([], AxiResp.OKAY)
    hits = 0
    for k in range(ops):
        if k % 2 == 0 and faults:
            a, b = faults[rng.randrange(len(faults))]
            addr = a - rng.randrange(3 * BYTES)
            length = b - addr + rng.randrange(3 * BYTES)
        else:
            addr, length = tb.random_span(lo, hi, 1500)
        # the RAM reads whole words (so a read fails when its word hull touches a fault) and writes
        # only the strobed bytes
        rd_bad = bool(faults) and overlaps(faults, addr & -BYTES, (addr + length + BYTES - 1) & -BYTES)
        wr_bad = bool(faults) and overlaps(faults, addr, addr + length)
        hits += wr_bad
        rd = await m.read(addr, length)
        assert rd.resp == (resp if rd_bad and reads else AxiResp.OKAY), \
            f"slave {n} read 0x{addr:08x} len {length}: RRESP {rd.resp!r}"
        wr = await m.write(addr, rng.randbytes(length))
        assert wr.resp == (resp if wr_bad and writes else AxiResp.OKAY), \
            f"slave {n} write 0x{addr:08x} len {length}: BRESP {wr.resp!r}"
    assert not faults or hits, "no access hit the fault ranges"


@cocotb.test()
async def test_throughput(dut):
    """One slave streaming without idle cycles anywhere: R and W run at close to one beat per clock."""
    tb = await setup(dut, backpressure=False)
    length = 256 * BYTES * 8  # eight maximal bursts
    beats = length // BYTES
    m = tb.masters[1]
    addr = region_base(1) + 0x1000
    data = tb.rng.randbytes(length)
    for kind in ("write", "read"):
        counter = {"beats": 0, "first": None, "last": None}
        valid, ready = (dut.m_axi_wvalid, dut.m_axi_wready) if kind == "write" else (dut.m_axi_rvalid,
                                                                                    dut.m_axi_rready)
        stop = Event()

        async def count():
            cycle = 0
            while not stop.is_set():
                await RisingEdge(dut.clk)
                cycle += 1
                if int(valid.value) and int(ready.value):
                    counter["beats"] += 1
                    counter["first"] = counter["first"] if counter["first"] is not None else cycle
                    counter["last"] = cycle

        task = cocotb.start_soon(count())
        if kind == "write":
            assert (await m.write(addr, data)).resp == AxiResp.OKAY
        else:
            got = await m.read(addr, length)
            assert got.data == data
        await ClockCycles(dut.clk, 2)
        stop.set()
        await task
        span = counter["last"] - counter["first"] + 1
        rate = counter["beats"] / span
        dut._log.info("%s: %d beats in %d cycles (%.2f beats/clock)", kind, counter["beats"], span, rate)
        assert counter["beats"] == beats
        assert rate > 0.9, f"{kind}: {rate:.2f} beats/clock"
    tb.final_checks()
