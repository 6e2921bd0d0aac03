// A TX queue: ndo_start_xmit maps the packet buffer's linear part and page fragments for the
// device (scatter-gather, one descriptor per piece, split where a piece crosses 4 KiB of bus
// address, as the NIC requires), rings the doorbell once per batch (xmit_more), stops the queue
// when a largest frame might not fit; the TX completion (one per frame, written once the payload
// has been read) unmaps and frees, and wakes the queue.

import { TX_CQE, TX_DESC, TX_FLAG } from '../../abi/regs.js';
import { layoutGet, layoutPut } from '../../abi/layout.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import {
  DMA_TO_DEVICE, dma_map_page, dma_map_single, dma_mapping_error, dma_unmap_page, dma_unmap_single,
} from '../../platform/host.js';
import { dev_kfree_skb_any, napi_consume_skb, skb_headlen, skb_linear_phys, type SkBuff } from '../../net/core/skbuff.js';
import { NETDEV_TX_BUSY, NETDEV_TX_OK, type XmitOffload } from '../../net/core/dev.js';
import { DriverError } from './errors.js';
import { QueueBase } from './ring.js';

/** A bus address below 4 GiB that no mapping uses (IOVAs are handed out top-down from 4 GiB). */
export const STALE_BUS_ADDR = 0x1000_0000;

/** One DMA mapping behind a frame's descriptors: the linear part, a page frag, or premapped memory (never unmapped here). */
interface TxPiece {
  readonly dma: bigint;
  readonly len: number;
  readonly page: boolean;
  readonly premapped?: boolean;
}

/** One ring slot's buffer: the mapping it starts (if any) and the skb its EOP frees. */
interface TxSlot {
  /** The DMA mapping that begins at this descriptor (a mapping may span several descriptors). */
  map: (TxPiece & { unmapped: boolean }) | null;
  skb: SkBuff | null;
}

export interface TxQueueStats {
  packets: number;
  bytes: number;
  /** Frames lost: dropped at xmit (no mapping) or flushed by a queue reset. */
  dropped: number;
  busy: number;
  stops: number;
  wakes: number;
  doorbells: number;
  /** Descriptors written, and descriptors added because a piece crossed 4 KiB. */
  descriptors: number;
  splits: number;
  completions: number;
  /** Streaming DMA mappings made and torn down (one per linear part or page fragment). */
  maps: number;
  unmaps: number;
}

export class TxQueue extends QueueBase {
  protected readonly cqeBytes = TX_CQE.BYTES;
  protected readonly descBytes = TX_DESC.BYTES;
  /** Oldest descriptor not yet freed (free-running, like prod). */
  clean = 0;
  stopped = false;
  private pendingBell = false;
  private slots: TxSlot[] = [];
  /** Descriptors a largest frame may need: the queue stops below this much room. */
  maxDescs = 1;
  /**
   * Fault injection: post the next frame's first fragment at a stale bus address (one no mapping
   * uses), as a driver that unmapped it early would. A real early unmap is not used: the IOVA
   * allocator hands the freed IOVA to the next mapping, so the device would read someone else's
   * bytes instead of faulting (a silent corruption the IOMMU cannot see).
   */
  injectStaleFragment = false;
  readonly stats: TxQueueStats = {
    packets: 0, bytes: 0, dropped: 0, busy: 0, stops: 0, wakes: 0, doorbells: 0, descriptors: 0, splits: 0, completions: 0, maps: 0, unmaps: 0,
  };
  /** netif_tx_wake_queue's listeners (the stack's qdisc restarting). */
  onWake: (() => void) | null = null;

  setup(maxFrags: number): void {
    this.allocRings();
    this.slots = Array.from({ length: this.entries }, () => ({ map: null, skb: null }));
    this.maxDescs = maxFrags;
  }

  get inFlight(): number {
    return (this.prod - this.clean) & 0xffff;
  }

  private get room(): number {
    return this.entries - this.inFlight;
  }

