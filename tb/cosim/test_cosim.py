"""The co-simulation test: the Verilated NIC driven by the host over the bridge.

Configured from the environment (set by `python -m zcnic_tb.cosim`): ZCNIC_URL, ZCNIC_TOKEN,
ZCNIC_SEED, ZCNIC_SYNC_WINDOW, ZCNIC_LINK_LATENCY, ZCNIC_CLOCK_PERIOD_PS, ZCNIC_TIMEOUT_S,
ZCNIC_MAX_CYCLES, ZCNIC_MAX_FRAME, ZCNIC_BACKPRESSURE, ZCNIC_RESULT_JSON. Writes the run's summary as JSON to
ZCNIC_RESULT_JSON (the launcher turns it into the protocol exit code).
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings

import cocotb
from cocotb.triggers import Timer

from zcnic_tb import protocol as P
from zcnic_tb.bridge import CosimBridge, SimStop
from zcnic_tb.port import PortBridge, port_info
from zcnic_tb.codec import BridgeError
from zcnic_tb.link import PeerBye, SimLink

D = P.LINK_DEFAULTS

# cocotbext-axi 0.1.28 still uses APIs cocotb 2.1 deprecates; the warnings are noise here.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"cocotbext\.")


def _env_int(name: str, default: int) -> int:
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


@cocotb.test()
async def cosim(dut):
    log = logging.getLogger("zcnic.cosim")
    log.setLevel(logging.INFO)
    url = os.environ.get("ZCNIC_URL")
    assert url, "ZCNIC_URL is not set (run through python -m zcnic_tb.cosim)"
    dpi = os.environ.get("ZCNIC_PORT", "python") == "dpi"
    if dpi:
        # the wrapper's initial block tells the port its parameters at the first evaluation
        await Timer(1, "step")
        data_bytes, irq_vectors, _ = port_info()
    else:
        try:
            irq_vectors = len(dut.irq)
        except TypeError:
            irq_vectors = 1
        data_bytes = len(dut.m_axi_wdata) // 8
    link = SimLink(
        url,
        token=os.environ.get("ZCNIC_TOKEN") or None,
        seed=_env_int("ZCNIC_SEED", 1),
        sync_window=_env_int("ZCNIC_SYNC_WINDOW", D["syncWindow"]),
        link_latency=_env_int("ZCNIC_LINK_LATENCY", D["linkLatency"]),
        clock_period_ps=_env_int("ZCNIC_CLOCK_PERIOD_PS", D["clockPeriodPs"]),
        max_frame=_env_int("ZCNIC_MAX_FRAME", D["maxFrameBytes"]),
        timeout=float(os.environ.get("ZCNIC_TIMEOUT_S") or D["timeoutS"]),
        data_bytes=data_bytes,
        irq_vectors=irq_vectors,
    )
    bridge = (PortBridge if dpi else CosimBridge)(
        dut, link, max_cycles=_env_int("ZCNIC_MAX_CYCLES", 0), backpressure=float(os.environ.get("ZCNIC_BACKPRESSURE") or 0), log=log
    )
    result: dict = {"ended_by": None, "cycles": 0, "error": None, "message": None, "finish_status": None}
    t0 = time.perf_counter()
    failure: str | None = None
    try:
        result.update(await bridge.run())
    except BridgeError as err:
        result.update(ended_by="error", error=err.code, message=err.message)
        failure = f"zcnic-bridge: {err.code}: {err.message}"
    except SimStop as stop:
        result.update(ended_by="sim_stop", error=P.ERR["SIM_FAILED"], message=str(stop))
        failure = f"zcnic-bridge: {P.ERR['SIM_FAILED']}: {stop}"
    except PeerBye as bye:
        result.update(ended_by="host_bye", message=str(bye))
        log.info("zcnic-bridge: %s", bye)
    except Exception as exc:
        first = (str(exc).splitlines() or [""])[0]  # assertion rewriting makes long multi-line texts
        bridge.crash = bridge.crash or f"{type(exc).__name__}: {first}"
        raise
    finally:
        # Reached on cancellation too (another task failed): tell the host the sim stopped.
        if not link.closed:
            why = bridge.crash or "the testbench failed (see the simulator log)"
            if link.ws.proto is None:
                # Failed before connecting (e.g. the DUT does not fit the bus models): tell the
                # waiting host, so that it does not wait for its timeout.
                try:
                    link.ws.connect()
                    link.fail(BridgeError(P.ERR["SIM_FAILED"], f"simulator failed before the handshake: {why}"))
                except BridgeError:
                    link.abort()
            else:
                link.bye(bridge.cycle(), f"simulator failed: {why}")
            if result["error"] is None:
                result.update(ended_by="sim_failed", error=P.ERR["SIM_FAILED"], message=why)
        wall = time.perf_counter() - t0
        cycles = result["cycles"] or bridge.final_cycle or bridge.cycle()
        result.update(
            cycles=cycles,
            wall_s=round(wall, 6),
            cycles_per_s=round(cycles / wall, 1) if wall else 0.0,
            counters=link.stats(),
            eth=bridge.eth,
            marks=bridge.marks,
        )
        out = os.environ.get("ZCNIC_RESULT_JSON")
        if out:
            with open(out, "w") as f:
                json.dump(result, f)
        log.info("zcnic-bridge: %s", json.dumps(result))
    if failure:
        log.error("%s", failure)
        raise AssertionError(failure)
