// nic_rx (docs/rtl-nic-rx.md), one frame at a time: frames wait whole in the frame RAM (MAC
// backpressure when it is full), then each is classified (rxExpect: parse, checksum verdict,
// steering, split), checked against its queue (disabled or in error, too few descriptors),
// its descriptors fetched, header and data written, descriptors consumed, the CQEs written,
// and CQ_PROD advanced. The RTL overlaps the next frame's fetch with this frame's writes under
// rules that keep the outcome that of this serial engine; only the timing differs.

import { MAX_FRAME, QERR, RX_CQE, RX_DESC, CQE_PHASE } from '../abi/regs.js';
import { layoutGet, layoutPut } from '../abi/layout.js';
import { DmaMaster, type DmaContext, type DmaFail } from './dma.js';
import { QueueRegs, type QueueState } from './nic_qregs.js';
import { rxClassify, rxExpect, type RxDelivery } from './rx.js';
import type { SteerTables } from './steer.js';

export interface RxEngineHooks {
  /** The steering tables now (rx_steer's registers). */
  tables(): SteerTables;
  /** A frame was delivered on queue q (its last CQE written: cq_evt). */
  completion(q: number): void;
  error(q: number): void;
  statFrame(len: number): void;
  statDrop(cause: 'nodesc' | 'filter' | 'queue' | 'bad' | 'dma'): void;
  statDmaErr(): void;
  /** Room was freed in the frame RAM: the MAC may go on. */
  space(): void;
}

interface Held {
  readonly frame: Uint8Array;
  /** Words of frame RAM it takes. */
  readonly words: number;
}

interface Desc {
  readonly hdr: number;
  readonly data: number;
  readonly cookie: number;
}

export class NicRx {
  readonly regs: QueueRegs;
  private readonly dma: DmaMaster;
  private readonly fifo: Held[] = [];
  private usedWords = 0;
  private readonly capWords: number;
  /** Queue whose frame is in the engine. */
  private active: number | null = null;
  private scheduled = false;
  /**
   * Test-only: a wrong model for the differential test, which must catch it. The first frame
   * from number `frame` on (0 = the first classified) that is not dropped by a filter goes to
   * queue (q + 1) mod QUEUES instead of q.
   */
  misSteer: { frame: number } | null = null;
  private classified = 0;

  constructor(
    queues: number,
    maxRingLog2: number,
    private readonly ctx: DmaContext,
    private readonly hooks: RxEngineHooks,
    irq: { arm(q: number): void; config(q: number): void },
    fifoBytes = 4 * MAX_FRAME,
  ) {
    this.regs = new QueueRegs(true, queues, maxRingLog2, {
      busy: (q) => this.active === q,
      kick: () => this.schedule(),
      arm: (q) => irq.arm(q),
      irqConfig: (q) => irq.config(q),
    });
    this.dma = new DmaMaster(ctx);
    this.capWords = Math.ceil(fifoBytes / ctx.dataBytes);
  }

  /** Frame RAM words a frame of `len` bytes needs (none beyond MAX_FRAME: it is rewound). */
  private words(len: number): number {
    return Math.ceil(Math.min(len, MAX_FRAME) / this.ctx.dataBytes);
  }

  /** Whether the MAC may start a frame of `len` bytes now (frame RAM room for all of it). */
  room(len: number): boolean {
    return this.usedWords + this.words(len) <= this.capWords;
  }

  /**
   * A frame's last beat from the MAC (or loopback), at the current cycle. A bad frame (tuser)
   * or one longer than MAX_FRAME is rewound and counted; the caller has checked room().
   */
  ingress(frame: Uint8Array, bad: boolean): void {
    if (bad || frame.length > MAX_FRAME) {
      this.hooks.statDrop('bad');
      return;
    }
    const words = this.words(frame.length);
    this.usedWords += words;
    this.fifo.push({ frame, words });
    this.schedule();
  }

  /** Frames waiting in the frame RAM. */
  get held(): number {
    return this.fifo.length;
  }