  /**
   * ndo_start_xmit. Returns NETDEV_TX_OK (the skb is the driver's now, even if it was dropped)
   * or NETDEV_TX_BUSY (stopped: the caller keeps the skb and retries after onWake).
   */
  start_xmit(skb: SkBuff, offload: XmitOffload = {}, xmit_more = false): number {
    if (this.stopped || this.resetting) {
      this.stats.busy++;
      return NETDEV_TX_BUSY;
    }
    const pieces = this.mapSkb(skb);
    if (!pieces) {
      this.stats.dropped++;
      dev_kfree_skb_any(skb);
      this.flushBell(xmit_more);
      return NETDEV_TX_OK;
    }
    // each descriptor, and the mapping it is the first descriptor of (unmapped when it is freed)
    const descs: { dma: bigint; len: number; first: (typeof pieces)[number] | null }[] = [];
    for (const p of pieces) {
      // the NIC takes no fragment across a 4 KiB boundary of bus address: split there
      let a = p.dma;
      let left = p.len;
      while (left > 0) {
        const n = Math.min(left, PAGE_SIZE - Number(a & BigInt(PAGE_SIZE - 1)));
        descs.push({ dma: a, len: n, first: a === p.dma ? p : null });
        a += BigInt(n);
        left -= n;
      }
    }
    if (descs.length > this.maxDescs || descs.length > this.room) {
      // cannot happen while the stop threshold holds and pieces fit MAX_FRAGS; a driver bug otherwise
      this.unmapPieces(pieces);
      throw new DriverError('E_STATE', `frame needs ${descs.length} descriptors, ${this.room} free, at most ${this.maxDescs} per frame`, { queue: this.name });
    }
    this.stats.splits += descs.length - pieces.length;
    const flags0 = (offload.csumIp ? TX_FLAG.CSUM_IP : 0) | (offload.csumL4 ? TX_FLAG.CSUM_UDP : 0);
    const buf = new Uint8Array(TX_DESC.BYTES * descs.length);
    for (let i = 0; i < descs.length; i++) {
      const d = descs[i]!;
      const idx = (this.prod + i) & 0xffff;
      const slot = this.slots[idx & (this.entries - 1)]!;
      slot.map = d.first ? { ...d.first, unmapped: false } : null;
      const last = i === descs.length - 1;
      slot.skb = last ? skb : null;
      const o = i * TX_DESC.BYTES;
      const stale = i === 0 && this.injectStaleFragment;
      layoutPut(TX_DESC, buf, 'ADDR', stale ? STALE_BUS_ADDR + Number(d.dma & 0xfffn) : Number(d.dma), o);
      layoutPut(TX_DESC, buf, 'LEN', d.len, o);
      layoutPut(TX_DESC, buf, 'FLAGS', (i === 0 ? flags0 : 0) | (last ? TX_FLAG.EOP : 0), o);
      layoutPut(TX_DESC, buf, 'COOKIE', idx, o);
    }
    this.writeDescs(buf, descs.length);
    this.prod = (this.prod + descs.length) & 0xffff;
    this.stats.descriptors += descs.length;
    this.injectStaleFragment = false;
    if (this.room < this.maxDescs) {
      this.stopped = true;
      this.stats.stops++;
      this.trace('TXQ_STOP', this.prod);
      xmit_more = false; // netif_xmit_stopped(): ring now, nothing more will come
    }
    this.flushBell(xmit_more);
    return NETDEV_TX_OK;
  }

  /** Ring the doorbell unless more frames follow (xmit_more) and the queue still runs. */
  flushBell(xmit_more: boolean): void {
    this.pendingBell = true;
    if (xmit_more) return;
    this.pendingBell = false;
    this.stats.doorbells++;
    this.ringDoorbell();
  }

  get bellPending(): boolean {
    return this.pendingBell;
  }

  private writeDescs(buf: Uint8Array, n: number): void {
    const first = this.prod & (this.entries - 1);
    const now = Math.min(n, this.entries - first);
    this.host.cpuWrite(this.ring.cpu + BigInt(first * TX_DESC.BYTES), buf.subarray(0, now * TX_DESC.BYTES));
    if (now < n) this.host.cpuWrite(this.ring.cpu, buf.subarray(now * TX_DESC.BYTES));
  }

