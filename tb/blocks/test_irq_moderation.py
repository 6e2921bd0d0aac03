"""Block-level cocotb tests of irq_moderation: per-vector interrupt arming and coalescing.

Every cycle of every test goes through TB.step: inputs are driven at the falling edge, and after
the rising edge the interrupt pulses, the whole per-vector state (armed, pending, age) and the
read port are compared with a cycle-accurate Python reference model of the rules in
docs/rtl-irq.md. A second, model-free monitor checks the driver-visible contract on every pulse:
the vector was armed (by reset or by an arm since its last pulse), events are covered (no pulse
without an event since the last one), and one firing is one single-cycle pulse. Random tests are
seeded with cocotb's random seed. Build parameters come from ZCNIC_* variables set by
run_blocks.py.
"""

from __future__ import annotations

import os
import random
from collections import Counter

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge
from zcnic_tb.tbutil import reset

TOPLEVEL = "irq_moderation"
# name -> irq_moderation parameters (run_blocks.py builds one model per entry)
CONFIGS = {
    "v1": {"VECTORS": 1, "COUNT_WIDTH": 16, "TIME_WIDTH": 16},
    "v8": {"VECTORS": 8, "COUNT_WIDTH": 16, "TIME_WIDTH": 16},
    # corners: a vector count that is not a power of 2 (out-of-range arm/read indices) and narrow
    # counters, so that the random test saturates pending and age all the time
    "v13n": {"VECTORS": 13, "COUNT_WIDTH": 3, "TIME_WIDTH": 4},
}

VECTORS = int(os.environ.get("ZCNIC_VECTORS", "8"))
COUNT_WIDTH = int(os.environ.get("ZCNIC_COUNT_WIDTH", "16"))
TIME_WIDTH = int(os.environ.get("ZCNIC_TIME_WIDTH", "16"))
VW = max((VECTORS - 1).bit_length(), 1)
CMAX = (1 << COUNT_WIDTH) - 1
TMAX = (1 << TIME_WIDTH) - 1
ALL = (1 << VECTORS) - 1
CLK_NS = 4


# ------------------------------------------------------------------------------------------------
# Reference model


class Model:
    """The rules of docs/rtl-irq.md, one call per clock cycle."""

    def __init__(self) -> None:
        self.armed = [True] * VECTORS
        self.pending = [0] * VECTORS
        self.age = [0] * VECTORS
        self.stats: Counter[str] = Counter()

    def step(self, events: int, arm: int | None, frames: list[int], times: list[int]) -> int:
        irq = 0
        for v in range(VECTORS):
            ev = events >> v & 1
            if ev and self.pending[v] == CMAX:
                self.stats["saturated"] += 1
            pend = min(self.pending[v] + ev, CMAX)
            was_armed = self.armed[v]
            armed = was_armed or arm == v
            f, t, age = frames[v], times[v], self.age[v]
            by_every = pend > 0 and f == 0 and t == 0
            by_frames = f != 0 and pend >= f
            by_time = t != 0 and pend > 0 and age >= t
            if armed and (by_every or by_frames or by_time):
                irq |= 1 << v
                self.armed[v], self.pending[v], self.age[v] = False, 0, 0
                self.stats["fire"] += 1
                self.stats["by_every"] += by_every
                self.stats["by_frames"] += by_frames
                self.stats["by_time"] += by_time
                self.stats["on_rearm"] += not was_armed
                self.stats["age_saturated"] += age == TMAX
            else:
                self.armed[v], self.pending[v] = armed, pend
                self.age[v] = 0 if pend == 0 else min(age + 1, TMAX)
        return irq


def flat(values: list[int], width: int) -> int:
    return sum(x << (i * width) for i, x in enumerate(values))


def unflat(value: int, width: int) -> list[int]:
    mask = (1 << width) - 1
    return [value >> (i * width) & mask for i in range(VECTORS)]


# ------------------------------------------------------------------------------------------------
# Testbench


