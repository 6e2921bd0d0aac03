// An engine's DMA master (dma_rd / dma_wr, docs/rtl-dma.md) on the host's DeviceDmaPort: the
// same burst split (a burst runs to the next CHUNK_BYTES boundary, so it never crosses 4 KiB),
// every burst answered OKAY or with the fault's SLVERR/DECERR, the first failing burst's start
// address reported. Timing (docs/model.md): a read is served by the host at its issue cycle
// and its beats return from `latency` cycles later, one beat per cycle on the engine's R
// channel; a write's beats take the W channel one per cycle, land in host memory at its last
// beat and are answered `latency` cycles after that.

import type { DeviceDmaPort } from '../platform/dma_port.js';
import type { Msg } from '../abi/link.js';
import type { Scheduler } from './sched.js';
import type { SessionStats } from '../device/stats.js';

export interface DmaFail {
  /** Start address of the first failing burst. */
  readonly addr: number;
  /** Its AXI response: 2 SLVERR, 3 DECERR. */
  readonly resp: number;
}

/** The DMA counters of the device's stats (the same names as the bridge session's). */
export type DmaStats = Pick<SessionStats, 'dmaReads' | 'dmaWrites' | 'dmaBytesRead' | 'dmaBytesWritten' | 'dmaFaults'>;

/** What a DMA engine shares with the rest of the NIC model. */
export interface DmaContext {
  readonly port: DeviceDmaPort;
  readonly sched: Scheduler;
  readonly chunkBytes: number;
  readonly dataBytes: number;
  readonly latency: number;
  readonly stats: DmaStats;
  /** The message the RTL would have put on the bridge, for the transcript. */
  record?(m: Msg): void;
  /** A fault the host answered, for the run's fault list. */
  fault(cycle: number, label: string): void;
  nextTag(): number;
}

/** [addr, len) as the RTL splits it into bursts. */
export function bursts(addr: number, len: number, chunk: number): [number, number][] {
  const out: [number, number][] = [];
  let a = addr;
  let left = len;
  while (left > 0) {
    const n = Math.min(left, chunk - (a % chunk));
    out.push([a, n]);
    a += n;
    left -= n;
  }
  return out;
}

export class DmaMaster {
  /** First cycle the R / W channel is free. */
  private rFree = 0;
  private wFree = 0;

  constructor(private readonly c: DmaContext) {}

  private beats(addr: number, n: number): number {
    const b = this.c.dataBytes;
    return Math.ceil(((addr % b) + n) / b);
  }

  /**
   * Read [addr, addr+len); `done` runs when the last beat is in, with the bytes (zero where a
   * burst failed) and the first failing burst.
   */
  read(addr: number, len: number, done: (data: Uint8Array, fail: DmaFail | null) => void): void {
    const c = this.c;
    const now = c.sched.now;
    const data = new Uint8Array(len);
    let fail: DmaFail | null = null;
    let t = Math.max(now + c.latency, this.rFree);
    for (const [a, n] of bursts(addr, len, c.chunkBytes)) {
      c.stats.dmaReads++;
      const tag = c.nextTag();
      c.record?.({ type: 'DMA_RD_REQ', cycle: now, tag, addr: BigInt(a), len: n });
      const r = c.port.read(BigInt(a), n, now);
      if (r.ok) {
        data.set(r.data, a - addr);
        c.stats.dmaBytesRead += n;
      } else {
        c.stats.dmaFaults++;
        c.fault(now, `DMA read fault 0x${r.fault.addr.toString(16)} (${r.fault.reason})`);
        fail ??= { addr: a, resp: r.fault.resp };
      }
      c.record?.({ type: 'DMA_RD_CPL', cycle: now + c.latency, tag, resp: r.ok ? 0 : r.fault.resp, data: r.ok ? r.data : new Uint8Array(0) });
      t += this.beats(a, n);
    }
    this.rFree = t;
    c.sched.at(t, () => done(data, fail));
  }

  /** Write `data` at addr; `done` runs when the last burst's response is in. */
  write(addr: number, data: Uint8Array, done: (fail: DmaFail | null) => void): void {
    const c = this.c;
    let t = Math.max(c.sched.now, this.wFree);
    const list = bursts(addr, data.length, c.chunkBytes);
    let fail: DmaFail | null = null;
    let left = list.length;
    for (const [a, n] of list) {
      t += this.beats(a, n);
      const landed = t;
      c.sched.at(landed, () => {
        c.stats.dmaWrites++;
        const tag = c.nextTag();
        const bytes = data.subarray(a - addr, a - addr + n);
        c.record?.({ type: 'DMA_WR_REQ', cycle: landed, tag, addr: BigInt(a), data: bytes });
        const r = c.port.write(BigInt(a), bytes, landed);
        if (r.ok) c.stats.dmaBytesWritten += n;
        else {
          c.stats.dmaFaults++;
          c.fault(landed, `DMA write fault 0x${r.fault.addr.toString(16)} (${r.fault.reason})`);
          fail ??= { addr: a, resp: r.fault.resp };
        }
        c.record?.({ type: 'DMA_WR_CPL', cycle: landed + c.latency, tag, resp: r.ok ? 0 : r.fault.resp });
        if (--left === 0) c.sched.at(landed + c.latency, () => done(fail));
      });
    }
    this.wFree = t;
    if (list.length === 0) c.sched.at(t, () => done(null));
  }
}
