// The reference model as a Device: the RTL's register decode and refusals, its timing rules,
// bad calls, and every scenario of `make sim` run on it (traffic with the RTL's own per-queue
// outcome for seed 1, IOMMU faults and their recovery, the copy engine, probe).

import { flatDmaPort } from '../../../src/testing/data.js';
import { describe, expect, it } from 'vitest';
import { CQE_PHASE, NIC_ID, QUEUE, REG, STEER, TX_CQE, TX_DESC, TX_FLAG, queueReg } from '../../../src/abi/regs.js';
import { DeviceArgError, MmioError } from '../../../src/device/device.js';
import { ManualClock } from '../../../src/platform/clock.js';
import { runModel } from '../../../src/model/run.js';
import type { ZcnicModel } from '../../../src/model/nic.js';
import { SCENARIOS } from '../../../src/scenarios/index.js';
import { type ScenarioOptions } from '../../../src/scenarios/types.js';
import { withHost } from '../../../src/testing/fixture.js';

const BASE = 0x1000_0000;
/** 64 KiB of memory at bus address 0x1000_0000; anything else answers SLVERR. */

async function onModel(body: (m: ZcnicModel, mem: Uint8Array) => Promise<void>): Promise<Awaited<ReturnType<typeof runModel>>> {
  const port = flatDmaPort(BigInt(BASE), 0x10000);
  const r = await runModel({ clock: new ManualClock(), dma: port, main: (m) => body(m, port.mem), maxCycles: 10_000_000 });
  if (r.scenarioError) throw r.scenarioError;
  return r;
}

/** The response of each access: 'OKAY' or the MmioError's. */
async function resp(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OKAY';
  } catch (e) {
    if (e instanceof MmioError) return e.resp;
    throw e;
  }
}

describe('reference model: registers', () => {
  it('self-describes as nic_top default build does', async () => {
    await onModel(async (m) => {
      expect(await m.readReg(REG.ID)).toBe(NIC_ID);
      expect(await m.readReg(REG.PARAMS)).toBe(8 | (9 << 8) | (9 << 16));
      expect(await m.readReg(REG.PARAMS2)).toBe(4 | (4 << 8) | (10 << 16) | (32 << 24));
      expect(await m.readReg(STEER.BASE + STEER.QUEUES)).toBe(4);
      expect(await m.readReg(STEER.BASE + STEER.FILTERS)).toBe(16);
      expect(await m.readReg(STEER.BASE + STEER.RSS_ENTRIES)).toBe(128);
      expect(await m.readReg(queueReg('rx', 0, 'BUF_SIZE'))).toBe(2048);
    });
  });

  it('answers bad programming with the RTL responses and changes nothing', async () => {
    await onModel(async (m) => {
      const rx0 = (n: Parameters<typeof queueReg>[2]): number => queueReg('rx', 0, n);
      const tx0 = (n: Parameters<typeof queueReg>[2]): number => queueReg('tx', 0, n);
      const cases: [string, Promise<unknown>, string][] = [
        ['unmapped core read', m.readReg(0x030), 'DECERR'],
        ['unmapped core write', m.writeReg(0x030, 1), 'DECERR'],
        ['hole between stats', m.readReg(0x20c), 'DECERR'],
        ['write to a read-only stat', m.writeReg(REG.STAT_TX_FRAMES, 5), 'OKAY'],
        ['write to ID', m.writeReg(REG.ID, 0), 'OKAY'],
        ['0xC00 region', m.readReg(0xc00), 'DECERR'],
        ['TX queue 4 of 4', m.readReg(QUEUE.TXQ_BASE + 4 * QUEUE.STRIDE), 'DECERR'],
        ['TX BUF_SIZE', m.readReg(tx0('BUF_SIZE')), 'DECERR'],
        ['queue offset 0x38', m.readReg(QUEUE.RXQ_BASE + 0x38), 'DECERR'],
        ['RING_BASE unaligned', m.writeReg(rx0('RING_BASE'), 0x1008), 'SLVERR'],
        ['CQ_BASE not 32-aligned (RX)', m.writeReg(rx0('CQ_BASE'), 0x1010), 'SLVERR'],
        ['CQ_BASE 16-aligned (TX)', m.writeReg(tx0('CQ_BASE'), 0x1010), 'OKAY'],
        ['SIZE_LOG2 3', m.writeReg(rx0('SIZE_LOG2'), 3), 'SLVERR'],
        ['SIZE_LOG2 11', m.writeReg(rx0('SIZE_LOG2'), 11), 'SLVERR'],
        ['BUF_SIZE 300', m.writeReg(rx0('BUF_SIZE'), 300), 'SLVERR'],
        ['HDR_SIZE 40', m.writeReg(rx0('HDR_SIZE'), 40), 'SLVERR'],
        ['RESET with ENABLE', m.writeReg(rx0('CTRL'), 3), 'SLVERR'],
        ['PROD past the ring', m.writeReg(rx0('PROD'), 17), 'SLVERR'],
        ['PROD a full ring', m.writeReg(rx0('PROD'), 16), 'OKAY'],
        ['CONS is read-only', m.writeReg(rx0('CONS'), 9), 'OKAY'],
        ['DEFAULT_QUEUE 4', m.writeReg(STEER.BASE + STEER.DEFAULT_QUEUE, 4), 'SLVERR'],
        ['RETA byte 4', m.writeReg(STEER.BASE + STEER.RETA, 0x04000000), 'SLVERR'],
        ['filter queue 5', m.writeReg(STEER.BASE + STEER.FILTER + STEER.F_CTRL, STEER.F_ENABLE | 5), 'SLVERR'],
        ['steering hole', m.readReg(STEER.BASE + 0x14), 'DECERR'],
        ['COPY_DESC_ADDR unaligned', m.writeReg(REG.COPY_DESC_ADDR, 0x1004), 'SLVERR'],
      ];
      const got = [];
      for (const [name, p] of cases) got.push([name, await resp(p)]);
      expect(got).toEqual(cases.map(([n, , r]) => [n, r]));
      expect(await m.readReg(rx0('RING_BASE'))).toBe(0);
      expect(await m.readReg(rx0('SIZE_LOG2'))).toBe(4);
      expect(await m.readReg(rx0('PROD'))).toBe(16);
      expect(await m.readReg(rx0('CONS'))).toBe(0);
      expect(await m.readReg(STEER.BASE + STEER.DEFAULT_QUEUE)).toBe(0);
      expect(await m.readReg(REG.COPY_DESC_ADDR)).toBe(0);
      expect(await m.readReg(REG.STAT_TX_FRAMES)).toBe(0);
    });
  });

  it('refuses calls it cannot carry out, with the offending field', async () => {
    await onModel(async (m) => {
      await expect(m.readReg(0x2)).rejects.toThrow(DeviceArgError);
      await expect(m.writeReg(0x2000, 0)).rejects.toMatchObject({ code: 'E_DEVICE_ARG', field: 'offset' });
      expect(() => m.ethRx(1, new Uint8Array(60))).toThrow(/port must be 0..0/);
      expect(() => m.ethRx(0, new Uint8Array(16385))).toThrow(/1..16384 bytes/);
      expect(() => m.trace(0, 0, 0)).toThrow(/kind must be/);
    });
  });
});

