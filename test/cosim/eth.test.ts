// The MAC side of the bridge (protocol v2) against the real RTL: a small test-only host program
// programs the NIC by hand over MMIO (no driver), sends one frame out of a TX queue with MAC
// loopback off and receives it as ETH_TX byte for byte, and injects frames on MAC RX that the
// NIC must count: no RX queue is enabled (STAT_RX_DROP_QUEUE), a BAD-flagged one and an over-long
// one (STAT_RX_DROP_BAD), and one held off by MAC loopback until loopback is turned off. A second
// run with waves checks that driver events reach the simulator as MARK, and only then.

import { flatDmaPort } from '../../src/testing/data.js';
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCosim, type CosimResult } from '../../src/bridge/run.js';
import { defaultParams } from '../../src/abi/link.js';
import type { HostSession } from '../../src/bridge/session.js';
import { MAX_FRAME, REG, TX_CQE, TX_DESC, TX_FLAG, CQE_PHASE, queueReg } from '../../src/abi/regs.js';
import type { EthTxFrame } from '../../src/device/device.js';
import { TRACE_EVENT } from '../../src/debug/events.js';
import { scratchDir } from '../scratch.js';

const BASE = 0x1000_0000n;
const MEM = 0x10000;
const RING = 0x0000; // TX ring (16 entries), CQ at 0x1000, payload at 0x2000 and 0x3000
const CQ = 0x1000;
const PAYLOAD = [0x2000, 0x3000] as const;

/** 64 KiB of host memory at bus address 0x1000_0000; anything else faults. */

/** A frame that is neither IPv4 nor filtered: steered to the default queue (0). */
function frame(len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5]);
  for (let i = 14; i < len; i++) f[i] = (i * 7 + seed) & 0xff;
  return f;
}

const le = (mem: Uint8Array, o: number, n: number): number => {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + mem[o + i]!;
  return v;
};
const put = (mem: Uint8Array, o: number, n: number, v: number): void => {
  for (let i = 0; i < n; i++) mem[o + i] = Math.floor(v / 256 ** i) & 0xff;
};

interface Outcome {
  readonly r: CosimResult;
  readonly tx: EthTxFrame[];
  readonly sent: Uint8Array;
  readonly stats: Record<string, number>;
  readonly heldOff: Record<string, number>;
  readonly cqe: { cookie: number; index: number; len: number; flags: number };
  readonly doorbellAt: number;
  readonly runDir: string;
}

async function run(waves: boolean): Promise<Outcome> {
  const port = flatDmaPort(BASE, MEM);
  const tx: EthTxFrame[] = [];
  const sent = frame(300, 1);
  const stats: Record<string, number> = {};
  const heldOff: Record<string, number> = {};
  let doorbellAt = -1;
  const readStats = async (dev: HostSession, into: Record<string, number>): Promise<void> => {
    for (const n of ['STAT_TX_FRAMES', 'STAT_TX_BYTES', 'STAT_RX_FRAMES', 'STAT_RX_DROP_QUEUE', 'STAT_RX_DROP_BAD'] as const) {
      into[n] = await dev.readReg(REG[n]);
    }
  };
  const main = async (dev: HostSession): Promise<void> => {
    dev.onEthTx((f) => tx.push(f));
    // MAC loopback on: the RTL holds MAC RX off, so the frame waits on the stream
    await dev.writeReg(REG.MAC_CTRL, 1);
    dev.ethRx(0, frame(64, 9));
    await dev.sleep(1500);
    await readStats(dev, heldOff);
    await dev.writeReg(REG.MAC_CTRL, 0);
    // loopback off, no RX queue enabled: a good frame, a bad one, one beyond MAX_FRAME
    dev.trace(TRACE_EVENT.USER, 0, 1);
    dev.ethRx(0, frame(128, 2));
    dev.ethRx(0, frame(200, 3), { bad: true });
    dev.ethRx(0, frame(MAX_FRAME + 100, 4));
    // TX queue 0: one frame in two fragments
    const m = port.mem;
    const [d0, d1] = [RING, RING + TX_DESC.BYTES];
    m.set(sent.subarray(0, 100), PAYLOAD[0]);
    m.set(sent.subarray(100), PAYLOAD[1]);
    const desc = (o: number, addr: number, len: number, flags: number, cookie: number): void => {
      put(m, o + TX_DESC.fields.ADDR[0], 4, Number(BASE) + addr);
      put(m, o + TX_DESC.fields.LEN[0], 2, len);
      put(m, o + TX_DESC.fields.FLAGS[0], 2, flags);
      put(m, o + TX_DESC.fields.COOKIE[0], 4, cookie);
    };
    desc(d0, PAYLOAD[0], 100, 0, 0x1111);
    desc(d1, PAYLOAD[1], 200, TX_FLAG.EOP, 0xc00c1e);
    await dev.writeReg(queueReg('tx', 0, 'RING_BASE'), Number(BASE) + RING);
    await dev.writeReg(queueReg('tx', 0, 'CQ_BASE'), Number(BASE) + CQ);
    await dev.writeReg(queueReg('tx', 0, 'SIZE_LOG2'), 4);
    await dev.writeReg(queueReg('tx', 0, 'CTRL'), 1);
    doorbellAt = dev.clock.cycle;
    dev.trace(TRACE_EVENT.DOORBELL_TX, 0, 2);
    await dev.writeReg(queueReg('tx', 0, 'PROD'), 2);
    for (let i = 0; i < 40 && (tx.length < 1 || (m[CQ + TX_CQE.BYTES - 1]! & CQE_PHASE) === 0); i++) await dev.sleep(250);
    for (let i = 0; i < 40; i++) {
      await readStats(dev, stats);
      if (stats['STAT_RX_DROP_QUEUE']! + stats['STAT_RX_DROP_BAD']! >= 4) break;
      await dev.sleep(250);
    }
  };
  const runDir = scratchDir(`zcnic-eth${waves ? '-waves' : ''}`);
  const r = await runCosim({ params: defaultParams({ seed: 3 }), dma: port, main, runDir, waves, maxCycles: 60_000, timeoutS: 30 });
  const c = CQ;
  const cqe = {
    cookie: le(port.mem, c + TX_CQE.fields.COOKIE[0], 4),
    index: le(port.mem, c + TX_CQE.fields.INDEX[0], 2),
    len: le(port.mem, c + TX_CQE.fields.LEN[0], 4),
    flags: port.mem[c + TX_CQE.fields.FLAGS[0]]!,
  };
  return { r, tx, sent, stats, heldOff, cqe, doorbellAt, runDir };
}