  private schedule(): void {
    if (this.active !== null || this.scheduled || this.fifo.length === 0) return;
    this.scheduled = true;
    this.ctx.sched.after(1, () => {
      this.scheduled = false;
      this.next();
    });
  }

  private release(): void {
    const h = this.fifo.shift()!;
    this.usedWords -= h.words;
    this.hooks.space();
  }

  private finish(): void {
    this.active = null;
    this.schedule();
  }

  private next(): void {
    if (this.active !== null || this.fifo.length === 0) return;
    const { frame } = this.fifo[0]!;
    let tables = this.hooks.tables();
    if (this.misSteer && this.classified >= this.misSteer.frame) {
      const wrong = misSteered(tables, frame, this.regs.queues);
      if (wrong !== tables) {
        tables = wrong;
        this.misSteer = null;
      }
    }
    this.classified++;
    // the queue registers are the RxQueueConf (hdr_split, hdr_size, buf_size) rxExpect reads
    const exp = rxExpect(frame, tables, this.regs.q);
    if (exp.drop === 'filter' || !exp.delivery) {
      this.hooks.statDrop('filter');
      this.release();
      return this.schedule();
    }
    const d = exp.delivery;
    const q = d.queue;
    const s = this.regs.q[q]!;
    if (!s.enable || s.error) {
      this.hooks.statDrop('queue');
      this.release();
      return this.schedule();
    }
    const n = d.cqes.length;
    if (((s.prod - s.cons) & 0xffff) < n) {
      this.hooks.statDrop('nodesc');
      this.release();
      return this.schedule();
    }
    this.active = q;
    this.fetch(q, s, d, frame);
  }

  /** The queue enters its error state; the frame is lost (its RAM freed unless the CQEs had it). */
  private fail(q: number, code: number, resp: number, index: number, addr: number, released = false): void {
    this.regs.raise(q, code, resp, index, addr);
    this.hooks.error(q);
    this.hooks.statDrop('dma');
    this.hooks.statDmaErr();
    if (!released) this.release();
    this.finish();
  }

  /** Step 4: the n descriptors from CONS, one read per contiguous run of the ring. */
  private fetch(q: number, s: QueueState, d: RxDelivery, frame: Uint8Array): void {
    const size = 1 << s.size_log2;
    const n = d.cqes.length;
    const slot = s.cons % size;
    const first = Math.min(n, size - slot);
    // [ring index, slot, count, k of its first]
    const runs: [number, number, number, number][] = [[s.cons, slot, first, 0]];
    if (first < n) runs.push([(s.cons + first) & 0xffff, 0, n - first, first]);
    const descs: Desc[] = [];
    let left = runs.length;
    let fail: { fail: DmaFail; index: number } | null = null;
    const ring = s.ring_base;
    for (const [index, at, count, k0] of runs) {
      const base = ring + at * RX_DESC.BYTES;
      this.dma.read(base, count * RX_DESC.BYTES, (buf, f) => {
        for (let k = 0; k < count; k++) {
          const o = k * RX_DESC.BYTES;
          descs[k0 + k] = {
            hdr: layoutGet(RX_DESC, buf, 'HDR_ADDR', o), data: layoutGet(RX_DESC, buf, 'DATA_ADDR', o), cookie: layoutGet(RX_DESC, buf, 'COOKIE', o),
          };
        }
        if (f && !fail) fail = { fail: f, index: (index + (f.addr - base) / RX_DESC.BYTES) & 0xffff };
        if (--left > 0) return;
        const e = fail as { fail: DmaFail; index: number } | null;
        if (e) return this.fail(q, QERR.DESC_READ, e.fail.resp, e.index, e.fail.addr);
        this.write(q, s, d, frame, descs);
      });
    }
  }