describe('reference model: timing and engines', () => {
  it('applies MMIO one link latency after the host acts, in order', async () => {
    await onModel(async (m) => {
      const t0 = m.sched.now;
      await m.writeReg(REG.SCRATCH, 7);
      expect(m.sched.now - t0).toBe(256);
      const [a, b] = await Promise.all([m.readReg(REG.SCRATCH), m.readReg(REG.ID)]);
      expect([a, b]).toEqual([7, NIC_ID]);
      expect(m.sched.now - t0).toBe(2 * 256 + 1);
    });
  });

  it('sends a TX frame out of the MAC with its checksum, completes it with the phase bit, moderates its interrupt', async () => {
    const r = await onModel(async (m, mem) => {
      const frame = new Uint8Array(100).map((_, i) => (i * 3) & 0xff);
      mem.set(frame, 0x2000);
      // one descriptor at ring slot 0, EOP, no checksum request
      const dv = new DataView(mem.buffer);
      dv.setUint32(0, BASE + 0x2000, true);
      dv.setUint16(TX_DESC.fields.LEN[0], 100, true);
      mem[TX_DESC.fields.FLAGS[0]] = TX_FLAG.EOP;
      dv.setUint32(TX_DESC.fields.COOKIE[0], 0xabcd, true);
      const tx = (n: Parameters<typeof queueReg>[2]): number => queueReg('tx', 0, n);
      await m.writeReg(tx('RING_BASE'), BASE);
      await m.writeReg(tx('CQ_BASE'), BASE + 0x1000);
      await m.writeReg(tx('IRQ_FRAMES'), 2);
      await m.writeReg(tx('CTRL'), 1);
      const out = new Promise<{ frame: Uint8Array; cycle: number }>((res) => m.onEthTx((f) => res(f)));
      const irqs: number[] = [];
      m.onIrq((v) => irqs.push(v));
      await m.writeReg(tx('PROD'), 1);
      const f = await out;
      expect(f.frame).toEqual(frame);
      await m.sleep(2000);
      expect(mem[0x1000 + TX_CQE.fields.FLAGS[0]]).toBe(CQE_PHASE);
      expect(dv.getUint32(0x1000, true)).toBe(0xabcd);
      expect(await m.readReg(tx('CQ_PROD'))).toBe(1);
      // IRQ_FRAMES 2: one completion does not fire, a lower threshold does
      expect(irqs).toEqual([]);
      await m.writeReg(tx('IRQ_FRAMES'), 1);
      await m.sleep(10);
      expect(irqs).toEqual([1]);
      expect(await m.readReg(REG.STAT_TX_FRAMES)).toBe(1);
      expect(await m.readReg(REG.STAT_TX_BYTES)).toBe(100);
    });
    expect(r.device.stats.ethTxFrames).toBe(1);
  });

  it('a copy descriptor with a bad length is written back with BAD_LEN and raises COPY_ERROR', async () => {
    await onModel(async (m, mem) => {
      const dv = new DataView(mem.buffer);
      dv.setUint32(0x100, BASE, true);
      dv.setUint32(0x104, 0xffffff00, true);
      dv.setUint32(0x108, 0x200, true); // dst + len > 2^32
      dv.setUint32(0x10c, 0x1234, true);
      await m.writeReg(REG.IRQ_MASK, 0xf);
      const irq = new Promise<number>((res) => m.onIrq((v) => res(v)));
      await m.writeReg(REG.COPY_DESC_ADDR, BASE + 0x100);
      await m.writeReg(REG.COPY_DOORBELL, 1);
      expect(await irq).toBe(0);
      expect(dv.getUint32(0x10c, true)).toBe((0x80000000 | (5 << 24) | 0x1234) >>> 0);
      expect(await m.readReg(REG.COPY_STATUS)).toBe(2 | 4 | (5 << 4));
      expect(await m.readReg(REG.IRQ_STATUS)).toBe(2);
    });
  });

  it('says what the host waits for when the device goes idle', async () => {
    const port = flatDmaPort(BigInt(BASE), 0x10000);
    const r = await runModel({ clock: new ManualClock(), dma: port, main: () => new Promise(() => {}) });
    expect(String(r.scenarioError)).toMatch(/the model went idle at cycle 0 .* waits for nic0: nothing/);
  });
});

