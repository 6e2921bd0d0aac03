"""Block-level cocotb tests of the checksum offload blocks (rx_csum, tx_csum) through csum_top.

Frames are built with scapy. RX: every frame's expected record comes from a byte-level reference
model (rx_model) whose sums are scapy's own checksum(); frames built good are also checked to
pass it, and corrupted ones (header or payload bytes) are decided by it. TX: the frame goes in
with junk checksum fields; the expected output is the same bytes with the requested fields taken
from scapy's build of the same packet (chksum=None), byte for byte, and m_axis_tx_tuser carries
the expected flags. Streams use cocotbext-axi AxiStreamSource/AxiStreamSink with seeded random
pause generators (idle on inputs, back-pressure on outputs); the RX result and TX command
channels are driven with their own seeded random ready/valid gaps. Build parameters come from
ZCNIC_* variables set by run_blocks.py.
"""

from __future__ import annotations

import logging
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.queue import Queue
from cocotb.triggers import RisingEdge, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_NOP  # noqa: E402
from scapy.layers.l2 import ARP, Dot1Q, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import checksum  # noqa: E402
from zcnic_tb.netmodel import csum_parse as parse
from zcnic_tb.netmodel import rx_csum_model as rx_model
from zcnic_tb.tbutil import pause_generator, reset

TOPLEVEL = "csum_top"
# name -> csum_top parameters (run_blocks.py builds one model per entry)
CONFIGS = {
    "dw64": {"DATA_WIDTH": 64, "MAX_FRAME": 9216, "RES_FIFO_DEPTH": 16},
    "dw512": {"DATA_WIDTH": 512, "MAX_FRAME": 9216, "RES_FIFO_DEPTH": 16},
}

DATA_WIDTH = int(os.environ.get("ZCNIC_DATA_WIDTH", "64"))
MAX_FRAME = int(os.environ.get("ZCNIC_MAX_FRAME", "9216"))
BYTES = DATA_WIDTH // 8
CLK_NS = 4

# tx_csum: worst-case idle cycles per back-to-back frame (checksum latency with two buffers)
GAP_BOUND = 5
# tx tuser bits
T_IP, T_UDP, T_IP_REFUSED, T_UDP_REFUSED = 1, 2, 4, 8


# --- reference model ---------------------------------------------------------------------------

def tx_model(junk: bytes, good: bytes, ins_ip: bool, ins_udp: bool) -> tuple[bytes, int]:
    """Expected tx_csum output and tuser: junk with the requested fields taken from good."""
    p = parse(junk)
    can_ip = p.is_ipv4 and p.n >= p.l3 + p.ihl4
    can_udp = p.is_ipv4 and p.proto == 17 and not p.frag and p.tot >= p.ihl4 + 8 and not p.truncated
    out = bytearray(junk)
    flags = 0
    if ins_ip:
        if can_ip:
            out[p.l3 + 10:p.l3 + 12] = good[p.l3 + 10:p.l3 + 12]
            flags |= T_IP
        else:
            flags |= T_IP_REFUSED
    if ins_udp:
        if can_udp:
            pos = p.l3 + p.ihl4 + 6
            out[pos:pos + 2] = good[pos:pos + 2]
            flags |= T_UDP
        else:
            flags |= T_UDP_REFUSED
    return bytes(out), flags


# --- frame generation --------------------------------------------------------------------------

KINDS = ["udp"] * 6 + ["tcp", "icmp", "arp", "raw", "ipv6"]