class TB:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.rng = random.Random(cocotb.RANDOM_SEED)
        self.model = Model()
        self.frames = [0] * VECTORS
        self.times = [0] * VECTORS
        self.cycle = 0
        self.pulses = [0] * VECTORS
        # model-free driver view: armed tokens and events not yet covered by a pulse
        self.token = [True] * VECTORS
        self.uncovered = [0] * VECTORS
        cocotb.start_soon(Clock(dut.clk, CLK_NS, "ns").start())

    async def reset(self) -> None:
        dut = self.dut
        dut.event_valid.value = 0
        dut.arm_valid.value = 0
        dut.arm_vector.value = 0
        dut.rd_vector.value = 0
        self.drive_cfg()
        await reset(dut)
        await self.step()
        assert self.model.armed == [True] * VECTORS

    def set_cfg(self, frames: int | list[int] | None = None, times: int | list[int] | None = None) -> None:
        """New thresholds (one value for every vector, or a list); applied from the next step."""
        if frames is not None:
            self.frames = list(frames) if isinstance(frames, list) else [frames] * VECTORS
        if times is not None:
            self.times = list(times) if isinstance(times, list) else [times] * VECTORS
        assert all(0 <= f <= CMAX for f in self.frames) and all(0 <= t <= TMAX for t in self.times)

    def drive_cfg(self) -> None:
        self.dut.cfg_frames.value = flat(self.frames, COUNT_WIDTH)
        self.dut.cfg_time.value = flat(self.times, TIME_WIDTH)

    async def step(self, events: int = 0, arm: int | None = None, rd: int | None = None) -> int:
        """One clock cycle with these inputs; checks everything against the model and the
        driver-view monitor and returns the interrupt pulses decided in this cycle."""
        dut = self.dut
        await FallingEdge(dut.clk)
        dut.event_valid.value = events
        dut.arm_valid.value = int(arm is not None)
        dut.arm_vector.value = 0 if arm is None else arm
        rd = self.rng.randrange(1 << VW) if rd is None else rd
        dut.rd_vector.value = rd
        self.drive_cfg()
        await RisingEdge(dut.clk)
        await ReadOnly()
        exp = self.model.step(events, arm, self.frames, self.times)
        got = int(dut.irq.value)
        where = f"cycle {self.cycle} events={events:#x} arm={arm}"
        assert got == exp, f"{where}: irq {got:#x}, model {exp:#x}"
        m = self.model
        armed = [bool(b) for b in unflat(int(dut.armed_reg.value), 1)]
        assert armed == m.armed, f"{where}: armed {armed}, model {m.armed}"
        pending = unflat(int(dut.pending_reg.value), COUNT_WIDTH)
        assert pending == m.pending, f"{where}: pending {pending}, model {m.pending}"
        age = unflat(int(dut.age_reg.value), TIME_WIDTH)
        assert age == m.age, f"{where}: age {age}, model {m.age}"
        rd_exp = (m.pending[rd], m.age[rd], int(m.armed[rd])) if rd < VECTORS else (0, 0, 0)
        rd_got = (int(dut.rd_pending.value), int(dut.rd_age.value), int(dut.rd_armed.value))
        assert rd_got == rd_exp, f"{where}: read of vector {rd} {rd_got}, model {rd_exp}"
        self._monitor(events, arm, got, where)
        self.cycle += 1
        return got

    def _monitor(self, events: int, arm: int | None, irq: int, where: str) -> None:
        for v in range(VECTORS):
            if arm == v:
                self.token[v] = True
            self.uncovered[v] += events >> v & 1
            if irq >> v & 1:
                # a pulse only while armed, one pulse per arm (so one cycle per firing), and
                # only with something to report
                assert self.token[v], f"{where}: vector {v} pulsed while disarmed"
                assert self.uncovered[v], f"{where}: vector {v} pulsed with no event since its last pulse"
                self.token[v] = False
                self.uncovered[v] = 0
                self.pulses[v] += 1

    async def run(self, n: int, events: int = 0) -> list[int]:
        return [await self.step(events) for _ in range(n)]

    async def drain(self) -> None:
        """No lost interrupts: with a 1-cycle time threshold and every vector re-armed, every
        vector that has an uncovered event fires, and then nothing is left."""
        self.set_cfg(frames=0, times=1)
        for v in range(VECTORS):
            await self.step(arm=v)
        await self.run(3)
        assert self.uncovered == [0] * VECTORS, f"events never covered by a pulse: {self.uncovered}"
        assert self.model.pending == [0] * VECTORS


async def setup(dut) -> TB:
    tb = TB(dut)
    await tb.reset()
    return tb


def bit(v: int) -> int:
    return 1 << v


# ------------------------------------------------------------------------------------------------
# Tests