function scenario(name: string, seed: number, opts: ScenarioOptions = {}): Promise<{ r: Awaited<ReturnType<typeof runModel>>; report: Record<string, unknown> }> {
  const sc = SCENARIOS[name]!;
  const inst = sc.setup(seed, opts);
  return runModel({ clock: inst.clock, dma: inst.dma, onTime: (c) => inst.onTime?.(c), main: (d) => inst.main(d), maxCycles: sc.maxCycles, seed, transcript: true })
    .then((r) => ({ r, report: inst.report?.() ?? {} }));
}

describe('reference model: the scenarios of make sim', () => {
  it('traffic seed 1: the RTL run\'s frames per queue, drops and counters; page_pool empty and dma-debug clean after unload', async () => {
    const { r, report } = await scenario('traffic', 1);
    expect(r.scenarioError).toBeUndefined();
    expect(report).toMatchObject({
      frames_sent: 500, frames_checked: 487, frames_dropped_by_filter: 13, bad_frames_injected: 4,
      per_queue: { tx_frames: [141, 127, 118, 114], rx_frames: [72, 163, 105, 147] },
      dma_debug_errors: 0, page_pool: { inflight_after_remove: 0 }, mmio_reads_per_frame: 0,
    });
    expect(r.device.counters).toMatchObject({ STAT_TX_FRAMES: 500, STAT_RX_FRAMES: 487, STAT_RX_DROP_FILTER: 13, STAT_RX_DROP_BAD: 4, STAT_RX_DROP_NODESC: 0, STAT_DMA_ERRORS: 0 });
    const again = await scenario('traffic', 1);
    expect(again.r.transcript!.sha256()).toBe(r.transcript!.sha256());
    expect((await scenario('traffic', 2, { frames: 100 })).r.transcript!.sha256()).not.toBe(r.transcript!.sha256());
  });

  it('traffic with IOMMU faults: the faulted TX and RX queues stop with DATA_READ / DATA_WRITE and are recovered', async () => {
    const { r, report } = await scenario('traffic', 5, { frames: 400, faults: true });
    expect(r.scenarioError).toBeUndefined();
    const errs = report['queue_errors'] as { queue: string; codeName: string; recoveredAt: number | null }[];
    expect(errs.map((e) => [e.queue.slice(0, 2), e.codeName]).sort()).toEqual([['rx', 'DATA_WRITE'], ['tx', 'DATA_READ']]);
    expect(errs.every((e) => e.recoveredAt !== null)).toBe(true);
    expect(r.device.counters.STAT_DMA_ERRORS).toBe(2);
  });

  it.each(['copy', 'probe', 'fault'])('%s passes', async (name) => {
    const { r } = await scenario(name, 3);
    expect(r.scenarioError).toBeUndefined();
  });

  it('the fixture probes the driver on the model', async () => {
    const run = await withHost('model', async ({ info }) => {
      expect(info).toMatchObject({ txQueues: 4, rxQueues: 4 });
    });
    expect(run.dmaDebugErrors).toBe(0);
  });
});
