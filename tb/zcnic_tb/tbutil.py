"""Small pieces every testbench here uses: seeded idle/backpressure and the reset sequence."""

from __future__ import annotations

import random
from typing import Any, Iterator

from cocotb.triggers import RisingEdge


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
