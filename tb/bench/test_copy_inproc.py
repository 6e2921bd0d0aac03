"""The copy scenario's copies, run in-process: nic_top with cocotbext-axi's AxiRam as memory and
no bridge. `make bench` holds the co-simulation's speed against this one.

Cases come from ZCNIC_BENCH_CASES (JSON [[len, src_off, dst_off], ...], made by the TS scenario's
own case generator); the figures go to ZCNIC_BENCH_OUT as JSON.
"""

import json
import os
import time

import cocotb
from cocotb.triggers import RisingEdge
from cocotb.utils import get_sim_time

from test_nic_top import CLK_NS, setup, status_value
from zcnic_tb import abi

PAGE = 4096
# Buffers in the top 64 MiB, the way the IOMMU hands out IOVAs (top-down below 4 GiB).
BASE = 0xFC00_0000
DESC = 0xFFFF_F000


@cocotb.test()
async def test_copy_inproc(dut):
    cases = json.loads(os.environ["ZCNIC_BENCH_CASES"])
    tb = await setup(dut, backpressure=False)
    await tb.wr(abi.REG_IRQ_MASK, 0b11)
    t0_wall = time.perf_counter()
    t0_ns = get_sim_time("ns")
    slot = BASE
    copied = 0
    for n, (length, src_off, dst_off) in enumerate(cases):
        src = slot + src_off
        slot += (src_off + length + PAGE - 1) // PAGE * PAGE
        dst = slot + dst_off
        slot += (dst_off + length + PAGE - 1) // PAGE * PAGE
        data = tb.rng.randbytes(length)
        tb.ram.write(src, data)
        tb.put_desc(DESC, src, dst, length, n)
        # interrupt-driven, as the host driver is: doorbell, wait for the pulse, acknowledge
        await tb.wr(abi.REG_COPY_DESC_ADDR, DESC)
        await tb.wr(abi.REG_COPY_DOORBELL, 1)
        await RisingEdge(dut.irq)
        cause = await tb.rd(abi.REG_IRQ_STATUS)
        await tb.wr(abi.REG_IRQ_STATUS, cause)
        assert await tb.rd(abi.REG_COPY_STATUS) == status_value(), f"case {n}"
        assert tb.ram.read(dst, length) == data, f"case {n}: wrong bytes"
        copied += length
    cycles = (get_sim_time("ns") - t0_ns) // CLK_NS
    wall = time.perf_counter() - t0_wall
    with open(os.environ["ZCNIC_BENCH_OUT"], "w") as f:
        json.dump({"copies": len(cases), "bytes": copied, "cycles": cycles, "wall_s": wall,
                   "cycles_per_s": cycles / wall}, f)
