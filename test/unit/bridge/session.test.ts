import { describe, expect, it } from 'vitest';
import { HostSession } from '../../../src/bridge/session.js';
import { defaultParams } from '../../../src/bridge/server.js';
import { MmioError } from '../../../src/device/device.js';
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
    expect(s.events).toEqual([{ cycle: 9, label: 'DMA read fault 0x20000 (not_present)' }]);
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
    expect(s.events).toEqual([{ cycle: 50, label: 'irq 0' }]);
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
});