let plain: Outcome | undefined;

describe('co-simulation: the MAC side over the bridge', () => {
  it('TX frames leave as ETH_TX byte-exact; MAC RX frames are counted, bad and over-long ones dropped, held off in loopback', async () => {
    const o = await run(false);
    plain = o;
    expect(o.r.error?.describe()).toBeUndefined();
    expect(o.r.scenarioError).toBeUndefined();
    expect(o.r.simExitCode).toBe(0);
    expect(o.heldOff).toEqual({ STAT_TX_FRAMES: 0, STAT_TX_BYTES: 0, STAT_RX_FRAMES: 0, STAT_RX_DROP_QUEUE: 0, STAT_RX_DROP_BAD: 0 });
    // the held-off frame and the good one: no queue; the BAD one and the one beyond MAX_FRAME: bad
    expect(o.stats).toEqual({ STAT_TX_FRAMES: 1, STAT_TX_BYTES: 300, STAT_RX_FRAMES: 0, STAT_RX_DROP_QUEUE: 2, STAT_RX_DROP_BAD: 2 });
    expect(o.tx).toHaveLength(1);
    const f = o.tx[0]!;
    expect({ port: f.port, bad: f.bad, len: f.frame.length }).toEqual({ port: 0, bad: false, len: 300 });
    expect(Buffer.from(f.frame).equals(Buffer.from(o.sent))).toBe(true);
    expect(f.cycle).toBeGreaterThan(o.doorbellAt + 256);
    expect(o.cqe).toEqual({ cookie: 0xc00c1e, index: 1, len: 300, flags: CQE_PHASE });
    const s = o.r.session!.stats;
    expect(s).toMatchObject({ ethTxFrames: 1, ethTxBytes: 300, ethRxFrames: 4, ethRxBytes: 64 + 128 + 200 + MAX_FRAME + 100, traceEvents: 2, marks: 0 });
    const text = o.r.transcript!.text();
    expect(text).toMatch(new RegExp(`^> ${f.cycle} ETH_TX port=0 flags=0 frame=300B:sha256=[0-9a-f]{16}$`, 'm'));
    expect(text.match(/^< \d+ ETH_RX port=0 flags=1 frame=200B:/gm)).toHaveLength(1);
    expect(text).not.toMatch(/ MARK /);
    const sim = JSON.parse(readFileSync(join(o.runDir, 'result.json'), 'utf8')) as { eth: Record<string, number>; marks: number };
    expect(sim.eth).toEqual({ tx_frames: 1, tx_bytes: 300, rx_frames: 4, rx_bytes: s.ethRxBytes });
    expect(sim.marks).toBe(0);
  });

  it('with waves, driver events go to the simulator as MARK at their stamped cycles', async () => {
    const o = await run(true);
    expect(o.r.error?.describe()).toBeUndefined();
    expect(o.r.scenarioError).toBeUndefined();
    const ev = o.r.session!.events;
    expect(ev.map((e) => [e.kind, e.queue, e.index, e.cycle - e.hostCycle])).toEqual([
      [TRACE_EVENT.USER, 0, 1, 256],
      [TRACE_EVENT.DOORBELL_TX, 0, 2, 256],
    ]);
    expect(o.r.session!.stats).toMatchObject({ traceEvents: 2, marks: 2 });
    const marks = o.r.transcript!.text().match(/^< \d+ MARK .*$/gm);
    expect(marks).toEqual([
      `< ${ev[0]!.cycle} MARK kind=11(USER) queue=0 index=1`,
      `< ${ev[1]!.cycle} MARK kind=1(DOORBELL_TX) queue=0 index=2`,
    ]);
    const sim = JSON.parse(readFileSync(join(o.runDir, 'result.json'), 'utf8')) as { marks: number };
    expect(sim.marks).toBe(2);
    expect(existsSync(join(o.runDir, 'waves.fst'))).toBe(true);
    // same program: the MAC side behaves the same with waves on
    expect(o.stats).toEqual({ STAT_TX_FRAMES: 1, STAT_TX_BYTES: 300, STAT_RX_FRAMES: 0, STAT_RX_DROP_QUEUE: 2, STAT_RX_DROP_BAD: 2 });
    // the transcripts differ by the MARK lines (and the reply batches' message counts) only
    const strip = (t: string): string[] => t.split('\n').filter((l) => !/^< (batch |\d+ MARK )/.test(l));
    expect(plain).toBeDefined();
    expect(strip(o.r.transcript!.text())).toEqual(strip(plain!.r.transcript!.text()));
    expect(o.r.transcript!.sha256()).not.toBe(plain!.r.transcript!.sha256());
  });

  it('is reproducible: the same program and seed give the same transcript', async () => {
    const again = await run(false);
    expect(plain).toBeDefined();
    expect(again.r.transcript!.text()).toBe(plain!.r.transcript!.text());
  });
});
