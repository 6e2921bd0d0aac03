"""An AXI4 memory for block tests that answers SLVERR or DECERR for chosen byte ranges, the way
an IOMMU fault or an unmapped bus address reaches a DMA master."""

from __future__ import annotations

from cocotbext.axi import AxiResp
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.memory import Memory


def overlaps(ranges: list[tuple[int, int]], lo: int, hi: int) -> bool:
    """Whether [lo, hi) meets any of the [a, b) ranges."""
    return any(a < hi and lo < b for a, b in ranges)


class FaultyRamRead(AxiRamRead):
    faults: list[tuple[int, int]]

    async def _read(self, address, length):
        if overlaps(self.faults, address, address + length):
            raise RuntimeError(f"injected read fault at 0x{address:08x}")
        return await super()._read(address, length)


class FaultyRamWrite(AxiRamWrite):
    faults: list[tuple[int, int]]

    async def _write(self, address, data):
        if overlaps(self.faults, address, address + len(data)):
            raise RuntimeError(f"injected write fault at 0x{address:08x}")
        await super()._write(address, data)


def answer_faults_with(channel, owner):
    """cocotbext-axi answers a failed access with SLVERR; rewrite it to owner.fault_resp."""
    send = channel.send

    async def send_with_resp(txn):
        for field in ("rresp", "bresp"):
            if getattr(txn, field, None) == AxiResp.SLVERR:
                setattr(txn, field, owner.fault_resp)
        await send(txn)

    channel.send = send_with_resp


class FaultyAxiRam(Memory):
    """AxiRam whose beats touching read_faults / write_faults bytes answer fault_resp."""

    def __init__(self, bus, clock, rst, size):
        super().__init__(size)
        self.read_faults: list[tuple[int, int]] = []
        self.write_faults: list[tuple[int, int]] = []
        self.fault_resp = AxiResp.SLVERR
        self.write_if = FaultyRamWrite(bus.write, clock, rst, mem=self.mem)
        self.read_if = FaultyRamRead(bus.read, clock, rst, mem=self.mem)
        self.write_if.faults = self.write_faults
        self.read_if.faults = self.read_faults
        answer_faults_with(self.write_if.b_channel, self)
        answer_faults_with(self.read_if.r_channel, self)

    def clear_faults(self):
        self.read_faults.clear()
        self.write_faults.clear()
