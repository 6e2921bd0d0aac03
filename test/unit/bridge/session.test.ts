import { describe, expect, it } from 'vitest';
import { HostSession } from '../../../src/bridge/session.js';
import { defaultParams } from '../../../src/abi/link.js';
import { DeviceArgError, MmioError, type EthTxFrame } from '../../../src/device/device.js';
import { TRACE_EVENT } from '../../../src/debug/events.js';
import { Transcript } from '../../../src/device/transcript.js';
import type { DeviceDmaPort } from '../../../src/platform/dma_port.js';

/** 64 KiB of memory at bus address 0x1000; anything else faults. */
function fakePort(): DeviceDmaPort & { mem: Uint8Array } {
  const mem = new Uint8Array(0x10000);
  const inRange = (a: bigint, n: number): boolean => a >= 0x1000n && a + BigInt(n) <= 0x11000n;
  return {
    mem,
    read(addr, len) {
      if (!inRange(addr, len)) return { ok: false, fault: { resp: 2, reason: 'not_present', addr } };
      const o = Number(addr - 0x1000n);
      return { ok: true, data: mem.slice(o, o + len) };
    },
    write(addr, data) {
      if (!inRange(addr, data.length)) return { ok: false, fault: { resp: 2, reason: 'not_present', addr } };
      mem.set(data, Number(addr - 0x1000n));
      return { ok: true };
    },
  };
}

const params = defaultParams({ sync_window: 128, link_latency: 256 });

