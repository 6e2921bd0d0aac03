"""The copy scenario's copies, run in-process: nic_top with cocotbext-axi's AxiRam as memory and
no bridge (and no checking monitors, which the bridge run does not have either). `make bench`
holds the co-simulation's speed against this one.

Cases come from ZCNIC_BENCH_CASES (JSON [[len, src_off, dst_off], ...], made by the TS scenario's
own case generator); the figures go to ZCNIC_BENCH_OUT as JSON.
"""

import json
import logging
import os
import random
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import Timer, ValueChange
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

from zcnic_tb import abi

CLK_NS = 4
PAGE = 4096
# Buffers in the top 64 MiB, the way the IOMMU hands out IOVAs (top-down below 4 GiB).
BASE = 0xFC00_0000
DESC = 0xFFFF_F000
DONE = abi.COPY_STATUS_DONE[1]


@cocotb.test()
async def test_copy_inproc(dut):
    cases = json.loads(os.environ["ZCNIC_BENCH_CASES"])
    rng = random.Random(1)
    Clock(dut.clk, CLK_NS, "ns").start()
    axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
    ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=1 << 32)
    for name in ("s_axil", "m_axi"):
        logging.getLogger(f"cocotb.{dut._name}.{name}").setLevel(logging.WARNING)
    dut.rst.value = 1
    await Timer(8 * CLK_NS, "ns")
    dut.rst.value = 0
    await Timer(4 * CLK_NS, "ns")

    async def wr(offset: int, value: int) -> None:
        await axil.write_dword(offset, value)

    await wr(abi.REG_IRQ_MASK, 0b11)
    t0_wall = time.perf_counter()
    t0_ns = get_sim_time("ns")
    slot = BASE
    copied = 0
    for n, (length, src_off, dst_off) in enumerate(cases):
        src = slot + src_off
        slot += (src_off + length + PAGE - 1) // PAGE * PAGE
        dst = slot + dst_off
        slot += (dst_off + length + PAGE - 1) // PAGE * PAGE
        data = rng.randbytes(length)
        ram.write(src, data)
        ram.write(DESC, b"".join(v.to_bytes(4, "little") for v in (src, dst, length, n)))
        # interrupt-driven, as the host driver is: doorbell, wait for the pulse, acknowledge
        await wr(abi.REG_COPY_DESC_ADDR, DESC)
        await wr(abi.REG_COPY_DOORBELL, 1)
        while True:  # the MISC vector (bit 0) of the interrupt pulses
            await ValueChange(dut.irq)
            if int(dut.irq.value) >> abi.IRQ_VECTOR["MISC"] & 1:
                break
        cause = await axil.read_dword(abi.REG_IRQ_STATUS)
        await wr(abi.REG_IRQ_STATUS, cause)
        status = await axil.read_dword(abi.REG_COPY_STATUS)
        assert status & 0xFF == DONE, f"case {n}: COPY_STATUS 0x{status:08x}"
        assert ram.read(dst, length) == data, f"case {n}: wrong bytes"
        copied += length
    cycles = int(get_sim_time("ns") - t0_ns) // CLK_NS
    wall = time.perf_counter() - t0_wall
    with open(os.environ["ZCNIC_BENCH_OUT"], "w") as f:
        json.dump({"copies": len(cases), "bytes": copied, "cycles": cycles, "wall_s": wall,
                   "cycles_per_s": cycles / wall}, f)
