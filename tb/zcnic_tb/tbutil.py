"""Small pieces every testbench here uses: seeded idle/backpressure, the reset sequence, and a
driver for the same-cycle register strobe interface."""

from __future__ import annotations

import random
from typing import Any, Iterator

from cocotb.triggers import Lock, ReadOnly, RisingEdge


def pause_generator(rng: random.Random, probability: float) -> Iterator[bool]:
    """For cocotbext-axi's set_pause_generator: pause each cycle with `probability`, seeded."""
    while True:
        yield rng.random() < probability


async def reset(dut: Any, *, hold: int = 8, settle: int = 4) -> None:
    """Synchronous active-high reset: `rst` high for `hold` clocks, then `settle` idle clocks."""
    dut.rst.value = 1
    for _ in range(hold):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    for _ in range(settle):
        await RisingEdge(dut.clk)


class RegPort:
    """Drives a same-cycle register strobe interface (`<prefix>_wr_*`, `<prefix>_rd_*`), the one
    the register blocks behind axil_reg_if answer (nic_qregs, rx_steer_regs): the strobe goes up
    after a clock edge and the answer is sampled in that cycle. One access at a time (a lock), so
    coroutines cannot interleave strobes. The answer is the block's `*_resp` (an AXI response
    code) where it has one, else its `*_err` bit."""

    def __init__(self, dut: Any, prefix: str = "reg"):
        self.dut = dut
        self.lock = Lock()
        self.wr = {n: getattr(dut, f"{prefix}_wr_{n}") for n in ("addr", "data", "strb", "en")}
        self.rd = {n: getattr(dut, f"{prefix}_rd_{n}") for n in ("addr", "en", "data")}
        self.wr_answer = self._answer(dut, f"{prefix}_wr")
        self.rd_answer = self._answer(dut, f"{prefix}_rd")
        for sig in (*self.wr.values(), self.rd["addr"], self.rd["en"]):
            sig.value = 0

    @staticmethod
    def _answer(dut: Any, stem: str) -> Any:
        resp = getattr(dut, f"{stem}_resp", None)
        return resp if resp is not None else getattr(dut, f"{stem}_err")

    async def write(self, addr: int, data: int, strb: int = 0xF) -> int:
        async with self.lock:
            await RisingEdge(self.dut.clk)
            self.wr["addr"].value = addr
            self.wr["data"].value = data & 0xFFFFFFFF
            self.wr["strb"].value = strb
            self.wr["en"].value = 1
            await ReadOnly()
            answer = int(self.wr_answer.value)
            await RisingEdge(self.dut.clk)
            self.wr["en"].value = 0
        return answer

    async def read(self, addr: int) -> tuple[int, int]:
        """(data, answer)"""
        async with self.lock:
            await RisingEdge(self.dut.clk)
            self.rd["addr"].value = addr
            self.rd["en"].value = 1
            await ReadOnly()
            data, answer = int(self.rd["data"].value), int(self.rd_answer.value)
            await RisingEdge(self.dut.clk)
            self.rd["en"].value = 0
        return data, answer