describe('host session', () => {
  it('answers DMA one link latency after each request, in cycle order', async () => {
    const port = fakePort();
    port.mem.set([1, 2, 3, 4], 0x10);
    const s = new HostSession(params, port);
    await s.start(async () => new Promise(() => {}), () => {});
    expect(await s.handleBatch(0, 0, [])).toEqual([]);
    const out = await s.handleBatch(1, 128, [
      { type: 'DMA_RD_REQ', cycle: 5, tag: 1, addr: 0x1010n, len: 4 },
      { type: 'DMA_WR_REQ', cycle: 9, tag: 2, addr: 0x1020n, data: new Uint8Array([9, 9]) },
      { type: 'DMA_RD_REQ', cycle: 9, tag: 3, addr: 0x20000n, len: 8 },
    ]);
    expect(out).toEqual([
      { type: 'DMA_RD_CPL', cycle: 261, tag: 1, resp: 0, data: new Uint8Array([1, 2, 3, 4]) },
      { type: 'DMA_WR_CPL', cycle: 265, tag: 2, resp: 0 },
      { type: 'DMA_RD_CPL', cycle: 265, tag: 3, resp: 2, data: new Uint8Array(0) },
    ]);
    expect([...port.mem.slice(0x20, 0x22)]).toEqual([9, 9]);
    expect(s.stats).toMatchObject({ dmaReads: 2, dmaWrites: 1, dmaFaults: 1, dmaBytesRead: 4, dmaBytesWritten: 2 });
    expect(s.faults).toEqual([{ cycle: 9, label: 'DMA read fault 0x20000 (not_present)' }]);
    expect(s.events).toEqual([]);
  });

  it('runs driver code at the cycle of the event that woke it', async () => {
    const s = new HostSession(params, fakePort());
    const log: string[] = [];
    await s.start(async () => {
      const id = await s.readReg(0x0);
      log.push(`id=${id.toString(16)} at ${s.clock.cycle}`);
      await s.sleep(100);
      log.push(`woke at ${s.clock.cycle}`);
      await s.writeReg(0x14, 5);
    }, (e) => { throw e; });
    // Host-initiated at cycle 0: stamped 0 + L.
    expect(await s.handleBatch(0, 0, [])).toEqual([{ type: 'MMIO_RD', cycle: 256, id: 0, addr: 0 }]);
    await s.handleBatch(1, 128, []);
    await s.handleBatch(2, 256, []);
    // The completion at 300 resumes the driver at 300; its sleep(100) ends at 400.
    expect(await s.handleBatch(3, 384, [{ type: 'MMIO_RD_DONE', cycle: 300, id: 0, resp: 0, data: 0x5a434e43 }])).toEqual([]);
    expect(log).toEqual(['id=5a434e43 at 300']);
    const out = await s.handleBatch(4, 512, []);
    expect(log).toEqual(['id=5a434e43 at 300', 'woke at 400']);
    expect(out).toEqual([{ type: 'MMIO_WR', cycle: 656, id: 1, addr: 0x14, data: 5 }]);
    // Completing the write ends main(): FINISH one link latency later.
    const fin = await s.handleBatch(5, 640, []);
    expect(fin).toEqual([]);
    expect(await s.handleBatch(6, 768, [{ type: 'MMIO_WR_DONE', cycle: 700, id: 1, resp: 0 }])).toEqual([
      { type: 'FINISH', cycle: 956, status: 0 },
    ]);
    expect(s.finishCycle).toBe(956);
  });

  it('turns an MMIO error response into an MmioError naming register, value and cycle', async () => {
    const s = new HostSession(params, fakePort());
    let err: unknown;
    await s.start(async () => { await s.writeReg(0x100, 0x1003); }, (e) => { err = e; });
    await s.handleBatch(0, 0, []);
    await s.handleBatch(1, 128, []);
    await s.handleBatch(2, 256, [{ type: 'MMIO_WR_DONE', cycle: 200, id: 0, resp: 2 }]);
    expect(err).toBeInstanceOf(MmioError);
    expect((err as MmioError).code).toBe('E_MMIO_SLVERR');
    expect((err as MmioError).message).toBe('MMIO write of register 0x100 (value 0x1003) answered SLVERR at cycle 200');
  });

  it('delivers interrupts after the DMA writes that precede them', async () => {
    const port = fakePort();
    const s = new HostSession(params, port);
    const seen: number[] = [];
    s.onIrq(() => seen.push(port.mem[0x40] ?? -1));
    await s.start(async () => new Promise(() => {}), () => {});
    await s.handleBatch(0, 0, []);
    await s.handleBatch(1, 128, [
      { type: 'DMA_WR_REQ', cycle: 50, tag: 0, addr: 0x1040n, data: new Uint8Array([0x77]) },
      { type: 'IRQ', cycle: 50, vector: 0 },
    ]);
    expect(seen).toEqual([0x77]);
    expect(s.stats.irqs).toBe(1);
    expect(s.events).toEqual([]);
  });

  it('rejects a completion for an MMIO id that is not outstanding', async () => {
    const s = new HostSession(params, fakePort());
    await s.start(async () => new Promise(() => {}), () => {});
    await s.handleBatch(0, 0, []);
    await expect(s.handleBatch(1, 128, [{ type: 'MMIO_RD_DONE', cycle: 3, id: 9, resp: 0, data: 0 }])).rejects.toMatchObject({
      code: 'E_SEQUENCE',
      message: 'MMIO_RD_DONE for MMIO id 9, which is not outstanding',
    });
  });

  it('puts MAC RX frames on the link one link latency from now, flags BAD for bad ones, copied', async () => {
    const s = new HostSession(params, fakePort());
    const f = new Uint8Array([1, 2, 3, 4]);
    await s.start(async () => {
      s.ethRx(0, f);
      s.ethRx(0, new Uint8Array(16384), { bad: true });
      f[0] = 99; // the caller's buffer is its own again
      await new Promise(() => {});
    }, (e) => { throw e; });
    const out = await s.handleBatch(0, 0, []);
    expect(out).toEqual([
      { type: 'ETH_RX', cycle: 256, port: 0, flags: 0, frame: new Uint8Array([1, 2, 3, 4]) },
      { type: 'ETH_RX', cycle: 256, port: 0, flags: 1, frame: new Uint8Array(16384) },
    ]);
    expect(s.stats).toMatchObject({ ethRxFrames: 2, ethRxBytes: 16388, ethTxFrames: 0 });
  });

  it('refuses MAC RX frames the bridge cannot carry, sending nothing', async () => {
    const s = new HostSession(params, fakePort());
    const errs: unknown[] = [];
    await s.start(async () => {
      for (const call of [
        () => s.ethRx(0, new Uint8Array(0)),
        () => s.ethRx(0, new Uint8Array(16385)),
        () => s.ethRx(1, new Uint8Array(60)),
        () => s.ethRx(0.5, new Uint8Array(60)),
      ]) {
        try { call(); } catch (e) { errs.push(e); }
      }
      await new Promise(() => {});
    }, (e) => { throw e; });
    expect(await s.handleBatch(0, 0, [])).toEqual([]);
    expect(errs.every((e) => e instanceof DeviceArgError && e.code === 'E_DEVICE_ARG')).toBe(true);
    expect(errs.map((e) => (e as DeviceArgError).message)).toEqual([
      'ethRx: a frame is 1..16384 bytes, got 0 (field frame, cycle 256)',
      'ethRx: a frame is 1..16384 bytes, got 16385 (field frame, cycle 256)',
      'ethRx: port must be 0..0, got 1 (field port, cycle 256)',
      'ethRx: port must be 0..0, got 0.5 (field port, cycle 256)',
    ]);
    expect(s.stats.ethRxFrames).toBe(0);
  });

  it('hands MAC TX frames to every handler at their cycle, before later events', async () => {
    const s = new HostSession(params, fakePort());
    const got: (EthTxFrame & { at: number })[] = [];
    s.onEthTx((f) => got.push({ ...f, at: s.clock.cycle }));
    await s.start(async () => new Promise(() => {}), () => {});
    await s.handleBatch(0, 0, []);
    await s.handleBatch(1, 128, [
      { type: 'ETH_TX', cycle: 70, port: 0, flags: 0, frame: new Uint8Array([7, 7]) },
      { type: 'ETH_TX', cycle: 90, port: 0, flags: 1, frame: new Uint8Array(60) },
    ]);
    expect(got).toEqual([
      { port: 0, frame: new Uint8Array([7, 7]), bad: false, cycle: 70, at: 70 },
      { port: 0, frame: new Uint8Array(60), bad: true, cycle: 90, at: 90 },
    ]);
    expect(s.stats).toMatchObject({ ethTxFrames: 2, ethTxBytes: 62 });
  });

  it('records driver events, and sends them as MARK only when asked to (runs with waves)', async () => {
    const run = async (marks: boolean) => {
      const transcript = new Transcript(params);
      const s = new HostSession(params, fakePort(), { marks, transcript });
      await s.start(async () => {
        s.trace(TRACE_EVENT.DOORBELL_TX, 2, 17);
        await s.writeReg(0x410, 17);
        s.trace(TRACE_EVENT.QUEUE_ERROR, 0x81, 0xffff);
      }, (e) => { throw e; });
      const out0 = await s.handleBatch(0, 0, []);
      const out1 = await s.handleBatch(1, 128, [{ type: 'MMIO_WR_DONE', cycle: 100, id: 0, resp: 0 }]);
      return { s, out0, out1, text: transcript.text() };
    };
    const on = await run(true);
    expect(on.out0).toEqual([
      { type: 'MARK', cycle: 256, kind: 1, queue: 2, index: 17 },
      { type: 'MMIO_WR', cycle: 256, id: 0, addr: 0x410, data: 17 },
    ]);
    // the write's completion at 100 resumes the driver there: its next event is stamped 356
    expect(on.out1).toEqual([
      { type: 'MARK', cycle: 356, kind: 6, queue: 0x81, index: 0xffff },
      { type: 'FINISH', cycle: 356, status: 0 },
    ]);
    expect(on.s.events).toEqual([
      { cycle: 256, hostCycle: 0, kind: 1, queue: 2, index: 17 },
      { cycle: 356, hostCycle: 100, kind: 6, queue: 0x81, index: 0xffff },
    ]);
    expect(on.s.stats).toMatchObject({ traceEvents: 2, marks: 2 });
    expect(on.text).toContain('< 256 MARK kind=1(DOORBELL_TX) queue=2 index=17\n');
    const off = await run(false);
    expect(off.out0).toEqual([{ type: 'MMIO_WR', cycle: 256, id: 0, addr: 0x410, data: 17 }]);
    expect(off.out1).toEqual([{ type: 'FINISH', cycle: 356, status: 0 }]);
    expect(off.s.events).toEqual(on.s.events);
    expect(off.s.stats).toMatchObject({ traceEvents: 2, marks: 0 });
    expect(off.text).not.toContain('MARK');
  });

  it('refuses driver events MARK cannot carry', async () => {
    const s = new HostSession(params, fakePort(), { marks: true });
    const msgs: string[] = [];
    for (const [k, q, i] of [[0, 0, 0], [256, 0, 0], [1, 256, 0], [1, 0, 65536], [1, 0, -1], [1.5, 0, 0]] as const) {
      try { s.trace(k, q, i); } catch (e) { if (e instanceof DeviceArgError) msgs.push(`${e.field}: ${e.message}`); }
    }
    expect(msgs).toEqual([
      'kind: trace: kind must be an integer in 1..255, got 0 (field kind, cycle 256)',
      'kind: trace: kind must be an integer in 1..255, got 256 (field kind, cycle 256)',
      'queue: trace: queue must be an integer in 0..255, got 256 (field queue, cycle 256)',
      'index: trace: index must be an integer in 0..65535, got 65536 (field index, cycle 256)',
      'index: trace: index must be an integer in 0..65535, got -1 (field index, cycle 256)',
      'kind: trace: kind must be an integer in 1..255, got 1.5 (field kind, cycle 256)',
    ]);
    expect(s.events).toEqual([]);
    expect(s.stats.marks).toBe(0);
  });
});