@cocotb.test()
async def test_reset_state(dut):
    """Reset leaves every vector armed with nothing pending and no pulse; a vector index past
    VECTORS reads 0; idle cycles change nothing."""
    tb = await setup(dut)
    for rd in range(1 << VW):
        assert await tb.step(rd=rd) == 0
    await tb.run(50)
    assert tb.model.armed == [True] * VECTORS and tb.pulses == [0] * VECTORS
    # reset in the middle of activity, with events and arms still coming: back to armed, empty
    tb.set_cfg(frames=0, times=0)
    await tb.run(10, events=ALL)
    await FallingEdge(dut.clk)
    dut.rst.value = 1
    for i in range(4):
        await FallingEdge(dut.clk)
        dut.arm_valid.value = 1
        dut.arm_vector.value = i % VECTORS
        await RisingEdge(dut.clk)
        await ReadOnly()
        assert int(dut.irq.value) == 0 and int(dut.armed_reg.value) == ALL
        assert int(dut.pending_reg.value) == 0 and int(dut.age_reg.value) == 0
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    dut.event_valid.value = 0
    dut.arm_valid.value = 0
    tb.model = Model()
    tb.token, tb.uncovered = [True] * VECTORS, [0] * VECTORS
    await tb.run(5)


@cocotb.test()
async def test_every_event(dut):
    """Both thresholds 0: every event fires in its own cycle while armed (pulse on the next
    clock), events while disarmed accumulate and fire at once on re-arm, and a driver that
    re-arms every cycle gets one pulse per event."""
    tb = await setup(dut)
    for v in range(VECTORS):
        assert await tb.step(events=bit(v)) == bit(v)
        assert await tb.step() == 0
        # disarmed: three more events, no pulse
        for _ in range(3):
            assert await tb.step(events=bit(v)) == 0
            await tb.step()
        assert tb.model.pending[v] == 3
        assert await tb.step(arm=v) == bit(v)
        assert tb.model.pending[v] == 0 and not tb.model.armed[v]
        assert await tb.step(arm=v) == 0  # re-armed, nothing pending
    # re-arm every cycle, event every cycle on vector 0 (a poll that always keeps up)
    before = tb.pulses[0]
    for _ in range(40):
        assert await tb.step(events=1, arm=0) == 1
    assert tb.pulses[0] - before == 40
    await tb.drain()


@cocotb.test()
async def test_frames_only(dut):
    """cfg_frames = N, cfg_time = 0: N-1 events never fire, however long; the Nth fires in its
    own cycle and clears the count."""
    tb = await setup(dut)
    rng = tb.rng
    for n in sorted({1, 2, 5, min(CMAX, 37), CMAX if CMAX < 100 else 1}):
        tb.set_cfg(frames=n, times=0)
        for v in range(VECTORS):
            await tb.step(arm=v)
        for v in range(VECTORS):
            for _ in range(n - 1):
                assert await tb.step(events=bit(v)) == 0
                for _ in range(rng.randrange(3)):
                    assert await tb.step() == 0
            assert all(x == 0 for x in await tb.run(60))
            assert tb.model.pending[v] == n - 1
            assert await tb.step(events=bit(v)) == bit(v)
            assert tb.model.pending[v] == 0
    await tb.drain()


@cocotb.test()
async def test_time_only(dut):
    """cfg_time = T, cfg_frames = 0: the vector fires exactly T cycles after its oldest pending
    event (pulse T+1 clocks after the event), whatever arrives in between."""
    tb = await setup(dut)
    rng = tb.rng
    for t in sorted({1, 2, 7, min(TMAX, 50), TMAX if TMAX < 100 else 3}):
        tb.set_cfg(frames=0, times=t)
        for v in range(VECTORS):
            await tb.step(arm=v)
        for v in range(VECTORS):
            first = tb.cycle
            assert await tb.step(events=bit(v)) == 0
            while tb.cycle < first + t:
                assert await tb.step(events=bit(v) if rng.random() < 0.5 else 0) == 0
            assert tb.cycle == first + t
            assert await tb.step(events=bit(v) if rng.random() < 0.5 else 0) == bit(v)
            assert tb.model.pending[v] == 0 and tb.model.age[v] == 0
            await tb.step(arm=v)
    await tb.drain()


@cocotb.test()
async def test_frames_and_time(dut):
    """Both criteria: a burst reaching the frame count fires before the timer; a trickle below it
    fires on the timer; the timer runs from the oldest event not covered by the last pulse."""
    tb = await setup(dut)
    n, t = min(4, CMAX), min(20, TMAX)
    tb.set_cfg(frames=n, times=t)
    for v in range(VECTORS):
        # burst: fires on the Nth event, well before T
        got = [await tb.step(events=bit(v)) for _ in range(n)]
        assert got == [0] * (n - 1) + [bit(v)]
        await tb.step(arm=v)
        # trickle of N-1 events: fires at first + T
        first = tb.cycle
        for i in range(t + 1):
            irq = await tb.step(events=bit(v) if i < n - 1 else 0)
            assert irq == (bit(v) if i == t else 0), f"cycle {i} after the first event"
        assert tb.cycle == first + t + 1
        await tb.step(arm=v)
    # an event arriving in the cycle of a fire is covered by it: the timer restarts at the next
    tb.set_cfg(frames=0, times=t)
    await tb.step(events=1)
    await tb.run(t - 1, events=1)
    assert await tb.step(events=1) == 1
    await tb.step(arm=0)
    assert tb.model.pending[0] == 0 and tb.model.age[0] == 0
    await tb.drain()


