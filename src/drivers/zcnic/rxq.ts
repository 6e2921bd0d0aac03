// An RX queue: every descriptor carries a header buffer (a slice of one coherent array, as
// fbnic's header pages are) and a data buffer (a page_pool page, mapped once when it entered
// the pool). NAPI reads completions by phase bit, syncs for the CPU only the bytes the device
// wrote, builds a packet buffer (SOP..EOP entries make one frame), hands it up, refills from
// the pool and rings the doorbell once per poll.

import { RX_CQE, RX_CSUM, RX_DESC, RX_FLAG } from '../../abi/regs.js';
import { layoutGet, layoutPut } from '../../abi/layout.js';
import type { Page } from '../../mem/page_alloc.js';
import {
  page_pool_create, page_pool_destroy, page_pool_dev_alloc_pages, page_pool_dma_sync_for_cpu, page_pool_get_dma_addr,
  page_pool_put_full_page, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, type MemoryProviderOps, type PagePool,
} from '../../net/core/page_pool.js';
import { DMA_FROM_DEVICE, type Device as DmaDevice, type HostPlatform } from '../../platform/host.js';
import type { Device } from '../../device/device.js';
import type { NapiStruct } from '../../net/core/napi.js';
import { GFP_DMA32 } from '../../mem/page_alloc.js';
import { buildRxSkb, type RxMemModel, type RxPiece } from './rx_skb.js';
import type { SkBuff } from '../../net/core/skbuff.js';
import { DriverError } from './errors.js';
import { STALE_BUS_ADDR } from './txq.js';
import { allocCoherent, freeCoherent, QCTRL, QueueBase, type Coherent, type RegIo } from './ring.js';

export type PoolZone = 'normal' | 'dma32';

export interface RxQueueConfig {
  readonly bufSize: number;
  readonly hdrSize: number;
  readonly hdrSplit: boolean;
  readonly zone: PoolZone;
  readonly memModel: RxMemModel;
}

export interface RxQueueStats {
  packets: number;
  bytes: number;
  /** Completions consumed (one per descriptor used). */
  completions: number;
  /** Frames the device split (headers in the header buffer). */
  hdr_split: number;
  /** Frames that took more than one descriptor. */
  multi_buf: number;
  csum_unnecessary: number;
  csum_bad: number;
  /** Refills that found no page (the ring runs short until the next poll). */
  alloc_fail: number;
  doorbells: number;
}

/** What the stack is given with each frame: the skb and the completion's metadata. */
export interface RxMeta {
  readonly queue: number;
  readonly csum: number;
  readonly rssHash: number;
  readonly hashValid: boolean;
  readonly filterHit: boolean;
  readonly filterIndex: number;
  readonly hdrLen: number;
  readonly split: boolean;
  readonly descriptors: number;
  readonly frameLen: number;
  readonly cycle: number;
  /** The frame's completions as the device wrote them, SOP first (for differential tests). */
  readonly cqes: readonly Uint8Array[];
}

export type RxHandler = (skb: SkBuff, meta: RxMeta) => void;

interface RxSlot {
  page: Page | null;
  /** Fault injection: this slot was posted with a bus address nothing maps. */
  poisoned: boolean;
}


export class RxQueue extends QueueBase {
  protected readonly cqeBytes = RX_CQE.BYTES;
  protected readonly descBytes = RX_DESC.BYTES;
  pool!: PagePool;
  /** The memory provider bound to this queue (RX zero copy), if any. */
  mp: MemoryProviderOps | null = null;
  /**
   * What the provider's binding sees of each frame before the stack does (RX zero copy: another
   * domain's frame is copied out of the area, or dropped: null).
   */
  rxHook: ((skb: SkBuff) => SkBuff | null) | null = null;
  hdr!: Coherent;
  private slots: RxSlot[] = [];
  /** Completions of the frame being assembled (SOP seen, EOP not yet). */
  private partial: { slot: number; cqe: Uint8Array }[] = [];
  /** Fault injection: the next refill posts one descriptor with an unmapped data address. */
  injectUnmappedBuffer = false;