  /** Step 5: header, then each data buffer; the first failing write is reported. */
  private write(q: number, s: QueueState, d: RxDelivery, frame: Uint8Array, descs: Desc[]): void {
    const parts: [number, Uint8Array, number][] = [];
    if (d.hdr_len) parts.push([descs[0]!.hdr, d.header, 0]);
    d.data.forEach((b, k) => {
      if (b.length) parts.push([descs[k]!.data, b, k]);
    });
    let left = parts.length;
    let fail: { fail: DmaFail; k: number } | null = null;
    const then = (): void => {
      const e = fail as { fail: DmaFail; k: number } | null;
      if (e) return this.fail(q, QERR.DATA_WRITE, e.fail.resp, (s.cons + e.k) & 0xffff, e.fail.addr);
      this.cqes(q, s, d, frame, descs);
    };
    if (left === 0) return then();
    for (const [addr, bytes, k] of parts) {
      this.dma.write(addr, bytes, (f) => {
        if (f && !fail) fail = { fail: f, k };
        if (--left === 0) then();
      });
    }
  }

  /** Steps 6..7: consume, write the CQEs (one write per contiguous CQ run), then publish. */
  private cqes(q: number, s: QueueState, d: RxDelivery, frame: Uint8Array, descs: Desc[]): void {
    const n = d.cqes.length;
    const size = 1 << s.size_log2;
    const cons = s.cons;
    s.cons = (s.cons + n) & 0xffff;
    // the frame's words are freed once its CQEs are handed to the DMA writer
    this.release();
    const runs: { start: number; count: number }[] = [];
    for (let k = 0; k < n; ) {
      const slot = (s.cq_prod + k) % size;
      const count = Math.min(n - k, size - slot);
      runs.push({ start: k, count });
      k += count;
    }
    let left = runs.length;
    let fail: { fail: DmaFail; k: number } | null = null;
    for (const r of runs) {
      const buf = new Uint8Array(r.count * RX_CQE.BYTES);
      for (let j = 0; j < r.count; j++) {
        const k = r.start + j;
        const c = d.cqes[k]!;
        const o = j * RX_CQE.BYTES;
        const cqIndex = (s.cq_prod + k) & 0xffff;
        layoutPut(RX_CQE, buf, 'COOKIE', descs[k]!.cookie, o);
        layoutPut(RX_CQE, buf, 'INDEX', (cons + k) & 0xffff, o);
        for (const f of ['QUEUE', 'CSUM', 'HDR_LEN', 'DATA_LEN', 'RSS_HASH', 'FILTER_INDEX', 'FRAME_LEN'] as const) layoutPut(RX_CQE, buf, f, c[f], o);
        layoutPut(RX_CQE, buf, 'FLAGS', c.FLAGS | ((cqIndex >> s.size_log2) & 1 ? 0 : CQE_PHASE), o);
      }
      const addr = s.cq_base + ((s.cq_prod + r.start) % size) * RX_CQE.BYTES;
      this.dma.write(addr, buf, (f) => {
        if (f && !fail) fail = { fail: f, k: r.start + (f.addr - addr) / RX_CQE.BYTES };
        if (--left > 0) return;
        const e = fail as { fail: DmaFail; k: number } | null;
        if (e) return this.fail(q, QERR.CQ_WRITE, e.fail.resp, (cons + Math.floor(e.k)) & 0xffff, e.fail.addr, true);
        s.cq_prod = (s.cq_prod + n) & 0xffff;
        this.hooks.completion(q);
        this.hooks.statFrame(frame.length);
        this.finish();
      });
    }
  }
}

/** The tables with `frame`'s steering decision moved to the next queue (the test-only fault). */
function misSteered(t: SteerTables, frame: Uint8Array, queues: number): SteerTables {
  const { steer } = rxClassify(frame, t);
  if (steer.drop) return t;
  const q = (steer.queue + 1) % queues;
  if (steer.filter_hit) return { ...t, filters: t.filters.map((f, i) => (i === steer.filter_index ? { ...f, queue: q } : f)) };
  if (steer.hash_valid) return { ...t, indir: t.indir.map((x) => (x === steer.queue ? q : x)) };
  return { ...t, default_queue: q };
}