@cocotb.test()
async def test_disarmed_accumulate(dut):
    """Events while disarmed accumulate and age; re-arming fires at once if a criterion already
    holds (frames, or time), and otherwise waits for it; no pulse while disarmed."""
    tb = await setup(dut)
    rng = tb.rng
    n = min(10, CMAX)
    for v in range(VECTORS):
        tb.set_cfg(frames=0, times=0)
        assert await tb.step(events=bit(v)) == bit(v)  # disarm it
        # frames criterion reached while disarmed
        tb.set_cfg(frames=n, times=0)
        for _ in range(n + 5):
            assert await tb.step(events=bit(v) if rng.random() < 0.7 else 0) == 0
            await tb.step(events=bit(v))
        assert tb.model.pending[v] >= n
        await tb.run(rng.randrange(20))
        assert await tb.step(arm=v) == bit(v)
        # re-armed below the threshold: nothing until the count is reached
        for _ in range(n - 2):
            assert await tb.step(events=bit(v)) == 0
        assert await tb.step(arm=v) == 0
        assert await tb.step(arm=v) == 0
        assert await tb.step(events=bit(v)) == 0
        assert await tb.step(events=bit(v)) == bit(v)
        # time criterion reached while disarmed
        t = min(15, TMAX)
        tb.set_cfg(frames=0, times=t)
        assert await tb.step(events=bit(v)) == 0
        assert all(x == 0 for x in await tb.run(t + 30))
        assert tb.model.age[v] == min(t + 31, TMAX)
        assert await tb.step(arm=v) == bit(v)
    await tb.drain()


@cocotb.test()
async def test_saturation(dut):
    """Disarmed vectors under an event every cycle: pending and age stop at their maximum (no
    wrap that would hide a reached threshold); re-armed with the largest thresholds they fire."""
    tb = await setup(dut)
    tb.set_cfg(frames=0, times=0)
    assert await tb.step(events=ALL) == ALL  # every vector disarmed
    n = max(CMAX, TMAX) + 10
    # bulk phase without per-cycle Python, then let the model catch up with the same inputs
    await FallingEdge(dut.clk)
    dut.event_valid.value = ALL
    seen = []

    async def watch():
        while True:
            await RisingEdge(dut.clk)
            await ReadOnly()
            if int(dut.irq.value):
                seen.append(int(dut.irq.value))

    w = cocotb.start_soon(watch())
    await ClockCycles(dut.clk, n - 1)
    w.cancel()
    for _ in range(n - 1):
        assert tb.model.step(ALL, None, tb.frames, tb.times) == 0
    tb.uncovered = [u + n - 1 for u in tb.uncovered]
    tb.cycle += n - 1
    assert not seen, f"pulses while disarmed: {seen}"
    await tb.step(events=ALL)  # compares the whole state with the model
    assert tb.model.pending == [CMAX] * VECTORS and tb.model.age == [TMAX] * VECTORS
    tb.set_cfg(frames=CMAX, times=0)
    await tb.run(3, events=ALL)
    for v in range(VECTORS):
        assert await tb.step(events=ALL, arm=v) == bit(v)
    # cover what came in meanwhile, then the largest time threshold alone: all fire together,
    # TMAX cycles after a common first event
    tb.set_cfg(frames=0, times=0)
    for v in range(VECTORS):
        assert await tb.step(arm=v) == (bit(v) if v < VECTORS - 1 else 0)
    tb.set_cfg(frames=0, times=TMAX)
    for v in range(VECTORS):
        assert await tb.step(arm=v) == 0
    assert await tb.step(events=ALL) == 0
    assert all(x == 0 for x in await tb.run(TMAX - 1))
    assert await tb.step() == ALL
    await tb.drain()


