// nic_tx (docs/rtl-nic-tx.md): TX rings served one frame at a time in round robin. Pick a
// queue, fetch its descriptors (a short first fetch of up to 4), validate each, read every
// fragment, insert checksums (tx_csum), consume the descriptors, write the completion. Errors
// stop the queue with the RTL's code, descriptor index and address (the table in that page).

import { MAX_FRAME, QERR, TX_CQE, TX_DESC, TX_FLAG, CQE_PHASE } from '../abi/regs.js';
import { layoutGet, layoutPut } from '../abi/layout.js';
import { txCsum } from './csum.js';
import { DmaMaster, type DmaContext, type DmaFail } from './dma.js';
import { QueueRegs, type QueueState } from './nic_qregs.js';

const FRAG_MAX = 4096;
const FIRST_FETCH = 4;

export interface TxEngineHooks {
  /** Hand a frame to the MAC (or loopback); `accepted` runs at its tlast handshake. */
  send(frame: Uint8Array, accepted: () => void): void;
  /** A TX completion was written on queue q (cq_evt). */
  completion(q: number): void;
  /** Queue q entered its error state (err_evt). */
  error(q: number): void;
  statFrame(len: number): void;
  statDrop(): void;
  statDmaErr(): void;
}

interface Frag {
  readonly index: number;
  readonly addr: number;
  readonly len: number;
}

interface Work {
  readonly q: number;
  readonly s: QueueState;
  /** Latched at the pick. */
  readonly ring: number;
  readonly cq: number;
  readonly size: number;
  readonly frags: Frag[];
  flags: number;
  total: number;
  eop?: { readonly index: number; readonly cookie: number };
}

export class NicTx {
  readonly regs: QueueRegs;
  private readonly dma: DmaMaster;
  private work: Work | null = null;
  private last: number;
  private scheduled = false;
  private streaming = false;
  private streamWait: (() => void) | null = null;
  /** The queue's posted descriptors hold no EOP: skip it until its next doorbell. */
  private readonly waitBell: boolean[];

  constructor(
    queues: number,
    maxRingLog2: number,
    private readonly maxFrags: number,
    private readonly ctx: DmaContext,
    private readonly hooks: TxEngineHooks,
    irq: { arm(q: number): void; config(q: number): void },
  ) {
    this.regs = new QueueRegs(false, queues, maxRingLog2, {
      busy: (q) => this.work?.q === q,
      kick: (q) => {
        this.waitBell[q] = false;
        this.schedule();
      },
      arm: (q) => irq.arm(q),
      irqConfig: (q) => irq.config(q),
    });
    this.dma = new DmaMaster(ctx);
    this.last = queues - 1;
    this.waitBell = Array.from({ length: queues }, () => false);
  }

  /** Look for work in the next cycle (after a doorbell, an enable, the end of a frame). */
  schedule(): void {
    if (this.work || this.scheduled) return;
    this.scheduled = true;
    this.ctx.sched.after(1, () => {
      this.scheduled = false;
      this.pick();
    });
  }

  private pick(): void {
    if (this.work) return;
    const n = this.regs.queues;
    for (let k = 1; k <= n; k++) {
      const q = (this.last + k) % n;
      const s = this.regs.q[q]!;
      if (!s.enable || s.error || this.waitBell[q] || s.prod === s.cons) continue;
      this.last = q;
      this.work = { q, s, ring: s.ring_base, cq: s.cq_base, size: 1 << s.size_log2, frags: [], flags: 0, total: 0 };
      this.fetch(this.work);
      return;
    }
  }

  private done(): void {
    this.work = null;
    this.schedule();
  }

  private fail(w: Work, code: number, resp: number, index: number, addr: number): void {
    this.regs.raise(w.q, code, resp, index, addr);
    this.hooks.error(w.q);
    if (code !== QERR.CQ_WRITE) this.hooks.statDrop();
    if (code !== QERR.BAD_DESC) this.hooks.statDmaErr();
    this.done();
  }

  private fetch(w: Work): void {
    const s = w.s;
    const idx = (s.cons + w.frags.length) & 0xffff;
    const posted = (s.prod - idx) & 0xffff;
    if (posted === 0) {
      // an incomplete frame: nothing is consumed, and no refetch until the next doorbell
      this.waitBell[w.q] = true;
      this.done();
      return;
    }
    const slot = idx % w.size;
    const left = w.frags.length === 0 ? FIRST_FETCH : this.maxFrags - w.frags.length;
    const n = Math.min(posted, w.size - slot, left);
    const base = w.ring + slot * TX_DESC.BYTES;
    this.dma.read(base, n * TX_DESC.BYTES, (buf, f) => this.validate(w, idx, base, n, buf, f));
  }