def rand_size(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.45:
        return rng.randint(60, 300)
    if r < 0.8:
        return rng.randint(300, 1600)
    return rng.randint(1600, 9000)


def build(rng: random.Random, size: int, kind: str = "udp", *, vlan: bool = False, nopts: int = 0,
          frag: str = "", udp_zero: bool = False, trailer: int = 0) -> tuple[bytes, bytes]:
    """(good, junk): a frame of about `size` bytes (>= 60, padded with random bytes) with scapy's
    checksums, and the same frame with a random IPv4 checksum field and a random UDP checksum
    field (0 with udp_zero)."""
    eth = Ether(src=rng.randbytes(6), dst=rng.randbytes(6))
    if vlan:
        eth = eth / Dot1Q(vlan=rng.randrange(4096), prio=rng.randrange(8))
    if kind in ("arp", "raw", "ipv6"):
        if kind == "arp":
            pkt = eth / ARP(psrc="10.0.0.1", pdst="10.0.0.2")
        else:
            eth.lastlayer().type = 0x86DD if kind == "ipv6" else 0x88B5
            pkt = eth / Raw(rng.randbytes(max(0, size - len(eth) - 4)))
        b = bytes(pkt)
        b += rng.randbytes(max(0, 60 - len(b)))
        return b, b
    ip = IP(src=".".join(str(rng.randrange(256)) for _ in range(4)),
            dst=".".join(str(rng.randrange(256)) for _ in range(4)),
            id=rng.randrange(65536), ttl=rng.randrange(1, 256), tos=rng.randrange(256))
    if nopts:
        ip.options = [IPOption_NOP()] * nopts
    if frag == "mf":
        ip.flags = "MF"
    elif frag == "offset":
        ip.frag = rng.randrange(1, 8192)
    elif frag == "last":
        ip.flags = "DF"
    if kind == "udp":
        l4 = UDP(sport=rng.randrange(65536), dport=rng.randrange(65536))
    elif kind == "tcp":
        l4 = TCP(sport=rng.randrange(65536), dport=rng.randrange(65536), seq=rng.randrange(1 << 32))
    else:
        l4 = ICMP(id=rng.randrange(65536), seq=rng.randrange(65536))
    hdr = len(eth / ip / l4)
    pkt = eth / ip / l4 / Raw(rng.randbytes(max(0, size - hdr)))
    good = bytes(pkt)
    bad = pkt.copy()
    bad[IP].chksum = rng.randrange(65536)
    if kind == "udp":
        bad[UDP].chksum = 0 if udp_zero else rng.randrange(65536)
    junk = bytes(bad)
    pad = rng.randbytes(max(0, 60 - len(good)) + trailer)
    return good + pad, junk + pad


def no_udp_csum(f: bytes) -> bytes:
    """f with its UDP checksum field set to 0 ("no checksum"), if it has one."""
    p = parse(f)
    pos = p.l3 + p.ihl4 + 6
    if not p.is_ipv4 or p.proto != 17 or len(f) < pos + 2:
        return f
    return f[:pos] + b"\0\0" + f[pos + 2:]


def random_frame(rng: random.Random, size: int | None = None) -> tuple[bytes, bytes]:
    size = rand_size(rng) if size is None else size
    kind = rng.choice(KINDS)
    r = rng.random()
    frag = "" if r < 0.8 else rng.choice(["mf", "offset", "last"])
    good, junk = build(rng, size, kind, vlan=rng.random() < 0.3, nopts=rng.choice([0, 0, 0, 1, 4, 9, 40]),
                       frag=frag, udp_zero=rng.random() < 0.08,
                       trailer=rng.randrange(1, 30) if rng.random() < 0.05 else 0)
    return good, junk


def corrupt(rng: random.Random, f: bytes) -> bytes:
    """Flip bits in one byte of the IP header, the UDP header/payload or anywhere."""
    p = parse(f)
    b = bytearray(f)
    where = rng.random()
    if p.is_ipv4 and where < 0.4:
        pos = rng.randrange(p.l3, p.l3 + p.ihl4)
    elif p.is_ipv4 and where < 0.8 and p.l3 + p.ihl4 < len(f):
        pos = rng.randrange(p.l3 + p.ihl4, len(f))
    else:
        pos = rng.randrange(len(f))
    b[pos] ^= rng.randrange(1, 256)
    return bytes(b)


def truncate(rng: random.Random, f: bytes, lo: int = 60) -> bytes:
    p = parse(f)
    end = p.l3 + p.tot if p.is_ipv4 else len(f)
    lo = min(lo, end - 1)
    return f[:rng.randrange(lo, end)]


# --- testbench ---------------------------------------------------------------------------------


FIELDS = ["is_ipv4", "ip_csum_ok", "is_udp", "l4_csum_present", "l4_csum_ok", "fragment", "truncated"]


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.rng = random.Random(cocotb.RANDOM_SEED)
        Clock(dut.clk, CLK_NS, "ns").start()
        self.rx_src = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_rx"), dut.clk, dut.rst)
        self.rx_sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis_rx"), dut.clk, dut.rst)
        self.tx_src = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_tx"), dut.clk, dut.rst)
        self.tx_sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis_tx"), dut.clk, dut.rst)
        for name in ("s_axis_rx", "m_axis_rx", "s_axis_tx", "m_axis_tx"):
            logging.getLogger(f"cocotb.{dut._name}.{name}").setLevel(logging.WARNING)
        self.results: list[dict[str, int]] = []
        self.res_pause = 0.0
        self.cmds: Queue = Queue()
        self.cmd_idle = 0.0
        dut.rst.value = 1
        dut.rx_res_ready.value = 0
        dut.tx_cmd_valid.value = 0
        dut.tx_cmd_insert_ip.value = 0
        dut.tx_cmd_insert_udp.value = 0
        self.cycle = 0
        cocotb.start_soon(self._results())
        cocotb.start_soon(self._commands())

    def set_pauses(self, *, idle: float | None = None, backpressure: float | None = None):
        """Random idle on the stream inputs and the command channel, random back-pressure on the
        stream outputs and the result channel (probabilities up to the given bound); 0 = none."""
        for ch, prob in ((self.rx_src, idle), (self.tx_src, idle), (self.rx_sink, backpressure),
                         (self.tx_sink, backpressure)):
            if prob:
                ch.set_pause_generator(pause_generator(random.Random(self.rng.random()), self.rng.uniform(0, prob)))
            else:
                ch.clear_pause_generator()
        self.res_pause = self.rng.uniform(0, backpressure) if backpressure else 0.0
        self.cmd_idle = self.rng.uniform(0, idle) if idle else 0.0

    async def _results(self):
        rng = random.Random(self.rng.random())
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            if int(dut.rx_res_valid.value) and int(dut.rx_res_ready.value):
                self.results.append({k: int(getattr(dut, f"rx_res_{k}").value) for k in FIELDS})
            dut.rx_res_ready.value = 0 if rng.random() < self.res_pause else 1

    async def _commands(self):
        rng = random.Random(self.rng.random())
        dut = self.dut
        while True:
            ins_ip, ins_udp = await self.cmds.get()
            while rng.random() < self.cmd_idle:
                await RisingEdge(dut.clk)
            dut.tx_cmd_insert_ip.value = int(ins_ip)
            dut.tx_cmd_insert_udp.value = int(ins_udp)
            dut.tx_cmd_valid.value = 1
            while True:
                await RisingEdge(dut.clk)
                if int(dut.tx_cmd_ready.value):
                    break
            dut.tx_cmd_valid.value = 0

    async def reset(self):
        await reset(self.dut)

    async def rx_check(self, frames: list[bytes], timeout_us: float = 20000):
        """Send frames on RX; compare the passed-through frames and one record per frame."""
        self.results.clear()
        for f in frames:
            await self.rx_src.send(f)

        async def drain():
            for i, f in enumerate(frames):
                got = await self.rx_sink.recv()
                assert bytes(got.tdata) == f, f"rx frame {i}: pass-through altered"
            while len(self.results) < len(frames):
                await RisingEdge(self.dut.clk)

        await with_timeout(drain(), timeout_us, "us")
        for _ in range(20):
            await RisingEdge(self.dut.clk)
        assert len(self.results) == len(frames), f"{len(self.results)} records for {len(frames)} frames"
        assert int(self.dut.rx_res_drop_count.value) == 0, "result FIFO overflowed"
        for i, (f, got) in enumerate(zip(frames, self.results)):
            exp = rx_model(f)
            assert got == exp, f"rx frame {i} ({len(f)} bytes): got {got}, expected {exp}\n{f[:96].hex()}"

    async def tx_check(self, cases: list[tuple[bytes, bytes, bool, bool]], timeout_us: float = 20000):
        """cases: (good, junk, insert_ip, insert_udp); junk goes in, tx_model's bytes must come out."""
        expected = []
        drops0 = int(self.dut.tx_drop_count.value)
        ndrop = 0
        for good, junk, ins_ip, ins_udp in cases:
            if len(junk) > MAX_FRAME:
                ndrop += 1
            else:
                expected.append(tx_model(junk, good, ins_ip, ins_udp))
            await self.cmds.put((ins_ip, ins_udp))
            await self.tx_src.send(junk)

        async def drain():
            out = []
            for _ in expected:
                out.append(await self.tx_sink.recv())
            await self.tx_src.wait()  # dropped frames produce no output
            return out

        got = await with_timeout(drain(), timeout_us, "us")
        for _ in range(50):
            await RisingEdge(self.dut.clk)
        assert self.tx_sink.empty(), "extra TX output frames"
        assert int(self.dut.tx_drop_count.value) - drops0 == ndrop, "tx drop count"
        for i, (frame, (exp, flags)) in enumerate(zip(got, expected)):
            data = bytes(frame.tdata)
            tuser = set(frame.tuser) if isinstance(frame.tuser, list) else {frame.tuser}
            assert tuser == {flags}, f"tx frame {i}: tuser {tuser}, expected {flags}"
            if data != exp:
                diff = [k for k in range(min(len(data), len(exp))) if data[k] != exp[k]][:8]
                raise AssertionError(f"tx frame {i} ({len(exp)} bytes, got {len(data)}): differs at {diff}\n"
                                     f"got {data[:96].hex()}\nexp {exp[:96].hex()}")


async def setup(dut) -> TB:
    tb = TB(dut)
    await tb.reset()
    return tb


# --- RX ----------------------------------------------------------------------------------------

def rx_directed(rng: random.Random) -> list[bytes]:
    """Edge cases, each with a known verdict (asserted against the model as a generator check)."""
    cases: list[tuple[bytes, dict[str, int]]] = []

    def add(f, **exp):
        cases.append((f, exp))

    ok = dict(is_ipv4=1, ip_csum_ok=1, fragment=0, truncated=0)
    for vlan in (False, True):
        for nopts in (0, 1, 40):
            for size in (60, 61, 64, 65, 127, 1514, 1515):
                g, _ = build(rng, size, "udp", vlan=vlan, nopts=nopts)
                add(g, **ok, is_udp=1, l4_csum_present=1, l4_csum_ok=1)
                add(corrupt_at(g, "ip", rng), is_ipv4=1, ip_csum_ok=0)
                add(corrupt_at(g, "l4", rng), ip_csum_ok=1, l4_csum_ok=0)
    # minimum-size frames: tiny datagrams, random (nonzero) Ethernet padding
    for plen in range(0, 19):
        g, _ = build(rng, 42 + plen, "udp")
        assert len(g) == 60
        add(g, **ok, is_udp=1, l4_csum_present=1, l4_csum_ok=1)
    # UDP checksum 0 = none
    for size in (60, 333, 2000):
        g = no_udp_csum(build(rng, size, "udp")[0])
        add(g, **ok, is_udp=1, l4_csum_present=0, l4_csum_ok=0)
    # fragments: IP checked, no L4 check
    for frag in ("mf", "offset"):
        g, _ = build(rng, 600, "udp", frag=frag)
        add(g, **{**ok, "fragment": 1}, is_udp=1, l4_csum_present=0, l4_csum_ok=0)
    g, _ = build(rng, 600, "udp", frag="last")
    add(g, **ok, is_udp=1, l4_csum_present=1, l4_csum_ok=1)
    # other protocols and non-IP
    for kind in ("tcp", "icmp"):
        g, _ = build(rng, 300, kind)
        add(g, **ok, is_udp=0, l4_csum_present=0)
    for kind in ("arp", "raw", "ipv6"):
        g, _ = build(rng, 100, kind, vlan=kind == "raw")
        add(g, is_ipv4=0, ip_csum_ok=0, is_udp=0)
    # truncated: shorter than the IP total length is never a pass
    for cut in (1, 2, 7, 100):
        g, _ = build(rng, 400, "udp")
        add(g[:-cut], is_ipv4=1, ip_csum_ok=0, truncated=1, l4_csum_ok=0)
    g, _ = build(rng, 400, "udp", nopts=40)
    add(g[:40], is_ipv4=1, ip_csum_ok=0, truncated=1, l4_csum_present=0)
    # bytes after the IP datagram (beyond padding) are ignored
    g, _ = build(rng, 200, "udp", trailer=13)
    add(g, **ok, l4_csum_ok=1)
    # malformed: version 6 / IHL 4 under ethertype 0x0800, total length < header
    g, _ = build(rng, 100, "udp")
    b = bytearray(g)
    b[14] = 0x65
    add(bytes(b), is_ipv4=0)
    b[14] = 0x44
    add(bytes(b), is_ipv4=0)
    b = bytearray(IPfix(g, tot=10))
    add(bytes(b), is_ipv4=1, ip_csum_ok=0, l4_csum_ok=0)

    frames = []
    for f, exp in cases:
        model = rx_model(f)
        for k, v in exp.items():
            assert model[k] == v, f"generator/model mismatch on {k}: {model} vs {exp}\n{f.hex()}"
        frames.append(f)
    return frames


def corrupt_at(f: bytes, where: str, rng: random.Random) -> bytes:
    p = parse(f)
    b = bytearray(f)
    l4 = p.l3 + p.ihl4
    if where == "ip":
        pos = rng.randrange(p.l3, l4)
    else:
        pos = rng.randrange(l4, p.l3 + p.tot)
    # keep the fields the verdict depends on: flip an address/ID/TTL byte or any L4 byte but the
    # UDP checksum field (a zero there would mean "no checksum")
    while where == "ip" and pos - p.l3 in (0, 2, 3, 6, 7, 9) or where == "l4" and pos - l4 in (4, 5, 6, 7):
        pos = rng.randrange(p.l3, l4) if where == "ip" else rng.randrange(l4, p.l3 + p.tot)
    # a word flipping between 0x0000 and 0xFFFF leaves a one's-complement sum unchanged
    while True:
        x = rng.randrange(1, 256)
        w = pos & ~1
        old = int.from_bytes(b[w:w + 2].ljust(2, b"\0"), "big")
        c = bytearray(b)
        c[pos] ^= x
        new = int.from_bytes(c[w:w + 2].ljust(2, b"\0"), "big")
        if {old, new} != {0, 0xFFFF}:
            return bytes(c)


def IPfix(f: bytes, *, tot: int) -> bytes:
    """Set the IP total length and recompute the header checksum."""
    p = parse(f)
    b = bytearray(f)
    b[p.l3 + 2:p.l3 + 4] = tot.to_bytes(2, "big")
    b[p.l3 + 10:p.l3 + 12] = b"\0\0"
    b[p.l3 + 10:p.l3 + 12] = checksum(bytes(b[p.l3:p.l3 + p.ihl4])).to_bytes(2, "big")
    return bytes(b)


@cocotb.test()
async def test_rx_directed(dut):
    """RX edge cases: options, VLAN, padding, odd lengths, UDP csum 0, fragments, truncation,
    non-IP, malformed headers, corrupted header and payload bytes; random pauses."""
    tb = await setup(dut)
    tb.set_pauses(idle=0.5, backpressure=0.5)
    await tb.rx_check(rx_directed(tb.rng))


@cocotb.test()
async def test_rx_random(dut):
    """RX: 300 random frames (60..9000 bytes, every kind), a third corrupted, some truncated."""
    tb = await setup(dut)
    frames = []
    verdicts = {"ok": 0, "bad": 0}
    for _ in range(300):
        good, _ = random_frame(tb.rng)
        if tb.rng.random() < 0.08:
            good = no_udp_csum(good)
        r = tb.rng.random()
        f = corrupt(tb.rng, good) if r < 0.33 else truncate(tb.rng, good) if r < 0.4 else good
        frames.append(f)
        rec = rx_model(f)
        if r >= 0.4 and rec["is_ipv4"]:
            assert rec["ip_csum_ok"], "scapy-built frame fails the model"
            assert rec["l4_csum_ok"] or not rec["l4_csum_present"], "scapy-built UDP fails the model"
        verdicts["ok" if rec["ip_csum_ok"] else "bad"] += rec["is_ipv4"]
    dut._log.info("rx_random: IPv4 frames with good/bad header checksum %s", verdicts)
    for phase in range(3):
        tb.set_pauses(idle=0.6 * (phase > 0), backpressure=0.6 * (phase > 1))
        await tb.rx_check(frames[phase * 100:(phase + 1) * 100])


@cocotb.test()
async def test_rx_back_to_back(dut):
    """RX at line rate: minimum-size and mixed frames back to back, no idle, one record each."""
    tb = await setup(dut)
    tb.set_pauses()
    frames = [build(tb.rng, tb.rng.randint(42, 60), "udp")[0] for _ in range(150)]
    frames += [random_frame(tb.rng, tb.rng.randint(60, 200))[0] for _ in range(150)]
    start = tb.cycle
    await tb.rx_check(frames)
    beats = sum((len(f) + BYTES - 1) // BYTES for f in frames)
    dut._log.info("rx back-to-back: %d beats in %d cycles", beats, tb.cycle - start)


# --- TX ----------------------------------------------------------------------------------------

def zero_sum_udp(rng: random.Random, vlan: bool) -> tuple[bytes, bytes]:
    """A UDP frame whose checksum computes to 0, so it must be sent as 0xFFFF."""
    good, junk = build(rng, 100, "udp", vlan=vlan)
    p = parse(good)
    l4 = p.l3 + p.ihl4
    b = bytearray(good)
    b[l4 + 8:l4 + 10] = b"\0\0"
    b[l4 + 6:l4 + 8] = b"\0\0"
    pseudo = b[p.l3 + 12:p.l3 + 20] + b"\x00\x11" + (p.tot - p.ihl4).to_bytes(2, "big")
    c = checksum(bytes(pseudo + b[l4:p.l3 + p.tot]))
    b[l4 + 8:l4 + 10] = c.to_bytes(2, "big")  # payload word = ~sum: the sum becomes 0xFFFF
    pseudo_sum = checksum(bytes(pseudo + b[l4:p.l3 + p.tot]))
    assert pseudo_sum == 0
    b[l4 + 6:l4 + 8] = b"\xff\xff"
    j = bytearray(b)
    j[l4 + 6:l4 + 8] = junk[l4 + 6:l4 + 8]
    return bytes(b), bytes(j)


@cocotb.test()
async def test_tx_directed(dut):
    """TX edge cases: every command on UDP/TCP/ICMP/non-IP/VLAN/options/fragments/truncated/
    padded frames, a UDP sum of zero sent as 0xFFFF; random pauses."""
    tb = await setup(dut)
    tb.set_pauses(idle=0.5, backpressure=0.5)
    rng = tb.rng
    frames = []
    for vlan in (False, True):
        for nopts in (0, 3, 40):
            for size in (60, 61, 99, 1514, 1517):
                frames.append(build(rng, size, "udp", vlan=vlan, nopts=nopts))
        frames.append(zero_sum_udp(rng, vlan))
        for kind in ("tcp", "icmp", "arp", "raw", "ipv6"):
            frames.append(build(rng, 200, kind, vlan=vlan))
        for frag in ("mf", "offset", "last"):
            frames.append(build(rng, 300, "udp", vlan=vlan, frag=frag))
        frames.append(build(rng, 300, "udp", vlan=vlan, udp_zero=True))
        frames.append(build(rng, 300, "udp", vlan=vlan, trailer=7))
        g, j = build(rng, 500, "udp", vlan=vlan)
        frames.append((g[:-3], j[:-3]))  # truncated: UDP refused, IP still inserted
        g, j = build(rng, 500, "udp", vlan=vlan, nopts=40)
        frames.append((g[:50], j[:50]))  # header cut: both refused
    for plen in range(19):
        frames.append(build(rng, 42 + plen, "udp"))
    cases = [(g, j, ins_ip, ins_udp) for g, j in frames for ins_ip in (False, True) for ins_udp in (False, True)]
    await tb.tx_check(cases)
    # scapy's own value for the zero-sum frame is 0xFFFF too
    g, _ = zero_sum_udp(rng, False)
    pkt = Ether(g)
    pkt[UDP].chksum = None
    assert bytes(Ether(bytes(pkt)))[:len(g)] == g


@cocotb.test()
async def test_tx_random(dut):
    """TX: 240 random frames (60..9000 bytes, every kind) with random commands and pauses."""
    tb = await setup(dut)
    rng = tb.rng
    cases = []
    for _ in range(240):
        g, j = random_frame(rng)
        if rng.random() < 0.05:
            k = rng.randrange(60, len(g)) if len(g) > 60 else len(g)
            g, j = g[:k], j[:k]
        cases.append((g, j, rng.random() < 0.7, rng.random() < 0.7))
    for phase in range(3):
        tb.set_pauses(idle=0.6 * (phase > 0), backpressure=0.6 * (phase > 1))
        await tb.tx_check(cases[phase * 80:(phase + 1) * 80])


@cocotb.test()
async def test_tx_oversize(dut):
    """Frames over MAX_FRAME are dropped whole and counted (their command consumed); a frame of
    exactly MAX_FRAME bytes passes with insertion; neighbours are unaffected."""
    tb = await setup(dut)
    tb.set_pauses(idle=0.3, backpressure=0.3)
    rng = tb.rng
    cases = []
    for size in (MAX_FRAME, MAX_FRAME + 1, 200, MAX_FRAME + BYTES, MAX_FRAME + 3000, 60, MAX_FRAME - 1, MAX_FRAME + 7):
        g, j = build(rng, size, "udp" if size < 65000 else "raw")
        assert len(g) == size
        cases.append((g, j, True, True))
    await tb.tx_check(cases, timeout_us=50000)
    assert int(dut.tx_drop_count.value) == 4


@cocotb.test()
async def test_tx_back_to_back(dut):
    """TX without pauses: frames of one size back to back; output order, content and rate (beats
    per cycle from the first output beat to the last) are logged; with two buffers a frame of n
    beats may cost at most n + GAP_BOUND cycles."""
    tb = await setup(dut)
    tb.set_pauses()
    rng = tb.rng
    for size in (60, 200, 1514, 9000):
        cases = [(*build(rng, size, "udp"), True, True) for _ in range(max(4, 30000 // size))]
        beats = len(cases) * ((size + BYTES - 1) // BYTES)
        first = last = None

        async def watch():
            nonlocal first, last
            seen = 0
            while seen < beats:
                await RisingEdge(dut.clk)
                if int(dut.m_axis_tx_tvalid.value) and int(dut.m_axis_tx_tready.value):
                    seen += 1
                    first = tb.cycle if first is None else first
                    last = tb.cycle

        w = cocotb.start_soon(watch())
        await tb.tx_check(cases)
        await w
        rate = beats / (last - first + 1)
        dut._log.info("tx back-to-back %d-byte frames: %d beats in %d cycles = %.3f beats/cycle",
                      size, beats, last - first + 1, rate)
        nb = (size + BYTES - 1) // BYTES
        assert rate >= nb / (nb + GAP_BOUND), f"{size}-byte frames at {rate:.3f} beats/cycle"


@cocotb.test()
async def test_tx_abort(dut):
    """Frames whose last beat carries s_axis_tx_tuser = 1 never leave, their command is consumed
    and they count in tx_abort_count only; an aborted oversize frame counts as a drop only; the
    frames around them come out unchanged (and with their own commands)."""
    tb = await setup(dut)
    tb.set_pauses(idle=0.4, backpressure=0.4)
    rng = tb.rng
    expected = []
    naborts = ndrops = 0
    for i in range(48):
        abort = rng.random() < 0.4 or i in (0, 1)
        oversize = i == 20
        if oversize:
            g, j = build(rng, MAX_FRAME + 100, "udp")
        else:
            g, j = random_frame(rng, rng.choice([60, 61, BYTES, BYTES + 1, rng.randint(60, 3000)]))
        ins_ip, ins_udp = rng.random() < 0.7, rng.random() < 0.7
        if oversize:
            ndrops += 1
        elif abort:
            naborts += 1
        else:
            expected.append(tx_model(j, g, ins_ip, ins_udp))
        await tb.cmds.put((ins_ip, ins_udp))
        # tuser on every beat: only the last one counts
        await tb.tx_src.send(AxiStreamFrame(tdata=j, tuser=int(abort or oversize)))

    async def drain():
        out = []
        for _ in expected:
            out.append(await tb.tx_sink.recv())
        await tb.tx_src.wait()
        return out

    got = await with_timeout(drain(), 20000, "us")
    for _ in range(50):
        await RisingEdge(dut.clk)
    assert tb.tx_sink.empty(), "extra TX output frames"
    assert int(dut.tx_abort_count.value) == naborts
    assert int(dut.tx_drop_count.value) == ndrops
    for i, (frame, (exp, flags)) in enumerate(zip(got, expected)):
        assert bytes(frame.tdata) == exp, f"tx frame {i} differs"
        tuser = set(frame.tuser) if isinstance(frame.tuser, list) else {frame.tuser}
        assert tuser == {flags}, f"tx frame {i}: tuser {tuser}, expected {flags}"