@cocotb.test()
async def test_simultaneous(dut):
    """Several vectors fire in the same cycle: every vector on one event, random subsets, and a
    shared time threshold expiring for all at once."""
    tb = await setup(dut)
    rng = tb.rng
    assert await tb.step(events=ALL) == ALL
    for v in range(VECTORS):
        assert await tb.step(arm=v) == 0
    for _ in range(50):
        sub = rng.randrange(ALL + 1)
        assert await tb.step(events=sub) == sub
        for v in range(VECTORS):
            if sub >> v & 1:
                await tb.step(arm=v)
    t = min(9, TMAX)
    tb.set_cfg(frames=0, times=t)
    assert await tb.step(events=ALL) == 0
    got = await tb.run(t, events=rng.randrange(ALL + 1))
    assert got == [0] * (t - 1) + [ALL]
    await tb.drain()


@cocotb.test()
async def test_arm_port(dut):
    """Arming an armed vector changes nothing; an arm in the cycle of a fire is consumed by it;
    out-of-range arm indices are ignored; a threshold lowered under the pending count fires at
    the next cycle."""
    tb = await setup(dut)
    for v in range(VECTORS):
        for _ in range(3):
            assert await tb.step(arm=v) == 0
    assert tb.model.armed == [True] * VECTORS
    # arm in the deciding cycle: the fire consumes it and the vector ends disarmed
    assert await tb.step(events=1, arm=0) == 1
    assert not tb.model.armed[0]
    assert await tb.step(events=1) == 0
    for bad in range(VECTORS, 1 << VW):
        assert await tb.step(events=1, arm=bad) == 0
    assert not tb.model.armed[0]
    assert await tb.step(arm=0) == 1
    # lower a threshold below the pending count
    n = min(6, CMAX)
    tb.set_cfg(frames=n, times=0)
    await tb.step(arm=0)
    await tb.run(n - 1, events=1)
    assert tb.model.pending[0] == n - 1
    tb.set_cfg(frames=max(n - 3, 1))
    assert await tb.step() == 1
    await tb.drain()


@cocotb.test()
async def test_random(dut):
    """Seeded random traffic, thresholds and driver timing, compared with the model every cycle:
    per-vector event rates, thresholds from the corners (0, 1, small, maximum) and the middle,
    changed now and then mid-run; a NAPI-like driver re-arms each vector a random poll time after
    its pulse, plus stray arms (also out of range) and random reads."""
    tb = await setup(dut)
    rng = tb.rng
    rounds, cycles = 8, 2500

    def rand_frames() -> int:
        return rng.choice([0, 0, 1, 2, rng.randint(1, min(CMAX, 16)), rng.randint(1, CMAX), CMAX])

    def rand_time() -> int:
        return rng.choice([0, 0, 1, 2, rng.randint(1, min(TMAX, 64)), rng.randint(1, min(TMAX, 300)), TMAX])

    due: dict[int, int] = {}  # vector -> cycle of its re-arm
    for r in range(rounds):
        # the first rounds make sure every criterion is seen: every event, frames only, time only
        frames = [[0] * VECTORS, [rng.randint(1, CMAX) for _ in range(VECTORS)], [0] * VECTORS][r] if r < 3 \
            else [rand_frames() for _ in range(VECTORS)]
        times = [[0] * VECTORS, [0] * VECTORS, [rng.randint(1, min(TMAX, 64)) for _ in range(VECTORS)]][r] if r < 3 \
            else [rand_time() for _ in range(VECTORS)]
        tb.set_cfg(frames=frames, times=times)
        rate = [rng.choice([0.02, 0.1, 0.4, 0.9] if v == 0 else [0.0, 0.02, 0.1, 0.4, 0.9]) for v in range(VECTORS)]
        poll = [30, 200, 100][r] if r < 3 else rng.choice([0, 3, 30, 200])
        stray = rng.choice([0.0, 0.02, 0.2])
        for _ in range(cycles):
            if rng.random() < 0.003:
                v = rng.randrange(VECTORS)
                tb.frames[v], tb.times[v] = rand_frames(), rand_time()
            events = sum(bit(v) for v in range(VECTORS) if rng.random() < rate[v])
            ready = [v for v, c in due.items() if c <= tb.cycle]
            arm = None
            if ready:
                arm = rng.choice(ready)
                del due[arm]
            elif rng.random() < stray:
                arm = rng.randrange(1 << VW)
            irq = await tb.step(events=events, arm=arm)
            for v in range(VECTORS):
                if irq >> v & 1:
                    due[v] = tb.cycle + rng.randint(0, poll)
    await tb.drain()
    st = tb.model.stats
    dut._log.info("random: %d cycles, %s, pulses per vector %s", tb.cycle, dict(st), tb.pulses)
    for k in ("by_every", "by_frames", "by_time", "on_rearm"):
        assert st[k] > 0, f"random traffic never exercised {k}"
    if CMAX < 16:
        assert st["saturated"] > 0 and st["age_saturated"] > 0