  private validate(w: Work, idx: number, base: number, n: number, buf: Uint8Array, f: DmaFail | null): void {
    // descriptors before the failing burst stream through validation first
    const good = f ? (f.addr - base) / TX_DESC.BYTES : n;
    for (let k = 0; k < good; k++) {
      const o = k * TX_DESC.BYTES;
      const index = (idx + k) & 0xffff;
      const addr = layoutGet(TX_DESC, buf, 'ADDR', o);
      const len = layoutGet(TX_DESC, buf, 'LEN', o);
      const flags = layoutGet(TX_DESC, buf, 'FLAGS', o);
      if (w.frags.length === 0) w.flags = flags;
      const eop = (flags & TX_FLAG.EOP) !== 0;
      if (len === 0 || len > FRAG_MAX || (addr % FRAG_MAX) + len > FRAG_MAX) return this.fail(w, QERR.BAD_DESC, 0, index, addr);
      w.total += len;
      if (eop && w.total > MAX_FRAME) return this.fail(w, QERR.BAD_DESC, 0, index, addr);
      w.frags.push({ index, addr, len });
      if (!eop && w.frags.length === this.maxFrags) return this.fail(w, QERR.BAD_DESC, 0, index, addr);
      if (eop) {
        // a later burst of the same fetch may still fail (a prefetched descriptor)
        if (f) return this.fail(w, QERR.DESC_READ, f.resp, (idx + (f.addr - base) / TX_DESC.BYTES) & 0xffff, f.addr);
        w.eop = { index, cookie: layoutGet(TX_DESC, buf, 'COOKIE', o) };
        return this.payload(w);
      }
    }
    if (f) return this.fail(w, QERR.DESC_READ, f.resp, (idx + good) & 0xffff, f.addr);
    this.fetch(w);
  }

  private payload(w: Work): void {
    const parts: Uint8Array[] = [];
    let left = w.frags.length;
    let first: { frag: Frag; fail: DmaFail } | null = null;
    w.frags.forEach((fr, i) => {
      this.dma.read(fr.addr, fr.len, (data, f) => {
        parts[i] = data;
        if (f && !first) first = { frag: fr, fail: f };
        if (--left > 0) return;
        if (first) return this.fail(w, QERR.DATA_READ, first.fail.resp, first.frag.index, first.fail.addr);
        this.complete(w, parts);
      });
    });
  }

  private complete(w: Work, parts: Uint8Array[]): void {
    // tx_csum holds one frame: the next waits until the stream has taken the last
    if (this.streaming) {
      this.streamWait = () => this.complete(w, parts);
      return;
    }
    const sent = new Uint8Array(w.total);
    let o = 0;
    for (const p of parts) {
      sent.set(p, o);
      o += p.length;
    }
    const frame = txCsum(sent, w.flags).frame;
    const len = frame.length;
    this.streaming = true;
    this.hooks.send(frame, () => {
      this.hooks.statFrame(len);
      this.streaming = false;
      const go = this.streamWait;
      this.streamWait = null;
      go?.();
    });
    const s = w.s;
    // consumed before the completion can be seen: the driver reuses the slots on seeing it
    s.cons = (s.cons + w.frags.length) & 0xffff;
    const cqe = new Uint8Array(TX_CQE.BYTES);
    layoutPut(TX_CQE, cqe, 'COOKIE', w.eop!.cookie);
    layoutPut(TX_CQE, cqe, 'INDEX', w.eop!.index);
    layoutPut(TX_CQE, cqe, 'FRAGS', w.frags.length);
    layoutPut(TX_CQE, cqe, 'LEN', len);
    layoutPut(TX_CQE, cqe, 'FLAGS', (s.cq_prod >> Math.log2(w.size)) & 1 ? 0 : CQE_PHASE);
    const addr = w.cq + (s.cq_prod % w.size) * TX_CQE.BYTES;
    this.dma.write(addr, cqe, (f) => {
      if (f) return this.fail(w, QERR.CQ_WRITE, f.resp, w.eop!.index, f.addr);
      s.cq_prod = (s.cq_prod + 1) & 0xffff;
      this.hooks.completion(w.q);
      this.done();
    });
  }
}