  /**
   * Fault injection now: the descriptor `ahead` slots past the device's next one gets a data
   * address nothing maps (far enough ahead that the device has not prefetched it).
   */
  poisonAhead(ahead = 32): boolean {
    if (ahead >= ((this.prod - this.cqHead) & 0xffff)) return false;
    const idx = (this.cqHead + ahead) & 0xffff;
    const s = idx & (this.entries - 1);
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, STALE_BUS_ADDR + 0x800 * (this.q + 1), true);
    this.host.cpuWrite(this.ring.cpu + BigInt(s * RX_DESC.BYTES + RX_DESC.fields.DATA_ADDR[0]), d);
    this.slots[s]!.poisoned = true;
    return true;
  }
  readonly stats: RxQueueStats = {
    packets: 0, bytes: 0, completions: 0, hdr_split: 0, multi_buf: 0, csum_unnecessary: 0, csum_bad: 0, alloc_fail: 0, doorbells: 0,
  };

  constructor(
    q: number,
    sizeLog2: number,
    vector: number,
    host: HostPlatform,
    pdev: DmaDevice,
    dev: Device,
    io: RegIo,
    napi: (q: QueueBase) => NapiStruct,
    readonly cfg: RxQueueConfig,
    private readonly deliver: RxHandler,
  ) {
    super('rx', q, sizeLog2, vector, host, pdev, dev, io, napi);
  }

  setup(): void {
    this.allocRings();
    this.hdr = allocCoherent(this.pdev, this.entries * this.cfg.hdrSize, `${this.name} header buffers`);
    this.host.cpuFill(this.hdr.cpu, this.hdr.bytes, 0);
    this.slots = Array.from({ length: this.entries }, () => ({ page: null, poisoned: false }));
    this.createPool();
  }

  /**
   * queue_mgmt_ops' new pool for a restart: the old one goes (its buffers must be back from the
   * ring: releaseBuffers first) and one with `mp` (a memory provider, or the page allocator) comes.
   */
  replacePool(mp: MemoryProviderOps | null): void {
    page_pool_destroy(this.pool);
    this.mp = mp;
    this.createPool();
  }

  private createPool(): void {
    this.pool = page_pool_create(this.host, {
      order: 0,
      pool_size: this.entries,
      nid: -1,
      dev: this.pdev,
      napi: this.napi,
      dma_dir: DMA_FROM_DEVICE,
      max_len: this.cfg.bufSize,
      offset: 0,
      flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
      gfp: this.cfg.zone === 'dma32' ? GFP_DMA32 : 0,
      queue_idx: this.q,
      mp_ops: this.mp,
    });
  }

  protected override async beforeEnable(): Promise<void> {
    await this.io.write(this.reg('BUF_SIZE'), this.cfg.bufSize);
    await this.io.write(this.reg('HDR_SIZE'), this.cfg.hdrSize);
  }

  get ctrlBits(): number {
    return this.cfg.hdrSplit ? QCTRL.HDR_SPLIT : 0;
  }

  /**
   * Slots holding a buffer: posted and not yet completed, plus those of a frame whose SOP entry
   * has been read but not its EOP (its entries may land in different sync windows); refilling
   * those would hand their pages' slots to new pages under the open frame.
   */
  get posted(): number {
    return ((this.prod - this.cqHead) & 0xffff) + this.partial.length;
  }

  /**
   * Post a buffer in every free slot; returns the number posted. Fails (E_MAP / E_NOMEM) when
   * not a single buffer can be had for an empty ring: the queue would never deliver.
   */
  refill(ringBell: boolean): number {
    const free = this.entries - this.posted;
    if (free === 0) return 0;
    const buf = new Uint8Array(RX_DESC.BYTES);
    let n = 0;
    for (; n < free; n++) {
      const idx = (this.prod + n) & 0xffff;
      const s = idx & (this.entries - 1);
      const page = page_pool_dev_alloc_pages(this.pool);
      if (!page) {
        this.stats.alloc_fail++;
        break;
      }
      const slot = this.slots[s]!;
      slot.page = page;
      slot.poisoned = this.injectUnmappedBuffer;
      this.injectUnmappedBuffer = false;
      const data = slot.poisoned ? STALE_BUS_ADDR : Number(page_pool_get_dma_addr(page) + BigInt(this.pool.p.offset));
      layoutPut(RX_DESC, buf, 'HDR_ADDR', Number(this.hdr.dma) + s * this.cfg.hdrSize);
      layoutPut(RX_DESC, buf, 'DATA_ADDR', data);
      layoutPut(RX_DESC, buf, 'COOKIE', idx);
      this.host.cpuWrite(this.ring.cpu + BigInt(s * RX_DESC.BYTES), buf);
    }
    // (a memory provider's buffers may all be held by their process: the ring waits for returns)
    if (n === 0 && this.posted === 0 && !this.mp) {
      throw new DriverError('E_MAP', `no RX buffer could be allocated and mapped for an empty ring (page_pool ${this.pool.id}: ${this.cfg.zone} pages)`, { queue: this.name, cycle: this.dev.clock.cycle });
    }
    this.prod = (this.prod + n) & 0xffff;
    if (n > 0 && ringBell) {
      this.stats.doorbells++;
      this.ringDoorbell();
    }
    return n;
  }

  /** The RX half of the NAPI poll: up to `budget` frames, then refill (no MMIO read). */
  poll(budget: number, refill = true): number {
    if (this.resetting) return 0;
    let frames = 0;
    while (frames < budget) {
      const cqe = this.cqeAtHead();
      if (!cqe) break;
      const index = layoutGet(RX_CQE, cqe, 'INDEX');
      if (index !== this.cqHead) {
        throw new DriverError('E_COMPLETION', `RX completion for descriptor ${index}, expected ${this.cqHead}`, { queue: this.name, index, cycle: this.dev.clock.cycle });
      }
      const flags = layoutGet(RX_CQE, cqe, 'FLAGS');
      const slot = this.cqHead & (this.entries - 1);
      this.cqHead = (this.cqHead + 1) & 0xffff;
      this.stats.completions++;
      if (flags & RX_FLAG.SOP && this.partial.length) {
        throw new DriverError('E_COMPLETION', `SOP while a frame of ${this.partial.length} buffers is open`, { queue: this.name, index, cycle: this.dev.clock.cycle });
      }
      this.partial.push({ slot, cqe });
      if (!(flags & RX_FLAG.EOP)) continue;
      const parts = this.partial;
      this.partial = [];
      this.receive(parts);
      frames++;
    }
    if (refill) this.refill(true);
    return frames;
  }

  private receive(parts: readonly { slot: number; cqe: Uint8Array }[]): void {
    const first = parts[0]!.cqe;
    const flags = layoutGet(RX_CQE, first, 'FLAGS');
    const split = (flags & RX_FLAG.HDR_SPLIT) !== 0;
    const hdrLen = split ? layoutGet(RX_CQE, first, 'HDR_LEN') : 0;
    const pieces: RxPiece[] = parts.map(({ slot, cqe }) => {
      const s = this.slots[slot]!;
      const page = s.page!;
      s.page = null;
      if (s.poisoned) throw new DriverError('E_COMPLETION', 'a completion for the buffer posted with an unmapped address', { queue: this.name, index: slot });
      const len = layoutGet(RX_CQE, cqe, 'DATA_LEN');
      // only what the device wrote, from the pool's offset
      if (len > 0) page_pool_dma_sync_for_cpu(this.pool, page, 0, len);
      return { page, offset: this.pool.p.offset, len };
    });
    const csum = layoutGet(RX_CQE, first, 'CSUM');
    const meta: RxMeta = {
      queue: layoutGet(RX_CQE, first, 'QUEUE'),
      csum,
      rssHash: layoutGet(RX_CQE, first, 'RSS_HASH'),
      hashValid: (flags & RX_FLAG.HASH_VALID) !== 0,
      filterHit: (flags & RX_FLAG.FILTER_HIT) !== 0,
      filterIndex: layoutGet(RX_CQE, first, 'FILTER_INDEX'),
      hdrLen,
      split,
      descriptors: parts.length,
      frameLen: layoutGet(RX_CQE, first, 'FRAME_LEN'),
      cycle: this.dev.clock.cycle,
      cqes: parts.map((p) => p.cqe),
    };
    const hdrPa = this.hdr.cpu + BigInt(parts[0]!.slot * this.cfg.hdrSize);
    const skb = buildRxSkb(this.host, this.pool, this.cfg.memModel, { hdrPa, hdrLen }, pieces, {
      queue: this.q, csumOk: csumUnnecessary(csum), rssHash: meta.rssHash, hashValid: meta.hashValid, l4: (csum & (RX_CSUM.UDP | RX_CSUM.L4_PRESENT)) !== 0,
      napi: this.napi, cycle: meta.cycle,
    });
    if (skb.len !== meta.frameLen) {
      throw new DriverError('E_COMPLETION', `frame of ${meta.frameLen} bytes built into ${skb.len}`, { queue: this.name, index: parts[0]!.slot });
    }
    this.stats.packets++;
    this.stats.bytes += skb.len;
    if (split) this.stats.hdr_split++;
    if (parts.length > 1) this.stats.multi_buf++;
    if (csumUnnecessary(csum)) this.stats.csum_unnecessary++;
    else if (csum & RX_CSUM.IPV4 && (!(csum & RX_CSUM.IP_OK) || (csum & RX_CSUM.L4_PRESENT && !(csum & RX_CSUM.L4_OK)))) this.stats.csum_bad++;
    const up = this.rxHook ? this.rxHook(skb) : skb;
    if (up) this.deliver(up, meta);
  }

  /** Return every posted page to the pool (close, or after a reset: the device is idle). */
  releaseBuffers(): void {
    for (const s of this.slots) {
      if (s.page) page_pool_put_full_page(this.pool, s.page, false);
      s.page = null;
      s.poisoned = false;
    }
    this.partial = [];
  }

  teardown(): void {
    this.releaseBuffers();
    page_pool_destroy(this.pool);
    freeCoherent(this.pdev, this.hdr);
    this.freeRings();
  }
}

/** The verdict the stack may trust: IPv4 header good and, when there is an L4 checksum, that too. */
export function csumUnnecessary(csum: number): boolean {
  if (!(csum & RX_CSUM.IPV4) || !(csum & RX_CSUM.IP_OK)) return false;
  if (csum & RX_CSUM.L4_PRESENT) return (csum & RX_CSUM.L4_OK) !== 0;
  return false;
}