  private mapSkb(skb: SkBuff): TxPiece[] | null {
    const pieces: TxPiece[] = [];
    const hl = skb_headlen(skb);
    if (hl > 0) {
      const dma = dma_map_single(this.pdev, skb_linear_phys(skb), hl, DMA_TO_DEVICE);
      if (dma_mapping_error(this.pdev, dma)) return this.mapFailed(pieces, skb_linear_phys(skb));
      this.stats.maps++;
      pieces.push({ dma, len: hl, page: false });
    }
    for (const f of skb.frags) {
      if (f.dma !== undefined) {
        pieces.push({ dma: f.dma, len: f.size, page: true, premapped: true });
        continue;
      }
      const dma = dma_map_page(this.pdev, f.page, f.offset, f.size, DMA_TO_DEVICE);
      if (dma_mapping_error(this.pdev, dma)) return this.mapFailed(pieces, f.page.phys + BigInt(f.offset));
      this.stats.maps++;
      pieces.push({ dma, len: f.size, page: true });
    }
    return pieces;
  }

  private mapFailed(done: TxPiece[], pa: bigint): null {
    this.unmapPieces(done);
    this.host.klog.ratelimited(`zcnic ${this.name} tx map`, 'err', `zcnic ${this.pdev.name}: ${this.name}: TX DMA map failed for 0x${pa.toString(16)}, frame dropped`);
    return null;
  }

  private unmapPieces(ps: readonly TxPiece[]): void {
    for (const p of ps) this.unmapOne({ ...p, unmapped: false });
  }

  private unmapOne(m: TxPiece & { unmapped: boolean }): void {
    if (m.unmapped) return;
    m.unmapped = true;
    if (m.premapped) return;
    this.stats.unmaps++;
    if (m.page) dma_unmap_page(this.pdev, m.dma, m.len, DMA_TO_DEVICE);
    else dma_unmap_single(this.pdev, m.dma, m.len, DMA_TO_DEVICE);
  }

  /** Free descriptors [clean, upto] (inclusive of the EOP at `upto`). */
  private cleanTo(eopIndex: number, budget: number): number {
    let bytes = 0;
    for (;;) {
      const idx = this.clean;
      const slot = this.slots[idx & (this.entries - 1)]!;
      if (slot.map) this.unmapOne(slot.map);
      slot.map = null;
      this.clean = (this.clean + 1) & 0xffff;
      if (slot.skb) {
        bytes += slot.skb.len;
        napi_consume_skb(slot.skb, budget);
        slot.skb = null;
      }
      if (idx === eopIndex) return bytes;
    }
  }

  /** The TX half of the queue's NAPI poll: consume TX completions (no MMIO read). */
  poll(budget: number): number {
    if (this.resetting) return 0;
    let done = 0;
    while (done < budget) {
      const cqe = this.cqeAtHead();
      if (!cqe) break;
      const index = layoutGet(TX_CQE, cqe, 'INDEX');
      if (((index - this.clean) & 0xffff) >= this.inFlight) {
        throw new DriverError('E_COMPLETION', `TX completion names descriptor ${index}, outside the ${this.inFlight} in flight from ${this.clean}`, { queue: this.name, index, cycle: this.dev.clock.cycle });
      }
      this.stats.bytes += this.cleanTo(index, budget);
      this.stats.packets++;
      this.stats.completions++;
      this.cqHead = (this.cqHead + 1) & 0xffff;
      done++;
    }
    if (this.stopped && this.room >= 2 * this.maxDescs) {
      this.stopped = false;
      this.stats.wakes++;
      this.trace('TXQ_WAKE', this.prod);
      this.onWake?.();
    }
    return done;
  }

  /** After a queue reset: every frame still posted is lost; unmap and free it. */
  flushAll(): number {
    let lost = 0;
    while (this.inFlight > 0) {
      const slot = this.slots[this.clean & (this.entries - 1)]!;
      if (slot.map) this.unmapOne(slot.map);
      slot.map = null;
      if (slot.skb) {
        dev_kfree_skb_any(slot.skb);
        slot.skb = null;
        lost++;
      }
      this.clean = (this.clean + 1) & 0xffff;
    }
    this.stats.dropped += lost;
    this.clean = 0;
    return lost;
  }
}
